import { err } from "neverthrow";
import type { GrantHolder } from "../model/actor.js";
import type { AirlockRequest, Stage } from "../model/request.js";
import { DEFAULT_POLICY, type WorkspacePolicy } from "../model/workspace.js";
import type { StoredFile } from "../ports/storage.js";
import type { UseCaseDeps } from "./deps.js";
import { releaseFileName, reserveFileName } from "./draft-files.js";
import { type LinkCall, startFileCall } from "./link-calls.js";
import { containerOf, loadWorkspace } from "./lookup.js";
import { fromPort, type Outcome } from "./outcome.js";
import type { UploadOptions } from "./types.js";

/**
 * Writes one file into a draft: the link rule lets `holder` write to `stage` now, the name is
 * valid, the write is recorded in the audit trail, the bytes fit the workspace's
 * `maxBytesInFlight`, the draft records the name (the machine decides whether there is room), and
 * only then are the bytes streamed.
 */
export const uploadFile = async (
  deps: UseCaseDeps,
  holder: LinkCall["holder"],
  requestId: string,
  stage: Stage,
  name: string,
  content: AsyncIterable<Uint8Array>,
  options: UploadOptions = {},
): Outcome<StoredFile> => {
  const started = await startFileCall(deps, { holder, requestId, stage, operation: "write", file: name });
  if (started.isErr()) return err(started.error);
  const { request, name: stored } = started.value;
  const workspace = await loadWorkspace(deps.ports, request.workspaceId);
  if (workspace.isErr()) return err(workspace.error);
  const { policy } = workspace.value;
  const { declaredBytes } = options;
  if (declaredBytes !== undefined && declaredBytes > policy.maxFileSize) {
    return err({
      kind: "TooLarge",
      message: `${stored} is ${declaredBytes} bytes, over the workspace's limit of ${policy.maxFileSize}`,
      limit: policy.maxFileSize,
    });
  }
  const bytes = declaredBytes ?? policy.maxFileSize;
  // A policy stored before the limit existed takes its default.
  const limit = policy.maxBytesInFlight ?? DEFAULT_POLICY.maxBytesInFlight;
  const release = deps.bytesInFlight.reserve(request.workspaceId, bytes, limit);
  if (release === null) {
    return err({
      kind: "Busy",
      message: `the workspace has ${limit} bytes of uploads in flight, the most its policy allows: try again once some finish`,
    });
  }
  try {
    const written = { request, holder: started.value.holder, policy, stage, name: stored };
    return await writeCounted(deps, written, content, bytes);
  } finally {
    release();
  }
};

interface CountedWrite {
  readonly request: AirlockRequest;
  readonly holder: GrantHolder;
  readonly policy: WorkspacePolicy;
  readonly stage: Stage;
  readonly name: string;
}

/** The upload once its bytes are counted: the name is recorded, then the bytes streamed. */
const writeCounted = async (
  deps: UseCaseDeps,
  { request, holder, policy, stage, name }: CountedWrite,
  content: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Outcome<StoredFile> => {
  const reserved = await reserveFileName(deps, request, holder, policy, name);
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
