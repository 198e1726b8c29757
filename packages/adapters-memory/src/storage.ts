import { createHash, randomUUID } from "node:crypto";
import {
  type AirlockStorage,
  type ByteRange,
  type FileRecord,
  invalidInput,
  type LinkSigner,
  notFound,
  type Stage,
  type StorageError,
  type StoredFile,
  signedLink,
  tooLarge,
  unavailable,
} from "@airlock/core";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { createFaults } from "./faults.js";

export type StorageMethod = keyof AirlockStorage;

// Links the server serves itself are signed by the function it passes (core's `LinkSigner`).
export type { LinkSigner, LinkToSign } from "@airlock/core";

export interface MemoryStorageOptions {
  readonly linkSigner?: LinkSigner;
  /** How long a staged block may wait for its commit before it is dropped (default 7 days, as on Azure). */
  readonly uncommittedBlockLifetimeMs?: number;
  /** The clock uncommitted blocks age by (default `Date.now`). */
  readonly now?: () => number;
}

/** Azure drops blocks left uncommitted for a week; so does every storage here by default. */
export const UNCOMMITTED_BLOCK_LIFETIME_MS = 7 * 24 * 3600 * 1000;

export interface MemoryStorage extends AirlockStorage {
  /** Copies of the bytes of each file in one container, by name (empty when there is none). Joins whole files: for tests. */
  contents(stage: Stage, requestId: string): ReadonlyMap<string, Uint8Array>;
  /** The stages holding at least one file of the request, in the order data moves through them. */
  stagesHolding(requestId: string): readonly Stage[];
  /** The next `count` calls of `method` (default 1) answer `Unavailable` ("injected fault") and change nothing; a new count replaces the pending one, so 0 heals. */
  failNext(method: StorageMethod, count?: number): void;
}

const STAGES: readonly Stage[] = ["draft", "in_progress", "approved", "rejected", "blocked"];

/** Bounds each chunk handed to readers, whatever chunk sizes the uploader used. */
const READ_CHUNK = 64 * 1024;
/** Bounds each chunk kept: a caller handing over one huge buffer is copied and hashed in pieces. */
const STORE_CHUNK = 1024 * 1024;
/** Bytes copied, hashed or handed out between two turns of the event loop. */
const BYTES_PER_TURN = 1024 * 1024;

/**
 * A stored file's bytes, as the chunks they arrived in, and their sha256, computed as they
 * arrived. Never mutated once stored, so copies may share it and the hash stays the bytes' hash.
 */
interface StoredBytes {
  readonly chunks: readonly Uint8Array[];
  readonly size: number;
  readonly sha256: string;
  /** Unique to these bytes as stored under a name; a copy moved to another stage keeps it. */
  readonly etag: string;
  readonly lastModified: Date;
}

/** An uncommitted block: its bytes, and when it was staged. */
interface StagedBlock {
  readonly bytes: StoredBytes;
  readonly stagedAt: number;
}

/** Lets timers, I/O and other requests run (a macrotask; awaiting a resolved promise does not). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const byName = <T extends { readonly name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

const recordsOf = (files: ReadonlyMap<string, StoredBytes>): FileRecord[] =>
  [...files].map(([name, blob]) => ({ name, size: blob.size, sha256: blob.sha256 })).sort(byName);

const sameRecords = (found: readonly FileRecord[], expected: readonly FileRecord[]) =>
  found.length === expected.length &&
  expected.every((want) =>
    found.some((have) => have.name === want.name && have.size === want.size && have.sha256 === want.sha256),
  );

const defaultLinkSigner: LinkSigner = ({ ref, stage, access, expiresAt }) => {
  const query = new URLSearchParams({ access: access.join(","), expires: expiresAt.toISOString() });
  return `memory://${stage}/${ref.requestId}?${query}`;
};

/**
 * `AirlockStorage` in memory: bytes per (stage, request id, file name), kept in the chunks they
 * arrived in (at most 1 MiB each) with the sha256 taken as they arrived, and streamed out chunk by
 * chunk. No call works through a whole file without letting the event loop turn. Containers exist
 * once provisioned (or moved into); uploading into a container never provisioned is `NotFound`, as
 * on a real blob store.
 */
export const createMemoryStorage = (options: MemoryStorageOptions = {}): MemoryStorage => {
  const signLink = options.linkSigner ?? defaultLinkSigner;
  const now = options.now ?? Date.now;
  const blockLifetimeMs = options.uncommittedBlockLifetimeMs ?? UNCOMMITTED_BLOCK_LIFETIME_MS;
  const nextEtag = () => `"${randomUUID()}"`;
  /** Uncommitted blocks per stage, container and file name, by block id. */
  const staged = new Map<string, Map<string, Map<string, StagedBlock>>>();
  const stagedKey = (stage: Stage, requestId: string) => `${stage}\n${requestId}`;
  const blocksOf = (stage: Stage, requestId: string, name: string) =>
    staged.get(stagedKey(stage, requestId))?.get(name);
  const dropBlocks = (stage: Stage, requestId: string, name?: string) => {
    if (name === undefined) staged.delete(stagedKey(stage, requestId));
    else staged.get(stagedKey(stage, requestId))?.delete(name);
  };
  /** Drops the container's blocks staged longer ago than the lifetime allows. */
  const dropStaleBlocks = (stage: Stage, requestId: string) => {
    const oldest = now() - blockLifetimeMs;
    for (const [name, blocks] of staged.get(stagedKey(stage, requestId)) ?? []) {
      for (const [id, block] of blocks) if (block.stagedAt < oldest) blocks.delete(id);
      if (blocks.size === 0) dropBlocks(stage, requestId, name);
    }
  };
  const stages = new Map<Stage, Map<string, Map<string, StoredBytes>>>(
    STAGES.map((stage) => [stage, new Map()]),
  );
  const faults = createFaults<StorageMethod>();

  const containerOf = (stage: Stage, requestId: string) => stages.get(stage)?.get(requestId);
  const ensureContainer = (stage: Stage, requestId: string) => {
    const byRequest = stages.get(stage);
    if (!byRequest) throw new Error(`unknown stage ${String(stage)}`);
    const existing = byRequest.get(requestId);
    if (existing) return existing;
    const created = new Map<string, StoredBytes>();
    byRequest.set(requestId, created);
    return created;
  };

  const answer = <T>(
    method: StorageMethod,
    work: () => Result<T, StorageError> | Promise<Result<T, StorageError>>,
  ) => {
    const fault = faults.take(method);
    return new ResultAsync<T, StorageError>(
      fault ? Promise.resolve(err(fault)) : Promise.resolve().then(work),
    );
  };

  /**
   * Keeps a copy of the stream's bytes and hashes them on the way in, one bounded piece at a time,
   * letting the event loop turn every `BYTES_PER_TURN`: the file is never hashed (or copied) in one
   * go, neither here nor later.
   */
  const receive = async (
    content: AsyncIterable<Uint8Array>,
    name: string,
    maxBytes: number,
  ): Promise<Result<StoredBytes, StorageError>> => {
    const chunks: Uint8Array[] = [];
    const hash = createHash("sha256");
    let size = 0;
    let sinceTurn = 0;
    try {
      for await (const chunk of content) {
        size += chunk.length;
        // Leaving the loop ends the caller's stream, so an oversized body is not read to its end.
        if (size > maxBytes) return err(tooLarge(`${name} is larger than ${maxBytes} bytes`, maxBytes));
        for (let offset = 0; offset < chunk.length; offset += STORE_CHUNK) {
          // A copy: callers may reuse their buffer for the next chunk.
          const piece: Uint8Array = Uint8Array.prototype.slice.call(chunk, offset, offset + STORE_CHUNK);
          hash.update(piece);
          chunks.push(piece);
          sinceTurn += piece.length;
          if (sinceTurn >= BYTES_PER_TURN) {
            sinceTurn = 0;
            await nextTurn();
          }
        }
      }
    } catch (cause) {
      return err(unavailable(`reading the content of ${name} failed`, cause));
    }
    return ok({
      chunks,
      size,
      sha256: hash.digest("hex"),
      etag: nextEtag(),
      lastModified: new Date(now()),
    });
  };

  /** The bytes of `blocks` one after the other, hashed in bounded pieces between turns of the loop. */
  const joinBlocks = async (blocks: readonly StoredBytes[]): Promise<StoredBytes> => {
    const hash = createHash("sha256");
    const chunks: Uint8Array[] = [];
    let size = 0;
    let sinceTurn = 0;
    for (const block of blocks) {
      for (const chunk of block.chunks) {
        hash.update(chunk);
        chunks.push(chunk);
        size += chunk.length;
        sinceTurn += chunk.length;
        if (sinceTurn >= BYTES_PER_TURN) {
          sinceTurn = 0;
          await nextTurn();
        }
      }
    }
    return { chunks, size, sha256: hash.digest("hex"), etag: nextEtag(), lastModified: new Date(now()) };
  };

  const readChunks = (blob: StoredBytes, range?: ByteRange): AsyncIterable<Uint8Array> => ({
    async *[Symbol.asyncIterator]() {
      const first = Math.min(range?.offset ?? 0, blob.size);
      const end = Math.min(range?.count === undefined ? blob.size : first + range.count, blob.size);
      let sinceTurn = 0;
      let chunkStart = 0;
      for (const chunk of blob.chunks) {
        const chunkEnd = chunkStart + chunk.length;
        const from = Math.max(first, chunkStart) - chunkStart;
        const to = Math.min(end, chunkEnd) - chunkStart;
        chunkStart = chunkEnd;
        for (let offset = from; offset < to; offset += READ_CHUNK) {
          const piece = chunk.slice(offset, Math.min(offset + READ_CHUNK, to));
          sinceTurn += piece.length;
          if (sinceTurn >= BYTES_PER_TURN) {
            sinceTurn = 0;
            await nextTurn();
          }
          yield piece;
        }
        if (chunkStart >= end) return;
      }
    },
  });

  const storage = {
    provision: (ref, stage) =>
      answer("provision", () => {
        ensureContainer(stage, ref.requestId);
        return ok(undefined);
      }),

    link: (ref, stage, access, expiresAt, holder) =>
      answer("link", () => ok(signedLink(signLink, ref, stage, access, expiresAt, holder))),

    upload: (ref, stage, name, content, { maxBytes }) =>
      answer("upload", async () => {
        if (!containerOf(stage, ref.requestId)) {
          return err(notFound(`container ${ref.requestId} in stage ${stage} is not provisioned`));
        }
        const received = await receive(content, name, maxBytes);
        if (received.isErr()) return err(received.error);
        // Checked again: the container may have been deleted while the body was arriving.
        const files = containerOf(stage, ref.requestId);
        if (!files)
          return err(notFound(`container ${ref.requestId} in stage ${stage} was deleted during the upload`));
        files.set(name, received.value);
        dropBlocks(stage, ref.requestId, name);
        return ok({ name, size: received.value.size } satisfies StoredFile);
      }),

    listFiles: (ref, stage) =>
      answer("listFiles", () =>
        ok(
          [...(containerOf(stage, ref.requestId) ?? new Map<string, StoredBytes>())]
            .map(([name, blob]) => ({
              name,
              size: blob.size,
            }))
            .sort(byName),
        ),
      ),

    // The hash taken as the bytes arrived: stored bytes never change, so it is still theirs.
    describe: (ref, stage) =>
      answer("describe", () => ok(recordsOf(containerOf(stage, ref.requestId) ?? new Map()))),

    move: (ref, from, to, expected) =>
      answer("move", () => {
        const source = containerOf(from, ref.requestId);
        // Nothing left to copy: an earlier move finished (or crashed after deleting); answer what is there.
        if (!source || source.size === 0) return ok(recordsOf(containerOf(to, ref.requestId) ?? new Map()));
        const destination = ensureContainer(to, ref.requestId);
        // The copy shares the source's immutable bytes, so the hash they arrived with is the copy's:
        // checking it against `expected` needs no pass over the bytes.
        for (const [name, blob] of source) destination.set(name, blob);
        const found = recordsOf(destination);
        if (expected !== undefined && !sameRecords(found, expected)) return ok(found);
        stages.get(from)?.delete(ref.requestId);
        dropBlocks(from, ref.requestId);
        return ok(found);
      }),

    openRead: (ref, stage, name, range) =>
      answer("openRead", () => {
        const blob = containerOf(stage, ref.requestId)?.get(name);
        return blob ? ok(readChunks(blob, range)) : err(notFound(`file ${name} not found in stage ${stage}`));
      }),

    properties: (ref, stage, name) =>
      answer("properties", () => {
        const blob = containerOf(stage, ref.requestId)?.get(name);
        if (!blob) return err(notFound(`file ${name} not found in stage ${stage}`));
        return ok({ name, size: blob.size, etag: blob.etag, lastModified: new Date(blob.lastModified) });
      }),

    stageBlock: (ref, stage, name, blockId, content, { size, maxStagedBytes }) =>
      answer("stageBlock", async () => {
        if (!containerOf(stage, ref.requestId)) {
          return err(notFound(`container ${ref.requestId} in stage ${stage} is not provisioned`));
        }
        dropStaleBlocks(stage, ref.requestId);
        const others = [...(blocksOf(stage, ref.requestId, name) ?? [])]
          .filter(([id]) => id !== blockId)
          .reduce((total, [, block]) => total + block.bytes.size, 0);
        const room = maxStagedBytes - others;
        if (size > room) {
          return err(
            tooLarge(
              `the uncommitted blocks of ${name} would hold more than ${maxStagedBytes} bytes`,
              maxStagedBytes,
            ),
          );
        }
        const received = await receive(content, name, size);
        if (received.isErr()) return err(received.error);
        if (received.value.size !== size) {
          return err(
            invalidInput(`block of ${name} holds ${received.value.size} bytes, not the ${size} declared`),
          );
        }
        // Checked again: the container may have been deleted while the body was arriving.
        if (!containerOf(stage, ref.requestId)) {
          return err(notFound(`container ${ref.requestId} in stage ${stage} was deleted during the upload`));
        }
        const key = stagedKey(stage, ref.requestId);
        const byName = staged.get(key) ?? new Map<string, Map<string, StagedBlock>>();
        staged.set(key, byName);
        const blocks = byName.get(name) ?? new Map<string, StagedBlock>();
        byName.set(name, blocks);
        blocks.set(blockId, { bytes: received.value, stagedAt: now() });
        return ok(undefined);
      }),

    commitBlocks: (ref, stage, name, blockIds, { maxBytes }) =>
      answer("commitBlocks", async () => {
        const files = containerOf(stage, ref.requestId);
        if (!files) return err(notFound(`container ${ref.requestId} in stage ${stage} is not provisioned`));
        dropStaleBlocks(stage, ref.requestId);
        const blocks = blocksOf(stage, ref.requestId, name);
        const listed: StoredBytes[] = [];
        for (const id of blockIds) {
          const block = blocks?.get(id);
          if (!block) return err(invalidInput(`block ${id} of ${name} is not staged`));
          listed.push(block.bytes);
        }
        const size = listed.reduce((total, block) => total + block.size, 0);
        if (size > maxBytes) return err(tooLarge(`${name} would be larger than ${maxBytes} bytes`, maxBytes));
        const joined = await joinBlocks(listed);
        const container = containerOf(stage, ref.requestId);
        if (!container) {
          return err(notFound(`container ${ref.requestId} in stage ${stage} was deleted during the commit`));
        }
        container.set(name, joined);
        dropBlocks(stage, ref.requestId, name);
        return ok({ name, size } satisfies StoredFile);
      }),

    deleteFile: (ref, stage, name) =>
      answer("deleteFile", () => {
        containerOf(stage, ref.requestId)?.delete(name);
        dropBlocks(stage, ref.requestId, name);
        return ok(undefined);
      }),

    deleteContainer: (ref, stage) =>
      answer("deleteContainer", () => {
        stages.get(stage)?.delete(ref.requestId);
        dropBlocks(stage, ref.requestId);
        return ok(undefined);
      }),

    contents: (stage, requestId) => {
      const files = containerOf(stage, requestId) ?? new Map<string, StoredBytes>();
      return new Map(
        [...files].map(([name, blob]) => {
          const bytes = new Uint8Array(blob.size);
          let offset = 0;
          for (const chunk of blob.chunks) {
            bytes.set(chunk, offset);
            offset += chunk.length;
          }
          return [name, bytes];
        }),
      );
    },

    stagesHolding: (requestId) => STAGES.filter((stage) => (containerOf(stage, requestId)?.size ?? 0) > 0),

    failNext: (method, count) => faults.failNext(method, count),
  } satisfies MemoryStorage;
  return storage;
};
