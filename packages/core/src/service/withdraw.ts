import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import { UPLOAD_STAGE } from "../machine/status-meta.js";
import type { Actor } from "../model/actor.js";
import { EVENT_TYPES } from "../model/events.js";
import { loadCommandTarget, refuseCommand, viewOf } from "./access.js";
import type { UseCaseDeps } from "./deps.js";
import { containerOf } from "./lookup.js";
import { fromPort, type Outcome } from "./outcome.js";
import { about, commitReviewChange, fileNameOf, noSuchFile, recordedFile } from "./review-cycle.js";
import type { RequestView } from "./types.js";

/**
 * The requester withdraws a file in draft or changes_requested: its bytes are deleted from the
 * draft stage first, so a withdrawn file can never move on, let alone be released; a file recorded
 * at a submit stays on record as `withdrawn`. Withdrawing a withdrawn file changes nothing.
 */
export const withdrawFile = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
  fileName: string,
): Outcome<RequestView> => {
  const target = await loadCommandTarget(deps, actorInput, workspaceId, requestId, "withdraw");
  if (target.isErr()) return err(target.error);
  const { actor, workspace, request } = target.value;
  const file = fileNameOf(fileName);

  const decision = decide(request.status, contextOf(request, workspace.policy, null), {
    type: "WITHDRAW",
    actor: actorFacts(actor),
  });
  if (!decision.allowed) return refuseCommand(deps, target.value, "withdraw", refusalError(decision.refusal));

  const ref = containerOf(request);
  const held = await fromPort(deps.ports.storage.listFiles(ref, UPLOAD_STAGE));
  if (held.isErr()) return err(held.error);
  const stored = held.value.some((f) => f.name === file);
  const record = recordedFile(request, file);
  if (!stored && record === undefined && !request.draftFiles.includes(file)) {
    return refuseCommand(deps, target.value, "withdraw", noSuchFile(request, file));
  }
  if (!stored && record?.state === "withdrawn") return ok(viewOf(request, workspace, actor));

  const deleted = await fromPort(deps.ports.storage.deleteFile(ref, UPLOAD_STAGE, file));
  if (deleted.isErr()) return err(deleted.error);
  const next = {
    ...request,
    files: request.files.map((f) => (f.name === file ? { ...f, state: "withdrawn" as const } : f)),
    draftFiles: request.draftFiles.filter((name) => name !== file),
  };
  const written = await commitReviewChange(deps, target.value, "withdraw", next, file);
  if (written.isErr()) return err(written.error);

  deps.announcements.reviewChange(written.value, "withdraw", (envelope) => ({
    ...envelope,
    type: EVENT_TYPES.fileWithdrawn,
    data: { ...about(request), file },
  }));
  return ok(viewOf(written.value, workspace, actor));
};
