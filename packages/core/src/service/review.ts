import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import { type Actor, userRef } from "../model/actor.js";
import type { Review } from "../model/request.js";
import { failedWrite, loadCommandTarget, refuseCommand, viewOf } from "./access.js";
import { epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { ReviewInput } from "./inputs.js";
import { type Outcome, parseInput } from "./outcome.js";
import { withStatus } from "./request-writer.js";
import type { RequestView } from "./types.js";

/** One airlock manager's decision on a request in review: `{approval, decisionExplanation}`. */
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

  const at = epochSeconds(deps.ports.clock);
  const review: Review = {
    id: deps.ports.ids.next(),
    reviewer: userRef(actor),
    reviewDecision: body.value.approval ? "approved" : "rejected",
    decisionExplanation: body.value.decisionExplanation,
    dateCreated: at,
  };
  const next = withStatus(request, decision.to, actor, at, { reviews: [...request.reviews, review] });
  const stored = await deps.writer.commit(request, next, { actor, action: "review" });
  if (stored.isErr()) return failedWrite(deps, target.value, "review", stored.error);

  deps.announcements.statusChange(stored.value, request.status, workspace);
  deps.announcements.decision(stored.value, review, workspace.policy.requiredApprovals);
  deps.scheduleProcessing(stored.value);
  return ok(viewOf(stored.value, workspace, actor));
};
