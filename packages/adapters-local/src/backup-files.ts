import { createHash } from "node:crypto";
import { constants, type Dirent } from "node:fs";
import { type FileHandle, lstat, mkdir, open, readdir, rm } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { codeOf } from "./fs-calls.js";

/** What a copy or a hash found: the bytes' size and sha256 (hex). */
export interface FileDigest {
  readonly size: number;
  readonly sha256: string;
}

/** Bytes read per chunk when copying or hashing. */
const CHUNK = 64 * 1024;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** Backups hold research data and secrets: only their owner may read them. */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/** A missing entry, a path through something that is not a directory, or a symbolic link refused. */
export const isGone = (error: unknown) => {
  const code = codeOf(error);
  return code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP";
};

/** One path segment that stays inside its directory: no separator, NUL, `.` or `..`. */
export const isSingleSegment = (name: string) =>
  name.length > 0 && name !== "." && name !== ".." && !/[/\\\0]/.test(name);

/** Opens a regular file for reading without following a link; null when there is no such file. */
const openRegular = async (path: string): Promise<FileHandle | null> => {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
  if ((await handle.stat()).isFile()) return handle;
  await handle.close();
  return null;
};

/**
 * Copies the regular file at `from` to a new file `to` (its directory created), hashing the bytes
 * on the way and flushing the copy to disk. Answers null, writing nothing, when `from` is missing,
 * a link or not a regular file. The bytes come from one open descriptor, so a rename or delete of
 * `from` during the copy does not tear it.
 */
export const copyHashed = async (from: string, to: string): Promise<FileDigest | null> => {
  const source = await openRegular(from);
  if (source === null) return null;
  try {
    await mkdir(dirname(to), { recursive: true, mode: PRIVATE_DIR });
    const target = await open(to, CREATE_FLAGS, PRIVATE_FILE);
    const hash = createHash("sha256");
    let size = 0;
    try {
      for await (const chunk of source.createReadStream({ highWaterMark: CHUNK, autoClose: false })) {
        const bytes = chunk as Uint8Array;
        hash.update(bytes);
        size += bytes.length;
        await target.write(bytes);
      }
      await target.sync();
    } catch (error) {
      await target.close();
      await rm(to, { force: true });
      throw error;
    }
    await target.close();
    return { size, sha256: hash.digest("hex") };
  } finally {
    await source.close();
  }
};

/** The size and sha256 of the regular file at `path`, streamed; null when there is none. */
export const digestOf = async (path: string): Promise<FileDigest | null> => {
  const handle = await openRegular(path);
  if (handle === null) return null;
  try {
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of handle.createReadStream({ highWaterMark: CHUNK, autoClose: false })) {
      const bytes = chunk as Uint8Array;
      hash.update(bytes);
      size += bytes.length;
    }
    return { size, sha256: hash.digest("hex") };
  } finally {
    await handle.close();
  }
};

/** Relative paths (`/`-separated) of every entry under `dir`, split into regular files and the rest. */
export const entriesUnder = async (dir: string): Promise<{ files: string[]; others: string[] }> => {
  const files: string[] = [];
  const others: string[] = [];
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    if (isGone(error)) return { files, others };
    throw error;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    const path = relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/");
    (entry.isFile() ? files : others).push(path);
  }
  return { files: files.sort(), others: others.sort() };
};

/** Whether `dir` is missing or an empty directory (anything else is refused as a destination). */
export const isMissingOrEmptyDir = async (dir: string): Promise<boolean> => {
  try {
    const stats = await lstat(dir);
    return stats.isDirectory() && (await readdir(dir)).length === 0;
  } catch (error) {
    if (isGone(error)) return true;
    throw error;
  }
};

/** Whether `path` is a directory itself, not a link to one. */
export const isRealDir = async (path: string): Promise<boolean> => {
  try {
    return (await lstat(path)).isDirectory();
  } catch (error) {
    if (isGone(error)) return false;
    throw error;
  }
};

/** Whether `path` is a regular file itself, not a link to one. */
export const isRegularFile = async (path: string): Promise<boolean> => {
  try {
    return (await lstat(path)).isFile();
  } catch (error) {
    if (isGone(error)) return false;
    throw error;
  }
};
