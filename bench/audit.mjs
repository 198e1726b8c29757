// The audit log at 50,000 entries in one stream (memory adapter): reading one page, verifying the
// whole stream, and what the signed checkpoint adds to an append. Writes bench/results/audit.json.
import { writeFile } from "node:fs/promises";
import { createMemoryAuditLog } from "@airlock/adapters-memory";
import { checkpointEntry } from "@airlock/core";

const ENTRIES = 50_000;
const PAGE = 100;
const READS = 2_000;
const CHECKPOINTS = 5_000;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (ns) => Number(ns) / 1e6;

const audit = createMemoryAuditLog();
const stream = "bench-request";
const record = (index) => ({
  stream,
  workspaceId: "ws-bench",
  requestId: stream,
  at: 1_700_000_000 + index,
  actor: { id: "rita", name: "Rita Researcher" },
  action: "upload",
  outcome: "allowed",
  reason: `file-${index}.csv`,
  fromStatus: "draft",
  toStatus: null,
  key: null,
});

let started = process.hrtime.bigint();
for (let index = 0; index < ENTRIES; index++) (await audit.append(record(index)))._unsafeUnwrap();
const appendTotalMs = ms(process.hrtime.bigint() - started);

const pageTimes = [];
for (let read = 0; read < READS; read++) {
  const fromSeq = Math.floor(Math.random() * (ENTRIES - PAGE));
  const begin = process.hrtime.bigint();
  (await audit.list(stream, { fromSeq, limit: PAGE }))._unsafeUnwrap();
  pageTimes.push(ms(process.hrtime.bigint() - begin));
}
pageTimes.sort((a, b) => a - b);

const heapBefore = process.memoryUsage().heapUsed;
started = process.hrtime.bigint();
const verification = (await audit.verify(stream))._unsafeUnwrap();
const verifyMs = ms(process.hrtime.bigint() - started);
const heapAfter = process.memoryUsage().heapUsed;
if (!verification.ok) throw new Error(`the bench stream does not verify: ${JSON.stringify(verification)}`);

const [entry] = (await audit.list(stream, { fromSeq: 0, limit: 1 })).unwrapOr({ entries: [] }).entries;
started = process.hrtime.bigint();
for (let index = 0; index < CHECKPOINTS; index++) {
  (await checkpointEntry(audit.sealing, { ...entry, seq: index }))._unsafeUnwrap();
}
const checkpointUs = (ms(process.hrtime.bigint() - started) * 1000) / CHECKPOINTS;

const results = {
  entries: ENTRIES,
  pageSize: PAGE,
  readPageMs: { p50: percentile(pageTimes, 50), p99: percentile(pageTimes, 99), reads: READS },
  verifyStreamMs: verifyMs,
  verifyHeapGrowthMb: Math.max(0, (heapAfter - heapBefore) / 1e6),
  appendMeanUs: (appendTotalMs * 1000) / ENTRIES,
  checkpointPerAppendUs: checkpointUs,
  note: "memory adapter, in process; checkpointPerAppendUs is the Ed25519 signature and the memory checkpoint store's put that every append waits for (a Blob append adds one network round trip on Azure)",
};
console.log(JSON.stringify(results, null, 2));
await writeFile(new URL("./results/audit.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
