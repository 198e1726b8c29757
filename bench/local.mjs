// The local backend (@airlock/adapters-local) side by side with what it is measured against, in one
// run: one list page among 100,000 requests (memory and SQLite repositories), moving a 1 GiB file
// between stages with the filesystem storage (time and RSS growth), and uploading 1 GiB through a
// link to a server on the local ports against writing the same bytes with `fs`. Measures, never
// asserts. Writes bench/results/local.json when every part ran.
//
// Run: pnpm build && node bench/local.mjs [lists] [move] [upload]
//
// Every part runs in its own child process, so one part's heap never lands in another's figures;
// the upload's server runs in a further child, so client and server never share an event loop.
//
// Environment switches:
//   BENCH_REQUESTS=100000   requests in each repository
//   BENCH_PAGES=60          measured pages per kind of list query (9 kinds)
//   BENCH_FILE_BYTES=…      the file size of the move and upload parts (default 1 GiB)
//   BENCH_DIR=…             where the temporary files go (default the OS temp dir); the move and
//                           upload parts need twice the file size free
import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, readFileSync } from "node:fs";
import { mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import {
  createFileStorage,
  createSqliteRequestRepository,
  openAirlockDatabase,
} from "@airlock/adapters-local";
import { createMemoryPorts, createMemoryRequestRepository, createRandomIds } from "@airlock/adapters-memory";
import { createAirlock, SWEPT_STATUSES, statusesAccepting, WorkspaceSchema } from "@airlock/core";
import { sampleRequest, sampleUser } from "@airlock/core/testing";
import { buildServer, mintDevToken } from "@airlock/http";
import { uploadThroughLink } from "./support/server-process.mjs";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100_000);
const PAGES_PER_KIND = Number(process.env.BENCH_PAGES ?? 60);
const FILE_BYTES = Number(process.env.BENCH_FILE_BYTES ?? GIB);
const BASE_DIR = process.env.BENCH_DIR ?? tmpdir();
const CHUNK = 64 * 1024;
const RSS_SAMPLE_MS = 2;
const ROUNDS = 2;

const round = (value, digits = 2) => Number(value.toFixed(digits));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50), 3),
    p99: round(percentile(sorted, 99), 3),
    max: round(sorted.at(-1), 3),
    pages: sorted.length,
  };
};
const must = (result, what) => {
  if (result.isErr()) throw new Error(`${what}: ${result.error.kind}: ${result.error.message}`);
  return result.value;
};

/** A seeded generator: both repositories hold the same requests, and every run the same ones. */
const seeded = (seed) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

/** A process's resident memory now (Linux: /proc), in bytes. */
const rssOf = (pid = "self") => {
  const found = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return found ? Number(found[1]) * 1024 : Number.NaN;
};

/** Samples a process's RSS every few ms until stopped; answers the highest sample. */
const rssSampler = (pid = "self") => {
  let peak = rssOf(pid);
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
    samples += 1;
  }, RSS_SAMPLE_MS);
  return () => {
    clearInterval(timer);
    peak = Math.max(peak, rssOf(pid));
    return { peak, samples };
  };
};

/** `bytes` as one reused 64 KiB buffer: the writer never holds the file. */
async function* bytesOf(bytes) {
  const chunk = Buffer.alloc(CHUNK, 0x61);
  for (let sent = 0; sent < bytes; sent += CHUNK) {
    yield sent + CHUNK <= bytes ? chunk : chunk.subarray(0, bytes - sent);
  }
}

// --- a. one list page among 100,000 requests ------------------------------------------------

const STATUS_WEIGHTS = [
  ["approved", 40],
  ["rejected", 10],
  ["cancelled", 10],
  ["draft", 15],
  ["submitted", 2],
  ["in_review", 8],
  ["approval_in_progress", 1],
  ["rejection_in_progress", 1],
  ["blocked_by_scan", 3],
  ["failed", 2],
  ["revoked", 8],
];

async function listsPart() {
  const random = seeded(42);
  const pick = (values) => values[Math.floor(random() * values.length)];
  const weighted = (() => {
    const table = STATUS_WEIGHTS.flatMap(([status, weight]) => Array(weight).fill(status));
    return () => pick(table);
  })();
  const workspaces = Array.from({ length: 100 }, () => crypto.randomUUID());
  const users = Array.from({ length: 1_000 }, () => sampleUser());
  const start = 1_700_000_000;

  const directory = await mkdtemp(join(BASE_DIR, "airlock-bench-lists-"));
  const db = openAirlockDatabase(join(directory, "airlock.sqlite"), { synchronous: "FULL" });
  const repositories = { memory: createMemoryRequestRepository(), sqlite: createSqliteRequestRepository(db) };
  const fill = { memorySeconds: 0, sqliteSeconds: 0 };
  // The oldest request is the only one of its workspace and of its creator: a list of either,
  // newest first, walks every other request before finding it.
  const lonely = sampleRequest({ createdWhen: start - 30, updatedWhen: start - 30 });
  must(await repositories.memory.create(lonely), "memory create");
  must(await repositories.sqlite.create(lonely), "sqlite create");
  const BATCH = 1_000;
  // The lonely request and REQUESTS − 1 others.
  const others = REQUESTS - 1;
  for (let first = 0; first < others; first += BATCH) {
    const batch = [];
    for (let index = first; index < Math.min(others, first + BATCH); index++) {
      const createdWhen = start + index * 30;
      batch.push(
        sampleRequest({
          workspaceId: pick(workspaces),
          createdBy: pick(users),
          type: random() < 0.5 ? "import" : "export",
          status: weighted(),
          title: `Cohort extract ${Math.floor(random() * 10_000)}`,
          createdWhen,
          updatedWhen: createdWhen + Math.floor(random() * 86_400),
        }),
      );
    }
    let began = performance.now();
    for (const request of batch) must(await repositories.memory.create(request), "memory create");
    fill.memorySeconds += (performance.now() - began) / 1000;
    // One transaction per thousand: filling the file is not what is measured, the pages are.
    began = performance.now();
    db.exec("BEGIN");
    for (const request of batch) must(await repositories.sqlite.create(request), "sqlite create");
    db.exec("COMMIT");
    fill.sqliteSeconds += (performance.now() - began) / 1000;
  }

  // The lists the airlock makes, each with its own filters; `depth` pages in (unmeasured before).
  const kinds = {
    newestFirst: () => ({ query: {} }),
    byWorkspace: () => ({ query: { workspaceIds: [pick(workspaces)] } }),
    byWorkspaceUpdated: () => ({ query: { workspaceIds: [pick(workspaces)], orderBy: "updatedWhen" } }),
    byWorkspaceAndStatus: () => ({ query: { workspaceIds: [pick(workspaces)], statuses: [weighted()] } }),
    byStatus: () => ({ query: { statuses: [weighted()], orderBy: "updatedWhen" } }),
    byCreator: () => ({ query: { creator: pick(users).id } }),
    reviewQueue: () => ({
      query: {
        workspaceIds: Array.from({ length: 10 }, () => pick(workspaces)),
        statuses: statusesAccepting("REVIEW"),
      },
    }),
    sweep: () => ({
      query: { statuses: SWEPT_STATUSES, orderBy: "createdWhen", ascending: true, pageSize: 100 },
    }),
    continuationPages: () => ({
      query: pick([{}, { workspaceIds: [pick(workspaces)] }, { statuses: [weighted()] }]),
      depth: 1 + Math.floor(random() * 4),
    }),
  };
  // Asked only apart from the mix: a filter matching only the oldest request makes the memory
  // repository walk its whole index.
  const worst = {
    workspaceOfOnlyTheOldest: () => ({ query: { workspaceIds: [lonely.workspaceId] } }),
    creatorOfOnlyTheOldest: () => ({ query: { creator: lonely.createdBy.id } }),
  };

  const plan = (table, pages) => {
    const cases = [];
    for (const [kind, make] of Object.entries(table)) {
      for (let page = 0; page < pages; page++) cases.push({ kind, ...make() });
    }
    // Interleaved, so no kind gets a warm cache the others lack.
    for (let index = cases.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [cases[index], cases[other]] = [cases[other], cases[index]];
    }
    return cases;
  };
  const mix = plan(kinds, PAGES_PER_KIND);
  const worstCases = plan(worst, 20);

  const measure = async (repository, cases) => {
    const times = {};
    for (const { kind, query, depth = 0 } of cases) {
      let continuation;
      for (let page = 0; page < depth; page++) {
        continuation =
          must(await repository.list({ ...query, continuation }), "list").continuation ?? undefined;
        if (continuation === undefined) break;
      }
      const asked = continuation === undefined ? query : { ...query, continuation };
      const began = performance.now();
      must(await repository.list(asked), "list");
      const elapsed = performance.now() - began;
      times[kind] = [...(times[kind] ?? []), elapsed];
    }
    return times;
  };
  const results = {};
  for (const [name, repository] of Object.entries(repositories)) {
    await measure(repository, mix.slice(0, 50)); // warm-up, unmeasured
    globalThis.gc?.();
    const times = await measure(repository, mix);
    const worstTimes = await measure(repository, worstCases);
    results[name] = {
      allPages: summary(Object.values(times).flat()),
      byKind: Object.fromEntries(Object.entries(times).map(([kind, list]) => [kind, summary(list)])),
      filterMatchingOnlyTheOldest: Object.fromEntries(
        Object.entries(worstTimes).map(([kind, list]) => [kind, summary(list)]),
      ),
    };
  }
  db.close();
  await rm(directory, { recursive: true, force: true });
  return {
    requests: REQUESTS,
    workspaces: workspaces.length,
    creators: users.length,
    fillSeconds: { memory: round(fill.memorySeconds, 1), sqlite: round(fill.sqliteSeconds, 1) },
    ...results,
    goal: "memory p99 < 20 ms",
    met: results.memory.allPages.p99 < 20,
    method: `the same ${REQUESTS} requests (100 workspaces, 1,000 creators, statuses weighted toward finished ones) in the memory repository and the SQLite repository (a file in a temp dir, WAL, synchronous FULL, filled 1,000 per transaction); ${PAGES_PER_KIND} pages of each kind of list, interleaved, after 50 unmeasured: newest first, one workspace (by creation, by update, with one status), one status by update time, one creator, the review queue (10 workspaces, in_review), the processor's sweep (its statuses, oldest first, 100 a page), and pages 2–5 of a list (earlier pages fetched unmeasured). Default page size 25. filterMatchingOnlyTheOldest is asked apart (20 pages each): the workspace or the creator of only the oldest request, newest first, which walks the whole memory index (a value no request was ever stored with is answered at once).`,
  };
}

// --- b. moving a 1 GiB file between stages ---------------------------------------------------

async function movePart() {
  const root = await mkdtemp(join(BASE_DIR, "airlock-bench-move-"));
  try {
    const storage = createFileStorage({ root });
    const ref = { requestId: "bench-move", workspaceId: "ws", type: "import" };
    must(await storage.provision(ref, "draft"), "provision");
    const began = performance.now();
    must(
      await storage.upload(ref, "draft", "big.bin", bytesOf(FILE_BYTES), { maxBytes: 2 * FILE_BYTES }),
      "upload",
    );
    const uploadSeconds = (performance.now() - began) / 1000;
    const expected = must(await storage.describe(ref, "draft"), "describe");

    const moveOnce = async (from, to) => {
      globalThis.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const baseline = rssOf();
      const stop = rssSampler();
      const start = performance.now();
      const moved = must(await storage.move(ref, from, to, expected), "move");
      const ms = performance.now() - start;
      const { peak, samples } = stop();
      if (moved.length !== 1 || moved[0].sha256 !== expected[0].sha256) {
        throw new Error(`the move answered ${JSON.stringify(moved)}`);
      }
      return {
        ms: round(ms, 1),
        baselineRssMiB: round(baseline / MIB, 1),
        peakRssMiB: round(peak / MIB, 1),
        rssGrowthMiB: round((peak - baseline) / MIB, 1),
        rssSamples: samples,
      };
    };
    // As the processor moves files: the sha256 recorded at upload still describes the file.
    const recorded = await moveOnce("draft", "in_progress");
    // The file's modification time changed after it was recorded: the move hashes it again.
    const now = new Date();
    await utimes(join(root, "in_progress", ref.requestId, "files", "big.bin"), now, now);
    const rehashed = await moveOnce("in_progress", "approved");
    return {
      fileBytes: FILE_BYTES,
      uploadThroughStorageSeconds: round(uploadSeconds, 2),
      moveWithRecordedHash: recorded,
      moveThatHashesAgain: {
        ...rehashed,
        hashMiBPerSecond: round(FILE_BYTES / MIB / (rehashed.ms / 1000), 0),
      },
      goal: "RSS growth < 64 MiB",
      met: Math.max(recorded.rssGrowthMiB, rehashed.rssGrowthMiB) < 64,
      method: `createFileStorage in a temp dir; the file uploaded through storage.upload first (unmeasured for RSS); move(ref, from, to, expected) timed, RSS (VmRSS) sampled every ${RSS_SAMPLE_MS} ms during it, growth = highest sample − RSS before (after gc). Two moves: draft → in_progress with the sha256 record fresh (rename, the record checked by inode, size and mtime), then in_progress → approved after touching the file's mtime, so the move reads and hashes all of it.`,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

// --- c. upload through a link ÷ writing with fs ----------------------------------------------

const SECRET = "bench-secret-0123456789abcdef0123";
const WS = "ws";

/** The server child: the API with the local ports (SQLite records, files on disk), memory for the rest. */
async function serverChild() {
  const directory = process.env.BENCH_SERVER_DIR;
  const workspace = WorkspaceSchema.parse({
    id: WS,
    displayName: "Bench",
    clientId: WS,
    policy: { scanning: false, maxFileSize: 2 * FILE_BYTES },
    members: [{ id: "alice", name: "Alice", email: "alice@example.org", roles: ["WorkspaceResearcher"] }],
  });
  const memory = createMemoryPorts({
    clock: { now: () => Date.now() },
    ids: createRandomIds(),
    workspaces: [workspace],
    keepSent: 1_000,
  });
  const db = openAirlockDatabase(join(directory, "airlock.sqlite"));
  const ports = {
    ...memory,
    repository: createSqliteRequestRepository(db),
    storage: createFileStorage({ root: join(directory, "files") }),
  };
  const airlock = createAirlock(ports, { processing: "inline" });
  const app = buildServer({
    airlock,
    workspaces: ports.workspaces,
    auth: { mode: "development", secret: SECRET },
    blobEndpoint: "embedded",
    limits: { rateLimit: false },
    logger: false,
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  // The floor: a bare node:http server in the same process that does what the storage does with an
  // upload's bytes (sha256 on the way, write, fsync) and nothing else.
  const bare = createHttpServer(async (request, response) => {
    const path = join(directory, `bare-${randomUUID()}.bin`);
    const hash = createHash("sha256");
    await pipeline(
      request,
      async function* (chunks) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(path, { flush: true }),
    );
    hash.digest("hex");
    await rm(path);
    response.writeHead(201).end();
  });
  bare.listen(0, "127.0.0.1");
  await once(bare, "listening");
  globalThis.gc?.();
  process.send({ url, bareUrl: `http://127.0.0.1:${bare.address().port}/bare` });
  process.on("message", async (message) => {
    if (message !== "stop") return;
    await app.close();
    bare.close();
    db.close();
    process.exit(0);
  });
}

const call = async (base, method, path, bearer, body) => {
  const response = await fetch(new URL(path, base), {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
};

const writeWithFs = async (directory, name) => {
  const path = join(directory, name);
  const began = performance.now();
  // flush: the file is fsynced before the stream closes, as the storage does before its rename.
  await pipeline(Readable.from(bytesOf(FILE_BYTES)), createWriteStream(path, { flush: true }));
  const seconds = (performance.now() - began) / 1000;
  await rm(path);
  return seconds;
};

async function uploadPart() {
  const directory = await mkdtemp(join(BASE_DIR, "airlock-bench-upload-"));
  const child = spawn(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--server"], {
    env: { ...process.env, BENCH_SERVER_DIR: directory },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  try {
    const [{ url, bareUrl }] = await once(child, "message");
    const alice = await mintDevToken({
      secret: SECRET,
      userId: "alice",
      roles: ["WorkspaceResearcher"],
      audience: WS,
      ttlSeconds: 3600,
    });
    const requests = `/api/workspaces/${WS}/requests`;
    const uploadOnce = async () => {
      const { airlockRequest } = await call(url, "POST", requests, alice, {
        type: "import",
        title: "Bench",
        businessJustification: "Upload speed",
      });
      const { containerUrl } = await call(url, "GET", `${requests}/${airlockRequest.id}/link`, alice);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const baseline = rssOf(child.pid);
      const stop = rssSampler(child.pid);
      const began = performance.now();
      await uploadThroughLink(containerUrl, FILE_BYTES);
      const seconds = (performance.now() - began) / 1000;
      const { peak } = stop();
      const path = join(directory, "files", "draft", airlockRequest.id, "files", "big.bin");
      const stored = await stat(path);
      if (stored.size !== FILE_BYTES) throw new Error(`the storage holds ${stored.size} bytes`);
      await rm(path);
      return { seconds, rssGrowth: peak - baseline };
    };
    const bareOnce = async () => {
      const began = performance.now();
      // uploadThroughLink appends the file name to the URL's path: /bare/big.bin.
      await uploadThroughLink(bareUrl, FILE_BYTES);
      return (performance.now() - began) / 1000;
    };
    // Alternated, so a neighbour's burst on the shared disk lands on every side alike.
    const fsRuns = [];
    const linkRuns = [];
    const bareRuns = [];
    for (let round = 0; round < ROUNDS; round++) {
      fsRuns.push(await writeWithFs(directory, `fs-${round}.bin`));
      linkRuns.push(await uploadOnce());
      bareRuns.push(await bareOnce());
    }
    fsRuns.push(await writeWithFs(directory, "fs-last.bin"));
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const fsSeconds = median(fsRuns);
    const linkSeconds = median(linkRuns.map((run) => run.seconds));
    const mbPerSecond = (seconds) => round(FILE_BYTES / 1e6 / seconds, 0);
    const ratio = fsSeconds / linkSeconds;
    return {
      fileBytes: FILE_BYTES,
      linkUploadMBPerSecond: mbPerSecond(linkSeconds),
      fsWriteMBPerSecond: mbPerSecond(fsSeconds),
      linkRunsMBPerSecond: linkRuns.map((run) => mbPerSecond(run.seconds)),
      fsRunsMBPerSecond: fsRuns.map(mbPerSecond),
      bareHttpMBPerSecond: mbPerSecond(median(bareRuns)),
      bareHttpRunsMBPerSecond: bareRuns.map(mbPerSecond),
      linkOverBareHttp: round(median(bareRuns) / linkSeconds, 2),
      ratio: round(ratio, 2),
      serverRssGrowthMiB: round(Math.max(...linkRuns.map((run) => run.rssGrowth)) / MIB, 1),
      goal: "link upload ÷ fs write ≥ 0.7",
      met: ratio >= 0.7,
      method:
        "a server in a child process (buildServer from @airlock/http, embedded link endpoint, development tokens, rate limits off; SQLite request repository and createFileStorage in one temp dir, memory for the other ports, scanning off); a researcher's link from GET …/link; the file PUT through it by a node:http client streaming one reused 64 KiB buffer with content-length, timed until the 201 (the storage has hashed, fsynced and renamed the file by then). Against fs.createWriteStream({ flush: true }) of the same bytes into the same dir. bareHttp: the same client against a bare node:http server in the server's process that hashes (sha256), writes and fsyncs the body and does nothing else: the transport's floor on this machine. Alternated: fs, link, bare, fs, link, bare, fs; the figures are the medians (of two runs, the slower) (each run in linkRunsMBPerSecond / fsRunsMBPerSecond), every file removed after its run. MB = 10^6 bytes. serverRssGrowthMiB: the server's VmRSS sampled every 2 ms during an upload, highest − before, the larger of the two uploads.",
    };
  } finally {
    child.send("stop");
    await once(child, "exit");
    await rm(directory, { recursive: true, force: true });
  }
}

// --- the run -----------------------------------------------------------------------------------

const PARTS = {
  lists: { title: `one list page among ${REQUESTS} requests`, key: "listPage", run: listsPart },
  move: { title: `moving ${FILE_BYTES} bytes between stages`, key: "moveFile", run: movePart },
  upload: {
    title: `${FILE_BYTES} bytes through a link against fs`,
    key: "uploadThroughLink",
    run: uploadPart,
  },
};

/** Each part in a child process of its own. */
const runPart = async (name) => {
  const child = spawn(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--part", name], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let result;
  child.on("message", (message) => {
    result = message;
  });
  const [code] = await once(child, "exit");
  if (code !== 0 || result === undefined) throw new Error(`the ${name} part exited with ${code}`);
  return result;
};

if (process.argv.includes("--server")) {
  await serverChild();
} else if (process.argv.includes("--part")) {
  const name = process.argv[process.argv.indexOf("--part") + 1];
  const result = await PARTS[name].run();
  process.send(result, () => process.exit(0));
} else {
  const asked = process.argv.slice(2).filter((arg) => arg in PARTS);
  const only = asked.length > 0 ? [...new Set(asked)] : Object.keys(PARTS);
  const result = {
    benchmark: "local",
    node: process.version,
    date: new Date().toISOString(),
    cpus: cpus().length,
    // The machine is shared: a busy one slows every figure here.
    loadAverageAtStart: loadavg().map((load) => round(load, 2)),
  };
  const started = performance.now();
  for (const name of only) {
    console.log(`${PARTS[name].title}…`);
    result[PARTS[name].key] = await runPart(name);
  }
  result.runSeconds = round((performance.now() - started) / 1000, 0);
  if (only.length === Object.keys(PARTS).length) {
    await writeFile(new URL("./results/local.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  }
  console.log(JSON.stringify(result, null, 2));
}
