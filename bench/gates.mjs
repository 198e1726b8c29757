// The file-type and disclosure gates over one large text file (1 GiB by default, BENCH_GATES_BYTES): the worst case
// for it, since text of no known format is validated as UTF-8 to its last byte. Measures its
// throughput against a plain sha256 read of the same stream, the process's RSS growth while it runs,
// and how late a 10 ms timer fires meanwhile (what a /health check would wait; the sha256 loop, which
// never lets the event loop turn, shows what the gate avoids). The stream hands out
// one reused 64 KiB chunk, so what grows is the gate's own memory. When clamd is installed, the
// ClamAV scanner is measured on the same stream too. Writes bench/results/gates.json.
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { createClamdScanner, createDisclosureGate, createFileTypeGate } from "@airlock/gates";
import { startTestClamd } from "@airlock/gates/testing";
import { okAsync } from "neverthrow";
import { measure as measureWork } from "./support/measure.mjs";

const BYTES = Number(process.env.BENCH_GATES_BYTES ?? 1024 ** 3);
const CHUNK = 64 * 1024;
const MIB = 1024 * 1024;

const line = new TextEncoder().encode("region,year,count,rate\nnorth,2024,1234,0.56\n");
const chunk = new Uint8Array(CHUNK);
for (let at = 0; at + line.length <= CHUNK; at += line.length) chunk.set(line, at);
chunk.fill(0x20, CHUNK - (CHUNK % line.length));

const stream = () => ({
  async *[Symbol.asyncIterator]() {
    for (let sent = 0; sent < BYTES; sent += CHUNK) yield chunk;
  },
});

/** Runs `work` as `measure` does, with its throughput over the file's bytes. */
const measure = async (work) => {
  const run = await measureWork(work);
  return { ...run, mibPerSecond: Number((BYTES / MIB / run.seconds).toFixed(1)) };
};

const sha256 = await measure(async () => {
  const hash = createHash("sha256");
  for await (const piece of stream()) hash.update(piece);
  return hash.digest("hex");
});

const gate = createFileTypeGate();
const fileType = await measure(async () => {
  const result = await gate.check({
    name: "big.csv",
    size: BYTES,
    settings: { type: "file-type", allow: ["csv"] },
    request: { files: 1, bytes: BYTES },
    signal: new AbortController().signal,
    open: () => okAsync(stream()),
  });
  if (result.isErr()) throw new Error(result.error.message);
  if (result.value.verdict !== "pass") throw new Error(`expected pass, got ${JSON.stringify(result.value)}`);
  return result.value.verdict;
});

// A frequency table for the disclosure gate: one header, then whole rows whose counts are all at
// or over the threshold, so the gate reads every cell of the gigabyte and finds nothing.
const tableRows = new TextEncoder().encode(
  Array.from(
    { length: 2048 },
    (_, row) => `region-${row % 97},${2000 + (row % 25)},${row % 2 ? "F" : "M"},${10 + row}\n`,
  ).join(""),
);
const table = () => ({
  async *[Symbol.asyncIterator]() {
    yield new TextEncoder().encode("region,year,sex,count\n");
    for (let sent = 0; sent + tableRows.length <= BYTES; sent += tableRows.length) yield tableRows;
  },
});
const disclosureGate = createDisclosureGate();
const disclosure = await measure(async () => {
  const result = await disclosureGate.check({
    name: "big.csv",
    size: BYTES,
    settings: { type: "disclosure", threshold: 10 },
    request: { files: 1, bytes: BYTES },
    signal: new AbortController().signal,
    open: () => okAsync(table()),
  });
  if (result.isErr()) throw new Error(result.error.message);
  if (result.value.verdict !== "pass") throw new Error(`expected pass, got ${JSON.stringify(result.value)}`);
  return result.value.verdict;
});
/**
 * ClamAV over clamd's INSTREAM, when clamd is installed (BENCH_CLAMD=off skips it): a clamd started
 * as the tests start it (the repository's test signatures, a stream limit above the file), the same
 * stream sent through the scanner. What grows is the client side's memory; clamd is another process
 * (it writes the stream to a temporary file, then scans it).
 */
const clamav = await (async () => {
  if (process.env.BENCH_CLAMD === "off") return undefined;
  let clamd;
  try {
    clamd = await startTestClamd({ streamMaxBytes: Math.min(BYTES + MIB, 4000 * MIB) });
  } catch (error) {
    return { skipped: String(error instanceof Error ? error.message : error) };
  }
  try {
    const scanner = createClamdScanner({
      address: clamd.url,
      storage: {
        listFiles: () => okAsync([{ name: "big.csv", size: BYTES }]),
        openRead: () => okAsync(stream()),
      },
    });
    const scanned = await measure(async () => {
      const result = await scanner.scan(
        { requestId: "bench", workspaceId: "bench", type: "export" },
        "in_progress",
      );
      if (result.isErr()) throw new Error(result.error.message);
      if (result.value.verdict !== "clean")
        throw new Error(`expected clean, got ${JSON.stringify(result.value)}`);
      return result.value.verdict;
    });
    return {
      verdict: scanned.answer,
      clamdStartMs: clamd.startedInMs,
      mibPerSecond: scanned.mibPerSecond,
      throughputVsSha256: Number((scanned.mibPerSecond / sha256.mibPerSecond).toFixed(2)),
      rssGrowthMiB: scanned.rssGrowthMiB,
      timerLatenessMs: scanned.timerLatenessMs,
    };
  } finally {
    await clamd.stop();
  }
})();

const results = {
  benchmark: "gates",
  node: process.version,
  date: new Date().toISOString(),
  cpus: cpus().length,
  loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
  fileBytes: BYTES,
  sha256: {
    mibPerSecond: sha256.mibPerSecond,
    rssGrowthMiB: sha256.rssGrowthMiB,
    timerLatenessMs: sha256.timerLatenessMs,
  },
  fileTypeGate: {
    verdict: fileType.answer,
    mibPerSecond: fileType.mibPerSecond,
    throughputVsSha256: Number((fileType.mibPerSecond / sha256.mibPerSecond).toFixed(2)),
    rssGrowthMiB: fileType.rssGrowthMiB,
    timerLatenessMs: fileType.timerLatenessMs,
  },
  disclosureGate: {
    verdict: disclosure.answer,
    mibPerSecond: disclosure.mibPerSecond,
    throughputVsSha256: Number((disclosure.mibPerSecond / sha256.mibPerSecond).toFixed(2)),
    rssGrowthMiB: disclosure.rssGrowthMiB,
    timerLatenessMs: disclosure.timerLatenessMs,
  },
  ...(clamav === undefined ? {} : { clamavScanner: clamav }),
};
await writeFile(new URL("./results/gates.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
