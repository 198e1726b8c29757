import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import { UPLOAD_STAGE } from "../machine/status-meta.js";
import type { Actor } from "../model/actor.js";
import { EVENT_TYPES } from "../model/events.js";
import type { NamedFileContext } from "../model/request.js";
import { loadCommandTarget, refuseCommand, viewOf } from "./access.js";
import type { UseCaseDeps } from "./deps.js";
import { FileContextInput } from "./inputs.js";
import { containerOf } from "./lookup.js";
import { fromPort, type Outcome, parseInput } from "./outcome.js";
import { about, commitReviewChange, fileNameOf, noSuchFile, recordedFile } from "./review-cycle.js";
import type { RequestView } from "./types.js";

/**
 * The requester sets a file's `description` and disclosure `controls` (`{description?, controls?}`;
 * what is left out is kept), in draft or changes_requested. The context is kept by file name, so it
 * applies to a file not submitted yet, and is copied onto the file's record at every submit.
 */
export const setFileContext = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
  fileName: string,
  input: unknown,
): Outcome<RequestView> => {
  const target = await loadCommandTarget(deps, actorInput, workspaceId, requestId, "setFileContext");
  if (target.isErr()) return err(target.error);
  const { actor, workspace, request } = target.value;
  const body = parseInput(FileContextInput, input);
  if (body.isErr()) return refuseCommand(deps, target.value, "setFileContext", body.error);
  const file = fileNameOf(fileName);

  const decision = decide(request.status, contextOf(request, workspace.policy, null), {
    type: "SET_FILE_CONTEXT",
    actor: actorFacts(actor),
  });
  if (!decision.allowed) {
    return refuseCommand(deps, target.value, "setFileContext", refusalError(decision.refusal));
  }
  const held = await fromPort(deps.ports.storage.listFiles(containerOf(request), UPLOAD_STAGE));
  if (held.isErr()) return err(held.error);
  const record = recordedFile(request, file);
  if (!held.value.some((f) => f.name === file) && (record === undefined || record.state === "withdrawn")) {
    return refuseCommand(deps, target.value, "setFileContext", noSuchFile(request, file));
  }

  const given = {
    ...(body.value.description === undefined ? {} : { description: body.value.description }),
    ...(body.value.controls === undefined ? {} : { controls: body.value.controls }),
  };
  const before = request.fileContext.find((c) => c.name === file);
  const context: NamedFileContext = { ...before, ...given, name: file };
  const next = {
    ...request,
    fileContext: [...request.fileContext.filter((c) => c.name !== file), context],
    files: request.files.map((f) => (f.name === file ? { ...f, ...given } : f)),
  };
  const stored = await commitReviewChange(deps, target.value, "setFileContext", next, file);
  if (stored.isErr()) return err(stored.error);

  deps.announcements.reviewChange(stored.value, "file-context", (envelope) => ({
    ...envelope,
    type: EVENT_TYPES.fileContextSet,
    data: { ...about(request), file },
  }));
  return ok(viewOf(stored.value, workspace, actor));
};
