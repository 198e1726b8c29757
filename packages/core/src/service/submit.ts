import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import { UPLOAD_STAGE } from "../machine/status-meta.js";
import type { Actor } from "../model/actor.js";
import { failedWrite, loadCommandTarget, refuseCommand, viewOf } from "./access.js";
import { epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { containerOf } from "./lookup.js";
import { fromPort, type Outcome } from "./outcome.js";
import { withStatus } from "./request-writer.js";
import type { RequestView } from "./types.js";

/**
 * Submits a draft. The files the machine checks (names, sizes, count) are what storage holds (files
 * may arrive through a storage link, past the engine); the sha256 recorded here, computed from the bytes, is
 * what every later move is checked against.
 */
export const submitRequest = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
): Outcome<RequestView> => {
  const target = await loadCommandTarget(deps, actorInput, workspaceId, requestId, "submit");
  if (target.isErr()) return err(target.error);
  const { actor, workspace, request } = target.value;
  const ref = containerOf(request);
  const files = await fromPort(deps.ports.storage.listFiles(ref, UPLOAD_STAGE));
  if (files.isErr()) return err(files.error);

  // What storage holds is judged as it is: names, sizes and count, whoever wrote the files.
  const decision = decide(request.status, contextOf(request, workspace.policy, files.value), {
    type: "SUBMIT",
    actor: actorFacts(actor),
  });
  if (!decision.allowed) return refuseCommand(deps, target.value, "submit", refusalError(decision.refusal));

  const described = await fromPort(deps.ports.storage.describe(ref, UPLOAD_STAGE));
  if (described.isErr()) return err(described.error);
  const next = withStatus(request, decision.to, actor, epochSeconds(deps.ports.clock), {
    files: [...described.value],
    statusMessage: null,
  });
  const stored = await deps.writer.commit(request, next, { actor, action: "submit", workspace });
  if (stored.isErr()) return failedWrite(deps, target.value, "submit", stored.error);

  deps.scheduleProcessing(stored.value);
  return ok(viewOf(stored.value, workspace, actor));
};
