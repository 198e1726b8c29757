import { type AuditEntry, GENESIS_HASH, hashAuditEntry } from "../model/audit.js";
import type { AuditLog } from "../ports/audit-log.js";
import { assert, assertEqual, assertOk } from "./assert.js";
import { type ContractOptions, type ContractRunner, defineContract, fresh } from "./contract.js";
import { sampleAuditRecord } from "./fixtures.js";

const newStream = () => crypto.randomUUID();

const assertChain = async (entries: readonly AuditEntry[], what: string) => {
  let prevHash = GENESIS_HASH;
  for (const [index, entry] of entries.entries()) {
    assertEqual(entry.seq, index, `${what}: seq of entry ${index}`);
    assertEqual(entry.prevHash, prevHash, `${what}: prevHash of entry ${index}`);
    const { hash, ...rest } = entry;
    assertEqual(hash, await hashAuditEntry(rest), `${what}: hash of entry ${index}`);
    prevHash = hash;
  }
};

/**
 * The `AuditLog` contract (see its JSDoc). Tamper detection needs a way around the port, so each
 * adapter tests it in its own tests; here every chain is left intact.
 */
export function auditLogContract(
  t: ContractRunner,
  make: () => Promise<AuditLog> | AuditLog,
  options?: ContractOptions,
): void {
  defineContract(t, "AuditLog contract", options, (test) => {
    test("append numbers a stream's entries 0, 1, 2 and links each to the previous hash", async () => {
      const audit = await fresh(make);
      const stream = newStream();
      const records = [
        sampleAuditRecord(stream, { action: "create", fromStatus: null, toStatus: "draft" }),
        sampleAuditRecord(stream, { action: "submit", fromStatus: "draft", toStatus: "submitted" }),
        sampleAuditRecord(stream, {
          action: "review",
          outcome: "denied",
          reason: "self-review",
          toStatus: null,
        }),
      ];
      const entries: AuditEntry[] = [];
      for (const record of records)
        entries.push(assertOk(await audit.append(record), `append ${record.action}`));
      assertEqual(
        entries.map(({ seq: _seq, prevHash: _prevHash, hash: _hash, ...record }) => record),
        records,
        "entries carry their records unchanged",
      );
      assertEqual(entries[0]?.prevHash, GENESIS_HASH, "prevHash of the first entry");
      await assertChain(entries, "appended entries");
      assert(/^[0-9a-f]{64}$/.test(entries[2]?.hash ?? ""), "hash is lowercase hex sha256");
    });

    test("list answers a stream's entries in seq order", async () => {
      const audit = await fresh(make);
      const stream = newStream();
      const appended: AuditEntry[] = [];
      for (const action of ["create", "submit", "scan", "review", "approve"]) {
        appended.push(
          assertOk(await audit.append(sampleAuditRecord(stream, { action })), `append ${action}`),
        );
      }
      assertEqual(assertOk(await audit.list(stream), "list"), appended, "listed entries");
    });

    test("list of an unknown stream is empty", async () => {
      const audit = await fresh(make);
      assertEqual(assertOk(await audit.list(newStream()), "list"), [], "entries");
    });

    test("streams are independent chains", async () => {
      const audit = await fresh(make);
      const [a, b] = [newStream(), `workspace:${newStream()}`];
      for (const stream of [a, b, a, b, a]) {
        assertOk(await audit.append(sampleAuditRecord(stream, { requestId: null })), `append to ${stream}`);
      }
      const entriesA = assertOk(await audit.list(a), "list a");
      const entriesB = assertOk(await audit.list(b), "list b");
      assertEqual(entriesA.length, 3, "entries of stream a");
      assertEqual(entriesB.length, 2, "entries of stream b");
      assert(
        entriesA.every((entry) => entry.stream === a) && entriesB.every((entry) => entry.stream === b),
        "every entry is listed in its own stream",
      );
      await assertChain(entriesA, "stream a");
      await assertChain(entriesB, "stream b");
    });

    test("concurrent appends to one stream all land once, in a valid chain", async () => {
      const audit = await fresh(make);
      const stream = newStream();
      const records = Array.from({ length: 20 }, (_, index) =>
        sampleAuditRecord(stream, { reason: `append ${index}` }),
      );
      const results = await Promise.all(records.map((record) => audit.append(record)));
      const appended = results.map((result, index) => assertOk(result, `append ${index}`));
      assertEqual(
        appended.map((entry) => entry.seq).sort((x, y) => x - y),
        Array.from({ length: 20 }, (_, index) => index),
        "seq answered to the appends",
      );
      const listed = assertOk(await audit.list(stream), "list");
      assertEqual(
        listed.map((entry) => entry.reason).sort(),
        records.map((record) => record.reason).sort(),
        "every record listed exactly once",
      );
      await assertChain(listed, "listed entries");
      assertEqual(
        [...appended].sort((x, y) => x.seq - y.seq),
        listed,
        "entries answered by append are those listed",
      );
      assertEqual(assertOk(await audit.verify(stream), "verify"), { ok: true, entries: 20 }, "verification");
    });

    test("verify of an intact chain is ok with its entry count", async () => {
      const audit = await fresh(make);
      const stream = newStream();
      for (let index = 0; index < 4; index++) {
        assertOk(await audit.append(sampleAuditRecord(stream)), `append ${index}`);
      }
      assertEqual(assertOk(await audit.verify(stream), "verify"), { ok: true, entries: 4 }, "verification");
    });

    test("verify of an unknown stream is ok with no entries", async () => {
      const audit = await fresh(make);
      assertEqual(
        assertOk(await audit.verify(newStream()), "verify"),
        { ok: true, entries: 0 },
        "verification",
      );
    });

    test("a keyed record is appended once, however often and however concurrently it is sent", async () => {
      const audit = await fresh(make);
      const stream = newStream();
      const record = sampleAuditRecord(stream, { key: "revision-1" });
      assertEqual(assertOk(await audit.has(stream, "revision-1"), "has before"), false, "has before append");
      const first = assertOk(await audit.append(record), "first append");
      const racing = await Promise.all(Array.from({ length: 5 }, () => audit.append(record)));
      for (const result of racing)
        assertEqual(assertOk(result, "repeated append"), first, "repeated append answers the first entry");
      assertEqual(assertOk(await audit.has(stream, "revision-1"), "has after"), true, "has after append");
      assertEqual(assertOk(await audit.has(stream, "revision-2"), "has other"), false, "has for another key");
      const other = assertOk(await audit.append(sampleAuditRecord(stream, { key: null })), "unkeyed append");
      assertEqual(other.seq, 1, "the next entry's seq");
      const entries = assertOk(await audit.list(stream), "list");
      assertEqual(entries.length, 2, "entries after repeated keyed appends");
      await assertChain(entries, "keyed chain");
    });

    test("concurrent first appends of one keyed record land once", async () => {
      const audit = await fresh(make);
      const stream = newStream();
      const record = sampleAuditRecord(stream, { key: "revision-7" });
      const results = await Promise.all(Array.from({ length: 6 }, () => audit.append(record)));
      const seqs = new Set(results.map((result) => assertOk(result, "racing append").seq));
      assertEqual([...seqs], [0], "every racing append answers the one entry");
      assertEqual(assertOk(await audit.list(stream), "list").length, 1, "entries after the race");
    });
  });
}
