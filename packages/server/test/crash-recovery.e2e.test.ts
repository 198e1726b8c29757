import { Agent } from "node:https";
import {
  accountsByConvention,
  createBlobAuditCheckpoints,
  createBlobStorage,
  createCosmosAuditLog,
  createCosmosRequestRepository,
  parseStorageConnectionString,
} from "@airlock/adapters-azure";
import type { AirlockRequest } from "@airlock/core";
import { allAuditEntries } from "@airlock/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_SECRET } from "../../http/test/support/server.js";
import { loadAuditKeys } from "../src/profiles/audit-sealing.js";
import { checkpointContainer } from "../src/profiles/azure-audit-checkpoints.js";
import type { AzureSettings } from "../src/profiles/azure-settings.js";
import {
  type AzureBackends,
  auditSecretsFor,
  azureSettingsFor,
  eventGridScanResult,
  STAGES,
  startAzureBackends,
} from "./support/azure-stack.js";
import { type ChildApi, startChildApi } from "./support/child-api.js";
import {
  auditAgainstHistory,
  type CrashStats,
  countByStatus,
  pause,
  peopleOf,
  registerWorkspace,
  retryingCall,
  runWithKills,
  seeded,
  settledRequests,
  storedFileProblems,
} from "./support/crash-lifecycles.js";
import { freePort } from "./support/free-port.js";

// The API as a child process on the emulators (which stay up), 200 request lifecycles driven
// against it with concurrency, and the process killed with SIGKILL at random points and started
// again each time (it then runs processor.recover() and resume()). At the end, read from the backing
// services themselves: nothing in progress, every file in exactly its status's stage with the bytes
// recorded at submit, every audit chain intact and holding every status change (the audit outbox
// repairs an entry a kill cut off). What the emulator gets wrong is counted and printed.

const SEED = 20_261_123;
const LIFECYCLES = 200;
const CONCURRENCY = 8;
const KILLS = 4;
const WS = "wscrash";
const EVENTS_KEY = "crash-recovery-events-key-0123456789";

const envOf = (settings: AzureSettings): Record<string, string> => {
  if (
    settings.storage.layout !== "single-account-prefixes" ||
    settings.storage.connectionString === undefined
  ) {
    throw new Error("the crash test runs on one account with a connection string");
  }
  return {
    AIRLOCK_PROFILE: "azure",
    AIRLOCK_TRE_ID: settings.storage.treId,
    AIRLOCK_STORAGE_LAYOUT: "single-account-prefixes",
    AIRLOCK_STORAGE_CONNECTION_STRING: settings.storage.connectionString,
    AIRLOCK_COSMOS_ENDPOINT: settings.cosmos.endpoint,
    AIRLOCK_COSMOS_KEY: settings.cosmos.key ?? "",
    AIRLOCK_COSMOS_DATABASE: settings.cosmos.database,
    AIRLOCK_COSMOS_REQUESTS_CONTAINER: settings.cosmos.containers.requests,
    AIRLOCK_COSMOS_AUDIT_CONTAINER: settings.cosmos.containers.audit,
    AIRLOCK_COSMOS_WORKSPACES_CONTAINER: settings.cosmos.containers.workspaces,
    AIRLOCK_COSMOS_EMULATOR: String(settings.cosmos.emulator),
    AIRLOCK_SCANNER: "defender",
    AIRLOCK_EVENTS_KEY: EVENTS_KEY,
    AIRLOCK_DEV_SECRET: TEST_SECRET,
    LOG_LEVEL: "warn",
  };
};

let backends: AzureBackends;
let api: ChildApi | undefined;

beforeAll(async () => {
  backends = await startAzureBackends();
}, 60_000);

afterAll(async () => {
  await api?.kill("SIGTERM");
  await backends?.stop();
}, 60_000);

describe("the API killed with SIGKILL while 200 requests go through it", () => {
  it("leaves no request in progress, no file lost or in two stages, and every audit chain intact", async () => {
    const secrets = auditSecretsFor(
      azureSettingsFor(backends, { scanner: "defender", eventsKey: EVENTS_KEY }),
    );
    const settings = secrets.settings;
    // A few users drive 200 lifecycles as fast as they can: no rate limit is under test here.
    const env = { ...envOf(settings), ...secrets.env, AIRLOCK_RATE_LIMIT: "off" };
    const port = await freePort();
    const start = () => startChildApi({ env, port, timeoutMs: 60_000 });
    api = await start();
    const base = api.url;
    const random = seeded(SEED);
    const stats: CrashStats = { restarts: 0, retriedCalls: 0, unexpected: [] };
    const call = retryingCall(base, stats);
    const people = await peopleOf(WS);
    const registered = await registerWorkspace(call, people, WS, { maxFiles: 1, maxFileSize: 1024 * 1024 });
    expect(registered.status, JSON.stringify(registered.body)).toBeLessThan(300);

    const { account } = parseStorageConnectionString(backends.blob.connectionString);
    const accounts = accountsByConvention({ treId: settings.storage.treId });
    const inProgressBlob = (id: string) =>
      `${account.blobEndpoint}/${accounts("import", "in_progress", WS).accountName}-${id}/data.csv`;

    const run = await runWithKills({
      random,
      count: LIFECYCLES,
      concurrency: CONCURRENCY,
      kills: KILLS,
      maxDelayMs: 400,
      kill: async () => {
        await api?.kill("SIGKILL");
        api = await start();
        stats.restarts += 1;
      },
      lifecycle: {
        call,
        people,
        workspaceId: WS,
        // Straight to Azurite with the SAS: the upload does not go through the API being killed.
        upload: async (containerUrl, index) => {
          const url = new URL(containerUrl);
          url.pathname = `${url.pathname}/data.csv`;
          const put = await fetch(url, {
            method: "PUT",
            headers: { "x-ms-blob-type": "BlockBlob" },
            body: `lifecycle,${index}\n`,
          });
          if (put.status !== 201) throw new Error(`upload answered ${put.status}`);
        },
        whileSubmitted: async (id, plan) => {
          const result = plan.verdict === "clean" ? "No threats found" : "Malicious";
          const event = eventGridScanResult(inProgressBlob(id), result);
          await call(`/api/events?code=${EVENTS_KEY}`, { method: "POST", json: [event] });
          await pause(100);
        },
      },
    });
    const { ids, finished, killAt, killedAt, drove } = run;
    const began = Date.now() - drove;

    // ---- What the engine guarantees, read from the backing services themselves.
    const agent = new Agent({ rejectUnauthorized: false, keepAlive: true });
    const connection = {
      endpoint: settings.cosmos.endpoint,
      key: settings.cosmos.key ?? "",
      ...(settings.cosmos.emulator
        ? { clientOptions: { agent, connectionPolicy: { enableEndpointDiscovery: false } } }
        : {}),
      databaseId: settings.cosmos.database,
    };
    const repository = createCosmosRequestRepository({
      ...connection,
      containerId: settings.cosmos.containers.requests,
    });
    const audit = createCosmosAuditLog({
      ...connection,
      containerId: settings.cosmos.containers.audit,
      sealing: {
        keys: loadAuditKeys(settings.audit).keys,
        checkpoints: createBlobAuditCheckpoints({
          container: checkpointContainer(settings, () => {
            throw new Error("the test's checkpoints use the account key");
          }).container,
        }),
      },
    });
    const storage = createBlobStorage({
      layout: "single-account-prefixes",
      accounts,
      ...parseStorageConnectionString(backends.blob.connectionString),
    });

    const all = await settledRequests(repository);

    let missingAudit = 0;
    let duplicateKeys = 0;
    const problems: string[] = [];
    const check = async (request: AirlockRequest) => {
      problems.push(...(await storedFileProblems(request, storage, ids.includes(request.id))));
      const entries = await allAuditEntries(audit, request.id);
      const verification = (await audit.verify(request.id))._unsafeUnwrap();
      if (!verification.ok) problems.push(`${request.id}: audit chain broken (${verification.reason})`);
      // The emulator's transactional batch is not atomic, so a record sent twice (by its writer and
      // by the next write's flush racing it, or by a killed process and by `recover` after the
      // restart) can land twice there: counted, and failed only against real Azure.
      const matched = auditAgainstHistory(request, entries);
      missingAudit += matched.missing;
      duplicateKeys += matched.duplicateKeys;
      if (matched.problem !== null) problems.push(matched.problem);
    };
    const queue = [...all];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let request = queue.shift(); request !== undefined; request = queue.shift())
          await check(request);
      }),
    );
    agent.destroy();
    if (backends.live) {
      // A real account keeps what the test leaves.
      for (const request of all) {
        const ref = { requestId: request.id, workspaceId: request.workspaceId, type: request.type };
        for (const stage of STAGES) await storage.deleteContainer(ref, stage);
      }
    }

    const transitions = all.reduce((sum, request) => sum + request.history.length, 0);
    const byStatus = countByStatus(all);
    process.stdout.write(
      `\ncrash recovery: ${LIFECYCLES} lifecycles, ${stats.restarts} SIGKILL restarts (after ${killAt.join(", ")} finished), ` +
        `${stats.retriedCalls} calls retried, ${all.length} requests stored ${JSON.stringify(byStatus)}; ` +
        `${missingAudit} of ${transitions} status transitions have no audit entry, ` +
        `${duplicateKeys} audit records stored twice (emulator: its batches are not atomic); ` +
        `driven in ${drove} ms (kills at ${killedAt.join(", ")} ms), checked in ${Date.now() - began - drove} ms\n`,
    );

    expect(stats.restarts).toBe(KILLS);
    expect(finished).toBe(LIFECYCLES);
    expect(stats.unexpected).toEqual([]);
    expect(problems).toEqual([]);
    // The audit outbox: a kill between a write and its audit entry is repaired by recover() at restart.
    expect(missingAudit).toBe(0);
    if (backends.live) expect(duplicateKeys).toBe(0);
    expect(all.filter((request) => ids.includes(request.id))).toHaveLength(LIFECYCLES);
  }, 400_000);
});
