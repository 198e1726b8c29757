import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import type { Actor } from "../model/actor.js";
import { failedWrite, loadCommandTarget, refuseCommand, viewOf } from "./access.js";
import { epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import type { Outcome } from "./outcome.js";
import { withStatus } from "./request-writer.js";
import type { RequestView } from "./types.js";

/** Cancels a request; the processor then deletes what it had stored. */
export const cancelRequest = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
): Outcome<RequestView> => {
  const target = await loadCommandTarget(deps, actorInput, workspaceId, requestId, "cancel");
  if (target.isErr()) return err(target.error);
  const { actor, workspace, request } = target.value;

  const decision = decide(request.status, contextOf(request, workspace.policy, null), {
    type: "CANCEL",
    actor: actorFacts(actor),
  });
  if (!decision.allowed) return refuseCommand(deps, target.value, "cancel", refusalError(decision.refusal));

  const next = withStatus(request, decision.to, actor, epochSeconds(deps.ports.clock));
  const stored = await deps.writer.commit(request, next, { actor, action: "cancel", workspace });
  if (stored.isErr()) return failedWrite(deps, target.value, "cancel", stored.error);

  deps.scheduleProcessing(stored.value);
  return ok(viewOf(stored.value, workspace, actor));
};
