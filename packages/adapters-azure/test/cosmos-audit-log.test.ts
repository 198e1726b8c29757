import { type AuditEntry, type AuditSealing, generateAuditKeys } from "@airlock/core";
import { allAuditEntries, assertOk, mapAuditCheckpoints, sampleAuditRecord } from "@airlock/core/testing";
import type { Container } from "@azure/cosmos";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCosmosAuditLog } from "../src/cosmos-audit-log.js";
import { type CosmosBackend, startCosmosBackend } from "./support/backends.js";
import { rawCosmosContainer } from "./support/raw-cosmos.js";

let backend: CosmosBackend;
let sealing: AuditSealing;
beforeAll(async () => {
  backend = await startCosmosBackend();
  sealing = { keys: await generateAuditKeys(), checkpoints: mapAuditCheckpoints() };
});
afterAll(async () => {
  await backend?.stop();
});

const auditOn = (containerId: string) =>
  createCosmosAuditLog({ ...backend.connection, databaseId: backend.databaseId, containerId, sealing });

const rawContainer = (containerId: string): Container => rawCosmosContainer(backend, containerId);

const appendMany = async (audit: ReturnType<typeof auditOn>, stream: string, count: number) => {
  const entries: AuditEntry[] = [];
  for (let index = 0; index < count; index++) {
    entries.push(
      assertOk(await audit.append(sampleAuditRecord(stream, { reason: `step ${index}` })), "append"),
    );
  }
  return entries;
};

describe("Cosmos audit log", () => {
  it("names each document {stream}:{seq} in the stream's partition", async () => {
    const containerId = backend.containerId("audit");
    const stream = `workspace:${crypto.randomUUID()}`;
    await appendMany(auditOn(containerId), stream, 2);
    const { resources } = await rawContainer(containerId)
      .items.query<{ id: string; stream: string }>({
        query: "SELECT c.id, c.stream FROM c WHERE c.stream = @stream",
        parameters: [{ name: "@stream", value: stream }],
      })
      .fetchAll();
    expect(resources.map((doc) => doc.id).sort()).toEqual([
      `${stream}:000000000000`,
      `${stream}:000000000001`,
    ]);
  });

  it("a stream name with characters Cosmos refuses in ids still appends and lists", async () => {
    const audit = auditOn(backend.containerId("audit"));
    const stream = `odd/stream?with#chars\\${crypto.randomUUID()}`;
    const entries = await appendMany(audit, stream, 3);
    expect(await allAuditEntries(audit, stream, 2)).toEqual(entries);
    expect(assertOk(await audit.verify(stream), "verify")).toEqual({
      ok: true,
      entries: 3,
      checkpointSeq: 2,
    });
  });

  it("verify names the first entry whose content was changed in the store", async () => {
    const containerId = backend.containerId("audit");
    const audit = auditOn(containerId);
    const stream = crypto.randomUUID();
    const entries = await appendMany(audit, stream, 4);
    const target = rawContainer(containerId).item(`${stream}:000000000002`, stream);
    const { resource } = await target.read<AuditEntry & { id: string }>();
    await target.replace({ ...resource!, reason: "nothing to see here" });
    expect(entries[2]?.reason).toBe("step 2");
    expect(assertOk(await audit.verify(stream), "verify")).toEqual({
      ok: false,
      firstTampered: 2,
      reason: "content changed",
    });
  });

  it("verify reports a deleted entry as a gap in the sequence", async () => {
    const containerId = backend.containerId("audit");
    const audit = auditOn(containerId);
    const stream = crypto.randomUUID();
    await appendMany(audit, stream, 3);
    await rawContainer(containerId).item(`${stream}:000000000001`, stream).delete();
    expect(assertOk(await audit.verify(stream), "verify")).toEqual({
      ok: false,
      firstTampered: 1,
      reason: "sequence gap",
    });
  });

  it("two audit logs on one container appending to one stream at once build a single chain", async () => {
    const containerId = backend.containerId("audit");
    const [first, second] = [auditOn(containerId), auditOn(containerId)];
    const stream = crypto.randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        (index % 2 === 0 ? first : second).append(sampleAuditRecord(stream, { reason: `writer ${index}` })),
      ),
    );
    for (const result of results) assertOk(result, "append");
    const listed = await allAuditEntries(first, stream);
    expect(listed.map((entry) => entry.seq)).toEqual(Array.from({ length: 20 }, (_, index) => index));
    expect(assertOk(await second.verify(stream), "verify")).toEqual({
      ok: true,
      entries: 20,
      checkpointSeq: 19,
    });
  });

  it("an append whose next id is always taken gives up as Unavailable after its attempts", async () => {
    const containerId = backend.containerId("audit");
    const stream = crypto.randomUUID();
    await appendMany(auditOn(containerId), stream, 1);
    // A squatter on the next id that does not sort last: every attempt reads seq 0 and collides.
    await rawContainer(containerId).items.create({ id: `${stream}:000000000001`, stream, seq: -1 });
    const result = await createCosmosAuditLog({
      ...backend.connection,
      databaseId: backend.databaseId,
      containerId,
      maxAttempts: 3,
      sealing,
    }).append(sampleAuditRecord(stream));
    expect(result.isErr() && result.error).toMatchObject({
      kind: "Unavailable",
      message: expect.stringMatching(/3/),
    });
  });
});
