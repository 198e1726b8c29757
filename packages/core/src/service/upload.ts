import { err, ok, type ResultAsync } from "neverthrow";
import { z } from "zod";
import type { GrantHolder } from "../model/actor.js";
import type { AirlockRequest, Stage } from "../model/request.js";
import { DEFAULT_POLICY, type WorkspacePolicy } from "../model/workspace.js";
import type { ContainerRef, StorageError, StoredFile } from "../ports/storage.js";
import type { UseCaseDeps } from "./deps.js";
import { releaseFileName, reserveFileName } from "./draft-files.js";
import { type LinkCall, startFileCall } from "./link-calls.js";
import { containerOf, loadWorkspace } from "./lookup.js";
import { fromPort, type Outcome, parseInput } from "./outcome.js";
import type { BlockUploadOptions, UploadOptions } from "./types.js";

/** A block id as the Blob service takes it: base64 of at most 64 bytes. */
const BlockId = z
  .string()
  .max(88)
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, "must be base64")
  .refine((id) => id.length > 0 && (id.length / 4) * 3 - (id.match(/=/g)?.length ?? 0) <= 64, {
    message: "must encode 1 to 64 bytes",
  });

/** The Blob service's most blocks in one blob. */
const MAX_BLOCKS = 50_000;
const BlockList = z.array(BlockId).max(MAX_BLOCKS);

/** The workspace's policy for a write admitted through a link; a policy stored before a limit existed takes its default. */
const policyOf = async (deps: UseCaseDeps, request: AirlockRequest): Outcome<WorkspacePolicy> => {
  const workspace = await loadWorkspace(deps.ports, request.workspaceId);
  return workspace.isErr() ? err(workspace.error) : ok(workspace.value.policy);
};

const overTheLimit = (name: string, bytes: number, policy: WorkspacePolicy) =>
  err({
    kind: "TooLarge" as const,
    message: `${name} is ${bytes} bytes, over the workspace's limit of ${policy.maxFileSize}`,
    limit: policy.maxFileSize,
  });

/** Counts `bytes` against the workspace's `maxBytesInFlight`: the release, or why there is no room. */
const reserveInFlight = (
  deps: UseCaseDeps,
  request: AirlockRequest,
  policy: WorkspacePolicy,
  bytes: number,
) => {
  const limit = policy.maxBytesInFlight ?? DEFAULT_POLICY.maxBytesInFlight;
  const release = deps.bytesInFlight.reserve(request.workspaceId, bytes, limit);
  return release === null
    ? err({
        kind: "Busy" as const,
        message: `the workspace has ${limit} bytes of uploads in flight, the most its policy allows: try again once some finish`,
      })
    : ok(release);
};

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
  const policy = await policyOf(deps, request);
  if (policy.isErr()) return err(policy.error);
  const { declaredBytes } = options;
  if (declaredBytes !== undefined && declaredBytes > policy.value.maxFileSize) {
    return overTheLimit(stored, declaredBytes, policy.value);
  }
  const bytes = declaredBytes ?? policy.value.maxFileSize;
  const release = reserveInFlight(deps, request, policy.value, bytes);
  if (release.isErr()) return err(release.error);
  try {
    const written = { request, holder: started.value.holder, policy: policy.value, stage, name: stored };
    return await writeCounted(deps, written, (ref) =>
      deps.ports.storage.upload(ref, stage, stored, content, { maxBytes: bytes }),
    );
  } finally {
    release.value();
  }
};

/**
 * Stages one block of a file (Azure's Put Block): admitted and recorded as a write, the block's
 * bytes counted against the workspace's `maxBytesInFlight` while they arrive. A file's uncommitted
 * blocks hold at most the policy's `maxFileSize`. Nothing shows under the name until the commit.
 */
export const stageFileBlock = async (
  deps: UseCaseDeps,
  holder: LinkCall["holder"],
  requestId: string,
  stage: Stage,
  name: string,
  blockId: string,
  content: AsyncIterable<Uint8Array>,
  options: BlockUploadOptions,
): Outcome<void> => {
  const started = await startFileCall(deps, { holder, requestId, stage, operation: "write", file: name });
  if (started.isErr()) return err(started.error);
  const { request, name: stored } = started.value;
  const id = parseInput(BlockId, blockId, "the block id", "blockid");
  if (id.isErr()) return err(id.error);
  const policy = await policyOf(deps, request);
  if (policy.isErr()) return err(policy.error);
  if (options.size > policy.value.maxFileSize)
    return overTheLimit(`a block of ${stored}`, options.size, policy.value);
  const release = reserveInFlight(deps, request, policy.value, options.size);
  if (release.isErr()) return err(release.error);
  try {
    return await fromPort(
      deps.ports.storage.stageBlock(containerOf(request), stage, stored, id.value, content, {
        size: options.size,
        maxStagedBytes: policy.value.maxFileSize,
      }),
    );
  } finally {
    release.value();
  }
};

/**
 * Commits staged blocks as one file (Azure's Put Block List), in the order listed: admitted and
 * recorded as a write; the draft records the name as an upload does, and the file is at most the
 * policy's `maxFileSize`.
 */
export const commitFileBlocks = async (
  deps: UseCaseDeps,
  holder: LinkCall["holder"],
  requestId: string,
  stage: Stage,
  name: string,
  blockIds: readonly string[],
): Outcome<StoredFile> => {
  const started = await startFileCall(deps, { holder, requestId, stage, operation: "write", file: name });
  if (started.isErr()) return err(started.error);
  const { request, name: stored } = started.value;
  const ids = parseInput(BlockList, blockIds, "the block list", "blocklist");
  if (ids.isErr()) return err(ids.error);
  const policy = await policyOf(deps, request);
  if (policy.isErr()) return err(policy.error);
  const written = { request, holder: started.value.holder, policy: policy.value, stage, name: stored };
  return writeCounted(deps, written, (ref) =>
    deps.ports.storage.commitBlocks(ref, stage, stored, ids.value, { maxBytes: policy.value.maxFileSize }),
  );
};

interface CountedWrite {
  readonly request: AirlockRequest;
  readonly holder: GrantHolder;
  readonly policy: WorkspacePolicy;
  readonly stage: Stage;
  readonly name: string;
}

/** A write once its bytes are counted: the name is recorded, then the file written. */
const writeCounted = async (
  deps: UseCaseDeps,
  { request, holder, policy, stage, name }: CountedWrite,
  write: (ref: ContainerRef) => ResultAsync<StoredFile, StorageError>,
): Outcome<StoredFile> => {
  const reserved = await reserveFileName(deps, request, holder, policy, name);
  if (reserved.isErr()) return err(reserved.error);

  const ref = containerOf(request);
  const uploaded = await fromPort(write(ref));
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
