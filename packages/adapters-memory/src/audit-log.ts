import { createHmac } from "node:crypto";
import {
  type AuditEntry,
  type AuditLog,
  type AuditLogError,
  type AuditPage,
  type AuditSealing,
  type AuditStreamPage,
  type AuditVerification,
  canonicalAuditText,
  checkpointEntry,
  GENESIS_HASH,
  MAX_AUDIT_PAGE,
  unhashedAuditEntry,
  verifyAuditStream,
} from "@airlock/core";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { createMemoryAuditCheckpoints } from "./audit-checkpoints.js";
import { createEphemeralAuditKeys } from "./audit-keys.js";
import { copyOf } from "./copy.js";
import { createFaults } from "./faults.js";
import { pageOfNames } from "./stream-names.js";

export type AuditLogMethod = keyof AuditLog;

export interface MemoryAuditLogOptions {
  /** Keys and checkpoint store. Default: fresh keys for this log and checkpoints in memory. */
  readonly sealing?: AuditSealing;
}

export interface MemoryAuditLog extends AuditLog {
  /** The keys and checkpoint store this log seals its chains with. */
  readonly sealing: AuditSealing;
  /** Every entry of a stream at once, for tests and inspection (the port itself answers pages). */
  listAll(stream: string): ResultAsync<readonly AuditEntry[], AuditLogError>;
  /** Changes a stored entry behind the log's back, as an attacker with database access would. */
  tamper(stream: string, seq: number, patch: Partial<AuditEntry>): void;
  /** Stores `entry` at its stream and seq as it stands, behind the log's back. */
  overwrite(entry: AuditEntry): void;
  /** Deletes a stream's entries from `seq` on, behind the log's back. */
  removeFrom(stream: string, seq: number): void;
  /** The next `count` calls of `method` (default 1) answer `Unavailable` ("injected fault") and change nothing; a new count replaces the pending one, so 0 heals. */
  failNext(method: AuditLogMethod, count?: number): void;
}

/** The first index of `entries` (sorted by seq) whose seq is `seq` or more. */
const indexFrom = (entries: readonly AuditEntry[], seq: number): number => {
  let [low, high] = [0, entries.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((entries[middle] as AuditEntry).seq < seq) low = middle + 1;
    else high = middle;
  }
  return low;
};

/** A keyed, checkpointed `AuditLog` in memory: one chain per stream. */
export const createMemoryAuditLog = (options: MemoryAuditLogOptions = {}): MemoryAuditLog => {
  const sealing = options.sealing ?? {
    keys: createEphemeralAuditKeys(),
    checkpoints: createMemoryAuditCheckpoints(),
  };
  const streams = new Map<string, AuditEntry[]>();
  const faults = createFaults<AuditLogMethod>();

  const entriesOf = (stream: string) => streams.get(stream) ?? [];

  const page = (stream: string, fromSeq: number, limit: number): AuditPage => {
    const entries = entriesOf(stream);
    const start = indexFrom(entries, fromSeq);
    const size = Math.max(1, Math.min(limit, MAX_AUDIT_PAGE));
    const slice = entries.slice(start, start + size);
    const more = start + size < entries.length;
    return { entries: copyOf(slice), nextSeq: more ? (slice.at(-1) as AuditEntry).seq + 1 : null };
  };

  // The same HMAC-SHA256 over the same canonical text as core's `hashAuditEntry`, but synchronous:
  // a synchronous append cannot interleave with another append to the same stream.
  const keyedHash = (unhashed: Omit<AuditEntry, "hash">) =>
    createHmac("sha256", sealing.keys.chainKey).update(canonicalAuditText(unhashed)).digest("hex");

  const audit = {
    sealing,
    append: (record) => {
      const fault = faults.take("append");
      if (fault) return errAsync<AuditEntry, AuditLogError>(fault);
      const entries = streams.get(record.stream) ?? [];
      const existing = record.key === null ? undefined : entries.find((entry) => entry.key === record.key);
      // A repeated keyed append checkpoints its entry again: harmless, and it heals a checkpoint
      // that failed the first time.
      const entry =
        existing ??
        (() => {
          const unhashed = unhashedAuditEntry(record, entries.length, entries.at(-1)?.hash ?? GENESIS_HASH);
          const added: AuditEntry = { ...unhashed, hash: keyedHash(unhashed) };
          entries.push(added);
          streams.set(record.stream, entries);
          return added;
        })();
      const answer = copyOf(entry);
      return checkpointEntry(sealing, answer).map(() => answer);
    },
    has: (stream, key) => {
      const fault = faults.take("has");
      if (fault) return errAsync<boolean, AuditLogError>(fault);
      return okAsync<boolean, AuditLogError>(entriesOf(stream).some((entry) => entry.key === key));
    },
    list: (stream, request) => {
      const fault = faults.take("list");
      if (fault) return errAsync<AuditPage, AuditLogError>(fault);
      return okAsync<AuditPage, AuditLogError>(page(stream, request.fromSeq, request.limit));
    },
    listAll: (stream) => {
      const fault = faults.take("list");
      if (fault) return errAsync<readonly AuditEntry[], AuditLogError>(fault);
      return okAsync<readonly AuditEntry[], AuditLogError>(copyOf(entriesOf(stream)));
    },
    streams: (request) => {
      const fault = faults.take("streams");
      if (fault) return errAsync<AuditStreamPage, AuditLogError>(fault);
      const names = [...streams].filter(([, entries]) => entries.length > 0).map(([name]) => name);
      return okAsync<AuditStreamPage, AuditLogError>(pageOfNames(names, request));
    },
    verify: (stream): ResultAsync<AuditVerification, AuditLogError> => {
      const fault = faults.take("verify");
      if (fault) return errAsync(fault);
      return verifyAuditStream(
        sealing,
        (name, request) => okAsync<AuditPage, AuditLogError>(page(name, request.fromSeq, request.limit)),
        stream,
      );
    },
    tamper: (stream, seq, patch) => {
      const entries = entriesOf(stream);
      const index = entries.findIndex((entry) => entry.seq === seq);
      const entry = entries[index];
      if (!entry) throw new Error(`tamper: stream ${stream} has no entry ${seq}`);
      entries[index] = copyOf({ ...entry, ...patch });
    },
    overwrite: (entry) => {
      const entries = streams.get(entry.stream) ?? [];
      const index = indexFrom(entries, entry.seq);
      entries.splice(index, entries[index]?.seq === entry.seq ? 1 : 0, copyOf(entry));
      streams.set(entry.stream, entries);
    },
    removeFrom: (stream, seq) => {
      const entries = entriesOf(stream);
      entries.splice(indexFrom(entries, seq));
    },
    failNext: (method, count) => faults.failNext(method, count),
  } satisfies MemoryAuditLog;
  return audit;
};
