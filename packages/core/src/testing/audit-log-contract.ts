import { errAsync, okAsync } from "neverthrow";
import {
  type AuditCheckpoint,
  type AuditEntry,
  type AuditPage,
  canonicalAuditText,
  GENESIS_HASH,
  unhashedAuditEntry,
} from "../model/audit.js";
import {
  type AuditKeys,
  checkpointSignatureValid,
  generateAuditKeys,
  hashAuditEntry,
  signCheckpoint,
} from "../model/audit-keys.js";
import type { AuditCheckpoints } from "../ports/audit-checkpoints.js";
import type { AuditLog } from "../ports/audit-log.js";
import type { AuditSealing } from "../ports/audit-sealing.js";
import { assert, assertEqual, assertOk } from "./assert.js";
import { assertStreamsPaged } from "./audit-stream-pages.js";
import { type ContractOptions, type ContractRunner, defineContract } from "./contract.js";
import { sampleAuditRecord } from "./fixtures.js";

/** Ways around the port into the adapter's store, as someone with write access to it has. */
export interface AuditStoreBackdoor {
  /** Stores `entry` at its stream and seq as it stands, replacing whatever is there. */
  overwrite(entry: AuditEntry): Promise<void>;
  /** Deletes the stream's entries from `seq` on. */
  removeFrom(stream: string, seq: number): Promise<void>;
}

export interface AuditLogUnderTest {
  readonly audit: AuditLog;
  readonly backdoor: AuditStoreBackdoor;
}

const newStream = () => crypto.randomUUID();

/** Every entry of a stream, read a page of `limit` at a time. */
export const allAuditEntries = async (
  audit: AuditLog,
  stream: string,
  limit = 1000,
): Promise<AuditEntry[]> => {
  const entries: AuditEntry[] = [];
  let fromSeq: number | null = 0;
  while (fromSeq !== null) {
    const page: AuditPage = assertOk(
      await audit.list(stream, { fromSeq, limit }),
      `list ${stream} from ${fromSeq}`,
    );
    entries.push(...page.entries);
    fromSeq = page.nextSeq;
  }
  return entries;
};

/** A plain map of checkpoints: the contract's own store, so only the audit log is under test. */
export const mapAuditCheckpoints = (): AuditCheckpoints & { replace(checkpoint: AuditCheckpoint): void } => {
  const latest = new Map<string, AuditCheckpoint>();
  return {
    put: (checkpoint) => {
      const current = latest.get(checkpoint.stream);
      if (!current || current.seq < checkpoint.seq)
        latest.set(checkpoint.stream, structuredClone(checkpoint));
      return okAsync(undefined);
    },
    latest: (stream) => okAsync(structuredClone(latest.get(stream) ?? null)),
    streams: () => errAsync({ kind: "Unavailable", message: "not needed by the audit log contract" }),
    replace: (checkpoint) => {
      latest.set(checkpoint.stream, checkpoint);
    },
  };
};

const assertChain = async (entries: readonly AuditEntry[], keys: AuditKeys, what: string) => {
  let prevHash = GENESIS_HASH;
  for (const [index, entry] of entries.entries()) {
    assertEqual(entry.seq, index, `${what}: seq of entry ${index}`);
    assertEqual(entry.prevHash, prevHash, `${what}: prevHash of entry ${index}`);
    const { hash, ...rest } = entry;
    assertEqual(hash, await hashAuditEntry(rest, keys.chainKey), `${what}: keyed hash of entry ${index}`);
    prevHash = hash;
  }
};

/** A chain rebuilt from `entries`' records, hashed by `hash`, as someone rewriting the store would. */
const rebuiltChain = async (
  entries: readonly AuditEntry[],
  hash: (unhashed: Omit<AuditEntry, "hash">) => Promise<string>,
  patch: (entry: AuditEntry) => Partial<AuditEntry> = () => ({}),
): Promise<AuditEntry[]> => {
  const rebuilt: AuditEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (const entry of entries) {
    const unhashed = unhashedAuditEntry({ ...entry, ...patch(entry) }, entry.seq, prevHash);
    const next = { ...unhashed, hash: await hash(unhashed) };
    rebuilt.push(next);
    prevHash = next.hash;
  }
  return rebuilt;
};

const plainSha256 = async (unhashed: Omit<AuditEntry, "hash">): Promise<string> => {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(canonicalAuditText(unhashed)),
  );
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
};

/**
 * The `AuditLog` contract (see its JSDoc). `make` builds the adapter on the sealing the contract
 * gives it (fresh keys, a checkpoint store of its own) and hands back a backdoor into its store,
 * through which the tamper tests change what the adapter stored.
 */
export function auditLogContract(
  t: ContractRunner,
  make: (sealing: AuditSealing) => Promise<AuditLogUnderTest> | AuditLogUnderTest,
  options?: ContractOptions,
): void {
  const setUp = async () => {
    const keys = await generateAuditKeys();
    const checkpoints = mapAuditCheckpoints();
    const { audit, backdoor } = await make({ keys, checkpoints });
    const fill = async (stream: string, count: number) => {
      const entries: AuditEntry[] = [];
      for (let index = 0; index < count; index++) {
        entries.push(
          assertOk(
            await audit.append(sampleAuditRecord(stream, { reason: `step ${index}` })),
            `append ${index}`,
          ),
        );
      }
      return entries;
    };
    return { keys, checkpoints, audit, backdoor, fill };
  };

  defineContract(t, "AuditLog contract", options, (test) => {
    test("append numbers a stream's entries 0, 1, 2 and links each to the previous keyed hash", async () => {
      const { audit, keys } = await setUp();
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
      await assertChain(entries, keys, "appended entries");
      assert(/^[0-9a-f]{64}$/.test(entries[2]?.hash ?? ""), "hash is lowercase hex HMAC-SHA256");
    });

    test("each append leaves a signed checkpoint of its entry before it answers", async () => {
      const { audit, checkpoints, keys, fill } = await setUp();
      const stream = newStream();
      const entries = await fill(stream, 3);
      const checkpoint = assertOk(await checkpoints.latest(stream), "latest checkpoint");
      assert(checkpoint !== null, "a checkpoint was written");
      assertEqual(
        { stream: checkpoint.stream, seq: checkpoint.seq, hash: checkpoint.hash },
        { stream, seq: 2, hash: entries[2]?.hash },
        "the checkpoint names the last entry",
      );
      assert(
        await checkpointSignatureValid(checkpoint, keys.verifyKey),
        "the checkpoint's signature verifies",
      );
      assertOk(await audit.append(sampleAuditRecord(stream)), "append");
      assertEqual(
        assertOk(await checkpoints.latest(stream), "latest")?.seq,
        3,
        "the next append's checkpoint",
      );
    });

    test("list answers a stream a page at a time, in seq order", async () => {
      const { audit, fill } = await setUp();
      const stream = newStream();
      const appended = await fill(stream, 7);
      const first = assertOk(await audit.list(stream, { fromSeq: 0, limit: 3 }), "first page");
      assertEqual(first, { entries: appended.slice(0, 3), nextSeq: 3 }, "first page");
      const second = assertOk(await audit.list(stream, { fromSeq: 3, limit: 3 }), "second page");
      assertEqual(second, { entries: appended.slice(3, 6), nextSeq: 6 }, "second page");
      const last = assertOk(await audit.list(stream, { fromSeq: 6, limit: 3 }), "last page");
      assertEqual(last, { entries: appended.slice(6), nextSeq: null }, "last page");
      const exact = assertOk(await audit.list(stream, { fromSeq: 4, limit: 3 }), "page ending at the end");
      assertEqual(
        exact,
        { entries: appended.slice(4), nextSeq: null },
        "a page reaching the end is the last",
      );
      assertEqual(
        assertOk(await audit.list(stream, { fromSeq: 9, limit: 3 }), "past the end"),
        { entries: [], nextSeq: null },
        "a page past the end",
      );
      assertEqual(await allAuditEntries(audit, stream, 2), appended, "every page together");
    });

    test("list of an unknown stream is an empty last page", async () => {
      const { audit } = await setUp();
      assertEqual(
        assertOk(await audit.list(newStream(), { fromSeq: 0, limit: 10 }), "list"),
        { entries: [], nextSeq: null },
        "page",
      );
    });

    test("streams lists every stream once, in name order, a page at a time", async () => {
      const { audit } = await setUp();
      const prefix = `contract-${newStream()}`;
      const mine = [`${prefix}:c`, `${prefix}:a`, `workspace:${prefix}`, `${prefix}:b`];
      for (const stream of [...mine, mine[0] as string]) {
        assertOk(await audit.append(sampleAuditRecord(stream)), `append to ${stream}`);
      }
      await assertStreamsPaged((page) => audit.streams(page), prefix, mine);
    });

    test("streams are independent chains", async () => {
      const { audit, keys } = await setUp();
      const [a, b] = [newStream(), `workspace:${newStream()}`];
      for (const stream of [a, b, a, b, a]) {
        assertOk(await audit.append(sampleAuditRecord(stream, { requestId: null })), `append to ${stream}`);
      }
      const entriesA = await allAuditEntries(audit, a);
      const entriesB = await allAuditEntries(audit, b);
      assertEqual(entriesA.length, 3, "entries of stream a");
      assertEqual(entriesB.length, 2, "entries of stream b");
      assert(
        entriesA.every((entry) => entry.stream === a) && entriesB.every((entry) => entry.stream === b),
        "every entry is listed in its own stream",
      );
      await assertChain(entriesA, keys, "stream a");
      await assertChain(entriesB, keys, "stream b");
    });

    test("concurrent appends to one stream all land once, in a valid chain", async () => {
      const { audit, keys, checkpoints } = await setUp();
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
      const listed = await allAuditEntries(audit, stream, 7);
      assertEqual(
        listed.map((entry) => entry.reason).sort(),
        records.map((record) => record.reason).sort(),
        "every record listed exactly once",
      );
      await assertChain(listed, keys, "listed entries");
      assertEqual(
        [...appended].sort((x, y) => x.seq - y.seq),
        listed,
        "entries answered by append are those listed",
      );
      assertEqual(assertOk(await checkpoints.latest(stream), "latest")?.seq, 19, "the latest checkpoint");
      assertEqual(
        assertOk(await audit.verify(stream), "verify"),
        { ok: true, entries: 20, checkpointSeq: 19 },
        "verification",
      );
    });

    test("verify of an intact chain is ok with its entry count and checkpoint", async () => {
      const { audit, fill } = await setUp();
      const stream = newStream();
      await fill(stream, 4);
      assertEqual(
        assertOk(await audit.verify(stream), "verify"),
        { ok: true, entries: 4, checkpointSeq: 3 },
        "verification",
      );
    });

    test("verify of an unknown stream is ok with no entries", async () => {
      const { audit } = await setUp();
      assertEqual(
        assertOk(await audit.verify(newStream()), "verify"),
        { ok: true, entries: 0, checkpointSeq: null },
        "verification",
      );
    });

    test("verify names an entry edited in the store", async () => {
      const { audit, backdoor, fill } = await setUp();
      const stream = newStream();
      const entries = await fill(stream, 5);
      await backdoor.overwrite({ ...(entries[2] as AuditEntry), reason: "nothing to see here" });
      assertEqual(
        assertOk(await audit.verify(stream), "verify"),
        { ok: false, firstTampered: 2, reason: "content changed" },
        "verification",
      );
    });

    test("verify names an entry edited and rehashed without the chain key", async () => {
      const { audit, backdoor, fill } = await setUp();
      const stream = newStream();
      const entries = await fill(stream, 4);
      const { hash: _old, ...content } = { ...(entries[1] as AuditEntry), reason: "rewritten" };
      await backdoor.overwrite({ ...content, hash: await plainSha256(content) });
      assertEqual(
        assertOk(await audit.verify(stream), "verify"),
        { ok: false, firstTampered: 1, reason: "content changed" },
        "verification",
      );
    });

    test("verify finds entries removed from the tail", async () => {
      const { audit, backdoor, fill } = await setUp();
      const stream = newStream();
      await fill(stream, 5);
      await backdoor.removeFrom(stream, 3);
      assertEqual(
        assertOk(await audit.verify(stream), "verify"),
        { ok: false, firstTampered: 3, reason: "truncated" },
        "verification",
      );
    });

    test("verify finds a stream removed whole", async () => {
      const { audit, backdoor, fill } = await setUp();
      const stream = newStream();
      await fill(stream, 3);
      await backdoor.removeFrom(stream, 0);
      assertEqual(
        assertOk(await audit.verify(stream), "verify"),
        { ok: false, firstTampered: 0, reason: "truncated" },
        "verification",
      );
    });

    test("verify finds a stream rewritten whole with recomputed hashes", async () => {
      const { audit, backdoor, fill } = await setUp();
      const stream = newStream();
      const entries = await fill(stream, 4);
      const forged = await rebuiltChain(entries, plainSha256, () => ({ reason: "rewritten" }));
      for (const entry of forged) await backdoor.overwrite(entry);
      assertEqual(
        assertOk(await audit.verify(stream), "verify"),
        { ok: false, firstTampered: 0, reason: "content changed" },
        "verification",
      );
    });

    test("verify finds a stream rewritten with the chain key by its signed checkpoint", async () => {
      const { audit, backdoor, fill, keys } = await setUp();
      const stream = newStream();
      const entries = await fill(stream, 4);
      // Someone who learnt the chain key rebuilds a chain that verifies link by link.
      const forged = await rebuiltChain(
        entries,
        (unhashed) => hashAuditEntry(unhashed, keys.chainKey),
        (entry) => (entry.seq === 1 ? { reason: "rewritten" } : {}),
      );
      for (const entry of forged) await backdoor.overwrite(entry);
      assertEqual(
        assertOk(await audit.verify(stream), "verify"),
        { ok: false, firstTampered: 3, reason: "checkpoint mismatch" },
        "verification",
      );
    });

    test("verify refuses a checkpoint whose signature does not verify", async () => {
      const { audit, checkpoints, fill } = await setUp();
      const stream = newStream();
      const entries = await fill(stream, 3);
      const other = await generateAuditKeys();
      const last = entries[2] as AuditEntry;
      checkpoints.replace(
        await signCheckpoint({ stream, seq: 1, hash: last.hash, at: 0 }, other.signingKey as CryptoKey),
      );
      assertEqual(
        assertOk(await audit.verify(stream), "verify"),
        { ok: false, firstTampered: 1, reason: "checkpoint forged" },
        "verification",
      );
    });

    test("a keyed record is appended once, however often and however concurrently it is sent", async () => {
      const { audit, keys } = await setUp();
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
      const entries = await allAuditEntries(audit, stream);
      assertEqual(entries.length, 2, "entries after repeated keyed appends");
      await assertChain(entries, keys, "keyed chain");
    });

    test("concurrent first appends of one keyed record land once", async () => {
      const { audit } = await setUp();
      const stream = newStream();
      const record = sampleAuditRecord(stream, { key: "revision-7" });
      const results = await Promise.all(Array.from({ length: 6 }, () => audit.append(record)));
      const seqs = new Set(results.map((result) => assertOk(result, "racing append").seq));
      assertEqual([...seqs], [0], "every racing append answers the one entry");
      assertEqual((await allAuditEntries(audit, stream)).length, 1, "entries after the race");
    });
  });
}
