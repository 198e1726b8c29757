import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import {
  type AuditCheckpoint,
  AuditCheckpointSchema,
  type AuditCheckpoints,
  type AuditCheckpointsError,
  type AuditStreamPage,
  MAX_AUDIT_PAGE,
  unavailable,
} from "@airlock/core";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { codeOf, syncDir } from "./fs-calls.js";

export interface FileAuditCheckpointsOptions {
  /**
   * The directory holding one file of checkpoints per stream; created (mode 0700) when missing.
   * Keep it away from whoever can write the audit database: another disk, another owner.
   */
  readonly dir: string;
}

const SUFFIX = ".jsonl";
/** Hex of the UTF-8 name, so any stream name is a safe file name (lowercase: no clash on case-insensitive disks). */
const HEX_NAME = /^((?:[0-9a-f]{2})+)\.jsonl$/;
/** Names whose hex would pass the usual 255-byte limit of a file name are named by their sha256. */
const MAX_HEX_CHARS = 240;
const HASHED_NAME = /^sha256-[0-9a-f]{64}\.jsonl$/;
const APPEND_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

const fileNameOf = (stream: string): string => {
  const hex = Buffer.from(stream, "utf8").toString("hex");
  return hex.length <= MAX_HEX_CHARS
    ? `${hex}${SUFFIX}`
    : `sha256-${createHash("sha256").update(stream, "utf8").digest("hex")}${SUFFIX}`;
};

/** UTF-8 byte order, the order SQLite keeps stream names in, so both local stores list alike. */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/** A line's checkpoint of `stream`; null for a line torn by a crash, blank, or not a checkpoint of it. */
const parseLine = (line: string, stream: string | null): AuditCheckpoint | null => {
  if (line.trim() === "") return null;
  try {
    const parsed = AuditCheckpointSchema.safeParse(JSON.parse(line));
    return parsed.success && (stream === null || parsed.data.stream === stream) ? parsed.data : null;
  } catch {
    return null;
  }
};

/**
 * Calls `visit` with each checkpoint in the file, in file order, until it answers true; a missing
 * file holds none. Lines are read as a stream, so a long file never sits in memory.
 */
const eachCheckpoint = async (
  path: string,
  stream: string | null,
  visit: (checkpoint: AuditCheckpoint) => boolean,
): Promise<void> => {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    if (codeOf(error) === "ENOENT") return;
    throw error;
  }
  const input = handle.createReadStream({ autoClose: false });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      const checkpoint = parseLine(line, stream);
      if (checkpoint !== null && visit(checkpoint)) return;
    }
  } finally {
    lines.close();
    input.destroy();
    await handle.close();
  }
};

const firstCheckpoint = async (path: string, stream: string | null): Promise<AuditCheckpoint | null> => {
  let first: AuditCheckpoint | null = null;
  await eachCheckpoint(path, stream, (checkpoint) => {
    first = checkpoint;
    return true;
  });
  return first;
};

/**
 * `AuditCheckpoints` as files: one JSON line per checkpoint, appended (never rewritten) to
 * `<dir>/<hex of the stream name>.jsonl` and flushed to disk before `put` answers. A line cut short
 * by a crash is skipped when read, and the next append starts on a line of its own. `latest` reads
 * the stream's file through and answers the highest seq, so a checkpoint that arrived late never
 * hides a later one.
 */
export const createFileAuditCheckpoints = (options: FileAuditCheckpointsOptions): AuditCheckpoints => {
  const { dir } = options;

  const answer = <T>(what: string, work: () => Promise<Result<T, AuditCheckpointsError>>) =>
    new ResultAsync<T, AuditCheckpointsError>(
      work().catch((cause: unknown) => err(unavailable(`${what} failed on the local filesystem`, cause))),
    );

  const ensureDir = async () => {
    const created = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (created !== undefined) await syncDir(dirname(created));
  };

  const append = async (checkpoint: AuditCheckpoint) => {
    await ensureDir();
    const handle = await open(join(dir, fileNameOf(checkpoint.stream)), APPEND_FLAGS, 0o600);
    let created = false;
    try {
      const { size } = await handle.stat();
      created = size === 0;
      // A last line without its newline was cut short by a crash: start this one on a line of its own.
      let torn = false;
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        torn = last[0] !== 0x0a;
      }
      const { stream, seq, hash, at, signature } = checkpoint;
      const line = Buffer.from(
        `${torn ? "\n" : ""}${JSON.stringify({ stream, seq, hash, at, signature })}\n`,
      );
      // One write per line: appends from other processes land before or after it, never inside.
      const { bytesWritten } = await handle.write(line);
      if (bytesWritten !== line.length) {
        throw new Error(`only ${bytesWritten} of ${line.length} bytes were written`);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (created) await syncDir(dir);
  };

  /** Every stream holding a file of checkpoints, with the file; a hashed name's stream is read from its file. */
  const streamFiles = async (): Promise<{ stream: string; path: string; checked: boolean }[]> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (codeOf(error) === "ENOENT") return [];
      throw error;
    }
    const found: { stream: string; path: string; checked: boolean }[] = [];
    for (const name of names) {
      const path = join(dir, name);
      const hex = HEX_NAME.exec(name)?.[1];
      if (hex !== undefined) {
        const stream = Buffer.from(hex, "hex").toString("utf8");
        // Bytes that are not UTF-8 decode to another name: not a file this store wrote.
        if (fileNameOf(stream) === name) found.push({ stream, path, checked: false });
      } else if (HASHED_NAME.test(name)) {
        const first = await firstCheckpoint(path, null);
        if (first !== null && fileNameOf(first.stream) === name) {
          found.push({ stream: first.stream, path, checked: true });
        }
      }
    }
    return found.sort((a, b) => byBytes(a.stream, b.stream));
  };

  return {
    put: (checkpoint) =>
      answer(`storing checkpoint ${checkpoint.seq} of audit stream ${checkpoint.stream}`, async () => {
        await append(checkpoint);
        return ok(undefined);
      }),

    latest: (stream) =>
      answer(`reading the latest checkpoint of audit stream ${stream}`, async () => {
        let highest: AuditCheckpoint | null = null;
        await eachCheckpoint(join(dir, fileNameOf(stream)), stream, (checkpoint) => {
          if (highest === null || checkpoint.seq > highest.seq) highest = checkpoint;
          return false;
        });
        return ok(highest);
      }),

    streams: (page) =>
      answer("listing audit checkpoint streams", async () => {
        const limit = Number.isFinite(page.limit)
          ? Math.max(1, Math.min(Math.floor(page.limit), MAX_AUDIT_PAGE))
          : MAX_AUDIT_PAGE;
        const after = page.after;
        const streams: string[] = [];
        for (const file of await streamFiles()) {
          if (after !== null && byBytes(file.stream, after) <= 0) continue;
          // A file holding only a line torn by a crash holds no checkpoint yet.
          if (!file.checked && (await firstCheckpoint(file.path, file.stream)) === null) continue;
          streams.push(file.stream);
          // One name more than the page tells whether another page follows.
          if (streams.length > limit) break;
        }
        const listed: AuditStreamPage = {
          streams: streams.slice(0, limit),
          next: streams.length > limit ? (streams[limit - 1] ?? null) : null,
        };
        return ok(listed);
      }),
  };
};
