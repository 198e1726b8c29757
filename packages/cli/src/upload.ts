import { open } from "node:fs/promises";
import { fileUrl, putBytes } from "./blob.js";
import { CliError, EXIT } from "./errors.js";
import type { Transfer } from "./progress.js";
import { DEFAULT_ATTEMPTS, withRetries } from "./retry.js";

export { DEFAULT_ATTEMPTS };

/** 8 MiB blocks: one buffer of this size is all the memory an upload holds, whatever the file's size. */
export const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;

export interface UploadOptions {
  readonly containerUrl: string;
  readonly path: string;
  /** The file's name in the request. */
  readonly name: string;
  readonly blockSize?: number;
  /** Tries per block before giving up. */
  readonly attempts?: number;
  /** The first wait before a retry; it doubles on each further one (at most 15 s). */
  readonly backoffMs?: number;
  readonly progress: Transfer;
}

/** Block ids are base64 of the same length for every block of a file, as Azure requires. */
const blockId = (index: number) => Buffer.from(`block-${String(index).padStart(6, "0")}`).toString("base64");

const blockList = (count: number) =>
  `<?xml version="1.0" encoding="utf-8"?><BlockList>${Array.from(
    { length: count },
    (_, index) => `<Latest>${blockId(index)}</Latest>`,
  ).join("")}</BlockList>`;

/**
 * Uploads one file through a container link with the Blob block API: the file is read one block
 * at a time into one buffer, each block is sent with Put Block (a dropped connection sends that
 * block again, the blocks already staged stay), then Put Block List makes them the file.
 */
export const uploadFile = async (options: UploadOptions): Promise<{ name: string; size: number }> => {
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const retryOptions = {
    ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
    ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
    log: options.progress.log,
  };
  const file = await open(options.path, "r").catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${options.path}: ${error.code ?? error.message}`, EXIT.failure);
  });
  try {
    const { size } = await file.stat();
    if (size === 0) {
      await withRetries(retryOptions, { again: () => `sending ${options.name} again` }, () =>
        putBytes(
          fileUrl(options.containerUrl, options.name),
          Buffer.alloc(0),
          { "x-ms-blob-type": "BlockBlob" },
          () => {},
          `uploading ${options.name}`,
        ),
      );
      options.progress.finish();
      return { name: options.name, size };
    }
    const buffer = Buffer.allocUnsafe(Math.min(blockSize, size));
    const blocks = Math.ceil(size / blockSize);
    let committed = 0;
    for (let index = 0; index < blocks; index += 1) {
      const offset = index * blockSize;
      const length = Math.min(blockSize, size - offset);
      const block = buffer.subarray(0, length);
      const what = `block ${index + 1} of ${blocks} of ${options.name}`;
      await withRetries(
        retryOptions,
        { again: () => `sending ${what} again`, note: "the blocks already sent are kept" },
        async () => {
          // Read again on every try: the bytes of a failed try are not kept.
          const { bytesRead } = await file.read(block, 0, length, offset);
          if (bytesRead !== length) {
            throw new CliError(`${options.path} changed while it was being uploaded`, EXIT.failure);
          }
          let sent = 0;
          options.progress.set(committed);
          await putBytes(
            fileUrl(options.containerUrl, options.name, { comp: "block", blockid: blockId(index) }),
            block,
            {},
            (bytes) => {
              sent += bytes;
              options.progress.set(committed + sent);
            },
            `uploading ${what}`,
          );
        },
      );
      committed += length;
      options.progress.set(committed);
    }
    const list = Buffer.from(blockList(blocks));
    await withRetries(retryOptions, { again: () => `sending the block list of ${options.name} again` }, () =>
      putBytes(
        fileUrl(options.containerUrl, options.name, { comp: "blocklist" }),
        list,
        { "content-type": "application/xml" },
        () => {},
        `committing ${options.name}`,
      ),
    );
    options.progress.finish();
    return { name: options.name, size };
  } finally {
    await file.close();
  }
};
