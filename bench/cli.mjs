// The `airlock` command line's upload of a 1 GiB file against the same upload done with Node's
// `fetch`, to the server's memory profile in its own process: throughput of each, and the command
// line's resident memory sampled while it uploads. Measures, never asserts. Writes
// bench/results/cli.json.
//
// Run: pnpm build && node bench/cli.mjs
//
// Each upload goes into a fresh draft of the demo workspace, cancelled afterwards so the server's
// memory does not fill. `fetch` uploads the file twice over: as one streamed Put Blob, and as
// 8 MiB Put Blocks sent one after another plus a Put Block List (what the command line does).
// The command line's time is its whole run as a user sees it: start, sign-in, link, upload.
//
// Environment switches:
//   BENCH_FILE_BYTES=…   the file's size (default 1 GiB)
//   BENCH_ROUNDS=3       uploads of each kind; the median is reported
//   BENCH_DIR=…          where the (sparse) file goes (default the OS temp dir)
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createReadStream, readFileSync } from "node:fs";
import { mkdtemp, open, rm, truncate, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { devToken, startServer } from "./support/server-process.mjs";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const FILE_BYTES = Number(process.env.BENCH_FILE_BYTES ?? GIB);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BLOCK = 8 * MIB;
const CLI = fileURLToPath(new URL("../packages/cli/dist/main.js", import.meta.url));
const RSS_SAMPLE_MS = 20;

const round = (value, digits = 2) => Number(value.toFixed(digits));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mibPerSecond = (seconds) => round(FILE_BYTES / MIB / seconds, 1);

const server = await startServer();
const researcher = await devToken("alice", ["WorkspaceResearcher"]);
const api = async (method, path, body) => {
  const response = await fetch(`${server.base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${researcher}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
};
const newDraft = async () =>
  (
    await api("POST", "/api/workspaces/ws1/requests", {
      type: "export",
      title: "bench",
      businessJustification: "bench",
    })
  ).airlockRequest.id;
const linkOf = async (id) => (await api("GET", `/api/workspaces/ws1/requests/${id}/link`)).containerUrl;
const cancel = (id) => api("POST", `/api/workspaces/ws1/requests/${id}/cancel`);
const fileUrl = (containerUrl, name, query = {}) => {
  const url = new URL(containerUrl);
  url.pathname = `${url.pathname}/${name}`;
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url;
};
const mustBeOk = async (response, what) => {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
};

const dir = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), "airlock-cli-bench-"));
const file = join(dir, "large.bin");
await writeFile(file, "");
await truncate(file, FILE_BYTES);

/** One streamed Put Blob of the whole file with fetch. */
const fetchPutBlob = async (containerUrl) => {
  const response = await fetch(fileUrl(containerUrl, "large.bin"), {
    method: "PUT",
    headers: { "x-ms-blob-type": "BlockBlob", "content-length": String(FILE_BYTES) },
    body: Readable.toWeb(createReadStream(file, { highWaterMark: 1 * MIB })),
    duplex: "half",
  });
  await mustBeOk(response, "Put Blob");
};

/** 8 MiB Put Blocks one after another from one buffer, then Put Block List, with fetch. */
const fetchBlocks = async (containerUrl) => {
  const handle = await open(file, "r");
  const buffer = Buffer.allocUnsafe(BLOCK);
  const ids = [];
  try {
    for (let offset = 0, index = 0; offset < FILE_BYTES; offset += BLOCK, index += 1) {
      const length = Math.min(BLOCK, FILE_BYTES - offset);
      await handle.read(buffer, 0, length, offset);
      const id = Buffer.from(`block-${String(index).padStart(6, "0")}`).toString("base64");
      ids.push(id);
      const response = await fetch(fileUrl(containerUrl, "large.bin", { comp: "block", blockid: id }), {
        method: "PUT",
        body: buffer.subarray(0, length),
      });
      await mustBeOk(response, "Put Block");
    }
  } finally {
    await handle.close();
  }
  const list = `<BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join("")}</BlockList>`;
  await mustBeOk(
    await fetch(fileUrl(containerUrl, "large.bin", { comp: "blocklist" }), { method: "PUT", body: list }),
    "Put Block List",
  );
};

const rssKib = (pid) => {
  try {
    const found = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return found ? Number(found[1]) : undefined;
  } catch {
    return undefined;
  }
};

/** `airlock upload` as a child process, its RSS sampled as it runs. */
const cliUpload = async (config, id) => {
  const child = spawn(process.execPath, [CLI, "upload", `ws1/${id}`, file, "--json"], {
    env: { ...process.env, XDG_CONFIG_HOME: config, AIRLOCK_URL: server.base },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const samples = [];
  const sampler = setInterval(() => {
    const kib = rssKib(child.pid);
    if (kib !== undefined) samples.push(kib * 1024);
  }, RSS_SAMPLE_MS);
  const [code] = await once(child, "exit");
  clearInterval(sampler);
  if (code !== 0) throw new Error(`airlock upload exited ${code}`);
  return samples;
};

const config = await mkdtemp(join(tmpdir(), "airlock-cli-bench-config-"));
const login = spawn(
  process.execPath,
  [CLI, "login", "--dev", "--user", "alice", "--role", "WorkspaceResearcher"],
  {
    env: { ...process.env, XDG_CONFIG_HOME: config, AIRLOCK_URL: server.base },
    stdio: "ignore",
  },
);
await once(login, "exit");

const timed = async (upload) => {
  const id = await newDraft();
  const containerUrl = await linkOf(id);
  const started = performance.now();
  const extra = await upload(containerUrl, id);
  const seconds = (performance.now() - started) / 1000;
  await cancel(id);
  return { seconds, extra };
};

const results = { fetchPutBlob: [], fetchBlocks: [], cli: [] };
const rss = [];
const loadAverageAtStart = loadavg().map((value) => round(value));
try {
  for (let round_ = 0; round_ < ROUNDS; round_ += 1) {
    results.fetchPutBlob.push((await timed(fetchPutBlob)).seconds);
    results.fetchBlocks.push((await timed(fetchBlocks)).seconds);
    const cli = await timed((_url, id) => cliUpload(config, id));
    results.cli.push(cli.seconds);
    rss.push(cli.extra);
    console.log(
      `round ${round_ + 1}: fetch Put Blob ${round(results.fetchPutBlob.at(-1))} s, fetch blocks ${round(results.fetchBlocks.at(-1))} s, airlock upload ${round(cli.seconds)} s`,
    );
  }
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(config, { recursive: true, force: true });
}

const seconds = Object.fromEntries(
  Object.entries(results).map(([kind, times]) => [kind, round(median(times))]),
);
const allSamples = rss.flat();
const mid = (samples) => samples.slice(Math.floor(samples.length / 4), Math.ceil((samples.length * 3) / 4));
const report = {
  benchmark: "cli",
  node: process.version,
  date: new Date().toISOString(),
  cpus: cpus().length,
  loadAverageAtStart,
  fileBytes: FILE_BYTES,
  rounds: ROUNDS,
  blockBytes: BLOCK,
  secondsMedian: seconds,
  mibPerSecond: Object.fromEntries(
    Object.entries(seconds).map(([kind, value]) => [kind, mibPerSecond(value)]),
  ),
  cliOverFetch: {
    // Throughput of the command line ÷ throughput of fetch (1 = as fast; below 1 = slower).
    putBlob: round(seconds.fetchPutBlob / seconds.cli, 3),
    blocks: round(seconds.fetchBlocks / seconds.cli, 3),
  },
  cliRss: {
    sampleEveryMs: RSS_SAMPLE_MS,
    samples: allSamples.length,
    peakMib: round(Math.max(...allSamples) / MIB, 1),
    // The middle half of each run: the upload's steady state, without start-up and exit.
    steadyMinMib: round(Math.min(...rss.flatMap(mid)) / MIB, 1),
    steadyMaxMib: round(Math.max(...rss.flatMap(mid)) / MIB, 1),
  },
};
await writeFile(new URL("./results/cli.json", import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
