import { createHash } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { fileUrl, getBlob, TransientError } from "./blob.js";
import { CliError, EXIT } from "./errors.js";
import { bytes } from "./format.js";
import type { Transfer } from "./progress.js";
import { withRetries } from "./retry.js";

export interface DownloadOptions {
  readonly containerUrl: string;
  readonly name: string;
  /** The sha256 (hex) the request recorded for the file at submit. */
  readonly sha256: string;
  readonly directory: string;
  readonly progress: Transfer;
  /** Tries of each part when the connection drops. */
  readonly attempts?: number;
  readonly backoffMs?: number;
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
 * Downloads one file through a container link, hashing it as it is written to a partial file beside
 * the target. A dropped connection asks for the rest only (a `Range` from the bytes already
 * written, `If-Match` the file's etag, so a file replaced meanwhile is not stitched together).
 * Only a file whose sha256 is the one the request recorded is renamed into place; any other is
 * removed and refused.
 */
export const downloadFile = async (
  options: DownloadOptions,
): Promise<{ name: string; size: number; path: string }> => {
  const target = targetPath(options.directory, options.name);
  await mkdir(dirname(target), { recursive: true });
  const partial = join(dirname(target), `.${options.name.split("/").pop()}.airlock-partial`);
  const hash = createHash("sha256");
  const out = await open(partial, "w", 0o600);
  let size = 0;
  let etag: string | undefined;
  const what = `downloading ${options.name}`;
  try {
    await withRetries(
      {
        ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
        ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
        log: options.progress.log,
      },
      { again: () => `asking for the rest from ${bytes(size)}`, note: "the bytes already received are kept" },
      async () => {
        const resuming = size > 0;
        const response = await getBlob(
          fileUrl(options.containerUrl, options.name),
          what,
          resuming ? { range: `bytes=${size}-`, ...(etag ? { "if-match": etag } : {}) } : {},
        );
        if (resuming && response.statusCode !== 206) {
          response.destroy();
          throw new CliError(
            `${what}: the server did not answer the rest of the file as a range`,
            EXIT.unavailable,
          );
        }
        etag ??= typeof response.headers.etag === "string" ? response.headers.etag : undefined;
        try {
          for await (const chunk of response as AsyncIterable<Buffer>) {
            hash.update(chunk);
            await out.write(chunk).catch((error: NodeJS.ErrnoException) => {
              throw new CliError(`cannot write ${partial}: ${error.code ?? error.message}`, EXIT.failure);
            });
            size += chunk.length;
            options.progress.set(size);
          }
        } catch (error) {
          if (error instanceof CliError) throw error;
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          throw new TransientError(`${what}: the connection dropped (${code})`);
        }
        if (!response.complete)
          throw new TransientError(`${what}: the connection dropped (the answer was cut short)`);
      },
    );
  } catch (error) {
    await out.close();
    await rm(partial, { force: true });
    throw error;
  }
  await out.close();
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
