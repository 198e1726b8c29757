import type { ResultAsync } from "neverthrow";
import type { GrantHolder } from "../model/actor.js";
import type { FileRecord, RequestType, Stage } from "../model/request.js";
import type { InvalidInput, NotFound, TooLarge, Unavailable } from "./errors.js";

export type StorageError = NotFound | Unavailable | TooLarge | InvalidInput;

/** Identifies one request's container; the stage picks the storage location. */
export interface ContainerRef {
  readonly requestId: string;
  readonly workspaceId: string;
  readonly type: RequestType;
}

export type LinkAccess = "read" | "write" | "list" | "delete";

export interface StorageLink {
  /** An absolute URL to the container that grants exactly `access` until `expiresAt`. */
  readonly containerUrl: string;
  readonly expiresAt: Date;
}

/**
 * A link as an adapter whose links the API serves itself (memory, local files) hands it out: what
 * it grants, to whom, until when. The signer turns it into the container URL (the server's blob
 * endpoint with a signed token, say).
 */
export interface LinkToSign {
  readonly ref: ContainerRef;
  readonly stage: Stage;
  readonly access: readonly LinkAccess[];
  readonly expiresAt: Date;
  /** Who the link is for, when the engine said: a URL that carries it lets calls name their holder. */
  readonly holder?: GrantHolder;
}

/** Turns a link into the container URL handed out. */
export type LinkSigner = (link: LinkToSign) => string;

/**
 * The link an adapter whose links the API serves answers from `AirlockStorage.link`: signed by
 * `sign`, on copies of what it was given, so the signer keeps nothing the caller may change later.
 */
export const signedLink = (
  sign: LinkSigner,
  ref: ContainerRef,
  stage: Stage,
  access: readonly LinkAccess[],
  expiresAt: Date,
  holder?: GrantHolder,
): StorageLink => ({
  containerUrl: sign({
    ref,
    stage,
    access: [...access],
    expiresAt: new Date(expiresAt),
    ...(holder ? { holder: { id: holder.id, roles: [...holder.roles] } } : {}),
  }),
  expiresAt: new Date(expiresAt),
});

export interface StoredFile {
  readonly name: string;
  readonly size: number;
}

/** What a reader of one file learns without its bytes, as Blob clients read it (Get Blob Properties). */
export interface FileProperties {
  readonly name: string;
  readonly size: number;
  /**
   * Changes whenever the file's bytes may have changed (a new upload or commit under the name);
   * quoted, as an HTTP `ETag` header carries it.
   */
  readonly etag: string;
  readonly lastModified: Date;
}

/** Part of a file: `count` bytes from `offset` (to the end when `count` is absent), cut at the file's end. */
export interface ByteRange {
  readonly offset: number;
  readonly count?: number;
}

/** Bounds a staged block: its exact `size`, and the most bytes one file's uncommitted blocks may hold. */
export interface StageBlockOptions {
  readonly size: number;
  readonly maxStagedBytes: number;
}

/**
 * Holds each request's files, one container per request and stage.
 *
 * Every method is idempotent: repeating a call after a crash gives the same result. Files may be
 * large and the engine shares its thread with every other request: no call works through a whole
 * file in one go; bytes are copied, hashed and handed out in bounded pieces, with the event loop
 * turning between them.
 * - `provision` creates the container if missing.
 * - `link` signs an absolute container URL with exactly the given access, expiring at `expiresAt`.
 *   `holder` is who the link is for; a URL that can carry it signs it in (the calls then name their
 *   holder to the engine), one that cannot (an Azure SAS) ignores it: the SAS is then the authority.
 * - `upload` writes one file from a stream; a stream larger than `maxBytes` is `TooLarge` and leaves
 *   no file behind, nor does a stream that fails part way. Names are validated by the caller.
 * - `listFiles` answers the files in the container (empty when the container is missing).
 * - `describe` answers each file's name, size and sha256, computed from its bytes (adapters may keep
 *   the hash taken while the bytes arrived, or cache it in metadata, only when the bytes cannot have
 *   changed since; a replaced file is described by its new bytes).
 * - `move` copies every file from one stage to another, verifies each copy's sha256 against
 *   `expected` (when given) and only then deletes the source. If the source is already gone and the
 *   destination holds the files, it answers what is there, so a retried move finishes. A copy that
 *   does not match is left in place and the source is kept; the answer lists what it found.
 * - `openRead` streams one file's bytes, or the part `range` names; a missing file is `NotFound`.
 * - `properties` answers one file's size, etag and last modification; a missing file is `NotFound`.
 * - `stageBlock` keeps `content` as an uncommitted block `blockId` of the file `name` (Azure's Put
 *   Block): nothing is visible under the name until `commitBlocks`. Staging an id again replaces
 *   that block; a stream that fails part way or does not hold exactly `size` bytes leaves the
 *   blocks as they were. The uncommitted blocks of one file hold at most `maxStagedBytes`
 *   (`TooLarge` otherwise), and blocks left uncommitted are dropped after a while.
 * - `commitBlocks` makes the file `name` the concatenation of the listed uncommitted blocks, in
 *   order, replacing any file of that name whole, and drops the file's uncommitted blocks. A block
 *   id that is not staged is `InvalidInput`; a result over `maxBytes` is `TooLarge`; either leaves
 *   the file and the staged blocks as they were. An `upload` under the name drops them too.
 * - `deleteFile` and `deleteContainer` succeed when the target is already gone; both drop the
 *   uncommitted blocks of what they delete.
 */
export interface AirlockStorage {
  provision(ref: ContainerRef, stage: Stage): ResultAsync<void, StorageError>;
  link(
    ref: ContainerRef,
    stage: Stage,
    access: readonly LinkAccess[],
    expiresAt: Date,
    holder?: GrantHolder,
  ): ResultAsync<StorageLink, StorageError>;
  upload(
    ref: ContainerRef,
    stage: Stage,
    name: string,
    content: AsyncIterable<Uint8Array>,
    options: { readonly maxBytes: number },
  ): ResultAsync<StoredFile, StorageError>;
  listFiles(ref: ContainerRef, stage: Stage): ResultAsync<readonly StoredFile[], StorageError>;
  describe(ref: ContainerRef, stage: Stage): ResultAsync<readonly FileRecord[], StorageError>;
  move(
    ref: ContainerRef,
    from: Stage,
    to: Stage,
    expected?: readonly FileRecord[],
  ): ResultAsync<readonly FileRecord[], StorageError>;
  openRead(
    ref: ContainerRef,
    stage: Stage,
    name: string,
    range?: ByteRange,
  ): ResultAsync<AsyncIterable<Uint8Array>, StorageError>;
  properties(ref: ContainerRef, stage: Stage, name: string): ResultAsync<FileProperties, StorageError>;
  stageBlock(
    ref: ContainerRef,
    stage: Stage,
    name: string,
    blockId: string,
    content: AsyncIterable<Uint8Array>,
    options: StageBlockOptions,
  ): ResultAsync<void, StorageError>;
  commitBlocks(
    ref: ContainerRef,
    stage: Stage,
    name: string,
    blockIds: readonly string[],
    options: { readonly maxBytes: number },
  ): ResultAsync<StoredFile, StorageError>;
  deleteFile(ref: ContainerRef, stage: Stage, name: string): ResultAsync<void, StorageError>;
  deleteContainer(ref: ContainerRef, stage: Stage): ResultAsync<void, StorageError>;
}
