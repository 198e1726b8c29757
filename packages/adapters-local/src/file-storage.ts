import { createHash, randomUUID } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { type FileHandle, lstat, mkdir, open, readdir, rename, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import {
  type AirlockStorage,
  type ByteRange,
  type ContainerRef,
  type FileRecord,
  invalidInput,
  type LinkSigner,
  notFound,
  type Stage,
  StageSchema,
  type StorageError,
  type StoredFile,
  signedLink,
  tooLarge,
  unavailable,
} from "@airlock/core";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { codeOf, syncDir } from "./fs-calls.js";

export interface FileStorageOptions {
  /** The directory holding one directory per stage; created when missing. */
  readonly root: string;
  readonly linkSigner?: LinkSigner;
  /** How long a staged block may wait for its commit before it is dropped (default 7 days, as on Azure). */
  readonly uncommittedBlockLifetimeMs?: number;
  /** The clock uncommitted blocks age by (default `Date.now`). */
  readonly now?: () => number;
}

/** `AirlockStorage` on the local filesystem, with the housekeeping a process that may crash needs. */
export interface FileStorage extends AirlockStorage {
  /**
   * Removes what a crash, or a client that went away, left in the stages' incoming directories:
   * partial uploads (and block or commit files) not written to for `abandonedAfterMs`, and blocks
   * staged longer ago than their lifetime. Active uploads write all the time, so their files stay
   * young. Answers how many files it removed.
   */
  sweepIncoming(options: { readonly abandonedAfterMs: number }): Promise<number>;
}

const STAGES: readonly Stage[] = StageSchema.options;

/** Azure drops blocks left uncommitted for a week; so does this storage by default. */
const UNCOMMITTED_BLOCK_LIFETIME_MS = 7 * 24 * 3600 * 1000;

/** Bytes handed to readers per chunk. */
const READ_CHUNK = 64 * 1024;
/** Where uploads are written before they are renamed into place, inside each stage directory. */
const TEMP_DIR = ".incoming";
/** Uncommitted blocks, inside the incoming directory: `blocks/<request id>/<hash of the name>/<hash of the block id>`. */
const BLOCKS_DIR = "blocks";
const FILES_DIR = "files";
const HASHES_DIR = "sha256";
/** Request ids become one directory name: nothing that could climb out or hide as a dot-file. */
const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
const MAX_NAME_BYTES = 200;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** What the sidecar keeps: the sha256 taken while the bytes arrived, and which bytes it is for. */
interface HashRecord {
  readonly sha256: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

const byName = <T extends { readonly name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

const sameRecords = (found: readonly FileRecord[], expected: readonly FileRecord[]) =>
  found.length === expected.length &&
  expected.every((want) =>
    found.some((have) => have.name === want.name && have.size === want.size && have.sha256 === want.sha256),
  );

const isMissing = (error: unknown) => codeOf(error) === "ENOENT" || codeOf(error) === "ENOTDIR";

/** A file name that stays one entry of its folder: the caller validated it; this refuses anything that could escape. */
const checkName = (name: string): Result<string, StorageError> =>
  name.length === 0 ||
  name === "." ||
  name === ".." ||
  /[/\\\0]/.test(name) ||
  Buffer.byteLength(name) > MAX_NAME_BYTES
    ? err(invalidInput(`file name ${JSON.stringify(name)} is not a single safe path segment`))
    : ok(name);

const defaultLinkSigner: LinkSigner = ({ ref, stage, access, expiresAt }) => {
  const query = new URLSearchParams({ access: access.join(","), expires: expiresAt.toISOString() });
  return `local://${stage}/${encodeURIComponent(ref.requestId)}?${query}`;
};

/** An lstat that answers null for a missing entry. */
const lstatOrNull = async (path: string): Promise<Stats | null> => {
  try {
    return await lstat(path);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
};

/** A name made safe as one path segment: its sha256, so any file name or block id fits. */
const hashedName = (text: string) => createHash("sha256").update(text).digest("hex");

/** A file's etag: a file replaced by rename is a new inode; one rewritten in place has a new mtime or size. */
const etagOf = (stats: Stats) => `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${stats.mtimeMs}"`;

/** The bytes of the files at `paths`, one after the other, streamed (links are not followed). */
const concatenated = (paths: readonly string[]): AsyncIterable<Uint8Array> => ({
  async *[Symbol.asyncIterator]() {
    for (const path of paths) {
      const handle = await open(path, READ_FLAGS);
      yield* readChunks(handle);
    }
  },
});

const readChunks = (handle: FileHandle, range?: ByteRange): AsyncIterable<Uint8Array> => ({
  async *[Symbol.asyncIterator]() {
    const start = range?.offset ?? 0;
    // The stream's `end` is inclusive; without a count it reads to the end.
    const end = range?.count === undefined ? undefined : start + range.count - 1;
    try {
      if (end !== undefined && end < start) return;
      const stream = handle.createReadStream({
        highWaterMark: READ_CHUNK,
        autoClose: false,
        start,
        ...(end === undefined ? {} : { end }),
      });
      for await (const chunk of stream) {
        yield chunk as Uint8Array;
      }
    } finally {
      await handle.close();
    }
  },
});

/**
 * `AirlockStorage` on the local filesystem: `root/<stage>/<request id>/files/<name>`, with the
 * sha256 of each file in `root/<stage>/<request id>/sha256/<name>.json`. Uploads land in
 * `root/<stage>/.incoming` first and are renamed into place once complete and on disk; a move is a
 * rename between stage directories, so `root` must be one filesystem. Symbolic links are never
 * followed: files open with O_NOFOLLOW and directories are checked with lstat.
 */
export const createFileStorage = (options: FileStorageOptions): FileStorage => {
  const signLink = options.linkSigner ?? defaultLinkSigner;
  const root = options.root;
  const now = options.now ?? Date.now;
  const blockLifetimeMs = options.uncommittedBlockLifetimeMs ?? UNCOMMITTED_BLOCK_LIFETIME_MS;

  const answer = <T>(what: string, work: () => Promise<Result<T, StorageError>>) =>
    new ResultAsync<T, StorageError>(
      work().catch((cause: unknown) => err(unavailable(`${what} failed on the local filesystem`, cause))),
    );

  const stageDir = (stage: Stage) => join(root, stage);

  const containerDir = (ref: ContainerRef, stage: Stage): Result<string, StorageError> =>
    SAFE_ID.test(ref.requestId)
      ? ok(join(stageDir(stage), ref.requestId))
      : err(invalidInput(`request id ${JSON.stringify(ref.requestId)} cannot name a directory`));

  /** The container's directories when they exist as real directories; null when the container is missing. */
  const existingContainer = async (dir: string) => {
    for (const path of [dir, join(dir, FILES_DIR), join(dir, HASHES_DIR)]) {
      const stats = await lstatOrNull(path);
      if (stats === null) return null;
      if (!stats.isDirectory() || stats.isSymbolicLink()) {
        throw new Error(`${path} is not a directory of the storage`);
      }
    }
    return { files: join(dir, FILES_DIR), hashes: join(dir, HASHES_DIR) };
  };

  const ensureContainer = async (dir: string) => {
    await mkdir(join(dir, FILES_DIR), { recursive: true });
    await mkdir(join(dir, HASHES_DIR), { recursive: true });
    const container = await existingContainer(dir);
    if (!container) throw new Error(`${dir} vanished while it was created`);
    return container;
  };

  /** Writes a small file whole, by rename, so readers see the old or the new content, never a part. */
  const writeAtomically = async (dir: string, name: string, text: string) => {
    const temp = join(dir, `.${randomUUID()}.tmp`);
    const handle = await open(temp, CREATE_FLAGS, 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
  };

  /** Hashes a file from its bytes, streamed; null when it is missing or not a regular file. */
  const hashFile = async (path: string): Promise<{ sha256: string; stats: Stats } | null> => {
    let handle: FileHandle;
    try {
      handle = await open(path, READ_FLAGS);
    } catch (error) {
      if (isMissing(error) || codeOf(error) === "ELOOP") return null;
      throw error;
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return null;
      const hash = createHash("sha256");
      // One buffer, read into again and again: a stream would allocate a new piece each time, and a
      // 1 GiB file left about 70 MiB of them for the garbage collector, at half the speed.
      const buffer = Buffer.allocUnsafe(READ_CHUNK);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, null);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(0, bytesRead));
      }
      return { sha256: hash.digest("hex"), stats };
    } finally {
      await handle.close();
    }
  };

  const readHashRecord = async (path: string): Promise<HashRecord | null> => {
    try {
      const handle = await open(path, READ_FLAGS);
      try {
        return JSON.parse(await handle.readFile("utf8")) as HashRecord;
      } finally {
        await handle.close();
      }
    } catch {
      // Missing, a link or unreadable: the bytes are hashed again.
      return null;
    }
  };

  /** Every regular file of a container, with its size; links and anything else are not files of it. */
  const listIn = async (files: string): Promise<StoredFile[]> => {
    const found: StoredFile[] = [];
    for (const entry of await readdir(files, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const stats = await lstatOrNull(join(files, entry.name));
      if (stats?.isFile()) found.push({ name: entry.name, size: stats.size });
    }
    return found.sort(byName);
  };

  /**
   * Each file's record: the sidecar's sha256 when it was taken of these very bytes (same inode,
   * size and mtime; a replaced file is a new inode), otherwise hashed again from the bytes.
   */
  const describeIn = async (container: { files: string; hashes: string }): Promise<FileRecord[]> => {
    const records: FileRecord[] = [];
    for (const { name } of await listIn(container.files)) {
      const stats = await lstatOrNull(join(container.files, name));
      if (!stats?.isFile()) continue;
      const kept = await readHashRecord(join(container.hashes, `${name}.json`));
      if (kept && kept.ino === stats.ino && kept.size === stats.size && kept.mtimeMs === stats.mtimeMs) {
        records.push({ name, size: stats.size, sha256: kept.sha256 });
        continue;
      }
      const hashed = await hashFile(join(container.files, name));
      if (!hashed) continue;
      const { sha256, stats: now } = hashed;
      await writeAtomically(
        container.hashes,
        `${name}.json`,
        JSON.stringify({ sha256, size: now.size, mtimeMs: now.mtimeMs, ino: now.ino } satisfies HashRecord),
      );
      records.push({ name, size: now.size, sha256 });
    }
    return records.sort(byName);
  };

  const describeContainer = async (ref: ContainerRef, stage: Stage) => {
    const dir = containerDir(ref, stage);
    if (dir.isErr()) return err(dir.error);
    const container = await existingContainer(dir.value);
    return ok(container ? await describeIn(container) : []);
  };

  /**
   * Streams the content into a new file in the stage's incoming directory, hashing it on the way,
   * and answers its path, size and hash once it is complete and on disk; removes it otherwise.
   */
  const receive = async (
    stage: Stage,
    name: string,
    content: AsyncIterable<Uint8Array>,
    maxBytes: number,
    into: string = join(stageDir(stage), TEMP_DIR),
  ): Promise<Result<{ temp: string; record: HashRecord }, StorageError>> => {
    await mkdir(into, { recursive: true });
    const temp = join(into, `.${randomUUID()}.tmp`);
    const handle = await open(temp, CREATE_FLAGS, 0o600);
    const hash = createHash("sha256");
    let size = 0;
    let kept = false;
    try {
      try {
        for await (const chunk of content) {
          size += chunk.length;
          // Leaving the loop ends the caller's stream, so an oversized body is not read to its end.
          if (size > maxBytes) return err(tooLarge(`${name} is larger than ${maxBytes} bytes`, maxBytes));
          hash.update(chunk);
          await handle.write(chunk);
        }
      } catch (cause) {
        return err(unavailable(`reading the content of ${name} failed`, cause));
      }
      await handle.sync();
      const stats = await handle.stat();
      kept = true;
      return ok({
        temp,
        record: { sha256: hash.digest("hex"), size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino },
      });
    } finally {
      await handle.close();
      if (!kept) await rm(temp, { force: true });
    }
  };

  /** The container a file named `name` may be written into: its name safe, the container provisioned. */
  const writableContainer = async (
    ref: ContainerRef,
    stage: Stage,
    name: string,
  ): Promise<Result<string, StorageError>> => {
    const dir = containerDir(ref, stage);
    if (dir.isErr()) return err(dir.error);
    const checked = checkName(name);
    if (checked.isErr()) return err(checked.error);
    if (!(await existingContainer(dir.value))) {
      return err(notFound(`container ${ref.requestId} in stage ${stage} is not provisioned`));
    }
    return dir;
  };

  /**
   * Renames a complete file from the incoming folder into the container as `name`, records its
   * sha256, and drops the name's staged blocks (the file replaces whatever they were for).
   */
  const place = async (
    dir: string,
    ref: ContainerRef,
    stage: Stage,
    name: string,
    { temp, record }: { readonly temp: string; readonly record: HashRecord },
    during: "upload" | "commit",
  ): Promise<Result<StoredFile, StorageError>> => {
    // Checked again: the container may have been deleted while the bytes were arriving.
    const container = await existingContainer(dir);
    if (!container) {
      await rm(temp, { force: true });
      return err(notFound(`container ${ref.requestId} in stage ${stage} was deleted during the ${during}`));
    }
    await rename(temp, join(container.files, name));
    await syncDir(container.files);
    // Written after the rename: the sidecar names the inode, so until it lands describe hashes again.
    await writeAtomically(container.hashes, `${name}.json`, JSON.stringify(record));
    await rm(blocksDir(stage, ref, name), { recursive: true, force: true });
    return ok({ name, size: record.size });
  };

  /** Where one container's uncommitted blocks live, per file. */
  const blocksRoot = (stage: Stage, ref: ContainerRef) =>
    join(stageDir(stage), TEMP_DIR, BLOCKS_DIR, ref.requestId);
  const blocksDir = (stage: Stage, ref: ContainerRef, name: string) =>
    join(blocksRoot(stage, ref), hashedName(name));

  /** The staged blocks of one file (no temp files), with their sizes. */
  const blocksIn = async (dir: string): Promise<Map<string, Stats>> => {
    const found = new Map<string, Stats>();
    for (const entry of await entriesOf(dir)) {
      if (entry.startsWith(".")) continue;
      const stats = await lstatOrNull(join(dir, entry));
      if (stats?.isFile()) found.set(entry, stats);
    }
    return found;
  };

  /** Drops the container's blocks (and temp files a crash left) staged longer ago than the lifetime allows. */
  const dropStaleBlocks = async (stage: Stage, ref: ContainerRef) => {
    const oldest = now() - blockLifetimeMs;
    const container = blocksRoot(stage, ref);
    for (const file of await entriesOf(container)) {
      const fileDir = join(container, file);
      for (const entry of await entriesOf(fileDir)) {
        const stats = await lstatOrNull(join(fileDir, entry));
        if (stats !== null && stats.mtimeMs < oldest) await rm(join(fileDir, entry), { force: true });
      }
    }
  };

  /** Concatenates blocks into a new file in the stage's incoming directory, hashing it on the way. */
  const joinBlocks = (stage: Stage, name: string, paths: readonly string[], maxBytes: number) =>
    receive(stage, name, concatenated(paths), maxBytes);

  return {
    provision: (ref, stage) =>
      answer("provision", async () => {
        const dir = containerDir(ref, stage);
        if (dir.isErr()) return err(dir.error);
        await ensureContainer(dir.value);
        await syncDir(stageDir(stage));
        return ok(undefined);
      }),

    link: (ref, stage, access, expiresAt, holder) =>
      answer("link", async () => {
        const dir = containerDir(ref, stage);
        if (dir.isErr()) return err(dir.error);
        return ok(signedLink(signLink, ref, stage, access, expiresAt, holder));
      }),

    upload: (ref, stage, name, content, { maxBytes }) =>
      answer("upload", async () => {
        const dir = await writableContainer(ref, stage, name);
        if (dir.isErr()) return err(dir.error);
        const received = await receive(stage, name, content, maxBytes);
        if (received.isErr()) return err(received.error);
        return place(dir.value, ref, stage, name, received.value, "upload");
      }),

    listFiles: (ref, stage) =>
      answer("listFiles", async () => {
        const dir = containerDir(ref, stage);
        if (dir.isErr()) return err(dir.error);
        const container = await existingContainer(dir.value);
        return ok(container ? await listIn(container.files) : []);
      }),

    describe: (ref, stage) => answer("describe", () => describeContainer(ref, stage)),

    move: (ref, from, to, expected) =>
      answer("move", async () => {
        const source = containerDir(ref, from);
        const destination = containerDir(ref, to);
        if (source.isErr()) return err(source.error);
        if (destination.isErr()) return err(destination.error);
        const sourceContainer = await existingContainer(source.value);
        const sourceRecords = sourceContainer ? await describeIn(sourceContainer) : [];
        // Nothing left to move: an earlier move finished (or crashed after its renames); answer what is there.
        if (sourceRecords.length === 0 || !sourceContainer) {
          if (sourceContainer) await rm(source.value, { recursive: true, force: true });
          return describeContainer(ref, to);
        }
        const target = await ensureContainer(destination.value);
        // What the destination will hold: files an interrupted move already renamed, and the source's.
        const already = (await describeIn(target)).filter(
          (record) => !sourceRecords.some((moving) => moving.name === record.name),
        );
        const found = [...already, ...sourceRecords].sort(byName);
        if (expected !== undefined && !sameRecords(found, expected)) return ok(found);
        for (const { name } of sourceRecords) {
          await rename(join(sourceContainer.files, name), join(target.files, name));
          try {
            await rename(join(sourceContainer.hashes, `${name}.json`), join(target.hashes, `${name}.json`));
          } catch (error) {
            // No sidecar: describe hashes the bytes again.
            if (!isMissing(error)) throw error;
          }
        }
        await syncDir(target.files);
        await syncDir(target.hashes);
        await rm(source.value, { recursive: true, force: true });
        await rm(blocksRoot(from, ref), { recursive: true, force: true });
        await syncDir(stageDir(from));
        return describeContainer(ref, to);
      }),

    openRead: (ref, stage, name, range) =>
      answer("openRead", async () => {
        const dir = containerDir(ref, stage);
        if (dir.isErr()) return err(dir.error);
        const checked = checkName(name);
        if (checked.isErr()) return err(checked.error);
        const missing = notFound(`file ${name} not found in stage ${stage}`);
        const container = await existingContainer(dir.value);
        if (!container) return err(missing);
        let handle: FileHandle;
        try {
          handle = await open(join(container.files, name), READ_FLAGS);
        } catch (error) {
          if (isMissing(error) || codeOf(error) === "ELOOP") return err(missing);
          throw error;
        }
        if (!(await handle.stat()).isFile()) {
          await handle.close();
          return err(missing);
        }
        return ok(readChunks(handle, range));
      }),

    properties: (ref, stage, name) =>
      answer("properties", async () => {
        const dir = containerDir(ref, stage);
        if (dir.isErr()) return err(dir.error);
        const checked = checkName(name);
        if (checked.isErr()) return err(checked.error);
        const missing = notFound(`file ${name} not found in stage ${stage}`);
        const container = await existingContainer(dir.value);
        const stats = container ? await lstatOrNull(join(container.files, name)) : null;
        if (!stats?.isFile()) return err(missing);
        return ok({ name, size: stats.size, etag: etagOf(stats), lastModified: new Date(stats.mtimeMs) });
      }),

    stageBlock: (ref, stage, name, blockId, content, { size, maxStagedBytes }) =>
      answer("stageBlock", async () => {
        const dir = await writableContainer(ref, stage, name);
        if (dir.isErr()) return err(dir.error);
        await dropStaleBlocks(stage, ref);
        const blocks = blocksDir(stage, ref, name);
        const blockFile = hashedName(blockId);
        const others = [...(await blocksIn(blocks))]
          .filter(([entry]) => entry !== blockFile)
          .reduce((total, [, stats]) => total + stats.size, 0);
        if (size > maxStagedBytes - others) {
          return err(
            tooLarge(
              `the uncommitted blocks of ${name} would hold more than ${maxStagedBytes} bytes`,
              maxStagedBytes,
            ),
          );
        }
        // Written beside the blocks and renamed over the block's name: a retried block replaces
        // the old one whole, and a dropped connection leaves the earlier block as it was.
        const received = await receive(stage, name, content, size, blocks);
        if (received.isErr()) return err(received.error);
        const { temp, record } = received.value;
        if (record.size !== size) {
          await rm(temp, { force: true });
          return err(invalidInput(`block of ${name} holds ${record.size} bytes, not the ${size} declared`));
        }
        await rename(temp, join(blocks, blockFile));
        await syncDir(blocks);
        return ok(undefined);
      }),

    commitBlocks: (ref, stage, name, blockIds, { maxBytes }) =>
      answer("commitBlocks", async () => {
        const dir = await writableContainer(ref, stage, name);
        if (dir.isErr()) return err(dir.error);
        await dropStaleBlocks(stage, ref);
        const blocks = blocksDir(stage, ref, name);
        const staged = await blocksIn(blocks);
        let size = 0;
        for (const id of blockIds) {
          const stats = staged.get(hashedName(id));
          if (!stats) return err(invalidInput(`block ${id} of ${name} is not staged`));
          size += stats.size;
        }
        if (size > maxBytes) return err(tooLarge(`${name} would be larger than ${maxBytes} bytes`, maxBytes));
        const joined = await joinBlocks(
          stage,
          name,
          blockIds.map((id) => join(blocks, hashedName(id))),
          maxBytes,
        );
        if (joined.isErr()) return err(joined.error);
        return place(dir.value, ref, stage, name, joined.value, "commit");
      }),

    deleteFile: (ref, stage, name) =>
      answer("deleteFile", async () => {
        const dir = containerDir(ref, stage);
        if (dir.isErr()) return err(dir.error);
        const checked = checkName(name);
        if (checked.isErr()) return err(checked.error);
        const container = await existingContainer(dir.value);
        if (!container) return ok(undefined);
        // unlink removes a link itself, never what it points at.
        for (const path of [join(container.files, name), join(container.hashes, `${name}.json`)]) {
          try {
            await unlink(path);
          } catch (error) {
            if (!isMissing(error)) throw error;
          }
        }
        await syncDir(container.files);
        await rm(blocksDir(stage, ref, name), { recursive: true, force: true });
        return ok(undefined);
      }),

    deleteContainer: (ref, stage) =>
      answer("deleteContainer", async () => {
        const dir = containerDir(ref, stage);
        if (dir.isErr()) return err(dir.error);
        // rm removes links inside the folder without following them.
        await rm(dir.value, { recursive: true, force: true });
        await rm(blocksRoot(stage, ref), { recursive: true, force: true });
        return ok(undefined);
      }),

    sweepIncoming: async ({ abandonedAfterMs }) => {
      const abandonedBefore = now() - abandonedAfterMs;
      const staleBefore = now() - blockLifetimeMs;
      let removed = 0;
      /** Removes the files under `dir` older than their limit (directories stay: a stage may be writing into them). */
      const sweep = async (dir: string, depth: number): Promise<void> => {
        for (const entry of await entriesOf(dir)) {
          const path = join(dir, entry);
          const stats = await lstatOrNull(path);
          if (stats === null) continue;
          if (stats.isDirectory() && depth > 0) {
            await sweep(path, depth - 1);
            continue;
          }
          // Blocks (named, at the deepest level) live out their lifetime; anything else is a
          // temporary file of an upload or a commit.
          const block = depth === 0 && !entry.startsWith(".");
          if (stats.mtimeMs < (block ? staleBefore : abandonedBefore)) {
            await rm(path, { force: true });
            removed += 1;
          }
        }
      };
      for (const stage of STAGES) {
        const incoming = join(stageDir(stage), TEMP_DIR);
        for (const entry of await entriesOf(incoming)) {
          const path = join(incoming, entry);
          const stats = await lstatOrNull(path);
          if (stats === null) continue;
          if (entry === BLOCKS_DIR && stats.isDirectory()) {
            // blocks/<request id>/<file>/<block>
            for (const request of await entriesOf(path)) await sweep(join(path, request), 1);
          } else if (stats.isFile() && stats.mtimeMs < abandonedBefore) {
            await rm(path, { force: true });
            removed += 1;
          }
        }
      }
      return removed;
    },
  };
};

/** The names in a directory; none when it is missing. */
const entriesOf = async (dir: string): Promise<string[]> => {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
};
