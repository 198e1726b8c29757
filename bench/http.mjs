// The HTTP API under load, with memory ports: GET throughput against a bare Fastify route, whole
// lifecycles per second (beside the same traffic against the local profile's wiring, SQLite and
// files on disk; bounded by two more runs: against an API whose audit log, events and notifications
// cost nothing, and against bare routes at the API's paths, which is what the HTTP traffic alone
// costs), submit → in_review latency, and the server's RSS while a 1 GiB
// file is uploaded and approved through a link. Writes bench/results/http.json when every part ran.
//
// Run: pnpm build && node bench/http.mjs [get] [lifecycles] [local] [bound] [floor] [latency] [rss]
//
// Every part runs in its own process, holding only the server(s) it measures; the load comes from
// another child process (autocannon for GET, a node:http keep-alive client for lifecycles and
// latency), so client and server never share an event loop, a heap or a garbage collector. The
// throughput parts pin the server to core 0 and the client to core 1 (see PIN below).
//
// Environment switches:
//   BENCH_ONLY=get,lifecycles   the parts to run, like naming them as arguments (no results file
//                               is written unless every part ran)
//   BENCH_CLIENTS=128           concurrent lifecycle clients (16: about 1,100/s; 64: 1,250; 128: 1,400;
//                               256: 1,400; 512: 1,300 on the 2-core build machine)
//   BENCH_SECONDS=10            the measured lifecycle window
//   BENCH_GET_ROUNDS=2          GET rounds; each round measures the API, then the bare route
//   BENCH_GET_SERVERS=api       measure only `api` or only `bare` (for profiling one of them)
//   BENCH_LATENCY_SAMPLES=1000  submit → in_review samples (after 50 unmeasured ones)
//   BENCH_UPLOAD_BYTES=…        the file size of the RSS part (default 1 GiB)
//   BENCH_CPU_PROF=dir          CPU profiles of the server over each measured window (no start-up,
//                               no warm-up, never the client) into `dir`: get-api-1.cpuprofile,
//                               get-bare-1.cpuprofile, …, lifecycles.cpuprofile
//   BENCH_HEAP_PROF=dir         sampling allocation profiles (garbage included) of the same windows
//                               into `dir`: get-api-1.heapprofile, …, lifecycles.heapprofile
//   BENCH_PIN=0                 do not pin the throughput parts' server (core 0) and client (core 1)
//   BENCH_NODE_FLAGS="…"        extra node flags for the server process (e.g. GC settings)
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createMemoryPorts, createRandomIds } from "@airlock/adapters-memory";
import { createAirlock, WorkspaceSchema } from "@airlock/core";
import { buildServer, mintDevToken } from "@airlock/http";
import autocannon from "autocannon";
import { okAsync } from "neverthrow";
import { pino } from "pino";
import { uploadThroughLink } from "./support/server-process.mjs";

// The same Fastify the API is built on, for the bare route.
const Fastify = createRequire(import.meta.resolve("@airlock/http"))("fastify");

const SECRET = "bench-secret-0123456789abcdef0123";
const WS = "ws";
const GIB = 1024 ** 3;
const CANNON = {
  connections: 10,
  durationSeconds: 5,
  warmupSeconds: 1,
  rounds: Number(process.env.BENCH_GET_ROUNDS ?? 2),
};
const LIFECYCLE = {
  // The concurrency at which the server is saturated: with fewer clients, each answer wakes an idle
  // client core, which costs this VM more than the answer itself.
  clients: Number(process.env.BENCH_CLIENTS ?? 128),
  seconds: Number(process.env.BENCH_SECONDS ?? 10),
  warmupSeconds: 2,
};
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 1000);
const LATENCY_WARMUP = 50;
const UPLOAD_BYTES = Number(process.env.BENCH_UPLOAD_BYTES ?? GIB);

const workspace = WorkspaceSchema.parse({
  id: WS,
  displayName: "Bench",
  clientId: WS,
  // Every client holds a draft at a time: the per-person draft quota must not be what is measured.
  policy: { scanning: false, maxFileSize: 2 * GIB, maxOpenDrafts: 1000 },
  members: [
    { id: "alice", name: "Alice", email: "alice@example.org", roles: ["WorkspaceResearcher"] },
    { id: "carol", name: "Carol", email: "carol@example.org", roles: ["WorkspaceResearcher"] },
    { id: "bob", name: "Bob", email: "bob@example.org", roles: ["AirlockManager"] },
  ],
});

const token = (user, roles) =>
  mintDevToken({ secret: SECRET, userId: user, roles, audience: WS, ttlSeconds: 3600 });

/** An API server on 127.0.0.1 with memory ports as the embedded profile sets them, inline processing and the system clock. */
const startApi = async (wrapPorts = (ports) => ports) => {
  const ports = createMemoryPorts({
    clock: { now: () => Date.now() },
    ids: createRandomIds(),
    workspaces: [workspace],
    // As the embedded server (`pnpm start`) keeps them: a bounded window, not every one ever sent.
    keepSent: 1_000,
  });
  const airlock = createAirlock(wrapPorts(ports), { processing: "inline" });
  const app = buildServer({
    airlock,
    workspaces: ports.workspaces,
    auth: { mode: "development", secret: SECRET },
    blobEndpoint: "embedded",
    limits: BENCH_LIMITS,
    logger: false,
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url, app, airlock, ports };
};

/**
 * A handful of users make every call here; the rate limits and the per-person upload cap would
 * refuse them. Measured is the API, not the limiter.
 */
const BENCH_LIMITS = { rateLimit: false, uploadsPerPerson: 10_000 };

const round = (value, digits = 0) => Number(value.toFixed(digits));

/** The server process's CPU time (all its threads: JS, GC helpers, libuv) over a window. */
const cpuMeter = () => {
  const start = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1e6;
  };
};

/** Garbage-collection pauses on the server's main thread over a window. */
const gcMeter = () => {
  const pauses = { scavenge: [], markSweep: [], other: [] };
  const kinds = { 1: "scavenge", 4: "markSweep" };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      pauses[kinds[entry.detail?.kind] ?? "other"].push(entry.duration);
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  return () => {
    observer.disconnect();
    const summary = {};
    for (const [kind, list] of Object.entries(pauses)) {
      if (list.length === 0) continue;
      summary[kind] = {
        count: list.length,
        totalMs: round(
          list.reduce((sum, ms) => sum + ms, 0),
          1,
        ),
        maxMs: round(Math.max(...list), 2),
      };
    }
    return summary;
  };
};

// --- the client process ---------------------------------------------------------------------

/**
 * The throughput parts (GET, lifecycles), on a machine with two or more cores and `taskset`, run the
 * server's process on core 0 and the client's on core 1: each has a core of its own, and the
 * scheduler never puts them on one (unpinned, runs differed by a third). The latency part is not
 * pinned: one call at a time leaves both processes idle between calls, and waking a process on the
 * other, idle core of this VM added milliseconds to the tail (p99 about 4 ms pinned, 2 ms not).
 * BENCH_PIN=0 leaves every placement to the scheduler.
 */
const PIN =
  process.env.BENCH_PIN !== "0" &&
  cpus().length >= 2 &&
  spawnSync("taskset", ["-c", "0", "true"]).status === 0;
const SERVER_CORE = "0";
const CLIENT_CORE = "1";
const PINNED_PARTS = new Set(["get", "lifecycles", "local", "local-normal", "bound", "floor"]);

/** `node …args`, on `core` when pinning. */
const spawnNode = (core, args, options) =>
  core !== undefined
    ? spawn("taskset", ["-c", core, process.execPath, ...args], options)
    : spawn(process.execPath, args, options);

const placement = (part) =>
  PIN && PINNED_PARTS.has(part)
    ? `server process pinned to core ${SERVER_CORE}, client process to core ${CLIENT_CORE} (taskset)`
    : "server and client processes placed by the scheduler";

/** The client: a child process that runs one load job sent over IPC, reports back, then exits. */
const startClient = (part) => {
  const child = spawnNode(
    PIN && PINNED_PARTS.has(part) ? CLIENT_CORE : undefined,
    [fileURLToPath(import.meta.url), "--client"],
    {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    },
  );
  const exited = once(child, "exit").then(([code]) => {
    if (code !== 0) throw new Error(`the client process exited with ${code}`);
  });
  // A client that fails must fail the part rather than leave it waiting for a message.
  exited.catch(() => {});
  return {
    child,
    /** The next message, or the client's failure. */
    next: () =>
      Promise.race([
        once(child, "message").then(([message]) => message),
        exited.then(() => {
          throw new Error("the client process ended before answering");
        }),
      ]),
    done: exited,
  };
};

/** A node:http client with keep-alive connections: about the cheapest a realistic caller gets. */
const httpClient = (base) => {
  const { hostname, port } = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  let calls = 0;
  const call = (method, path, { bearer, body, headers = {} } = {}) =>
    new Promise((resolve, reject) => {
      calls += 1;
      const request = httpRequest(
        {
          host: hostname,
          port,
          method,
          path,
          agent,
          headers: {
            ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
            // As fetch does: a POST without a body says so, rather than starting a chunked one.
            ...(body === undefined
              ? method === "GET"
                ? {}
                : { "content-length": 0 }
              : { "content-length": Buffer.byteLength(body) }),
            ...headers,
          },
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk) => {
            text += chunk;
          });
          response.on("end", () => resolve({ method, path, status: response.statusCode, text }));
          response.on("error", reject);
        },
      );
      request.on("error", (error) => {
        // A kept-alive socket the server closed as this request went out on it (its keep-alive
        // timeout): Node's documented case for sending again on a fresh socket.
        if (request.reusedSocket && error.code === "ECONNRESET") {
          calls -= 1;
          resolve(call(method, path, { bearer, body, headers }));
          return;
        }
        reject(error);
      });
      request.end(body);
    });
  return { call, calls: () => calls, close: () => agent.destroy() };
};

/** The answer's JSON when its status is the expected one; anything else ends the run. */
const must = (answer, expected) => {
  if (answer.status !== expected) {
    throw new Error(
      `${answer.method} ${answer.path}: expected ${expected}, got ${answer.status} ${answer.text}`,
    );
  }
  return answer.text === "" ? undefined : JSON.parse(answer.text);
};

const JSON_TYPE = { "content-type": "application/json" };
const newRequest = JSON.stringify({ type: "import", title: "Bench", businessJustification: "Throughput" });
const approve = JSON.stringify({ approval: true, decisionExplanation: "Nothing identifiable" });
const requests = `/api/workspaces/${WS}/requests`;

/** create → link → upload: a draft holding one file, ready to submit. */
const draftWithFile = async (http, alice) => {
  const { airlockRequest } = must(
    await http.call("POST", requests, { bearer: alice, body: newRequest, headers: JSON_TYPE }),
    201,
  );
  if (airlockRequest.status !== "draft") throw new Error(`created ${airlockRequest.status}`);
  const { containerUrl } = must(
    await http.call("GET", `${requests}/${airlockRequest.id}/link`, { bearer: alice }),
    200,
  );
  const link = new URL(containerUrl);
  must(
    await http.call("PUT", `${link.pathname}/data.csv${link.search}`, {
      body: "a,b\n1,2\n",
      headers: { "x-ms-blob-type": "BlockBlob" },
    }),
    201,
  );
  return airlockRequest.id;
};

/**
 * A client that asks again at once while the server is still moving a request's files spends the
 * server on its own questions (each a read, and a refused review an audit entry): it waits a
 * little, as a polite client does. A server that processes before the next call arrives (the memory
 * profile) is never asked twice.
 */
const pauseBeforeAsking = () => new Promise((resolve) => setTimeout(resolve, 5));

/** Whole lifecycles from `clients` concurrent callers: a warm-up, then the measured window. */
async function lifecycleClient(job) {
  const http = httpClient(job.url);
  const counts = { reviewRetries: 0, extraStatusPolls: 0 };

  const one = async () => {
    const id = await draftWithFile(http, job.alice);
    const submitted = must(await http.call("POST", `${requests}/${id}/submit`, { bearer: job.alice }), 200);
    if (submitted.airlockRequest.id !== id) throw new Error(`submit answered ${submitted.airlockRequest.id}`);
    // Inline processing usually has the request in review before the next call arrives; if not
    // (400, not allowed in this status yet), ask again.
    for (;;) {
      const answer = await http.call("POST", `${requests}/${id}/review`, {
        bearer: job.bob,
        body: approve,
        headers: JSON_TYPE,
      });
      if (answer.status === 400 && JSON.parse(answer.text).code === "IllegalTransition") {
        counts.reviewRetries += 1;
        await pauseBeforeAsking();
        continue;
      }
      must(answer, 200);
      break;
    }
    for (;;) {
      const { airlockRequest } = must(await http.call("GET", `${requests}/${id}`, { bearer: job.bob }), 200);
      if (airlockRequest.status === "approved") return;
      if (airlockRequest.status !== "approval_in_progress")
        throw new Error(`lifecycle of ${id} ended ${airlockRequest.status}`);
      counts.extraStatusPolls += 1;
      await pauseBeforeAsking();
    }
  };

  const run = async (seconds) => {
    const until = performance.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: job.clients }, async () => {
        while (performance.now() < until) {
          await one();
          done += 1;
        }
      }),
    );
    return done;
  };

  await run(job.warmupSeconds);
  counts.reviewRetries = 0;
  counts.extraStatusPolls = 0;
  const callsBefore = http.calls();
  process.send({ phase: "measuring" });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const completed = await run(job.seconds);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  http.close();
  return {
    completed,
    seconds,
    calls: http.calls() - callsBefore,
    ...counts,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** One request at a time: submit, then the server says when the request reached in_review. */
async function latencyClient(job) {
  const http = httpClient(job.url);
  const drafts = [];
  for (let i = 0; i < job.samples + job.warmup; i += 1) {
    const owner = job.researchers[i % job.researchers.length];
    drafts.push({ id: await draftWithFile(http, owner), owner });
  }
  process.send({ phase: "ready" });
  const gc = gcMeter();
  for (const { id, owner } of drafts) {
    const sent = process.hrtime.bigint();
    const answer = await http.call("POST", `${requests}/${id}/submit`, { bearer: owner });
    const answered = process.hrtime.bigint();
    must(answer, 200);
    process.send({ phase: "submitted", id, sent, answered });
    const [reply] = await once(process, "message");
    if (reply !== "next") throw new Error(`the server answered ${reply}`);
  }
  http.close();
  return { submitted: drafts.length, clientGcPauses: gc() };
}

/** autocannon against one URL: a warm-up, then the measured run. */
async function cannonClient(job) {
  const options = { url: job.url, headers: job.headers, connections: job.connections };
  await autocannon({ ...options, duration: job.warmupSeconds });
  process.send({ phase: "measuring" });
  const result = await autocannon({ ...options, duration: job.durationSeconds });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${job.url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return {
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
  };
}

const CLIENT_JOBS = { lifecycles: lifecycleClient, latency: latencyClient, cannon: cannonClient };

async function clientMain() {
  const [job] = await once(process, "message");
  const result = await CLIENT_JOBS[job.kind](job);
  process.send({ phase: "result", result }, () => process.exit(0));
}

// --- the server parts -------------------------------------------------------------------------

/**
 * With BENCH_CPU_PROF, a CPU profile of this (the server's) process over one measured window, written
 * as `{dir}/{label}.cpuprofile`: the server's work only, without start-up or warm-up. With
 * BENCH_HEAP_PROF, a sampling allocation profile of the same window (garbage included, so it shows
 * what the collector has to clean up) as `{dir}/{label}.heapprofile`.
 */
const profiler = async (label) => {
  const cpuDir = process.env.BENCH_CPU_PROF;
  const heapDir = process.env.BENCH_HEAP_PROF;
  if (!cpuDir && !heapDir) return async () => {};
  const session = new Session();
  session.connect();
  if (cpuDir) {
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
  }
  if (heapDir) {
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  return async () => {
    const write = async (dir, name, data) => {
      await mkdir(dir, { recursive: true });
      await writeFile(`${dir}/${name}`, JSON.stringify(data));
    };
    if (cpuDir) await write(cpuDir, `${label}.cpuprofile`, (await session.post("Profiler.stop")).profile);
    if (heapDir) {
      const { profile } = await session.post("HeapProfiler.stopSampling");
      await write(heapDir, `${label}.heapprofile`, profile);
    }
    session.disconnect();
  };
};

/** Runs one client job against this process's server, metering the server over the measured part. */
const drive = async (part, job, label) => {
  const client = startClient(part);
  client.child.send(job);
  const first = await client.next();
  if (first.phase !== "measuring") throw new Error(`the client said ${first.phase}`);
  const stopProfile = await profiler(label);
  const cpu = cpuMeter();
  const gc = gcMeter();
  const { result } = await client.next();
  const serverCpuSeconds = cpu();
  const gcPauses = gc();
  await stopProfile();
  await client.done;
  return { result, serverCpuSeconds, gcPauses };
};

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

async function getThroughput() {
  const server = await startApi();
  const alice = await token("alice", ["WorkspaceResearcher"]);
  const setup = httpClient(server.url);
  const id = await draftWithFile(setup, alice);
  must(await setup.call("POST", `${requests}/${id}/submit`, { bearer: alice }), 200);
  await server.airlock.processor.idle();
  const view = must(await setup.call("GET", `${requests}/${id}`, { bearer: alice }), 200);
  setup.close();
  if (view.airlockRequest.status !== "in_review")
    throw new Error(`the request is ${view.airlockRequest.status}`);

  const bare = Fastify({ logger: false });
  bare.get("/api/workspaces/:ws/requests/:id", async () => view);
  const bareUrl = await bare.listen({ host: "127.0.0.1", port: 0 });

  const which = process.env.BENCH_GET_SERVERS ?? "api,bare";
  const measure = async (base, label) => {
    const { result, serverCpuSeconds, gcPauses } = await drive(
      "get",
      {
        kind: "cannon",
        url: `${base}${requests}/${id}`,
        headers: { authorization: `Bearer ${alice}` },
        connections: CANNON.connections,
        durationSeconds: CANNON.durationSeconds,
        warmupSeconds: CANNON.warmupSeconds,
      },
      label,
    );
    return {
      requestsPerSecond: Math.round(result.requestsPerSecond),
      latencyP50Ms: result.latencyP50Ms,
      latencyP99Ms: result.latencyP99Ms,
      serverCpuMicrosPerRequest: round((serverCpuSeconds * 1e6) / result.requests, 1),
      gcPauses,
    };
  };
  const rounds = [];
  for (let n = 0; n < CANNON.rounds; n += 1) {
    rounds.push({
      ...(which.includes("api") ? { api: await measure(server.url, `get-api-${n + 1}`) } : {}),
      ...(which.includes("bare") ? { bare: await measure(bareUrl, `get-bare-${n + 1}`) } : {}),
    });
  }
  await bare.close();
  await server.app.close();
  const of = (name, key) => (rounds[0][name] ? mean(rounds.map((r) => r[name][key])) : Number.NaN);
  const ratio = of("api", "requestsPerSecond") / of("bare", "requestsPerSecond");
  return {
    apiRequestsPerSecond: Math.round(of("api", "requestsPerSecond")),
    apiLatencyP99Ms: of("api", "latencyP99Ms"),
    apiServerCpuMicrosPerRequest: round(of("api", "serverCpuMicrosPerRequest"), 1),
    bareFastifyRequestsPerSecond: Math.round(of("bare", "requestsPerSecond")),
    bareFastifyLatencyP99Ms: of("bare", "latencyP99Ms"),
    bareServerCpuMicrosPerRequest: round(of("bare", "serverCpuMicrosPerRequest"), 1),
    ratio: round(ratio, 3),
    goal: "ratio >= 0.6",
    met: ratio >= 0.6,
    settings: { ...CANNON },
    rounds,
    placement: placement("get"),
    notes:
      "GET /api/workspaces/ws/requests/{id} with a valid HS256 token (verified on every call, workspace and request looked up, allowedUserActions computed, zod response serializer) against a bare Fastify route answering the same JSON. Both servers live in the measuring process, each measured alone; autocannon runs in a separate child process (one per run, same settings for both), so the load generator never shares the server's event loop or heap. Each round measures the API then the bare route; figures are the means over the rounds. serverCpuMicrosPerRequest: the server process's CPU time (all threads) over the measured run ÷ requests answered.",
  };
}

/** The lifecycle client's job against `url`. */
const lifecycleJob = async (url) => ({
  kind: "lifecycles",
  url,
  alice: await token("alice", ["WorkspaceResearcher"]),
  bob: await token("bob", ["AirlockManager"]),
  clients: LIFECYCLE.clients,
  seconds: LIFECYCLE.seconds,
  warmupSeconds: LIFECYCLE.warmupSeconds,
});

/** What both lifecycle parts report of a measured window. */
const lifecycleFigures = (part, { result, serverCpuSeconds, gcPauses }) => ({
  perSecond: Math.round(result.completed / result.seconds),
  completed: result.completed,
  seconds: round(result.seconds, 2),
  clients: LIFECYCLE.clients,
  serverCpuMicrosPerLifecycle: Math.round((serverCpuSeconds * 1e6) / result.completed),
  serverCpuUtilisation: round(serverCpuSeconds / result.seconds, 2),
  clientCpuUtilisation: round(result.clientCpuSeconds / result.seconds, 2),
  serverGcPauses: gcPauses,
  httpCallsPerLifecycle: round(result.calls / result.completed, 2),
  httpCallsPerSecond: Math.round(result.calls / result.seconds),
  reviewRetries: result.reviewRetries,
  extraStatusPolls: result.extraStatusPolls,
  placement: placement(part),
});

/**
 * Ports whose audit log, event publisher and notifier keep and send nothing (the log answers every
 * key as present, so nothing is appended late either). Not a configuration anyone may run: it
 * bounds what the lifecycle rate could be if those three cost nothing at all.
 */
const withoutAuditEventsNotifications = (ports) => ({
  ...ports,
  audit: {
    ...ports.audit,
    append: (record) => okAsync({ ...record, seq: 0, prevHash: "", hash: "" }),
    has: () => okAsync(true),
  },
  events: { ...ports.events, publish: () => okAsync(undefined) },
  notifier: { ...ports.notifier, notify: () => okAsync(undefined) },
});

/**
 * An API server on 127.0.0.1 wired as the local profile wires `pnpm start` (SQLite with
 * synchronous FULL, files, the audit log and the outbox in a fresh data directory), with the
 * memory part's workspace, auth and limits.
 */
const startLocalApi = async (synchronous = "FULL") => {
  const dataDir = await mkdtemp(join(tmpdir(), "airlock-bench-local-"));
  const { createLocalProfile } = await import("../packages/server/dist/profiles/local.js");
  const { localSettingsFromEnv } = await import("../packages/server/dist/profiles/local-settings.js");
  const settings = localSettingsFromEnv(
    { AIRLOCK_DATA_DIR: dataDir, AIRLOCK_SQLITE_SYNCHRONOUS: synchronous },
    process.cwd(),
  )._unsafeUnwrap();
  const profile = await createLocalProfile({
    settings,
    logger: pino({ enabled: false }),
    workspaces: [workspace],
  });
  await profile.prepare();
  const app = buildServer({
    airlock: profile.airlock,
    workspaces: profile.ports.workspaces,
    auth: { mode: "development", secret: SECRET },
    blobEndpoint: "embedded",
    linkSecret: profile.linkSecret,
    limits: BENCH_LIMITS,
    logger: false,
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const stored = async () => {
    const found = [];
    let continuation;
    do {
      const page = (
        await profile.ports.repository.list({ pageSize: 100, ...(continuation ? { continuation } : {}) })
      )._unsafeUnwrap();
      found.push(...page.items);
      continuation = page.continuation ?? undefined;
    } while (continuation);
    return found;
  };
  return {
    url,
    airlock: profile.airlock,
    stored,
    close: async () => {
      await app.close();
      await profile.airlock.processor.idle();
      await profile.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};

/** The lifecycle part's run and checks against an API on `wrapPorts`' ports. */
const measureLifecycles = async (part, wrapPorts) => {
  const server = await startApi(wrapPorts);
  return measureLifecyclesOn(part, {
    url: server.url,
    airlock: server.airlock,
    stored: async () => server.ports.repository.inspect(),
    close: () => server.app.close(),
  });
};

/** Drives the lifecycle traffic against `server`, then checks that its store agrees. */
const measureLifecyclesOn = async (part, server) => {
  const driven = await drive(part, await lifecycleJob(server.url), part);
  const { result } = driven;
  await server.airlock.processor.idle();
  // The client checked every answer; the store must agree that every lifecycle ended approved.
  const stored = await server.stored();
  const approved = stored.filter((request) => request.status === "approved").length;
  if (approved !== stored.length || approved < result.completed) {
    throw new Error(
      `${approved} of ${stored.length} stored requests are approved; ${result.completed} lifecycles counted`,
    );
  }
  await server.close();
  return driven;
};

async function lifecycles() {
  const driven = await measureLifecycles("lifecycles");
  const { result } = driven;
  return {
    ...lifecycleFigures("lifecycles", driven),
    goal: ">= 2000 lifecycles/s",
    met: result.completed / result.seconds >= 2000,
    notes: `each lifecycle: POST create, GET link, PUT the file through the link, POST submit (inline processing, scanning off), POST review (approve), GET until approved; every answer's status is checked (a failure ends the run), the last GET must say approved, and afterwards every stored request must be approved. The server runs alone in the measuring process; ${LIFECYCLE.clients} clients run in a separate child process on node:http with a keep-alive Agent, after a ${LIFECYCLE.warmupSeconds} s warm-up. Utilisation = CPU seconds ÷ wall seconds (1.0 = one core; the server's includes its GC and libuv threads).`,
  };
}

async function lifecyclesLocal() {
  const driven = await measureLifecyclesOn("local", await startLocalApi());
  return {
    ...lifecycleFigures("local", driven),
    notes:
      "the lifecycle part against the local profile's wiring (what `pnpm start` runs): requests and the audit log in SQLite (WAL, synchronous FULL: every answered write is on disk), files written, fsynced and renamed on the filesystem, events and notifications kept in the outbox table (no endpoint configured, so none leaves), in a fresh temporary data directory on this machine's disk.",
  };
}

async function lifecyclesLocalNormal() {
  const driven = await measureLifecyclesOn("local-normal", await startLocalApi("NORMAL"));
  return {
    ...lifecycleFigures("local-normal", driven),
    notes:
      "the local part with AIRLOCK_SQLITE_SYNCHRONOUS=NORMAL: SQLite syncs the write-ahead log at its checkpoints instead of at every commit (an answered write survives a crash of the process, not a power cut); files are still synced before an upload is answered.",
  };
}

async function lifecyclesBound() {
  return {
    ...lifecycleFigures("bound", await measureLifecycles("bound", withoutAuditEventsNotifications)),
    notes:
      "the lifecycle part with the audit log, event publisher and notifier replaced by ports that keep and send nothing: no audit chain, no hashing, no events, no notifications. Never a configuration to run; it bounds the lifecycle rate had those three no cost at all.",
  };
}

/**
 * What the same lifecycle traffic costs a server that does nothing: bare Fastify routes at the
 * API's paths answering the API's own answers (captured from one real lifecycle, with the request
 * id swapped in), the upload's body read and dropped. The client, its checks and the placement are
 * the lifecycle part's; the difference between the two is the airlock's own work.
 */
async function lifecycleFloor() {
  const api = await startApi();
  const capture = httpClient(api.url);
  const alice = await token("alice", ["WorkspaceResearcher"]);
  const bob = await token("bob", ["AirlockManager"]);
  /** An answer's text, once its status is the expected one. */
  const text = (answer, expected) => {
    must(answer, expected);
    return answer.text;
  };
  const answers = {
    created: text(
      await capture.call("POST", requests, { bearer: alice, body: newRequest, headers: JSON_TYPE }),
      201,
    ),
  };
  const id = JSON.parse(answers.created).airlockRequest.id;
  answers.link = text(await capture.call("GET", `${requests}/${id}/link`, { bearer: alice }), 200);
  const link = new URL(JSON.parse(answers.link).containerUrl);
  answers.uploaded = text(
    await capture.call("PUT", `${link.pathname}/data.csv${link.search}`, {
      body: "a,b\n1,2\n",
      headers: { "x-ms-blob-type": "BlockBlob" },
    }),
    201,
  );
  answers.submitted = text(await capture.call("POST", `${requests}/${id}/submit`, { bearer: alice }), 200);
  await api.airlock.processor.idle();
  answers.reviewed = text(
    await capture.call("POST", `${requests}/${id}/review`, {
      bearer: bob,
      body: approve,
      headers: JSON_TYPE,
    }),
    200,
  );
  await api.airlock.processor.idle();
  answers.approved = text(await capture.call("GET", `${requests}/${id}`, { bearer: bob }), 200);
  capture.close();
  await api.app.close();

  const bare = Fastify({ logger: false });
  const origin = link.origin;
  const as = (text, requestId) => text.replaceAll(id, requestId);
  const json = (reply, status, text) => reply.code(status).type("application/json; charset=utf-8").send(text);
  bare.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
  bare.post("/api/workspaces/:ws/requests", async (_request, reply) =>
    json(reply, 201, as(answers.created, randomUUID())),
  );
  bare.get("/api/workspaces/:ws/requests/:id/link", async (request, reply) =>
    json(reply, 200, as(answers.link, request.params.id)),
  );
  bare.put("/blob/:id/:name", async (request, reply) => {
    for await (const _ of request.body);
    return json(reply, 201, answers.uploaded);
  });
  bare.post("/api/workspaces/:ws/requests/:id/submit", async (request, reply) =>
    json(reply, 200, as(answers.submitted, request.params.id)),
  );
  bare.post("/api/workspaces/:ws/requests/:id/review", async (request, reply) =>
    json(reply, 200, as(answers.reviewed, request.params.id)),
  );
  bare.get("/api/workspaces/:ws/requests/:id", async (request, reply) =>
    json(reply, 200, as(answers.approved, request.params.id)),
  );
  const url = await bare.listen({ host: "127.0.0.1", port: Number(new URL(origin).port) });
  const driven = await drive("floor", await lifecycleJob(url), "floor");
  await bare.close();
  return {
    ...lifecycleFigures("floor", driven),
    notes:
      "the lifecycle part's client and checks against bare Fastify routes at the same paths, answering the API's own answers captured from one real lifecycle (request id swapped in), the upload's body read and dropped: what the HTTP traffic alone costs on this machine, with no airlock behind it.",
  };
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function submitLatency() {
  // When each request's in_review write landed, on the clock the client process reads too.
  const reachedReview = new Map();
  const server = await startApi((ports) => {
    const repository = new Proxy(ports.repository, {
      get(target, property) {
        if (property === "update") {
          return (request) =>
            target.update(request).map((stored) => {
              if (stored.status === "in_review") reachedReview.set(stored.id, process.hrtime.bigint());
              return stored;
            });
        }
        const value = target[property];
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return { ...ports, repository };
  });
  const client = startClient("latency");
  client.child.send({
    kind: "latency",
    url: server.url,
    // The drafts are made before the measured submits; a person may hold at most 1,000 open ones.
    researchers: await Promise.all(["alice", "carol"].map((user) => token(user, ["WorkspaceResearcher"]))),
    samples: LATENCY_SAMPLES,
    warmup: LATENCY_WARMUP,
  });
  const ready = await client.next();
  if (ready.phase !== "ready") throw new Error(`the client said ${ready.phase}`);
  const samples = [];
  const answers = [];
  let gc;
  let clientGcPauses;
  for (let n = 0; ; n += 1) {
    if (n === LATENCY_WARMUP) gc = gcMeter();
    const message = await client.next();
    if (message.phase === "result") {
      clientGcPauses = message.result.clientGcPauses;
      break;
    }
    const { id, sent, answered } = message;
    await server.airlock.processor.idle();
    const stored = (await server.ports.repository.get(id))._unsafeUnwrap();
    if (stored.status !== "in_review") throw new Error(`submit left ${id} ${stored.status}`);
    const inReview = reachedReview.get(id);
    if (inReview === undefined) throw new Error(`no in_review write was seen for ${id}`);
    const answerMs = Number(answered - sent) / 1e6;
    // The first ones warm the path up.
    if (n >= LATENCY_WARMUP) {
      samples.push(Math.max(answerMs, Number(inReview - sent) / 1e6));
      answers.push(answerMs);
    }
    client.child.send("next");
  }
  const gcPauses = gc();
  await client.done;
  await server.app.close();
  samples.sort((a, b) => a - b);
  answers.sort((a, b) => a - b);
  const p50 = percentile(samples, 50);
  const p99 = percentile(samples, 99);
  return {
    samples: samples.length,
    p50Ms: round(p50, 3),
    p99Ms: round(p99, 3),
    maxMs: round(samples.at(-1) ?? 0, 3),
    answerP50Ms: round(percentile(answers, 50), 3),
    answerP99Ms: round(percentile(answers, 99), 3),
    serverGcPauses: gcPauses,
    clientGcPauses,
    goal: "p99 < 5 ms",
    met: p99 < 5,
    placement: placement("latency"),
    method: `one request at a time, from a separate client process (node:http, keep-alive): from sending POST submit until both its 200 answer arrived at the client and the server's repository write of in_review landed (both on CLOCK_MONOTONIC, which the two processes share); the server then awaits processor.idle() and checks the request is in_review before the next one. ${LATENCY_WARMUP} unmeasured submits first. answerP50/P99: the answer alone. Scanning off.`,
  };
}

// --- RSS while a 1 GiB file goes through a link -----------------------------------------------

/** The child: an API server that reports its RSS; the parent drives it over HTTP. */
async function rssChild() {
  const server = await startApi();
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  process.send({ url: server.url, baseline });
  process.on("message", async (message) => {
    if (message !== "report") return;
    await server.airlock.processor.idle();
    // maxRSS is in KiB: the process's peak, whenever it happened. Read before anything else allocates.
    const peak = process.resourceUsage().maxRSS * 1024;
    const after = process.memoryUsage().rss;
    let stored = 0;
    for (const request of server.ports.repository.inspect()) {
      const ref = { requestId: request.id, workspaceId: request.workspaceId, type: request.type };
      for (const stage of ["draft", "in_progress", "approved", "rejected", "blocked"]) {
        const files = (await server.ports.storage.listFiles(ref, stage))._unsafeUnwrap();
        stored += files.reduce((sum, file) => sum + file.size, 0);
      }
    }
    process.send({ peak, after, stored });
    await server.app.close();
    process.exit(0);
  });
}

async function uploadRss() {
  const child = spawn(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--rss-child"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const [{ url, baseline }] = await once(child, "message");
  const alice = await token("alice", ["WorkspaceResearcher"]);
  const bob = await token("bob", ["AirlockManager"]);
  const http = httpClient(url);
  const started = performance.now();
  const { airlockRequest } = must(
    await http.call("POST", requests, { bearer: alice, body: newRequest, headers: JSON_TYPE }),
    201,
  );
  const id = airlockRequest.id;
  const { containerUrl } = must(await http.call("GET", `${requests}/${id}/link`, { bearer: alice }), 200);
  await uploadThroughLink(containerUrl, UPLOAD_BYTES);
  const uploadedSeconds = (performance.now() - started) / 1000;
  must(await http.call("POST", `${requests}/${id}/submit`, { bearer: alice }), 200);
  const waitFor = async (status) => {
    for (;;) {
      const { airlockRequest: now } = must(await http.call("GET", `${requests}/${id}`, { bearer: bob }), 200);
      if (now.status === status) return;
      if (!now.status.endsWith("_in_progress") && now.status !== "submitted") {
        throw new Error(`expected ${status}, the request is ${now.status}: ${now.statusMessage}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await waitFor("in_review");
  const decision = JSON.stringify({ approval: true, decisionExplanation: "Fine" });
  must(
    await http.call("POST", `${requests}/${id}/review`, { bearer: bob, body: decision, headers: JSON_TYPE }),
    200,
  );
  await waitFor("approved");
  http.close();
  const totalSeconds = (performance.now() - started) / 1000;
  child.send("report");
  const [{ peak, after, stored }] = await once(child, "message");
  await once(child, "exit");
  const growth = peak - baseline;
  const beyondStored = growth - stored;
  const mib = (bytes) => Number((bytes / 1024 ** 2).toFixed(1));
  return {
    fileBytes: UPLOAD_BYTES,
    storedBytes: stored,
    baselineRssMiB: mib(baseline),
    peakRssMiB: mib(peak),
    rssAfterMiB: mib(after),
    growthMiB: mib(growth),
    growthBeyondStoredMiB: mib(beyondStored),
    uploadSeconds: Number(uploadedSeconds.toFixed(2)),
    uploadMiBPerSecond: mib(UPLOAD_BYTES / uploadedSeconds),
    createToApprovedSeconds: Number(totalSeconds.toFixed(2)),
    goal: "growth beyond the bytes the memory adapter stores < 64 MiB",
    met: beyondStored < 64 * 1024 ** 2,
    method:
      "the server runs in a child process; baseline RSS after start and gc, peak = process.resourceUsage().maxRSS at the end; the client streams the file from one reused 64 KiB buffer with content-length (never held in memory), then submit, review, approve (scanning off, so the memory scanner does not read it).",
  };
}

/** Each part runs in its own process, so one part's garbage never lands in another's figures. */
const runPart = async (name) => {
  const flags = ["--expose-gc", ...(process.env.BENCH_NODE_FLAGS ?? "").split(/\s+/).filter(Boolean)];
  const core = PIN && PINNED_PARTS.has(name) ? SERVER_CORE : undefined;
  const child = spawnNode(core, [...flags, fileURLToPath(import.meta.url), "--part", name], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const [[result], [code]] = await Promise.all([once(child, "message"), once(child, "exit")]);
  if (code !== 0) throw new Error(`the ${name} part exited with ${code}`);
  return result;
};

const PARTS = {
  get: { title: "GET throughput", key: "getThroughput", run: getThroughput },
  lifecycles: { title: "lifecycles", key: "lifecycles", run: lifecycles },
  local: { title: "lifecycles, local profile", key: "lifecyclesLocal", run: lifecyclesLocal },
  "local-normal": {
    title: "lifecycles, local profile, synchronous NORMAL",
    key: "lifecyclesLocalNormal",
    run: lifecyclesLocalNormal,
  },
  bound: {
    title: "lifecycles without audit, events or notifications",
    key: "lifecyclesWithoutAuditEventsNotifications",
    run: lifecyclesBound,
  },
  floor: { title: "lifecycles against bare routes", key: "lifecycleFloor", run: lifecycleFloor },
  latency: { title: "submit → in_review latency", key: "submitToInReview", run: submitLatency },
  rss: { title: `${UPLOAD_BYTES} bytes through a link, RSS`, key: "uploadRss", run: uploadRss },
};

const partIndex = process.argv.indexOf("--part");
if (process.argv.includes("--client")) {
  await clientMain();
} else if (process.argv.includes("--rss-child")) {
  await rssChild();
} else if (partIndex !== -1) {
  const part = PARTS[process.argv[partIndex + 1]];
  const result = await part.run();
  process.send(result, () => process.exit(0));
} else {
  const asked = [...process.argv.slice(2), ...(process.env.BENCH_ONLY ?? "").split(",")].filter(
    (arg) => arg in PARTS,
  );
  const only = asked.length > 0 ? [...new Set(asked)] : Object.keys(PARTS);
  const result = {
    benchmark: "http",
    node: process.version,
    date: new Date().toISOString(),
    cpus: cpus().length,
    // The machine is shared: a busy one lowers every figure here.
    loadAverageAtStart: loadavg().map((load) => round(load, 2)),
  };
  for (const name of only) {
    console.log(`${PARTS[name].title}…`);
    result[PARTS[name].key] = await runPart(name);
  }
  for (const [key, local] of [
    ["lifecyclesLocalToMemory", result.lifecyclesLocal],
    ["lifecyclesLocalNormalToMemory", result.lifecyclesLocalNormal],
  ]) {
    if (!result.lifecycles || !local) continue;
    const ratio = local.perSecond / result.lifecycles.perSecond;
    result[key] = { ratio: round(ratio, 2), goal: ">= 0.5", met: ratio >= 0.5 };
  }
  if (only.length === Object.keys(PARTS).length) {
    await writeFile(new URL("./results/http.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  }
  console.log(JSON.stringify(result, null, 2));
}
