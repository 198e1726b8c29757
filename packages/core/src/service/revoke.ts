import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import { type Actor, userRef } from "../model/actor.js";
import type { Review } from "../model/request.js";
import { failedWrite, loadCommandTarget, refuseCommand, viewOf } from "./access.js";
import { epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { RevokeInput } from "./inputs.js";
import { type Outcome, parseInput } from "./outcome.js";
import { withStatus } from "./request-writer.js";
import type { RequestView } from "./types.js";

/**
 * Revokes an approved request (`{reason}`): recorded as a decision, the reason shown as the status
 * message; the processor then moves the data out of the approved stage.
 */
export const revokeRequest = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
  input: unknown,
): Outcome<RequestView> => {
  const target = await loadCommandTarget(deps, actorInput, workspaceId, requestId, "revoke");
  if (target.isErr()) return err(target.error);
  const { actor, workspace, request } = target.value;
  const body = parseInput(RevokeInput, input);
  if (body.isErr()) return refuseCommand(deps, target.value, "revoke", body.error);

  const decision = decide(request.status, contextOf(request, workspace.policy, null), {
    type: "REVOKE",
    actor: actorFacts(actor),
  });
  if (!decision.allowed) return refuseCommand(deps, target.value, "revoke", refusalError(decision.refusal));

  const at = epochSeconds(deps.ports.clock);
  const review: Review = {
    id: deps.ports.ids.next(),
    reviewer: userRef(actor),
    reviewDecision: "revoked",
    decisionExplanation: body.value.reason,
    dateCreated: at,
  };
  const next = withStatus(request, decision.to, actor, at, {
    reviews: [...request.reviews, review],
    statusMessage: body.value.reason,
  });
  const stored = await deps.writer.commit(request, next, { actor, action: "revoke" });
  if (stored.isErr()) return failedWrite(deps, target.value, "revoke", stored.error);

  deps.announcements.statusChange(stored.value, request.status, workspace);
  deps.announcements.decision(stored.value, review, workspace.policy.requiredApprovals);
  deps.scheduleProcessing(stored.value);
  return ok(viewOf(stored.value, workspace, actor));
};
