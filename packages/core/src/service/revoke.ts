import { err } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import type { Actor } from "../model/actor.js";
import { loadCommandTarget, refuseCommand } from "./access.js";
import { recordDecision } from "./decision-record.js";
import type { UseCaseDeps } from "./deps.js";
import { RevokeInput } from "./inputs.js";
import { type Outcome, parseInput } from "./outcome.js";
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

  return recordDecision(deps, target.value, decision.to, {
    action: "revoke",
    reviewDecision: "revoked",
    explanation: body.value.reason,
    statusMessage: body.value.reason,
  });
};
