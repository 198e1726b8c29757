import { err } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import { turnDecisions } from "../machine/review.js";
import { type Actor, userRef } from "../model/actor.js";
import { loadCommandTarget, refuseCommand } from "./access.js";
import { epochSeconds } from "./audit-records.js";
import { recordDecision } from "./decision-record.js";
import type { UseCaseDeps } from "./deps.js";
import { ReviewInput } from "./inputs.js";
import { type Outcome, parseInput } from "./outcome.js";
import type { RequestView } from "./types.js";

/**
 * One airlock manager's decision on a request in review: `{approval, decisionExplanation}`. An
 * approval is an approve vote on every active file plus the approval (the request is approved once
 * every file has its approvals); a rejection rejects the whole request, finally.
 */
export const reviewRequest = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
  input: unknown,
): Outcome<RequestView> => {
  const target = await loadCommandTarget(deps, actorInput, workspaceId, requestId, "review");
  if (target.isErr()) return err(target.error);
  const { actor, workspace, request } = target.value;
  const body = parseInput(ReviewInput, input);
  if (body.isErr()) return refuseCommand(deps, target.value, "review", body.error);

  const decision = decide(request.status, contextOf(request, workspace.policy, null), {
    type: "REVIEW",
    actor: actorFacts(actor),
    approve: body.value.approval,
  });
  if (!decision.allowed) return refuseCommand(deps, target.value, "review", refusalError(decision.refusal));

  const approval = body.value.approval;
  const at = epochSeconds(deps.ports.clock);
  // An approval is an approve vote on every active file, replacing the reviewer's votes of the turn.
  const votes = approval
    ? [
        ...request.votes.filter((v) => !(v.turn === request.turn && v.reviewer.id === actor.id)),
        ...request.files
          .filter((file) => file.state === "active")
          .map((file) => ({
            reviewer: userRef(actor),
            file: file.name,
            vote: "approve" as const,
            turn: request.turn,
            dateCreated: at,
          })),
      ]
    : request.votes;
  const ends = decision.to === "approval_in_progress" || decision.to === "rejection_in_progress";
  const decisions = ends
    ? turnDecisions(
        { ...request, votes },
        workspace.policy.requiredApprovals,
        approval ? "approved" : "rejected",
      )
    : [];
  return recordDecision(deps, target.value, decision.to, {
    action: "review",
    reviewDecision: approval ? "approved" : "rejected",
    explanation: body.value.decisionExplanation,
    patch: { votes, fileDecisions: [...request.fileDecisions, ...decisions] },
  });
};
