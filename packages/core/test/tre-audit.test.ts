import { describe, expect, it } from "vitest";
import { type Actor, type AuditEntry, TRE_STREAM } from "../src/index.js";
import { errorOf, type Harness, makeHarness, people, unwrap } from "./support/harness.js";

const entriesOf = async (h: Harness, stream: string) => unwrap(h.ports.audit.listAll(stream));

/** Refusals the HTTP layer records for tokens that named no workspace, `count` of them. */
const refuseTreWide = async (h: Harness, count: number) => {
  for (let n = 0; n < count; n += 1) {
    await unwrap(
      h.airlock.recordDenial({
        subject: { id: `caller-${n}`, name: `Caller ${n}` },
        workspaceId: null,
        requestId: null,
        action: "authorize",
        code: "Forbidden",
        message: `this needs the TREAdmin role (GET /api/workspaces/:ws, call ${n})`,
      }),
    );
  }
};

/** Every page of the TRE-wide trail as `reader` reads it, `pageSize` at a time. */
const readAll = async (h: Harness, reader: Actor, pageSize: number) => {
  const pages: (readonly AuditEntry[])[] = [];
  let continuation: string | null | undefined;
  do {
    const page = await unwrap(
      h.airlock.treAuditTrail(reader, { pageSize, ...(continuation ? { continuation } : {}) }),
    );
    pages.push(page.entries);
    continuation = page.continuation;
  } while (continuation !== null);
  return pages;
};

describe("the TRE-wide audit trail", () => {
  it("is read by a TREAdmin a page at a time, every entry once in seq order, and verifies", async () => {
    const h = makeHarness();
    await refuseTreWide(h, 5);
    const pages = await readAll(h, people.ada, 2);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(await entriesOf(h, TRE_STREAM));
    expect(pages.flat().map((entry) => entry.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(await unwrap(h.airlock.verifyTreAuditTrail(people.ada))).toEqual({
      ok: true,
      entries: 5,
      checkpointSeq: 4,
    });
  });

  it("answers an empty page, and verifies, before anything was refused", async () => {
    const h = makeHarness();
    expect(await unwrap(h.airlock.treAuditTrail(people.ada))).toEqual({ entries: [], continuation: null });
    expect(await unwrap(h.airlock.verifyTreAuditTrail(people.ada))).toMatchObject({ ok: true, entries: 0 });
  });

  it("refuses anyone without TREAdmin, a workspace's roles included, and records the refusal in that trail", async () => {
    const h = makeHarness();
    const claimsEverything: Actor = {
      ...people.mo,
      roles: ["WorkspaceResearcher", "WorkspaceOwner", "AirlockManager", "TREUser"],
    };
    for (const reader of [people.rita, people.olga, people.mo, claimsEverything]) {
      expect(await errorOf(h.airlock.treAuditTrail(reader))).toEqual({
        kind: "Forbidden",
        message: "reading the TRE's audit trail needs one of the roles TREAdmin",
      });
    }
    expect(await errorOf(h.airlock.verifyTreAuditTrail(people.olga))).toMatchObject({ kind: "Forbidden" });

    const recorded = await entriesOf(h, TRE_STREAM);
    expect(
      recorded.map(({ actor, action, outcome, workspaceId, requestId }) => [
        actor.id,
        action,
        outcome,
        workspaceId,
        requestId,
      ]),
    ).toEqual([
      ["rita", "audit", "denied", "", null],
      ["olga", "audit", "denied", "", null],
      ["mo", "audit", "denied", "", null],
      ["mo", "audit", "denied", "", null],
      ["olga", "audit", "denied", "", null],
    ]);
    expect(recorded[0]?.reason).toBe(
      "Forbidden: reading the TRE's audit trail needs one of the roles TREAdmin",
    );
    // Nothing else learnt of them: the workspace's own stream stays empty.
    expect(await entriesOf(h, `workspace:${h.ws}`)).toEqual([]);
    expect((await unwrap(h.airlock.treAuditTrail(people.ada))).entries).toHaveLength(5);
  });

  it("answers a bad continuation or page size with InvalidInput and records nothing", async () => {
    const h = makeHarness();
    await refuseTreWide(h, 1);
    const before = await entriesOf(h, TRE_STREAM);
    for (const query of [
      { continuation: "abc" },
      { continuation: "-1" },
      { pageSize: 0 },
      { pageSize: 1001 },
    ]) {
      expect(await errorOf(h.airlock.treAuditTrail(people.ada, query)), JSON.stringify(query)).toMatchObject({
        kind: "InvalidInput",
      });
    }
    expect(await entriesOf(h, TRE_STREAM)).toEqual(before);
  });

  it("is not a workspace's stream: a refusal in the workspace stays out of it", async () => {
    const h = makeHarness();
    await errorOf(h.airlock.list({ ...people.rita, roles: [] }, h.ws, {}));
    expect(await entriesOf(h, `workspace:${h.ws}`)).toHaveLength(1);
    expect(await unwrap(h.airlock.treAuditTrail(people.ada))).toEqual({ entries: [], continuation: null });
  });
});
