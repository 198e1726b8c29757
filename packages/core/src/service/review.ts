import { err } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import type { Actor } from "../model/actor.js";
import { loadCommandTarget, refuseCommand } from "./access.js";
import { recordDecision } from "./decision-record.js";
import type { UseCaseDeps } from "./deps.js";
import { ReviewInput } from "./inputs.js";
import { type Outcome, parseInput } from "./outcome.js";
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

  return recordDecision(deps, target.value, decision.to, {
    action: "review",
    reviewDecision: body.value.approval ? "approved" : "rejected",
    explanation: body.value.decisionExplanation,
  });
};
