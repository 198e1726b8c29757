import { err, ok } from "neverthrow";
import { FileNameInput } from "../model/primitives.js";
import type { Stage } from "../model/request.js";
import type { StoredFile } from "../ports/storage.js";
import { loadForBlobCall } from "./access.js";
import type { UseCaseDeps } from "./deps.js";
import { releaseFileName } from "./draft-files.js";
import { containerOf } from "./lookup.js";
import { fromPort, type Outcome, parseInput } from "./outcome.js";

// A link's reads, deletes and listings. The link's token says what it was issued for; the
// request's current status decides whether the call may happen now.

/** Streams one file of the container in `stage`. */
export const readFile = async (
  deps: UseCaseDeps,
  requestId: string,
  stage: Stage,
  name: string,
): Outcome<AsyncIterable<Uint8Array>> => {
  const request = await loadForBlobCall(deps, requestId, stage, "read");
  if (request.isErr()) return err(request.error);
  const valid = parseInput(FileNameInput, name, "the file name");
  if (valid.isErr()) return err(valid.error);
  return fromPort(deps.ports.storage.openRead(containerOf(request.value), stage, valid.value));
};

/** Deletes one file of the container in `stage`; a draft no longer counts it. */
export const deleteFile = async (
  deps: UseCaseDeps,
  requestId: string,
  stage: Stage,
  name: string,
): Outcome<void> => {
  const request = await loadForBlobCall(deps, requestId, stage, "delete");
  if (request.isErr()) return err(request.error);
  const valid = parseInput(FileNameInput, name, "the file name");
  if (valid.isErr()) return err(valid.error);
  const deleted = await fromPort(
    deps.ports.storage.deleteFile(containerOf(request.value), stage, valid.value),
  );
  if (deleted.isErr()) return err(deleted.error);
  // The file goes before its name: a failure in between leaves the name counted, never a file uncounted.
  if (!request.value.draftFiles.includes(valid.value)) return ok(undefined);
  return releaseFileName(deps, requestId, valid.value, "delete-file");
};

/** The files of the container in `stage`. */
export const listFiles = async (
  deps: UseCaseDeps,
  requestId: string,
  stage: Stage,
): Outcome<readonly StoredFile[]> => {
  const request = await loadForBlobCall(deps, requestId, stage, "list");
  if (request.isErr()) return err(request.error);
  return fromPort(deps.ports.storage.listFiles(containerOf(request.value), stage));
};
