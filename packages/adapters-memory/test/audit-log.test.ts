import { GENESIS_HASH, hashAuditEntry } from "@airlock/core";
import { assertOk, sampleAuditRecord } from "@airlock/core/testing";
import { describe, expect, it } from "vitest";
import { createMemoryAuditLog, INJECTED_FAULT } from "../src/index.js";

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
      entries: 5,
      firstTampered: 2,
      reason: "content changed",
    });
  });

  it("an entry changed and rehashed is caught by the broken link of the next entry", async () => {
    const { audit, stream } = await logWith(4);
    const [, entry] = assertOk(await audit.list(stream), "list");
    const { hash: _old, ...content } = { ...entry!, reason: "rewritten" };
    // An attacker who recomputes the hash of what they changed still breaks the next entry's link.
    audit.tamper(stream, 1, { reason: "rewritten", hash: await hashAuditEntry(content) });
    expect(assertOk(await audit.verify(stream), "verify")).toEqual({
      ok: false,
      entries: 4,
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
    expect(assertOk(await audit.verify(stream), "verify")).toEqual({ ok: true, entries: 3 });
  });

  it("listed entries are copies: a reader cannot change the log through them", async () => {
    const { audit, stream } = await logWith(1);
    const [entry] = assertOk(await audit.list(stream), "list");
    expect(entry?.reason).toBe("step 0");
    (entry as { reason: string }).reason = "changed by a reader";
    (entry?.actor as { id: string }).id = "x";
    expect(assertOk(await audit.list(stream), "list")[0]).toMatchObject({
      reason: "step 0",
      prevHash: GENESIS_HASH,
    });
  });
});
