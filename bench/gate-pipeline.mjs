// Every security gate over one 1 GiB file, through the server as `pnpm start` runs it (local
// profile, in a child process): a CSV frequency table is uploaded through the request's link, the
// request submitted, and the time from submit to `in_review` measured while `/health` is asked
// every 10 ms and the server's RSS sampled. The file's throughput through the whole pipeline (move
// to the in-progress stage, hashing, every gate of the policy) is set against a plain sha256 read of
// the same stored file. Measures, never asserts. Writes bench/results/gate-pipeline.json.
//
// Run: pnpm build && node bench/gate-pipeline.mjs
//
// Environment switches:
//   BENCH_FILE_BYTES=…   the file's size (default 1 GiB)
//   BENCH_GATES=…        the policy's gates, comma-separated (default: every gate the server runs)
//   BENCH_DIR=…          where the data directory goes (default the OS temp dir)
//   BENCH_CLAMD=off      no clamd: the malware gate is the built-in test-signature scanner; by
//                        default a clamd is started as the tests start it (the repository's test
//                        signatures, a stream limit above the file) and the server scans with it
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startTestClamd } from "@airlock/gates/testing";
import { devToken, startServer, uploadThroughLink } from "./support/server-process.mjs";

const MIB = 1024 ** 2;
const FILE_BYTES = Number(process.env.BENCH_FILE_BYTES ?? 1024 ** 3);
const BASE_DIR = process.env.BENCH_DIR ?? tmpdir();
const HEALTH_EVERY_MS = 10;
const STATUS_EVERY_MS = 100;
const WORKSPACE = "gates-bench";

const round = (value, digits = 1) => Number(value.toFixed(digits));
const percentiles = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    p50: round(at(0.5), 2),
    p99: round(at(0.99), 2),
    max: round(sorted.at(-1), 2),
    samples: sorted.length,
  };
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A frequency table whose every count is at least the disclosure threshold, so each gate passes it,
// of exactly FILE_BYTES: whole rows, then one last row whose label is padded to fill the rest.
const table = () => {
  const header = "region,year,sex,count\n";
  const lines = Array.from(
    { length: 1024 },
    (_, row) => `region-${row % 97},${2000 + (row % 25)},${row % 2 ? "F" : "M"},${10 + row}\n`,
  );
  const block = Buffer.from(lines.join(""));
  const LAST_ROW_MIN = 32;
  return async function* () {
    yield Buffer.from(header);
    let sent = header.length;
    while (sent + block.length + LAST_ROW_MIN <= FILE_BYTES) {
      yield block;
      sent += block.length;
    }
    const tail = [];
    for (const line of lines) {
      if (sent + line.length + LAST_ROW_MIN > FILE_BYTES) break;
      tail.push(line);
      sent += line.length;
    }
    const suffix = ",2000,F,100\n";
    tail.push(`${"r".repeat(FILE_BYTES - sent - suffix.length)}${suffix}`);
    yield Buffer.from(tail.join(""));
  };
};

const call = async (base, method, path, token, body) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${answer.detail}`);
  return answer;
};

/** Asks `/health` back to back, one call every 10 ms at most, until stopped; returns latencies. */
const healthProbe = (base) => {
  const latencies = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(`${base}/health`);
      await response.arrayBuffer();
      const took = performance.now() - started;
      latencies.push(took);
      if (took < HEALTH_EVERY_MS) await sleep(HEALTH_EVERY_MS - took);
    }
  })();
  return async () => {
    running = false;
    await done;
    return latencies;
  };
};

const findFile = async (directory, name) => {
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === name) return join(entry.parentPath, entry.name);
  }
  throw new Error(`${name} is not under ${directory}`);
};

const sha256Read = async (path) => {
  const started = performance.now();
  const hash = createHash("sha256");
  for await (const piece of createReadStream(path, { highWaterMark: MIB })) hash.update(piece);
  hash.digest();
  return (performance.now() - started) / 1000;
};

const dataDir = await mkdtemp(join(BASE_DIR, "airlock-gate-bench-"));
const clamdStreamMax = FILE_BYTES + MIB;
const clamd =
  process.env.BENCH_CLAMD === "off" ? undefined : await startTestClamd({ streamMaxBytes: clamdStreamMax });
const server = await startServer({
  env: {
    AIRLOCK_PROFILE: "local",
    AIRLOCK_DATA_DIR: dataDir,
    AIRLOCK_RATE_LIMIT: "off",
    ...(clamd
      ? { AIRLOCK_CLAMD_URL: clamd.url, AIRLOCK_CLAMD_STREAM_MAX_BYTES: String(clamdStreamMax) }
      : {}),
  },
});
try {
  const { base } = server;
  const admin = await devToken("admin", ["TREAdmin"], "airlock-api");
  const alice = await devToken("alice", ["WorkspaceResearcher"], WORKSPACE);
  const gates = (process.env.BENCH_GATES ?? "malware,file-type,archive,size,disclosure")
    .split(",")
    .filter(Boolean)
    .map((type) => ({
      type,
      ...(type === "file-type" ? { allow: ["csv"] } : {}),
      ...(type === "size" ? { maxFileBytes: FILE_BYTES, maxRequestBytes: FILE_BYTES } : {}),
    }));
  await call(base, "PUT", `/api/workspaces/${WORKSPACE}`, admin, {
    displayName: "Gate benchmark",
    airlock: { scanning: gates.some((gate) => gate.type === "malware"), gates, maxFileSize: FILE_BYTES },
    members: [{ id: "alice", name: "Alice", email: "alice@example.org", roles: ["WorkspaceResearcher"] }],
  });
  const { airlockRequest } = await call(base, "POST", `/api/workspaces/${WORKSPACE}/requests`, alice, {
    type: "export",
    title: "A large table",
    businessJustification: "Gate throughput",
  });
  const path = `/api/workspaces/${WORKSPACE}/requests/${airlockRequest.id}`;
  const { containerUrl } = await call(base, "GET", `${path}/link`, alice);
  const uploadStarted = performance.now();
  await uploadThroughLink(containerUrl, FILE_BYTES, { name: "table.csv", body: table() });
  const uploadSeconds = (performance.now() - uploadStarted) / 1000;

  const rssBefore = server.rss();
  let rssPeak = rssBefore;
  const rssProbe = setInterval(() => {
    rssPeak = Math.max(rssPeak, server.rss());
  }, 5);
  const stopHealth = healthProbe(base);
  const submitted = performance.now();
  await call(base, "POST", `${path}/submit`, alice);
  let final;
  for (;;) {
    final = (await call(base, "GET", path, alice)).airlockRequest;
    if (!["submitted", "in_progress", "blocking_in_progress"].includes(final.status)) break;
    await sleep(STATUS_EVERY_MS);
  }
  const gatedSeconds = (performance.now() - submitted) / 1000;
  const health = await stopHealth();
  clearInterval(rssProbe);
  if (final.status !== "in_review") {
    throw new Error(`the request ended ${final.status}: ${final.statusMessage ?? ""}`);
  }

  const sha256Seconds = await sha256Read(await findFile(join(dataDir, "files"), "table.csv"));
  const pipelineMiBps = FILE_BYTES / MIB / gatedSeconds;
  const sha256MiBps = FILE_BYTES / MIB / sha256Seconds;
  const results = {
    benchmark: "gate-pipeline",
    node: process.version,
    date: new Date().toISOString(),
    cpus: cpus().length,
    loadAverageAtStart: loadavg().map((value) => round(value, 2)),
    fileBytes: FILE_BYTES,
    gates: gates.map((gate) => gate.type),
    malwareScanner: clamd ? "ClamAV (clamd, test signatures)" : "built-in test-signature scanner",
    uploadMiBPerSecond: round(FILE_BYTES / MIB / uploadSeconds),
    submitToInReviewSeconds: round(gatedSeconds, 2),
    pipelineMiBPerSecond: round(pipelineMiBps),
    sha256ReadMiBPerSecond: round(sha256MiBps),
    throughputVsSha256: round(pipelineMiBps / sha256MiBps, 2),
    serverRssGrowthMiB: round((rssPeak - rssBefore) / MIB),
    healthLatencyMs: percentiles(health),
    findings: final.findings ?? [],
  };
  await writeFile(
    new URL("./results/gate-pipeline.json", import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  console.log(JSON.stringify(results, null, 2));
} finally {
  await server.stop();
  await clamd?.stop();
  await rm(dataDir, { recursive: true, force: true });
}
