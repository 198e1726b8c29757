import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createFileAuditCheckpoints,
  createFileStorage,
  createSqliteAuditLog,
  createSqliteRequestRepository,
  DATABASE_FILE,
  FILES_DIR,
  openAirlockDatabase,
} from "@airlock/adapters-local";
import { needsProcessing, statusMeta } from "@airlock/core";
import { allAuditEntries, EICAR } from "@airlock/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_SECRET } from "../../http/test/support/server.js";
import { loadWritingAuditKeys } from "../src/profiles/audit-sealing.js";
import { dataDirAuditKeyFiles } from "../src/profiles/data-dir-secrets.js";
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

// The local profile as a child process, 200 request lifecycles driven against it with concurrency
// (uploads of up to 2 MiB through its links included), and the process killed with SIGKILL at
// random points and started again each time. Events go to a webhook that refuses some deliveries.
// At the end, read from the data directory itself: no request lost or in progress, every file in
// its status's stage with the bytes recorded at submit, every audit chain intact and holding every
// status change, and every status change delivered as an event at least once.

const SEED = 20_261_125;
const LIFECYCLES = 200;
const CONCURRENCY = 8;
const KILLS = 10;
const WS = "wslocal";
const MAX_UPLOAD = 2 * 1024 * 1024;

let dataDir: string;
let api: ChildApi | undefined;
let receiver: Server;
const delivered = new Map<string, number>();
let refused = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "airlock-crash-"));
  const refuse = seeded(SEED + 1);
  receiver = createServer((request, response) => {
    if (request.method === "OPTIONS") {
      response.writeHead(200, { "WebHook-Allowed-Origin": "*" }).end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      // A few deliveries are refused: the outbox must try again (and holds the later events to
      // this endpoint back meanwhile, to keep their order).
      if (refuse() < 0.03) {
        refused += 1;
        response.writeHead(503).end();
        return;
      }
      const event = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id: string };
      delivered.set(event.id, (delivered.get(event.id) ?? 0) + 1);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  await api?.kill("SIGKILL");
  await new Promise((resolve) => receiver.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe("the local profile killed with SIGKILL while 200 requests go through it", () => {
  it("loses no request, leaves none in progress, keeps every file and audit chain, and delivers every event", async () => {
    const address = receiver.address();
    if (address === null || typeof address === "string") throw new Error("the receiver has no port");
    const env = {
      AIRLOCK_DATA_DIR: dataDir,
      AIRLOCK_DEV_SECRET: TEST_SECRET,
      AIRLOCK_RATE_LIMIT: "off",
      AIRLOCK_WEBHOOK_URLS: `http://127.0.0.1:${address.port}/events`,
      LOG_LEVEL: "warn",
    };
    const port = await freePort();
    const start = () => startChildApi({ env, port, timeoutMs: 60_000 });
    api = await start();
    const stats: CrashStats = { restarts: 0, retriedCalls: 0, unexpected: [] };
    const call = retryingCall(api.url, stats);
    const people = await peopleOf(WS);
    // Drafts whose create answer a kill cut off stay open: more than the default quota of 10.
    const registered = await registerWorkspace(call, people, WS, {
      maxFiles: 1,
      maxFileSize: MAX_UPLOAD,
      maxOpenDrafts: 100,
    });
    expect(registered.status, JSON.stringify(registered.body)).toBeLessThan(300);

    const random = seeded(SEED);
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
        // Through the API being killed: an upload cut off is sent again, with the same link.
        upload: async (containerUrl, _index, plan) => {
          const url = new URL(containerUrl);
          url.pathname = `${url.pathname}/data.csv`;
          const body =
            plan.verdict === "threat"
              ? new TextEncoder().encode(EICAR)
              : randomBytes(64 * 1024 + Math.floor(Math.random() * (MAX_UPLOAD - 64 * 1024)));
          for (;;) {
            try {
              const put = await fetch(url, {
                method: "PUT",
                headers: { "x-ms-blob-type": "BlockBlob" },
                body,
              });
              if (put.status === 201) return;
              if (put.status < 500) throw new Error(`upload answered ${put.status}: ${await put.text()}`);
            } catch (error) {
              if (error instanceof Error && error.message.startsWith("upload answered")) throw error;
            }
            stats.retriedCalls += 1;
            await pause(100);
          }
        },
        // Scanning runs in the server; a kill before it is finished by the sweep after the restart.
        whileSubmitted: async () => {
          await pause(50);
        },
      },
    });
    const { ids, finished, killAt, killedAt, drove } = run;
    const checking = Date.now();

    // ---- What the engine guarantees, read from the data directory itself.
    const database = openAirlockDatabase(join(dataDir, DATABASE_FILE));
    const repository = createSqliteRequestRepository(database);
    const storage = createFileStorage({ root: join(dataDir, FILES_DIR) });
    const keyFiles = await dataDirAuditKeyFiles(dataDir);
    const audit = createSqliteAuditLog(database, {
      keys: loadWritingAuditKeys({
        chainKey: { file: keyFiles.chainKeyFile },
        signingKey: { file: keyFiles.signingKeyFile },
        checkpointsContainer: "",
      }).keys,
      checkpoints: createFileAuditCheckpoints({ dir: join(dataDir, "audit-checkpoints") }),
    });
    const all = await settledRequests(repository);
    const expectedEvents = all.flatMap((request) =>
      request.history.map((_, n) => `${request.id}/status/${n}`),
    );
    const undelivered = () => expectedEvents.filter((id) => !delivered.has(id));
    const deliveredBy = Date.now() + 120_000;
    while (undelivered().length > 0 && Date.now() < deliveredBy) await pause(250);

    let missingAudit = 0;
    let duplicateKeys = 0;
    const problems: string[] = [];
    for (const request of all) {
      problems.push(...(await storedFileProblems(request, storage, ids.includes(request.id))));
      const verification = (await audit.verify(request.id))._unsafeUnwrap();
      if (!verification.ok) problems.push(`${request.id}: audit chain broken (${verification.reason})`);
      const matched = auditAgainstHistory(request, await allAuditEntries(audit, request.id));
      missingAudit += matched.missing;
      duplicateKeys += matched.duplicateKeys;
      if (matched.problem !== null) problems.push(matched.problem);
    }
    database.close();

    const lost = ids.filter((id) => !all.some((request) => request.id === id));
    const stuck = all.filter((request) => statusMeta(request.status).inProgress || needsProcessing(request));
    const repeats = [...delivered.values()].filter((count) => count > 1).length;
    process.stdout.write(
      `\nlocal crash recovery: ${LIFECYCLES} lifecycles, ${stats.restarts} SIGKILL restarts (after ${killAt.join(", ")} finished), ` +
        `${stats.retriedCalls} calls retried, ${all.length} requests stored ${JSON.stringify(countByStatus(all))}; ` +
        `lost ${lost.length}, stuck ${stuck.length}, undelivered events ${undelivered().length} of ${expectedEvents.length} ` +
        `(${repeats} delivered more than once, ${refused} deliveries refused by the receiver), ` +
        `${missingAudit} status changes without an audit entry, ${duplicateKeys} audit records stored twice; ` +
        `driven in ${drove} ms (kills at ${killedAt.join(", ")} ms), checked in ${Date.now() - checking} ms\n`,
    );

    expect(stats.restarts).toBe(KILLS);
    expect(finished).toBe(LIFECYCLES);
    expect(stats.unexpected).toEqual([]);
    expect(problems).toEqual([]);
    expect(lost).toEqual([]);
    expect(stuck).toEqual([]);
    expect(undelivered()).toEqual([]);
    expect(missingAudit).toBe(0);
    expect(duplicateKeys).toBe(0);
  }, 600_000);
});
