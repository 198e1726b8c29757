import { err, ok } from "neverthrow";
import type { GrantHolder } from "../model/actor.js";
import type { Stage } from "../model/request.js";
import type { StoredFile } from "../ports/storage.js";
import type { UseCaseDeps } from "./deps.js";
import { releaseFileName } from "./draft-files.js";
import { startFileCall, startListing } from "./link-calls.js";
import { containerOf } from "./lookup.js";
import { fromPort, type Outcome } from "./outcome.js";
import type { OpenedFile, OpenFileOptions, RangeRequest } from "./types.js";

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
  const started = await startFileCall(deps, { holder, requestId, stage, operation: "read", file: name });
  if (started.isErr()) return err(started.error);
  const { request, name: stored } = started.value;
  return fromPort(deps.ports.storage.openRead(containerOf(request), stage, stored));
};

/** The part of a file a range asks for (first and last byte), or null when the file has none of it. */
const partOf = (range: RangeRequest, size: number): { first: number; last: number } | null => {
  if ("suffix" in range) {
    return range.suffix > 0 && size > 0 ? { first: Math.max(0, size - range.suffix), last: size - 1 } : null;
  }
  if (range.start >= size) return null;
  return { first: range.start, last: Math.min(range.end ?? size - 1, size - 1) };
};

/**
 * One file of the container in `stage` with its properties (Azure's Get Blob and Get Blob
 * Properties): recorded as a read. With a range, only that part's bytes; a range the file cannot
 * satisfy answers no bytes. With `content: false`, the properties only.
 */
export const openFile = async (
  deps: UseCaseDeps,
  holder: GrantHolder,
  requestId: string,
  stage: Stage,
  name: string,
  options: OpenFileOptions = {},
): Outcome<OpenedFile> => {
  const started = await startFileCall(deps, { holder, requestId, stage, operation: "read", file: name });
  if (started.isErr()) return err(started.error);
  const { request, name: stored } = started.value;
  const ref = containerOf(request);
  const file = await fromPort(deps.ports.storage.properties(ref, stage, stored));
  if (file.isErr()) return err(file.error);
  const { ifMatch } = options;
  if (ifMatch !== undefined && !ifMatch.some((etag) => etag === "*" || etag === file.value.etag)) {
    return ok({ file: file.value, part: "changed", content: null });
  }
  const part = options.range ? partOf(options.range, file.value.size) : "whole";
  if (part === null) return ok({ file: file.value, part: "unsatisfiable", content: null });
  if (options.content === false) return ok({ file: file.value, part, content: null });
  const range = part === "whole" ? undefined : { offset: part.first, count: part.last - part.first + 1 };
  const content = await fromPort(deps.ports.storage.openRead(ref, stage, stored, range));
  return content.isErr() ? err(content.error) : ok({ file: file.value, part, content: content.value });
};

/** Deletes one file of the container in `stage`; a draft no longer counts it. */
export const deleteFile = async (
  deps: UseCaseDeps,
  holder: GrantHolder,
  requestId: string,
  stage: Stage,
  name: string,
): Outcome<void> => {
  const started = await startFileCall(deps, { holder, requestId, stage, operation: "delete", file: name });
  if (started.isErr()) return err(started.error);
  const { request, name: stored } = started.value;
  const deleted = await fromPort(deps.ports.storage.deleteFile(containerOf(request), stage, stored));
  if (deleted.isErr()) return err(deleted.error);
  // The file goes before its name: a failure in between leaves the name counted, never a file uncounted.
  if (!request.draftFiles.includes(stored)) return ok(undefined);
  return releaseFileName(deps, requestId, stored, "delete-file");
};

/** The files of the container in `stage`. */
export const listFiles = async (
  deps: UseCaseDeps,
  holder: GrantHolder,
  requestId: string,
  stage: Stage,
): Outcome<readonly StoredFile[]> => {
  const started = await startListing(deps, { holder, requestId, stage });
  if (started.isErr()) return err(started.error);
  return fromPort(deps.ports.storage.listFiles(containerOf(started.value.request), stage));
};
