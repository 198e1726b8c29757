import { err } from "neverthrow";
import { FileNameInput } from "../model/primitives.js";
import type { AirlockRequest, Stage } from "../model/request.js";
import { DEFAULT_POLICY, type WorkspacePolicy } from "../model/workspace.js";
import type { StoredFile } from "../ports/storage.js";
import { loadForBlobCall } from "./access.js";
import type { UseCaseDeps } from "./deps.js";
import { releaseFileName, reserveFileName } from "./draft-files.js";
import { containerOf, loadWorkspace } from "./lookup.js";
import { fromPort, type Outcome, parseInput } from "./outcome.js";
import type { UploadOptions } from "./types.js";

/**
 * Writes one file into a draft: the status allows a write to `stage`, the name is valid, the bytes
 * fit the workspace's `maxBytesInFlight`, the draft records the name (the machine decides whether
 * there is room), and only then are the bytes streamed.
 */
export const uploadFile = async (
  deps: UseCaseDeps,
  requestId: string,
  stage: Stage,
  name: string,
  content: AsyncIterable<Uint8Array>,
  options: UploadOptions = {},
): Outcome<StoredFile> => {
  const request = await loadForBlobCall(deps, requestId, stage, "write");
  if (request.isErr()) return err(request.error);
  const valid = parseInput(FileNameInput, name, "the file name");
  if (valid.isErr()) return err(valid.error);
  const workspace = await loadWorkspace(deps.ports, request.value.workspaceId);
  if (workspace.isErr()) return err(workspace.error);
  const { policy } = workspace.value;
  const { declaredBytes } = options;
  if (declaredBytes !== undefined && declaredBytes > policy.maxFileSize) {
    return err({
      kind: "TooLarge",
      message: `${valid.value} is ${declaredBytes} bytes, over the workspace's limit of ${policy.maxFileSize}`,
      limit: policy.maxFileSize,
    });
  }
  const bytes = declaredBytes ?? policy.maxFileSize;
  // A policy stored before the limit existed takes its default.
  const limit = policy.maxBytesInFlight ?? DEFAULT_POLICY.maxBytesInFlight;
  const release = deps.bytesInFlight.reserve(request.value.workspaceId, bytes, limit);
  if (release === null) {
    return err({
      kind: "Busy",
      message: `the workspace has ${limit} bytes of uploads in flight, the most its policy allows: try again once some finish`,
    });
  }
  try {
    return await writeCounted(deps, request.value, policy, stage, valid.value, content, bytes);
  } finally {
    release();
  }
};

/** The upload once its bytes are counted: the name is recorded, then the bytes streamed. */
const writeCounted = async (
  deps: UseCaseDeps,
  request: AirlockRequest,
  policy: WorkspacePolicy,
  stage: Stage,
  name: string,
  content: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Outcome<StoredFile> => {
  const reserved = await reserveFileName(deps, request, policy, name);
  if (reserved.isErr()) return err(reserved.error);

  const ref = containerOf(request);
  const uploaded = await fromPort(deps.ports.storage.upload(ref, stage, name, content, { maxBytes }));
  if (uploaded.isOk() || !reserved.value) return uploaded;

  // The upload that added the name failed: the name goes, unless a concurrent upload of the same
  // name stored it meanwhile. A release that fails leaves the name counted, which only takes room.
  const present = await fromPort(deps.ports.storage.listFiles(ref, stage));
  if (present.isOk() && present.value.some((file) => file.name === name)) return uploaded;
  const released = await releaseFileName(deps, request.id, name, "upload-failed");
  if (released.isErr()) {
    deps.options.onBackgroundError({ step: "upload", requestId: request.id, error: released.error });
  }
  return uploaded;
};
