import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Gate, GateAnswer, GateError, GateFile, GateFinding, GateSettingsOf } from "@airlock/core";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { HEAD_BYTES, kindOf } from "./archive/detect.js";
import { spool } from "./archive/spool.js";
import { type Inspection, inspectZip } from "./archive/zip.js";

type ArchiveSettings = GateSettingsOf<"archive">;

export interface ArchiveGateOptions {
  /**
   * Where a zip is copied for the random access its format needs, in a folder of its own that is
   * removed when the check ends. Default: the system's temporary directory (`TMPDIR`).
   */
  readonly tempDir?: string;
}

const STOPPED: GateError = { kind: "GateFailed", message: "the check was stopped" };

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause));

/** Reads up to `HEAD_BYTES` of the file; the rest stays in the iterator. */
const readHead = async (
  iterator: AsyncIterator<Uint8Array>,
): Promise<{ head: Uint8Array; rest: Uint8Array | null; ended: boolean }> => {
  const head = new Uint8Array(HEAD_BYTES);
  let length = 0;
  while (length < HEAD_BYTES) {
    const next = await iterator.next();
    if (next.done) return { head: head.subarray(0, length), rest: null, ended: true };
    const take = Math.min(next.value.length, HEAD_BYTES - length);
    head.set(next.value.subarray(0, take), length);
    length += take;
    if (take < next.value.length) return { head, rest: next.value.subarray(take), ended: false };
  }
  return { head, rest: null, ended: false };
};

/** The rest of the file after its head: the bytes read past the head first, then the iterator. */
async function* after(rest: Uint8Array | null, iterator: AsyncIterator<Uint8Array>) {
  if (rest !== null) yield rest;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield next.value;
  }
}

const answerOf = (findings: readonly GateFinding[]): GateAnswer => ({
  verdict: findings.some((f) => f.verdict === "fail")
    ? "fail"
    : findings.some((f) => f.verdict === "review")
      ? "review"
      : "pass",
  findings,
});

const check = async (
  file: GateFile<ArchiveSettings>,
  base: string,
): Promise<Result<GateAnswer, GateError>> => {
  const opened = await file.open();
  if (opened.isErr()) return err(opened.error);
  const iterator = opened.value[Symbol.asyncIterator]();
  let dir: string | undefined;
  try {
    let start: Awaited<ReturnType<typeof readHead>>;
    try {
      start = await readHead(iterator);
    } catch (cause) {
      return err({ kind: "Unavailable", message: `reading the file failed: ${messageOf(cause)}` });
    }
    const kind = await kindOf(start.head);
    if (kind.kind === "not-archive") return ok(answerOf([]));
    if (kind.kind === "other-archive") {
      return ok(
        answerOf([
          {
            gate: "archive",
            file: file.name,
            verdict: "review",
            message: `the file is ${kind.format}, which the gate cannot open: its content was not inspected`,
          },
        ]),
      );
    }
    try {
      dir = await mkdtemp(join(base, "airlock-archive-"));
    } catch (cause) {
      return err({ kind: "GateFailed", message: `no temporary folder for the zip: ${messageOf(cause)}` });
    }
    const path = join(dir, "0.zip");
    const rest = start.ended ? null : after(start.rest, iterator);
    const copied = await spool(path, start.head, rest, file.size, file.signal);
    switch (copied.kind) {
      case "stopped":
        return err(STOPPED);
      case "readFailed":
        return err({ kind: "Unavailable", message: `reading the file failed: ${copied.message}` });
      case "writeFailed":
        return err({
          kind: "GateFailed",
          message: `a temporary copy could not be written: ${copied.message}`,
        });
      case "over":
        return err({
          kind: "GateFailed",
          message: `the file holds more than its recorded ${file.size} bytes`,
        });
      case "written": {
        const inspection: Inspection = {
          file: file.name,
          settings: file.settings,
          signal: file.signal,
          dir,
          findings: [],
          used: { entries: 0, bytes: 0 },
          copies: 0,
        };
        const inspected = await inspectZip(inspection, path, copied.bytes, [], 0);
        // A check stopped halfway may have seen a copy cut short: what it found is not an answer.
        if (file.signal.aborted) return err(STOPPED);
        return inspected.map(() => answerOf(inspection.findings));
      }
    }
  } catch (cause) {
    return err({ kind: "GateFailed", message: `the archive check broke: ${messageOf(cause)}` });
  } finally {
    // Stops the read where the gate stopped, and leaves no copy behind on any path.
    await iterator.return?.().catch(() => undefined);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
};

/**
 * The `archive` gate: a zip (an office document too) is copied once into a temporary file and
 * inspected with yauzl, first from its central directory alone, so a bomb fails before anything is
 * inflated: entry count, expanded size, compression ratio, overlapping entries, unsafe names, links
 * and encryption. Then each entry is streamed: nested zips are inspected in turn up to `maxDepth`,
 * with the entry and expanded-size limits shared by every level. Archives of other formats are
 * answered `review` (not inspected); anything else passes.
 */
export const createArchiveGate = (options: ArchiveGateOptions = {}): Gate<ArchiveSettings> => ({
  type: "archive",
  check: (file) => new ResultAsync(check(file, options.tempDir ?? tmpdir())),
});
