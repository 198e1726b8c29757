import { hash as digest } from "node:crypto";
import {
  type AuditEntry,
  type AuditLog,
  type AuditLogError,
  canonicalAuditText,
  GENESIS_HASH,
  unavailable,
  unhashedAuditEntry,
  verifyAuditChain,
} from "@airlock/core";
import { err, errAsync, okAsync, ResultAsync } from "neverthrow";
import { copyOf } from "./copy.js";
import { createFaults } from "./faults.js";

export type AuditLogMethod = keyof AuditLog;

export interface MemoryAuditLog extends AuditLog {
  /** Changes a stored entry behind the log's back, as an attacker with database access would. */
  tamper(stream: string, seq: number, patch: Partial<AuditEntry>): void;
  /** The next `count` calls of `method` (default 1) answer `Unavailable` ("injected fault") and change nothing; a new count replaces the pending one, so 0 heals. */
  failNext(method: AuditLogMethod, count?: number): void;
}

/** A hash-chained `AuditLog` in memory: one chain per stream. */
export const createMemoryAuditLog = (): MemoryAuditLog => {
  const streams = new Map<string, AuditEntry[]>();
  const faults = createFaults<AuditLogMethod>();

  const entriesOf = (stream: string) => streams.get(stream) ?? [];

  const audit = {
    append: (record) => {
      const fault = faults.take("append");
      if (fault) return errAsync<AuditEntry, AuditLogError>(fault);
      const entries = streams.get(record.stream) ?? [];
      const existing = record.key === null ? undefined : entries.find((entry) => entry.key === record.key);
      if (existing) return okAsync<AuditEntry, AuditLogError>(copyOf(existing));
      const unhashed = unhashedAuditEntry(record, entries.length, entries.at(-1)?.hash ?? GENESIS_HASH);
      // The same SHA-256 over the same canonical text as core's `hashAuditEntry`, but synchronous:
      // Web Crypto's digest costs more than the rest of a command, and a synchronous append cannot
      // interleave with another append to the same stream.
      const hash = digest("sha256", canonicalAuditText(unhashed), "hex");
      const entry: AuditEntry = { ...unhashed, hash };
      entries.push(entry);
      streams.set(record.stream, entries);
      return okAsync<AuditEntry, AuditLogError>(copyOf(entry));
    },
    has: (stream, key) => {
      const fault = faults.take("has");
      if (fault) return errAsync<boolean, AuditLogError>(fault);
      return okAsync<boolean, AuditLogError>(entriesOf(stream).some((entry) => entry.key === key));
    },
    list: (stream) => {
      const fault = faults.take("list");
      if (fault) return new ResultAsync<readonly AuditEntry[], AuditLogError>(Promise.resolve(err(fault)));
      return ResultAsync.fromSafePromise(Promise.resolve(copyOf(entriesOf(stream))));
    },
    verify: (stream) => {
      const fault = faults.take("verify");
      if (fault) return new ResultAsync(Promise.resolve(err(fault)));
      return ResultAsync.fromPromise(verifyAuditChain([...entriesOf(stream)]), (cause) =>
        unavailable("verifying the audit log failed", cause),
      );
    },
    tamper: (stream, seq, patch) => {
      const entries = entriesOf(stream);
      const index = entries.findIndex((entry) => entry.seq === seq);
      const entry = entries[index];
      if (!entry) throw new Error(`tamper: stream ${stream} has no entry ${seq}`);
      entries[index] = copyOf({ ...entry, ...patch });
    },
    failNext: (method, count) => faults.failNext(method, count),
  } satisfies MemoryAuditLog;
  return audit;
};
