// Whether a big submit keeps the server answering: `/health` latency while a 1 GiB file is
// uploaded through a draft link and then submitted, in the memory profile as `pnpm start` runs it
// (the built server, packages/server/dist/main.js, in its own process). From the submit until the
// request reaches in_review the server hashes, moves and scans the file; /health must stay fast
// all along. Also the server's RSS, which must not grow with the file beyond the bytes the memory
// storage holds. Writes bench/results/loop.json.
//
// Run: pnpm build && node bench/loop.mjs
//
// /health is sampled open-loop from a worker thread: a request is due every BENCH_LOOP_INTERVAL_MS
// whatever the earlier ones are doing, and its latency counts from when it was due, so a stalled
// server shows as every sample it held up (not as one slow sample).
//
// Environment switches:
//   BENCH_LOOP_BYTES=…          the file size (default 1 GiB, the demo workspace's limit)
//   BENCH_LOOP_INTERVAL_MS=2    how often /health is due
//   BENCH_LOOP_ROUNDS=1         uploads and submits, one after the other, each measured (the RSS
//                               goal then compares with every file held)
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { devToken, startServer, uploadThroughLink } from "./support/server-process.mjs";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const BYTES = Number(process.env.BENCH_LOOP_BYTES ?? GIB);
// A submit of 1 GiB lasts well under a second once nothing stalls: sample densely.
const INTERVAL_MS = Number(process.env.BENCH_LOOP_INTERVAL_MS ?? 2);
const ROUNDS = Number(process.env.BENCH_LOOP_ROUNDS ?? 1);
/** The demo workspace `pnpm start` registers. */
const WS = "ws1";
const GOAL_P99_MS = 20;

const round = (value, digits = 1) => Number(value.toFixed(digits));

// --- the /health sampler (a worker thread, so the client's own work never delays a sample) ----

const sampler = async ({ base, intervalMs }) => {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const { hostname, port } = new URL(base);
  const phases = new Map();
  let phase = null;
  let stopping = false;
  let inFlight = 0;
  parentPort.on("message", (message) => {
    if (message.phase !== undefined) {
      phase = message.phase;
      if (phase !== null && !phases.has(phase)) phases.set(phase, []);
    }
    if (message.stop) stopping = true;
  });
  const probe = (due, into) =>
    new Promise((resolve) => {
      inFlight += 1;
      const request = httpRequest({ host: hostname, port, path: "/health", agent }, (response) => {
        response.resume();
        response.on("end", () => {
          into.push({ ms: performance.now() - due, ok: response.statusCode === 200 });
          inFlight -= 1;
          resolve();
        });
      });
      request.on("error", () => {
        into.push({ ms: performance.now() - due, ok: false });
        inFlight -= 1;
        resolve();
      });
      request.end();
    });
  let due = performance.now();
  while (!stopping) {
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    else await new Promise((resolve) => setImmediate(resolve));
    if (phase !== null) void probe(due, phases.get(phase));
    due += intervalMs;
    // After a stall, catch up on the due times without sending the missed ones all at once.
    if (performance.now() - due > 1000) due = performance.now();
  }
  while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  agent.destroy();
  parentPort.postMessage(Object.fromEntries(phases));
};

// --- the server: `pnpm start`'s process, with its resident memory read from /proc -------------

const startLoopServer = async () => {
  const probe = fileURLToPath(new URL("./loop-probe.mjs", import.meta.url));
  const flags = (process.env.BENCH_NODE_FLAGS ?? "").split(/\s+/).filter(Boolean);
  const server = await startServer({ flags: [...flags, "--import", probe], ipc: true });
  return {
    ...server,
    /** The server's event-loop delay since the last call. */
    loopDelay: async () => {
      server.child.send({ probe: "snapshot" });
      const [{ probe: figures }] = await once(server.child, "message");
      return figures;
    },
  };
};

// --- the client --------------------------------------------------------------------------------

const client = (base) => {
  const { hostname, port } = new URL(base);
  const agent = new Agent({ keepAlive: true });
  const call = (method, path, { bearer, body } = {}) =>
    new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          host: hostname,
          port,
          method,
          path,
          agent,
          headers: {
            ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
            ...(body === undefined
              ? method === "GET"
                ? {}
                : { "content-length": 0 }
              : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }),
          },
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk) => {
            text += chunk;
          });
          response.on("end", () => resolve({ status: response.statusCode, text }));
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  const must = async (expected, method, path, options) => {
    const answer = await call(method, path, options);
    if (answer.status !== expected) {
      throw new Error(`${method} ${path}: expected ${expected}, got ${answer.status} ${answer.text}`);
    }
    return answer.text === "" ? undefined : JSON.parse(answer.text);
  };
  return { must, close: () => agent.destroy() };
};

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

const summary = (samples) => {
  const sorted = samples.map((sample) => sample.ms).sort((a, b) => a - b);
  if (sorted.length === 0) return { samples: 0 };
  return {
    samples: sorted.length,
    failed: samples.filter((sample) => !sample.ok).length,
    p50Ms: round(percentile(sorted, 50), 2),
    p99Ms: round(percentile(sorted, 99), 2),
    maxMs: round(sorted[sorted.length - 1], 2),
  };
};

const main = async () => {
  const server = await startLoopServer();
  const rssBaseline = server.rss();
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: { base: server.base, intervalMs: INTERVAL_MS },
  });
  const mark = (phase) => worker.postMessage({ phase });

  const alice = await devToken("alice", ["WorkspaceResearcher"], WS);
  const http = client(server.base);
  const requests = `/api/workspaces/${WS}/requests`;
  const rounds = [];
  for (let n = 1; n <= ROUNDS; n += 1) {
    const body = JSON.stringify({ type: "import", title: "Loop bench", businessJustification: "Latency" });
    const { airlockRequest } = await http.must(201, "POST", requests, { bearer: alice, body });
    const id = airlockRequest.id;
    const { containerUrl } = await http.must(200, "GET", `${requests}/${id}/link`, { bearer: alice });
    console.log(`round ${n}: upload ${BYTES} bytes…`);
    mark(`upload-${n}`);
    await server.loopDelay();
    const uploadStarted = performance.now();
    await uploadThroughLink(containerUrl, BYTES);
    const uploadSeconds = (performance.now() - uploadStarted) / 1000;
    const uploadLoopDelay = await server.loopDelay();
    console.log(`round ${n}: submit…`);
    mark(`submit-${n}`);
    const submitStarted = performance.now();
    await http.must(200, "POST", `${requests}/${id}/submit`, { bearer: alice });
    const submitAnsweredMs = performance.now() - submitStarted;
    for (;;) {
      const { airlockRequest: now } = await http.must(200, "GET", `${requests}/${id}`, { bearer: alice });
      if (now.status === "in_review") break;
      if (now.status !== "submitted" && !now.status.endsWith("_in_progress")) {
        throw new Error(`the request is ${now.status}: ${now.statusMessage}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const inReviewSeconds = (performance.now() - submitStarted) / 1000;
    const submitLoopDelay = await server.loopDelay();
    mark(null);
    rounds.push({
      uploadSeconds: round(uploadSeconds, 2),
      uploadMiBPerSecond: round(BYTES / MIB / uploadSeconds),
      submitAnsweredMs: round(submitAnsweredMs),
      submitToInReviewSeconds: round(inReviewSeconds, 2),
      serverLoopDelayDuringUpload: uploadLoopDelay,
      serverLoopDelayDuringSubmit: submitLoopDelay,
    });
  }
  worker.postMessage({ stop: true });
  const [phases] = await once(worker, "message");
  await worker.terminate();
  const rssPeak = server.peakRss();
  http.close();
  await server.stop();

  const all = (prefix) =>
    Object.entries(phases).flatMap(([name, list]) => (name.startsWith(prefix) ? list : []));
  const duringSubmit = summary(all("submit-"));
  const storedBytes = BYTES * ROUNDS;
  const growth = rssPeak - rssBaseline;
  const mib = (bytes) => round(bytes / MIB);
  return {
    benchmark: "loop",
    node: process.version,
    date: new Date().toISOString(),
    cpus: cpus().length,
    // The machine is shared: a busy one raises every latency here.
    loadAverageAtStart: loadavg().map((load) => round(load, 2)),
    fileBytes: BYTES,
    rounds: ROUNDS,
    healthIntervalMs: INTERVAL_MS,
    healthDuringSubmit: duringSubmit,
    healthDuringUpload: summary(all("upload-")),
    goal: `healthDuringSubmit p99 < ${GOAL_P99_MS} ms`,
    met: duringSubmit.p99Ms < GOAL_P99_MS,
    requests: rounds,
    rss: {
      baselineMiB: mib(rssBaseline),
      peakMiB: mib(rssPeak),
      growthMiB: mib(growth),
      storedMiB: mib(storedBytes),
      growthBeyondStoredMiB: mib(growth - storedBytes),
      goal: "growth beyond the bytes the memory storage holds < 64 MiB",
      met: growth - storedBytes < 64 * MIB,
    },
    method: `the built server (packages/server/dist/main.js, AIRLOCK_PROFILE=memory, LOG_LEVEL=warn, the demo workspace with scanning on) in a child process. Per round: create, link, upload ${BYTES} bytes with content-length through the draft link from one reused 64 KiB buffer, submit, then poll the request every 20 ms until in_review (the server hashes, moves and scans the file in between). A worker thread sends GET /health every ${INTERVAL_MS} ms open-loop (keep-alive, up to 64 sockets); each latency counts from when the request was due, so a stall counts every sample it held up. healthDuringSubmit: from sending submit until in_review was seen; healthDuringUpload: while the file streamed in. serverLoopDelay: the server's own event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution, loaded with --import bench/loop-probe.mjs) over the same windows, which client-side scheduling cannot blur. RSS from /proc: baseline VmRSS after start, before any upload; peak VmHWM at the end.`,
  };
};

if (!isMainThread) {
  await sampler(workerData);
} else {
  const result = await main();
  await writeFile(new URL("./results/loop.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}
