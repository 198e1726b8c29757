import { err, ok } from "neverthrow";
import type { GrantHolder } from "../model/actor.js";
import { FileNameInput } from "../model/primitives.js";
import type { Stage } from "../model/request.js";
import type { StoredFile } from "../ports/storage.js";
import type { UseCaseDeps } from "./deps.js";
import { releaseFileName } from "./draft-files.js";
import { admitLinkCall, recordLinkCall } from "./link-calls.js";
import { containerOf } from "./lookup.js";
import { fromPort, type Outcome, parseInput } from "./outcome.js";

// A link's reads, deletes and listings. The link's token says who holds it and what it was issued
// for; the link rule, run again on the request's current status, decides whether the call may happen
// now. Every call is recorded in the request's audit stream, allowed or refused.

/** Streams one file of the container in `stage`. */
export const readFile = async (
  deps: UseCaseDeps,
  holder: GrantHolder,
  requestId: string,
  stage: Stage,
  name: string,
): Outcome<AsyncIterable<Uint8Array>> => {
  const call = { holder, requestId, stage, operation: "read", file: name } as const;
  const admitted = await admitLinkCall(deps, call);
  if (admitted.isErr()) return err(admitted.error);
  const valid = parseInput(FileNameInput, name, "the file name");
  if (valid.isErr()) return err(valid.error);
  const recorded = await recordLinkCall(deps, call, admitted.value);
  if (recorded.isErr()) return err(recorded.error);
  return fromPort(deps.ports.storage.openRead(containerOf(admitted.value.request), stage, valid.value));
};

/** Deletes one file of the container in `stage`; a draft no longer counts it. */
export const deleteFile = async (
  deps: UseCaseDeps,
  holder: GrantHolder,
  requestId: string,
  stage: Stage,
  name: string,
): Outcome<void> => {
  const call = { holder, requestId, stage, operation: "delete", file: name } as const;
  const admitted = await admitLinkCall(deps, call);
  if (admitted.isErr()) return err(admitted.error);
  const valid = parseInput(FileNameInput, name, "the file name");
  if (valid.isErr()) return err(valid.error);
  const recorded = await recordLinkCall(deps, call, admitted.value);
  if (recorded.isErr()) return err(recorded.error);
  const { request } = admitted.value;
  const deleted = await fromPort(deps.ports.storage.deleteFile(containerOf(request), stage, valid.value));
  if (deleted.isErr()) return err(deleted.error);
  // The file goes before its name: a failure in between leaves the name counted, never a file uncounted.
  if (!request.draftFiles.includes(valid.value)) return ok(undefined);
  return releaseFileName(deps, requestId, valid.value, "delete-file");
};

/** The files of the container in `stage`. */
export const listFiles = async (
  deps: UseCaseDeps,
  holder: GrantHolder,
  requestId: string,
  stage: Stage,
): Outcome<readonly StoredFile[]> => {
  const call = { holder, requestId, stage, operation: "list", file: null } as const;
  const admitted = await admitLinkCall(deps, call);
  if (admitted.isErr()) return err(admitted.error);
  const recorded = await recordLinkCall(deps, call, admitted.value);
  if (recorded.isErr()) return err(recorded.error);
  return fromPort(deps.ports.storage.listFiles(containerOf(admitted.value.request), stage));
};
