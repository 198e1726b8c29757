import { open } from "node:fs/promises";

/** How copying a stream into a temporary file ended. */
export type Spooled =
  | { readonly kind: "written"; readonly bytes: number }
  /** More bytes came than the limit allows; the copy stopped there. */
  | { readonly kind: "over"; readonly limit: number }
  | { readonly kind: "stopped" }
  /** The source broke while it was read. */
  | { readonly kind: "readFailed"; readonly message: string }
  /** The temporary file could not be written (a full disk). */
  | { readonly kind: "writeFailed"; readonly message: string };

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause));

/**
 * Copies `head` and then what `rest` yields into a new file at `path`, readable by this process's
 * user alone (0600), stopping as soon as more than `limit` bytes came or `signal` is aborted. One
 * chunk is in memory at a time; each is written before the next is read.
 */
export const spool = async (
  path: string,
  head: Uint8Array,
  rest: AsyncIterator<Uint8Array> | null,
  limit: number,
  signal: AbortSignal,
): Promise<Spooled> => {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "wx", 0o600);
  } catch (cause) {
    return { kind: "writeFailed", message: messageOf(cause) };
  }
  try {
    let bytes = 0;
    let chunk: Uint8Array | undefined = head;
    for (;;) {
      if (signal.aborted) return { kind: "stopped" };
      if (chunk !== undefined && chunk.length > 0) {
        bytes += chunk.length;
        if (bytes > limit) return { kind: "over", limit };
        try {
          await handle.write(chunk);
        } catch (cause) {
          return { kind: "writeFailed", message: messageOf(cause) };
        }
      }
      if (rest === null) return { kind: "written", bytes };
      try {
        const next = await rest.next();
        if (next.done) return { kind: "written", bytes };
        chunk = next.value;
      } catch (cause) {
        return { kind: "readFailed", message: messageOf(cause) };
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
};
