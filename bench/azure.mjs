// The azure profile on the emulators (Azurite, the Cosmos DB emulator), the API in a child process:
//  1. an upload through the engine's link (the Azure SAS URL the API answers, one streamed PUT)
//     against the Azure SDK's own BlockBlobClient.uploadStream of the same bytes, same run;
//  2. a whole lifecycle's latency over HTTP (create, link, upload, submit, Defender's verdict at
//     /api/events, review, approved), one at a time;
//  3. the API process's RSS while a 1 GiB file goes through every stage.
// Writes bench/results/azure.json. Run: pnpm build && node bench/azure.mjs
// Azurite copies by reference and keeps blobs in memory, so the figures say nothing about real
// Azure's throughput; they show what the API adds on top of the storage and what it holds in memory.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { cpus } from "node:os";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { mintDevToken } from "@airlock/http";

const adaptersAzure = new URL("../packages/adapters-azure/", import.meta.url);
// The SDK and the emulators are the Azure adapters' dependencies: resolved from there.
const requireAzure = createRequire(new URL("package.json", adaptersAzure));
const { BlobServiceClient } = requireAzure("@azure/storage-blob");
const { startAzurite, COSMOS_EMULATOR_KEY } = await import(
  new URL("dist/testing/emulators.js", adaptersAzure).href
);
const API_MAIN = fileURLToPath(new URL("../packages/server/dist/main.js", import.meta.url));

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const SECRET = "bench-azure-secret-0123456789abcdef";
const EVENTS_KEY = "bench-azure-events-key-0123456789abcdef";
const WS = "wsbench";
const UPLOAD_BYTES = Number(process.env.BENCH_AZURE_UPLOAD_BYTES ?? 256 * MIB);
const UPLOAD_ROUNDS = 3;
const LIFECYCLES = Number(process.env.BENCH_AZURE_LIFECYCLES ?? 60);
const BIG_BYTES = Number(process.env.BENCH_AZURE_BIG_BYTES ?? GIB);
const CHUNK = MIB;
const pattern = randomBytes(CHUNK);

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes) => Math.round((bytes / MIB) * 10) / 10;
const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** `bytes` of a fixed random pattern, produced as it is read (never held whole). */
const content = (bytes) =>
  Readable.from(
    (function* () {
      for (let sent = 0; sent < bytes; sent += CHUNK)
        yield pattern.subarray(0, Math.min(CHUNK, bytes - sent));
    })(),
    { objectMode: false },
  );

const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

/** The Cosmos DB emulator in this process, with keep-alive (as the real service): see the adapters-azure README. */
const startCosmos = async () => {
  const { createHttpsServer } = requireAzure("@vercel/cosmosdb-server");
  const server = createHttpsServer({ keepAlive: true });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `https://127.0.0.1:${server.address().port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** A streamed PUT with its length, as a client uploads to an Azure SAS URL (Put Blob needs Content-Length). */
const putThroughLink = (containerUrl, name, bytes) =>
  new Promise((resolve, reject) => {
    const url = new URL(containerUrl);
    url.pathname = `${url.pathname}/${encodeURIComponent(name)}`;
    const request = httpRequest(url, {
      method: "PUT",
      headers: {
        "x-ms-blob-type": "BlockBlob",
        "content-type": "application/octet-stream",
        "content-length": String(bytes),
      },
    });
    request.once("response", (response) => {
      response.resume();
      response.once("end", () =>
        response.statusCode === 201 ? resolve() : reject(new Error(`upload answered ${response.statusCode}`)),
      );
    });
    request.once("error", reject);
    pipeline(content(bytes), request).catch(reject);
  });

const main = async () => {
  const started = Date.now();
  const azurite = await startAzurite();
  const cosmos = await startCosmos();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const api = spawn(process.execPath, [API_MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "warn",
      AIRLOCK_PROFILE: "azure",
      AIRLOCK_TRE_ID: "bench",
      AIRLOCK_STORAGE_LAYOUT: "single-account-prefixes",
      AIRLOCK_STORAGE_CONNECTION_STRING: azurite.connectionString,
      AIRLOCK_COSMOS_ENDPOINT: cosmos.endpoint,
      AIRLOCK_COSMOS_KEY: COSMOS_EMULATOR_KEY,
      AIRLOCK_COSMOS_EMULATOR: "true",
      AIRLOCK_SCANNER: "defender",
      AIRLOCK_EVENTS_KEY: EVENTS_KEY,
      AIRLOCK_DEV_SECRET: SECRET,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const cleanup = async () => {
    api.kill("SIGTERM");
    await cosmos.stop();
    await azurite.stop();
  };
  try {
    for (let waited = 0; ; waited += 100) {
      const health = await fetch(`${base}/health`).catch(() => undefined);
      if (health?.ok) break;
      if (waited > 30_000 || api.exitCode !== null) throw new Error("the API did not start");
      await pause(100);
    }

    const token = (user, roles, audience) => mintDevToken({ secret: SECRET, userId: user, roles, audience });
    const admin = await token("root", ["TREAdmin"], "airlock-api");
    const alice = await token("alice", ["WorkspaceResearcher"], WS);
    const bob = await token("bob", ["AirlockManager"], WS);
    const call = async (path, init = {}) => {
      const response = await fetch(`${base}${path}`, {
        method: init.method ?? "GET",
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.json === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok)
        throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${JSON.stringify(body)}`);
      return body;
    };
    await call(`/api/workspaces/${WS}`, {
      method: "PUT",
      token: admin,
      json: {
        displayName: "Bench",
        airlock: { maxFiles: 1, maxFileSize: 2 * GIB },
        members: [
          { id: "alice", name: "Alice", email: "alice@example.org", roles: ["WorkspaceResearcher"] },
          { id: "bob", name: "Bob", email: "bob@example.org", roles: ["AirlockManager"] },
        ],
      },
    });
    const requests = `/api/workspaces/${WS}/requests`;
    const create = async () =>
      (
        await call(requests, {
          method: "POST",
          token: alice,
          json: { type: "import", title: "Bench", businessJustification: "Benchmark" },
        })
      ).airlockRequest.id;
    const linkOf = async (id, who = alice) =>
      (await call(`${requests}/${id}/link`, { token: who })).containerUrl;
    const statusOf = async (id) => (await call(`${requests}/${id}`, { token: bob })).airlockRequest;
    const waitFor = async (id, wanted, intervalMs = 10) => {
      for (;;) {
        const request = await statusOf(id);
        if (request.status === wanted) return request;
        if (["failed", "blocked_by_scan", "rejected", "cancelled"].includes(request.status)) {
          throw new Error(`request ${id} ended ${request.status}: ${request.statusMessage}`);
        }
        await pause(intervalMs);
      }
    };
    const verdict = (id) =>
      call(`/api/events?code=${EVENTS_KEY}`, {
        method: "POST",
        json: [
          {
            id: `scan-${id}`,
            subject: `blobs/${id}`,
            eventType: "Microsoft.Security.MalwareScanningResult",
            eventTime: new Date().toISOString(),
            dataVersion: "1.0",
            data: {
              blobUri: `${azurite.blobEndpoint}/stalimipbench-${id}/data.bin`,
              scanResultType: "No threats found",
            },
          },
        ],
      });

    // ---- 1. Upload through the link against the SDK's uploadStream, alternating.
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const raw = service.getContainerClient("rawbench");
    await raw.createIfNotExists();
    const linkRates = [];
    const sdkRates = [];
    for (let round = 0; round < UPLOAD_ROUNDS; round++) {
      const id = await create();
      const link = await linkOf(id);
      let t = process.hrtime.bigint();
      await putThroughLink(link, "data.bin", UPLOAD_BYTES);
      linkRates.push(UPLOAD_BYTES / MIB / (Number(process.hrtime.bigint() - t) / 1e9));
      await call(`${requests}/${id}/cancel`, { method: "POST", token: alice });

      const blob = raw.getBlockBlobClient(`round-${round}.bin`);
      t = process.hrtime.bigint();
      await blob.uploadStream(content(UPLOAD_BYTES));
      sdkRates.push(UPLOAD_BYTES / MIB / (Number(process.hrtime.bigint() - t) / 1e9));
      await blob.delete();
    }
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const linkMiBps = median(linkRates);
    const sdkMiBps = median(sdkRates);

    // ---- 2. Whole lifecycles, one at a time.
    const small = Buffer.from("site,value\nA,42\n");
    const lifecycle = async () => {
      const id = await create();
      const link = new URL(await linkOf(id));
      link.pathname = `${link.pathname}/data.bin`;
      const put = await fetch(link, {
        method: "PUT",
        headers: { "x-ms-blob-type": "BlockBlob" },
        body: small,
      });
      if (put.status !== 201) throw new Error(`upload answered ${put.status}`);
      await call(`${requests}/${id}/submit`, { method: "POST", token: alice });
      await verdict(id);
      await waitFor(id, "in_review");
      await call(`${requests}/${id}/review`, {
        method: "POST",
        token: bob,
        json: { approval: true, decisionExplanation: "Benchmark" },
      });
      await waitFor(id, "approved");
    };
    for (let i = 0; i < 5; i++) await lifecycle(); // warm-up
    const latencies = [];
    for (let i = 0; i < LIFECYCLES; i++) {
      const t = process.hrtime.bigint();
      await lifecycle();
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    latencies.sort((a, b) => a - b);

    // ---- 3. The API's RSS while 1 GiB goes through every stage.
    const rssOf = async () => {
      const status = await readFile(`/proc/${api.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    };
    const baseline = await rssOf();
    let peak = baseline;
    const sampler = setInterval(async () => {
      peak = Math.max(peak, await rssOf().catch(() => 0));
    }, 50);
    const phases = {};
    let t = Date.now();
    const id = await create();
    await putThroughLink(await linkOf(id), "data.bin", BIG_BYTES);
    phases.uploadMs = Date.now() - t;
    t = Date.now();
    await call(`${requests}/${id}/submit`, { method: "POST", token: alice });
    await verdict(id);
    const inReview = await waitFor(id, "in_review", 100);
    phases.submitToInReviewMs = Date.now() - t;
    t = Date.now();
    await call(`${requests}/${id}/review`, {
      method: "POST",
      token: bob,
      json: { approval: true, decisionExplanation: "Benchmark" },
    });
    await waitFor(id, "approved", 100);
    phases.approveToApprovedMs = Date.now() - t;
    clearInterval(sampler);
    peak = Math.max(peak, await rssOf());
    if (inReview.files[0]?.size !== BIG_BYTES) throw new Error("the big file did not arrive whole");

    const results = {
      benchmark: "azure",
      node: process.version,
      cpus: cpus().length,
      backends:
        "Azurite 3.37 (child process, in memory) and @vercel/cosmosdb-server (keep-alive), API from packages/server/dist in a child process",
      upload: {
        bytes: UPLOAD_BYTES,
        rounds: UPLOAD_ROUNDS,
        linkMiBPerSecond: Math.round(linkMiBps),
        sdkUploadStreamMiBPerSecond: Math.round(sdkMiBps),
        ratio: Math.round((linkMiBps / sdkMiBps) * 100) / 100,
        goalRatio: 0.8,
        notes:
          "link: the SAS URL the API answers, one streamed Put Blob with Content-Length (node:http); sdk: BlockBlobClient.uploadStream with its defaults (8 MiB blocks, 5 in parallel); medians of alternating rounds",
      },
      lifecycle: {
        count: LIFECYCLES,
        p50Ms: Math.round(percentile(latencies, 50)),
        p99Ms: Math.round(percentile(latencies, 99)),
        maxMs: Math.round(latencies.at(-1)),
        notes:
          "create, link, upload 16 bytes through the SAS URL, submit, Defender verdict at /api/events, poll (10 ms) until in_review, approve, poll until approved; one lifecycle at a time",
      },
      bigFile: {
        bytes: BIG_BYTES,
        apiRssBaselineMiB: mib(baseline),
        apiRssPeakMiB: mib(peak),
        apiRssGrowthMiB: mib(peak - baseline),
        goalGrowthMiB: 64,
        ...phases,
        notes:
          "upload straight to storage through the link; the API hashes the file at submit and after each copy (reading it through the SDK), Azurite copies by reference",
      },
      seconds: Math.round((Date.now() - started) / 1000),
    };
    await writeFile(
      new URL("./results/azure.json", import.meta.url),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await cleanup();
  }
};

await main();
// Emulator clients and timers must not hold the process open once the results are written.
process.exit(0);
