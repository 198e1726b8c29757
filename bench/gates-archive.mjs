// The archive gate over a 1 GiB zip (BENCH_ARCHIVE_BYTES), and how fast it fails zip bombs.
//
// 1. A 1 GiB zip of deflated CSV text (about 6 GiB once expanded), read from disk as a stream: the
//    gate copies it into a temporary file, reads its central directory and inflates every entry to
//    its end, the worst case for it. Measured against a plain sha256 read of the same file: MiB/s
//    of the zip, RSS growth, and how late a 10 ms timer fires meanwhile (what a /health check
//    would wait).
// 2. Bombs, each built here (small on disk): a single entry of 4 GiB of zeros, a 42.zip-style zip
//    of zips (16 per level, 5 levels, 4 GiB of zeros at each leaf), overlapping entries (1,000
//    entries sharing one 4 GiB kernel of zeros) and a declared-size bomb. For each: the time to
//    the verdict, and the RSS growth: they fail from the central directory, nothing inflated.
//
// Writes bench/results/gates-archive.json. Needs the built packages (`pnpm build`).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, rm, stat, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, createDeflateRaw, deflateRawSync } from "node:zlib";
import { createArchiveGate } from "@airlock/gates";
import { okAsync } from "neverthrow";
import { measure } from "./support/measure.mjs";

const BYTES = Number(process.env.BENCH_ARCHIVE_BYTES ?? 1024 ** 3);
const MIB = 1024 * 1024;
const DEFAULTS = {
  type: "archive",
  maxEntries: 10_000,
  maxExpandedBytes: 4 * 1024 ** 3,
  maxRatio: 100,
  maxDepth: 2,
};

/** A zip writer: entries given as their deflated data, sizes and CRC; `at` reuses another entry's data. */
const zipParts = (entries) => {
  const parts = [];
  const centrals = [];
  const offsets = [];
  let offset = 0;
  entries.forEach((entry, index) => {
    const name = Buffer.from(entry.name);
    let at = offset;
    if (entry.at !== undefined) {
      at = offsets[entry.at];
    } else {
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(8, 8);
      local.writeUInt32LE(entry.crc, 14);
      local.writeUInt32LE(entry.data.length, 18);
      local.writeUInt32LE(entry.size, 22);
      local.writeUInt16LE(name.length, 26);
      parts.push(local, name, entry.data);
      offset += local.length + name.length + entry.data.length;
    }
    offsets[index] = at;
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(entry.crc, 16);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(at, 42);
    centrals.push(central, name);
  });
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return [...parts, directory, end];
};
const zipOf = (entries) => Buffer.concat(zipParts(entries));
const deflated = (name, content) => ({
  name,
  data: deflateRawSync(content),
  size: content.length,
  crc: crc32(content),
});

/** `bytes` zeros deflated as one stream, a MiB at a time: a 4 GiB entry is never in memory. */
const deflatedZeros = async (bytes) => {
  const zero = Buffer.alloc(MIB);
  const deflate = createDeflateRaw({ level: 9 });
  const out = [];
  deflate.on("data", (chunk) => out.push(chunk));
  let crc = 0;
  for (let left = bytes; left > 0; left -= MIB) {
    const piece = left >= MIB ? zero : zero.subarray(0, left);
    crc = crc32(piece, crc);
    if (!deflate.write(piece)) await new Promise((resolve) => deflate.once("drain", resolve));
  }
  await new Promise((resolve) => deflate.end(resolve));
  return { data: Buffer.concat(out), size: bytes, crc };
};

const dir = await mkdtemp(join(tmpdir(), "airlock-bench-archive-"));
const gate = createArchiveGate();

/** The gate's answer for the file at `path`, read from disk in 64 KiB chunks. */
const gateFile = async (name, path, settings = DEFAULTS) => {
  const { size } = await stat(path);
  const answer = await gate.check({
    name,
    size,
    settings,
    request: { files: 1, bytes: size },
    signal: new AbortController().signal,
    open: () => okAsync(createReadStream(path, { highWaterMark: 64 * 1024 })),
  });
  if (answer.isErr()) throw new Error(`${answer.error.kind}: ${answer.error.message}`);
  return answer.value;
};

try {
  // 1. A 1 GiB zip of CSV text: one 64 MiB table deflated once, its data written again under each
  //    name until the zip holds BYTES.
  //    The rows vary (a fixed pseudo-random sequence), so the text deflates about as real tables do.
  const regions = ["north", "south", "east", "west", "centre", "islands"];
  let state = 0x2545f491;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const rows = ["region,year,count,rate\n"];
  for (let length = 0; length < 64 * MIB; ) {
    const row = `${regions[next() % 6]},${2000 + (next() % 25)},${next() % 100000},0.${next() % 10000}\n`;
    rows.push(row);
    length += row.length;
  }
  const table = Buffer.from(rows.join("")).subarray(0, 64 * MIB);
  const csv = deflated("", table);
  const entryCount = Math.max(1, Math.floor(BYTES / (csv.data.length + 60)));
  const bigPath = join(dir, "tables.zip");
  const handle = await open(bigPath, "w");
  for (const part of zipParts(
    Array.from({ length: entryCount }, (_, i) => ({ ...csv, name: `tables/t${i}.csv` })),
  )) {
    await handle.write(part);
  }
  await handle.close();
  const { size: zipBytes } = await stat(bigPath);
  const expandedBytes = entryCount * table.length;
  const settings = { ...DEFAULTS, maxExpandedBytes: 2 * expandedBytes };

  const sha256 = await measure(async () => {
    const hash = createHash("sha256");
    for await (const piece of createReadStream(bigPath, { highWaterMark: 64 * 1024 })) hash.update(piece);
    return hash.digest("hex");
  });
  const big = await measure(() => gateFile("tables.zip", bigPath, settings));
  if (big.answer.verdict !== "pass") throw new Error(`expected pass, got ${JSON.stringify(big.answer)}`);
  const mibPerSecond = (seconds) => Number((zipBytes / MIB / seconds).toFixed(1));

  // 2. Bombs.
  const zeros4g = await deflatedZeros(2 ** 32 - 1);
  const singlePath = join(dir, "single.zip");
  await writeFile(singlePath, zipOf([{ ...zeros4g, name: "zeros.bin" }]));

  // 42.zip: each level is 16 copies of the level below, deflated (zips of deflated zeros deflate
  // very well again), down to a leaf of 4 GiB of zeros.
  let level = zipOf([{ ...zeros4g, name: "0.bin" }]);
  for (let depth = 0; depth < 5; depth += 1) {
    const inner = deflated("", level);
    level = zipOf(Array.from({ length: 16 }, (_, i) => ({ ...inner, name: `${i.toString(16)}.zip` })));
  }
  const nestedPath = join(dir, "42.zip");
  await writeFile(nestedPath, level);

  const overlapPath = join(dir, "overlap.zip");
  await writeFile(
    overlapPath,
    zipOf([
      { ...zeros4g, name: "0" },
      ...Array.from({ length: 999 }, (_, i) => ({ ...zeros4g, name: `${i + 1}`, at: 0 })),
    ]),
  );

  // Declared sizes alone: 16 entries of a few bytes each claiming 4 GiB.
  const tiny = deflated("", Buffer.alloc(100));
  const declaredPath = join(dir, "declared.zip");
  await writeFile(
    declaredPath,
    zipOf(Array.from({ length: 16 }, (_, i) => ({ ...tiny, size: 2 ** 32 - 1, name: `${i}.bin` }))),
  );

  const bombs = {};
  for (const [name, path] of [
    ["singleEntry4GiBZeros", singlePath],
    ["nested42Zip", nestedPath],
    ["overlappingEntries", overlapPath],
    ["declaredSizes", declaredPath],
  ]) {
    const run = await measure(() => gateFile(`${name}.zip`, path));
    bombs[name] = {
      zipBytes: (await stat(path)).size,
      verdict: run.answer.verdict,
      findings: run.answer.findings.length,
      // Each kind of finding once: the same message on many entries says one thing.
      distinctMessages: [...new Set(run.answer.findings.map((finding) => finding.message))],
      milliseconds: Number((run.seconds * 1000).toFixed(1)),
      rssGrowthMiB: run.rssGrowthMiB,
    };
    if (run.answer.verdict !== "fail")
      throw new Error(`${name}: expected fail, got ${JSON.stringify(run.answer)}`);
  }

  const results = {
    benchmark: "gates-archive",
    node: process.version,
    date: new Date().toISOString(),
    cpus: cpus().length,
    loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
    zip: { bytes: zipBytes, entries: entryCount, expandedBytes },
    sha256: {
      mibPerSecond: mibPerSecond(sha256.seconds),
      rssGrowthMiB: sha256.rssGrowthMiB,
      timerLatenessMs: sha256.timerLatenessMs,
    },
    archiveGate: {
      verdict: big.answer.verdict,
      mibPerSecond: mibPerSecond(big.seconds),
      expandedMibPerSecond: Number((expandedBytes / MIB / big.seconds).toFixed(1)),
      throughputVsSha256: Number((sha256.seconds / big.seconds).toFixed(2)),
      rssGrowthMiB: big.rssGrowthMiB,
      timerLatenessMs: big.timerLatenessMs,
    },
    bombs,
  };
  await writeFile(
    new URL("./results/gates-archive.json", import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  console.log(JSON.stringify(results, null, 2));
} finally {
  await rm(dir, { recursive: true, force: true });
}
