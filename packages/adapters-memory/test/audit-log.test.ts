import { GENESIS_HASH, hashAuditEntry } from "@airlock/core";
import { allAuditEntries, assertOk, sampleAuditRecord } from "@airlock/core/testing";
import { describe, expect, it } from "vitest";
import {
  createEphemeralAuditKeys,
  createMemoryAuditCheckpoints,
  createMemoryAuditLog,
  INJECTED_FAULT,
} from "../src/index.js";

const logWith = async (count: number) => {
  const audit = createMemoryAuditLog();
  const stream = crypto.randomUUID();
  for (let index = 0; index < count; index++) {
    assertOk(await audit.append(sampleAuditRecord(stream, { reason: `step ${index}` })), "append");
  }
  return { audit, stream };
};

describe("memory audit log", () => {
  it("verify reports the first entry whose content was changed", async () => {
    const { audit, stream } = await logWith(5);
    audit.tamper(stream, 2, { reason: "rewritten later" });
    expect(assertOk(await audit.verify(stream), "verify")).toEqual({
      ok: false,
      firstTampered: 2,
      reason: "content changed",
    });
  });

  it("an entry changed and rehashed with the chain key is caught by the broken link of the next entry", async () => {
    const { audit, stream } = await logWith(4);
    const [, entry] = assertOk(await audit.listAll(stream), "list");
    const { hash: _old, ...content } = { ...entry!, reason: "rewritten" };
    audit.tamper(stream, 1, {
      reason: "rewritten",
      hash: await hashAuditEntry(content, audit.sealing.keys.chainKey),
    });
    expect(assertOk(await audit.verify(stream), "verify")).toEqual({
      ok: false,
      firstTampered: 2,
      reason: "broken link",
    });
  });

  it("verify reports a broken link at the entry holding it", async () => {
    const { audit, stream } = await logWith(3);
    audit.tamper(stream, 0, { prevHash: "1".repeat(64) });
    expect(assertOk(await audit.verify(stream), "verify")).toMatchObject({
      ok: false,
      firstTampered: 0,
      reason: "broken link",
    });
  });

  it("verify reports a renumbered entry as a sequence gap", async () => {
    const { audit, stream } = await logWith(3);
    audit.tamper(stream, 2, { seq: 7 });
    expect(assertOk(await audit.verify(stream), "verify")).toMatchObject({
      ok: false,
      firstTampered: 2,
      reason: "sequence gap",
    });
  });

  it("verify walks a stream longer than a page", async () => {
    const { audit, stream } = await logWith(2_100);
    expect(assertOk(await audit.verify(stream), "verify")).toEqual({
      ok: true,
      entries: 2_100,
      checkpointSeq: 2_099,
    });
    audit.tamper(stream, 1_500, { reason: "rewritten" });
    expect(assertOk(await audit.verify(stream), "verify")).toEqual({
      ok: false,
      firstTampered: 1_500,
      reason: "content changed",
    });
  });

  it("a page is capped at 1000 entries whatever the limit asked", async () => {
    const { audit, stream } = await logWith(1_001);
    const page = assertOk(await audit.list(stream, { fromSeq: 0, limit: 5_000 }), "list");
    expect(page.entries).toHaveLength(1_000);
    expect(page.nextSeq).toBe(1_000);
  });

  it("tamper of an entry that does not exist is a programmer error", async () => {
    const { audit, stream } = await logWith(1);
    expect(() => audit.tamper(stream, 5, { reason: "x" })).toThrow(/no entry 5/);
  });

  it("an injected append fault adds nothing and the chain goes on from where it was", async () => {
    const { audit, stream } = await logWith(2);
    audit.failNext("append");
    const failed = await audit.append(sampleAuditRecord(stream));
    expect(failed._unsafeUnwrapErr()).toEqual({ kind: "Unavailable", message: INJECTED_FAULT });
    const next = assertOk(await audit.append(sampleAuditRecord(stream)), "append");
    expect(next.seq).toBe(2);
    expect(assertOk(await audit.verify(stream), "verify")).toEqual({
      ok: true,
      entries: 3,
      checkpointSeq: 2,
    });
  });

  it("a failed checkpoint fails the append; the next append's checkpoint covers the entry", async () => {
    const checkpoints = createMemoryAuditCheckpoints();
    const audit = createMemoryAuditLog({ sealing: { keys: createEphemeralAuditKeys(), checkpoints } });
    const stream = crypto.randomUUID();
    assertOk(await audit.append(sampleAuditRecord(stream)), "append");
    checkpoints.failNext("put");
    expect((await audit.append(sampleAuditRecord(stream)))._unsafeUnwrapErr()).toMatchObject({
      kind: "Unavailable",
    });
    expect(assertOk(await checkpoints.latest(stream), "latest")?.seq).toBe(0);
    assertOk(await audit.append(sampleAuditRecord(stream)), "append");
    expect(assertOk(await audit.verify(stream), "verify")).toEqual({
      ok: true,
      entries: 3,
      checkpointSeq: 2,
    });
  });

  it("listed entries are copies: a reader cannot change the log through them", async () => {
    const { audit, stream } = await logWith(1);
    const [entry] = await allAuditEntries(audit, stream);
    expect(entry?.reason).toBe("step 0");
    (entry as { reason: string }).reason = "changed by a reader";
    (entry?.actor as { id: string }).id = "x";
    expect(assertOk(await audit.listAll(stream), "list")[0]).toMatchObject({
      reason: "step 0",
      prevHash: GENESIS_HASH,
    });
  });
});
