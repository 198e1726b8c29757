import { randomUUID } from "node:crypto";
import {
  type Actor,
  type Airlock,
  type AirlockError,
  type AirlockStorage,
  type AuditSealing,
  createAirlock,
  DEFAULT_POLICY,
  type EventPublisher,
  generateAuditKeys,
  type MalwareScanner,
  type Notifier,
  type Stage,
  statusMeta,
  type Workspace,
} from "@airlock/core";
import { allAuditEntries, assertOk, mapAuditCheckpoints } from "@airlock/core/testing";
import { okAsync, type Result } from "neverthrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCosmosAuditLog } from "../src/cosmos-audit-log.js";
import { createCosmosRequestRepository } from "../src/cosmos-request-repository.js";
import { createCosmosWorkspaceRegistry } from "../src/cosmos-workspace-registry.js";
import {
  type BlobBackend,
  type CosmosBackend,
  startBlobBackend,
  startCosmosBackend,
} from "./support/backends.js";

// Two engines (as two API processes would be) on the same Cosmos containers and the same blob
// account, racing on the same requests. The repository's etag is the only thing between them.

const STAGES: readonly Stage[] = ["draft", "in_progress", "approved", "rejected", "blocked"];
const WS = "ws-race";

const person = (id: string, role: Actor["roles"][number]): Actor => ({
  id,
  name: id,
  email: `${id}@example.org`,
  roles: [role],
});
const alice = person("alice", "WorkspaceResearcher");
const bob = person("bob", "AirlockManager");
const mona = person("mona", "AirlockManager");

const WORKSPACE: Workspace = {
  id: WS,
  displayName: "Race",
  clientId: WS,
  policy: { ...DEFAULT_POLICY, maxFiles: 1, maxFileSize: 1024 * 1024 },
  members: [
    { id: "alice", name: "alice", email: "alice@example.org", roles: ["WorkspaceResearcher"] },
    { id: "bob", name: "bob", email: "bob@example.org", roles: ["AirlockManager"] },
    { id: "mona", name: "mona", email: "mona@example.org", roles: ["AirlockManager"] },
  ],
};

/** Clean for everything: scanning is not what races here. */
const cleanScanner: MalwareScanner = { scan: () => okAsync({ verdict: "clean" }) };
const quietNotifier: Notifier = { notify: () => okAsync(undefined) };
const quietEvents: EventPublisher = { publish: () => okAsync(undefined) };

let blob: BlobBackend;
let cosmos: CosmosBackend;
let first: Airlock;
let second: Airlock;
let storage: AirlockStorage;
let audit: ReturnType<typeof createCosmosAuditLog>;
let repository: ReturnType<typeof createCosmosRequestRepository>;
/** One set of audit keys and one checkpoint store, shared by both engines as a deployment shares them. */
let sealing: AuditSealing;

const engine = (containers: { requests: string; audit: string; workspaces: string }) => {
  // Each engine has its own clients, as a separate process would.
  const connection = { ...cosmos.connection, databaseId: cosmos.databaseId };
  const ownStorage = blob.storage();
  return {
    storage: ownStorage,
    airlock: createAirlock(
      {
        repository: createCosmosRequestRepository({ ...connection, containerId: containers.requests }),
        audit: createCosmosAuditLog({ ...connection, containerId: containers.audit, sealing }),
        workspaces: createCosmosWorkspaceRegistry({ ...connection, containerId: containers.workspaces }),
        storage: ownStorage,
        scanner: cleanScanner,
        notifier: quietNotifier,
        events: quietEvents,
        clock: { now: () => Date.now() },
        ids: { next: () => randomUUID() },
      },
      { processing: "inline" },
    ),
  };
};

beforeAll(async () => {
  [blob, cosmos] = await Promise.all([startBlobBackend(), startCosmosBackend()]);
  sealing = { keys: await generateAuditKeys(), checkpoints: mapAuditCheckpoints() };
  const containers = {
    requests: cosmos.containerId("requests"),
    audit: cosmos.containerId("audit"),
    workspaces: cosmos.containerId("workspaces"),
  };
  const a = engine(containers);
  first = a.airlock;
  second = engine(containers).airlock;
  storage = a.storage;
  const connection = { ...cosmos.connection, databaseId: cosmos.databaseId };
  repository = createCosmosRequestRepository({ ...connection, containerId: containers.requests });
  audit = createCosmosAuditLog({ ...connection, containerId: containers.audit, sealing });
  assertOk(
    await createCosmosWorkspaceRegistry({ ...connection, containerId: containers.workspaces }).put(WORKSPACE),
    "register the workspace",
  );
});

afterAll(async () => {
  await Promise.all([first?.processor.idle(), second?.processor.idle()]);
  await Promise.all([blob?.stop(), cosmos?.stop()]);
});

const bytes = (text: string): AsyncIterable<Uint8Array> => ({
  async *[Symbol.asyncIterator]() {
    yield new TextEncoder().encode(text);
  },
});

const settle = async () => {
  for (let round = 0; round < 3; round++) {
    await Promise.all([first.processor.idle(), second.processor.idle()]);
    // A step that lost a race to the other engine is picked up by a sweep, as the API's timer does.
    assertOk(await first.processor.resume(), "resume");
    assertOk(await second.processor.resume(), "resume");
  }
  await Promise.all([first.processor.idle(), second.processor.idle()]);
};

const draft = async (content: string): Promise<string> => {
  const view = assertOk(
    await first.create(alice, WS, { type: "import", title: "Race", businessJustification: "Racing" }),
    "create",
  );
  const id = view.airlockRequest.id;
  assertOk(await second.upload(id, "data.csv", bytes(content)), "upload");
  return id;
};

const inReview = async (content: string): Promise<string> => {
  const id = await draft(content);
  assertOk(await first.submit(alice, WS, id), "submit");
  await settle();
  const request = assertOk(await repository.get(id), "get");
  expect(request.status).toBe("in_review");
  return id;
};

const LOSING_KINDS = ["Conflict", "IllegalTransition"];

/** Exactly one of the racing commands succeeded; the other lost as a race loses (never anything else). */
const expectOneWinner = (results: readonly Result<unknown, AirlockError>[]): number => {
  const winners = results.flatMap((result, index) => (result.isOk() ? [index] : []));
  expect(winners, JSON.stringify(results.map((r) => (r.isErr() ? r.error : "ok")))).toHaveLength(1);
  for (const result of results) if (result.isErr()) expect(LOSING_KINDS).toContain(result.error.kind);
  return winners[0] ?? -1;
};

/** Where the request's data is, in every stage. */
const placement = async (id: string) => {
  const request = assertOk(await repository.get(id), "get");
  const ref = { requestId: id, workspaceId: request.workspaceId, type: request.type };
  const stages: Stage[] = [];
  for (const stage of STAGES) {
    if (assertOk(await storage.listFiles(ref, stage), "list").length > 0) stages.push(stage);
  }
  return { request, stages };
};

/** Nothing in progress, the data in exactly the status's stage, an intact audit chain with every transition. */
const expectSettled = async (id: string, status: string) => {
  const { request, stages } = await placement(id);
  expect(request.status).toBe(status);
  expect(statusMeta(request.status).inProgress).toBe(false);
  const expected = statusMeta(request.status).stage;
  const where = expected === "keep" ? request.dataStage : expected;
  expect(request.dataStage).toBe(where);
  expect(stages).toEqual(where === null ? [] : [where]);
  expect(assertOk(await audit.verify(id), "verify").ok).toBe(true);
  const transitions = (await allAuditEntries(audit, id)).filter((entry) => entry.outcome === "transition");
  expect(transitions.map((entry) => entry.toStatus)).toEqual(request.history.map((entry) => entry.status));
};

const ROUNDS = 8;

describe("two engines on the same Cosmos DB and blob account", () => {
  it("racing reviews (approve on one, reject on the other): exactly one decides, and the data follows it", async () => {
    const ids = await Promise.all(Array.from({ length: ROUNDS }, (_, i) => inReview(`row,${i}\n`)));
    const outcomes = await Promise.all(
      ids.map(async (id) =>
        expectOneWinner(
          await Promise.all([
            first.review(bob, WS, id, { approval: true, decisionExplanation: "fine" }),
            second.review(mona, WS, id, { approval: false, decisionExplanation: "not fine" }),
          ]),
        ),
      ),
    );
    await settle();
    for (const [index, id] of ids.entries()) {
      await expectSettled(id, outcomes[index] === 0 ? "approved" : "rejected");
    }
  });

  it("a cancel racing a review: one of them happens, never both", async () => {
    const ids = await Promise.all(Array.from({ length: ROUNDS }, (_, i) => inReview(`cancel,${i}\n`)));
    const outcomes = await Promise.all(
      ids.map(async (id) =>
        expectOneWinner(
          await Promise.all([
            first.cancel(alice, WS, id),
            second.review(bob, WS, id, { approval: true, decisionExplanation: "fine" }),
          ]),
        ),
      ),
    );
    await settle();
    for (const [index, id] of ids.entries()) {
      await expectSettled(id, outcomes[index] === 0 ? "cancelled" : "approved");
    }
  });

  it("the same draft submitted on both: one submit, one scan, one review to wait for", async () => {
    const ids = await Promise.all(Array.from({ length: ROUNDS }, (_, i) => draft(`submit,${i}\n`)));
    await Promise.all(
      ids.map(async (id) =>
        expectOneWinner(await Promise.all([first.submit(alice, WS, id), second.submit(alice, WS, id)])),
      ),
    );
    await settle();
    for (const id of ids) await expectSettled(id, "in_review");
  });

  it("both processors and a late verdict on the same submitted requests move each one exactly once", async () => {
    const ids = await Promise.all(Array.from({ length: ROUNDS }, (_, i) => draft(`process,${i}\n`)));
    await Promise.all(ids.map((id) => first.submit(alice, WS, id)));
    await Promise.all(
      ids.flatMap((id) => [
        first.processor.process(id),
        second.processor.process(id),
        second.recordScanResult(id, { verdict: "clean" }),
      ]),
    );
    await settle();
    for (const id of ids) await expectSettled(id, "in_review");
    // Then both approve and reject again, through the other engine than before.
    await Promise.all(
      ids.map(async (id) =>
        expectOneWinner(
          await Promise.all([
            second.review(bob, WS, id, { approval: true, decisionExplanation: "fine" }),
            first.review(mona, WS, id, { approval: true, decisionExplanation: "also fine" }),
          ]),
        ),
      ),
    );
    await settle();
    for (const id of ids) await expectSettled(id, "approved");
  });
});
