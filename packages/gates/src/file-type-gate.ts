import {
  extensionOf,
  type Gate,
  type GateAnswer,
  type GateError,
  type GateFile,
  type GateSettingsOf,
} from "@airlock/core";
import { fileTypeFromBuffer, supportedExtensions } from "file-type";
import { err, ok, type Result, ResultAsync } from "neverthrow";

type FileTypeSettings = GateSettingsOf<"file-type">;

/** Bytes the type is detected from: enough for every signature `file-type` knows, never the file. */
const HEAD_BYTES = 64 * 1024;
/** Bytes validated as UTF-8 between two turns of the event loop. */
const BYTES_PER_TURN = 1024 * 1024;

/** Names one format goes by: the name may use either. */
const SAME_FORMAT: readonly (readonly string[])[] = [
  ["jpg", "jpeg"],
  ["tif", "tiff"],
  ["htm", "html"],
  ["gz", "tgz"],
  ["mp4", "m4v"],
];

const sameFormat = (a: string, b: string) =>
  a === b || SAME_FORMAT.some((names) => names.includes(a) && names.includes(b));

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What the bytes are: a format `file-type` recognises, UTF-8 text, or neither. */
type Content =
  | { readonly kind: "format"; readonly ext: string; readonly mime: string }
  | { readonly kind: "text" }
  | { readonly kind: "unknown" };

/**
 * Reads the head, detects a format from it and stops there; only content of no known format is
 * read on, to its end, to tell UTF-8 text from unknown bytes. Memory holds the head and one chunk.
 */
const contentOf = async (
  chunks: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
): Promise<Result<Content, GateError>> => {
  const iterator = chunks[Symbol.asyncIterator]();
  const head = new Uint8Array(HEAD_BYTES);
  let headLength = 0;
  let rest: Uint8Array | null = null;
  let ended = false;
  try {
    while (headLength < HEAD_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      const take = Math.min(next.value.length, HEAD_BYTES - headLength);
      head.set(next.value.subarray(0, take), headLength);
      headLength += take;
      if (take < next.value.length) rest = next.value.subarray(take);
    }
    const format = await fileTypeFromBuffer(head.subarray(0, headLength));
    if (format !== undefined) return ok({ kind: "format", ext: format.ext, mime: format.mime });
    const decoder = new TextDecoder("utf-8", { fatal: true });
    let sinceTurn = 0;
    const valid = (bytes: Uint8Array, more: boolean) => {
      try {
        decoder.decode(bytes, { stream: more });
        return true;
      } catch {
        return false;
      }
    };
    if (!valid(head.subarray(0, headLength), true)) return ok({ kind: "unknown" });
    if (rest !== null && !valid(rest, true)) return ok({ kind: "unknown" });
    while (!ended) {
      if (signal.aborted) return err({ kind: "GateFailed", message: "the check was stopped" });
      const next = await iterator.next();
      if (next.done) break;
      if (!valid(next.value, true)) return ok({ kind: "unknown" });
      sinceTurn += next.value.length;
      if (sinceTurn >= BYTES_PER_TURN) {
        sinceTurn = 0;
        await nextTurn();
      }
    }
    return valid(new Uint8Array(0), false) ? ok({ kind: "text" }) : ok({ kind: "unknown" });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return err({ kind: "Unavailable", message: `reading the file failed: ${reason}` });
  } finally {
    // Stops the read where the gate stopped: the rest of the file is never fetched.
    await iterator.return?.().catch(() => undefined);
  }
};

const verdictOf = (file: GateFile<FileTypeSettings>, content: Content): GateAnswer => {
  const ext = extensionOf(file.name);
  const fail = (message: string): GateAnswer => ({
    verdict: "fail",
    findings: [{ gate: "file-type", file: file.name, verdict: "fail", message }],
  });
  const allowed = file.settings.allow;
  if (!allowed.some((name) => sameFormat(name, ext))) {
    return fail(
      `${ext === "" ? "a name without an extension" : `the extension .${ext}`} is not allowed here (allowed: ${allowed.map((name) => `.${name}`).join(", ")})`,
    );
  }
  switch (content.kind) {
    case "format":
      return sameFormat(content.ext, ext)
        ? { verdict: "pass", findings: [] }
        : fail(`the content is ${content.mime} (.${content.ext}), not what the name .${ext} says`);
    case "text":
      // Text under the name of a binary format is a mismatch too.
      return supportedExtensions.has(ext) && !TEXT_FORMATS.has(ext)
        ? fail(`the content is text, not what the name .${ext} says`)
        : { verdict: "pass", findings: [] };
    case "unknown":
      return fail(
        `the content is neither UTF-8 text nor a format the gate recognises, not what the name .${ext} says`,
      );
  }
};

/** Formats `file-type` knows that are text as well: their content may be plain UTF-8. */
const TEXT_FORMATS = new Set(["xml", "svg", "html", "htm", "ics", "vtt", "srt", "rtf", "ps", "eps"]);

/**
 * The `file-type` gate: a file's extension must be on the workspace's allow-list, and its content
 * must be what the extension says. The format is detected from the first bytes alone (the read stops
 * there); content of no known format must be valid UTF-8 to count as text, validated as it streams.
 */
export const createFileTypeGate = (): Gate<FileTypeSettings> => ({
  type: "file-type",
  check: (file) =>
    new ResultAsync(
      (async (): Promise<Result<GateAnswer, GateError>> => {
        const opened = await file.open();
        if (opened.isErr()) return err(opened.error);
        const content = await contentOf(opened.value, file.signal);
        return content.map((found) => verdictOf(file, found));
      })(),
    ),
});
