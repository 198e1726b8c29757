import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { GateError, GateFinding, GateSettingsOf } from "@airlock/core";
import { err, ok, type Result } from "neverthrow";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { HEAD_BYTES, kindOf } from "./detect.js";
import { locationOf, nameRefusedBy, unsafeNameReason } from "./names.js";
import { spool } from "./spool.js";

type ArchiveSettings = GateSettingsOf<"archive">;

/** Findings one file records at most; the engine keeps no more per file. */
export const FINDINGS_MAX = 20;
/**
 * Expanded bytes under which a compression ratio is not judged: a small file of repeated bytes
 * compresses a thousandfold and harms no one; a bomb is large by definition.
 */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

/** An inspection of one file: what the gate was asked, and what every level has used so far. */
export interface Inspection {
  readonly file: string;
  readonly settings: ArchiveSettings;
  readonly signal: AbortSignal;
  /** The temporary folder nested archives are copied into. */
  readonly dir: string;
  readonly findings: GateFinding[];
  /** Entries and declared expanded bytes, counted across every level: the limits hold in all. */
  readonly used: { entries: number; bytes: number };
  copies: number;
}

const STOPPED: GateError = { kind: "GateFailed", message: "the check was stopped" };

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause));

/** A message from yauzl or zlib, as a finding may quote it: one line, capped. */
const quoted = (message: string) => locationOf([message]);

const isSymlink = (entry: Entry) => ((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000;

const isDirectory = (entry: Entry) => entry.fileName.endsWith("/");

const add = (
  inspection: Inspection,
  verdict: "review" | "fail",
  message: string,
  trail?: readonly string[],
) => {
  if (inspection.findings.length >= FINDINGS_MAX) return;
  inspection.findings.push({
    gate: "archive",
    file: inspection.file,
    verdict,
    message,
    ...(trail !== undefined && trail.length > 0 ? { location: locationOf(trail) } : {}),
  });
};

const failed = (inspection: Inspection) => inspection.findings.some((finding) => finding.verdict === "fail");
const full = (inspection: Inspection) => inspection.findings.length >= FINDINGS_MAX;

/**
 * Findings about one entry stop short of the cap by the archive's own three (overlap, expanded
 * size, ratio), so a bomb of a thousand alike entries still shows what the archive as a whole is.
 */
const ENTRY_FINDINGS_MAX = FINDINGS_MAX - 3;
const addAboutEntry = (inspection: Inspection, message: string, trail: readonly string[]) => {
  if (inspection.findings.length < ENTRY_FINDINGS_MAX) add(inspection, "fail", message, trail);
};

const openZip = (path: string) =>
  yauzl.openPromise(path, {
    autoClose: false,
    lazyEntries: true,
    decodeStrings: true,
    strictFileNames: true,
    validateEntrySizes: true,
  });

/** Records what a yauzl error while reading the central directory says about the archive. */
const refused = (inspection: Inspection, cause: unknown, trail: readonly string[]) => {
  const message = messageOf(cause);
  const name = nameRefusedBy(message);
  if (name !== undefined) {
    add(inspection, "fail", unsafeNameReason(name) ?? "the entry's name is unsafe to extract", [
      ...trail,
      name,
    ]);
  } else if (message === "strong encryption is not supported") {
    add(inspection, "fail", "an entry is encrypted: its content cannot be checked", trail);
  } else {
    add(inspection, "fail", `not a readable zip: ${quoted(message)}`, trail);
  }
};

/**
 * First pass, over the central directory alone (nothing is inflated): entry count, names, links,
 * encryption, each entry's compression ratio, then the sums: declared expanded bytes, the whole
 * archive's ratio, and compressed data adding up to more than the archive holds (entries that
 * overlap, as in the densest zip bombs).
 */
const walkDirectory = async (
  inspection: Inspection,
  zip: ZipFile,
  size: number,
  trail: readonly string[],
): Promise<Result<void, GateError>> => {
  const { maxEntries, maxExpandedBytes, maxRatio } = inspection.settings;
  if (inspection.used.entries + zip.entryCount > maxEntries) {
    add(
      inspection,
      "fail",
      trail.length === 0
        ? `the archive holds ${zip.entryCount} entries, over the limit of ${maxEntries}`
        : `the archive holds ${zip.entryCount} entries, which with the entries around it is over the limit of ${maxEntries}`,
      trail,
    );
    return ok(undefined);
  }
  let expanded = 0;
  let compressed = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      if (inspection.signal.aborted) return err(STOPPED);
      const at = [...trail, entry.fileName];
      const unsafe = unsafeNameReason(entry.fileName);
      if (unsafe !== undefined) addAboutEntry(inspection, unsafe, at);
      if (isSymlink(entry)) addAboutEntry(inspection, "the entry is a symbolic link", at);
      if (entry.isEncrypted())
        addAboutEntry(inspection, "the entry is encrypted: its content cannot be checked", at);
      if (
        entry.uncompressedSize >= RATIO_FLOOR_BYTES &&
        entry.uncompressedSize > maxRatio * entry.compressedSize
      ) {
        const ratio =
          entry.compressedSize === 0
            ? "from nothing"
            : `${Math.floor(entry.uncompressedSize / entry.compressedSize)} times its compressed size`;
        addAboutEntry(inspection, `the entry expands ${ratio}, over the limit of ${maxRatio}`, at);
      }
      // The walk goes on past the cap on findings: the sums below need every entry, and reading
      // the central directory costs little (the entry count was checked against its limit).
      expanded += entry.uncompressedSize;
      compressed += entry.compressedSize;
    }
  } catch (cause) {
    refused(inspection, cause, trail);
    return ok(undefined);
  }
  inspection.used.entries += zip.entryCount;
  inspection.used.bytes += expanded;
  if (compressed > size) {
    add(
      inspection,
      "fail",
      "the entries' compressed data adds up to more than the archive holds: entries overlap, as in a zip bomb",
      trail,
    );
  }
  if (inspection.used.bytes > maxExpandedBytes) {
    add(
      inspection,
      "fail",
      trail.length === 0
        ? `the archive expands to ${expanded} bytes, over the limit of ${maxExpandedBytes}`
        : `the archive expands to ${expanded} bytes, which with the archives around it is over the limit of ${maxExpandedBytes}`,
      trail,
    );
  }
  if (expanded >= RATIO_FLOOR_BYTES && expanded > maxRatio * size) {
    add(
      inspection,
      "fail",
      `the archive expands ${Math.floor(expanded / Math.max(size, 1))} times its size, over the limit of ${maxRatio}`,
      trail,
    );
  }
  return ok(undefined);
};

/** Reads from `stream` until `HEAD_BYTES` came or it ended; the rest stays in the stream. */
const headOf = async (stream: AsyncIterator<Buffer>): Promise<{ head: Buffer; ended: boolean }> => {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < HEAD_BYTES) {
    const next = await stream.next();
    if (next.done) return { head: Buffer.concat(chunks), ended: true };
    chunks.push(next.value);
    length += next.value.length;
  }
  return { head: Buffer.concat(chunks), ended: false };
};

/** Why an entry's content could not be read to its end, in plain words. */
const damaged = (message: string) =>
  /bytes in the stream/.test(message)
    ? `the entry does not inflate to the size its header declares: ${quoted(message)}`
    : `not a readable zip: the entry's content is damaged: ${quoted(message)}`;

/**
 * One entry's content, streamed: its first bytes tell a nested archive; a zip is copied into a
 * temporary file (no more bytes than its header declares, which yauzl holds it to) and inspected in
 * turn, one level deeper; anything else is inflated to its end and dropped, so an entry whose
 * header lies about its size is caught by yauzl's count, never held in memory.
 */
const readEntry = async (
  inspection: Inspection,
  zip: ZipFile,
  entry: Entry,
  trail: readonly string[],
  depth: number,
): Promise<Result<void, GateError>> => {
  const at = [...trail, entry.fileName];
  if (isDirectory(entry) && entry.uncompressedSize === 0) return ok(undefined);
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    add(
      inspection,
      "review",
      `the entry is compressed with method ${entry.compressionMethod}, which the gate cannot read: its content was not inspected`,
      at,
    );
    return ok(undefined);
  }
  let stream: AsyncIterator<Buffer> & { return?: () => Promise<unknown> };
  try {
    stream = (await zip.openReadStreamPromise(entry))[Symbol.asyncIterator]();
  } catch (cause) {
    add(inspection, "fail", damaged(messageOf(cause)), at);
    return ok(undefined);
  }
  const onAbort = () => void stream.return?.();
  inspection.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const { head, ended } = await headOf(stream);
    const kind = await kindOf(head);
    if (kind.kind === "other-archive") {
      add(
        inspection,
        "review",
        `the entry is ${kind.format}, which the gate cannot open: its content was not inspected`,
        at,
      );
    }
    if (kind.kind === "zip") {
      if (depth + 1 > inspection.settings.maxDepth) {
        add(
          inspection,
          "fail",
          `the entry is a zip nested ${depth + 1} levels deep, over the limit of ${inspection.settings.maxDepth}`,
          at,
        );
        return ok(undefined);
      }
      inspection.copies += 1;
      const path = join(inspection.dir, `${inspection.copies}.zip`);
      try {
        const copied = await spool(
          path,
          head,
          ended ? null : stream,
          entry.uncompressedSize,
          inspection.signal,
        );
        switch (copied.kind) {
          case "stopped":
            return err(STOPPED);
          case "writeFailed":
            return err({
              kind: "GateFailed",
              message: `a temporary copy could not be written: ${copied.message}`,
            });
          case "readFailed":
            add(inspection, "fail", damaged(copied.message), at);
            return ok(undefined);
          case "over":
            add(inspection, "fail", damaged("more bytes in the stream than declared"), at);
            return ok(undefined);
          case "written":
            return await inspectZip(inspection, path, copied.bytes, at, depth + 1);
        }
      } finally {
        await rm(path, { force: true });
      }
    }
    if (!ended) {
      for (;;) {
        if (inspection.signal.aborted) return err(STOPPED);
        if ((await stream.next()).done) break;
      }
    }
    return ok(undefined);
  } catch (cause) {
    if (inspection.signal.aborted) return err(STOPPED);
    add(inspection, "fail", damaged(messageOf(cause)), at);
    return ok(undefined);
  } finally {
    inspection.signal.removeEventListener("abort", onAbort);
    await stream.return?.().catch(() => undefined);
  }
};

/**
 * Inspects the zip at `path` (`size` bytes), `depth` levels below the file the gate was given:
 * first its central directory alone, then, when nothing there failed, each entry's content.
 * Findings go into `inspection`; an error is the gate's own breakage, not the archive's.
 */
export const inspectZip = async (
  inspection: Inspection,
  path: string,
  size: number,
  trail: readonly string[],
  depth: number,
): Promise<Result<void, GateError>> => {
  let directory: ZipFile;
  try {
    directory = await openZip(path);
  } catch (cause) {
    add(inspection, "fail", `not a readable zip: ${quoted(messageOf(cause))}`, trail);
    return ok(undefined);
  }
  try {
    const walked = await walkDirectory(inspection, directory, size, trail);
    if (walked.isErr() || failed(inspection) || full(inspection)) return walked;
  } finally {
    directory.close();
  }
  const contents = await openZip(path);
  try {
    for await (const entry of contents.eachEntry()) {
      if (inspection.signal.aborted) return err(STOPPED);
      const read = await readEntry(inspection, contents, entry, trail, depth);
      if (read.isErr()) return read;
      if (failed(inspection) || full(inspection)) break;
    }
    return ok(undefined);
  } finally {
    contents.close();
  }
};
