import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileUrl, getBlob, TransientError, unreachableBlob } from "./blob.js";
import { CliError, EXIT } from "./errors.js";
import type { Transfer } from "./progress.js";

export interface DownloadOptions {
  readonly containerUrl: string;
  readonly name: string;
  /** The sha256 (hex) the request recorded for the file at submit. */
  readonly sha256: string;
  readonly directory: string;
  readonly progress: Transfer;
}

/** Where a file of the request lands: inside `directory`, never beside or above it. */
export const targetPath = (directory: string, name: string): string => {
  const root = resolve(directory);
  const target = resolve(root, name);
  if (!target.startsWith(`${root}${sep}`)) {
    throw new CliError(
      `the request names a file "${name}" that would land outside ${directory}`,
      EXIT.verification,
    );
  }
  return target;
};

/**
 * Downloads one file through a container link, hashing it as it streams to a partial file beside
 * the target. Only a file whose sha256 is the one the request recorded is renamed into place; any
 * other is removed and refused.
 */
export const downloadFile = async (
  options: DownloadOptions,
): Promise<{ name: string; size: number; path: string }> => {
  const target = targetPath(options.directory, options.name);
  await mkdir(resolve(target, ".."), { recursive: true });
  const partial = join(resolve(target, ".."), `.${options.name.split("/").pop()}.airlock-partial`);
  const hash = createHash("sha256");
  let size = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      options.progress.set(size);
      done(null, chunk);
    },
  });
  try {
    const response = await getBlob(
      fileUrl(options.containerUrl, options.name),
      `downloading ${options.name}`,
    );
    await pipeline(response, counting, createWriteStream(partial, { mode: 0o600 }));
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof CliError) throw error;
    if (error instanceof TransientError) throw unreachableBlob(`downloading ${options.name}`, error);
    throw unreachableBlob(`downloading ${options.name}`, error);
  }
  const actual = hash.digest("hex");
  if (actual !== options.sha256.toLowerCase()) {
    await rm(partial, { force: true });
    throw new CliError(
      `${options.name} does not match the request: its sha256 is ${actual}, the request recorded ${options.sha256}; the download was removed`,
      EXIT.verification,
    );
  }
  await rename(partial, target);
  options.progress.finish();
  return { name: options.name, size, path: target };
};
