import type { ResultAsync } from "neverthrow";
import type { AuditEntry, AuditRecord, AuditVerification } from "../model/audit.js";
import type { Unavailable } from "./errors.js";

export type AuditLogError = Unavailable;

/**
 * An append-only, hash-chained log, one chain per `stream`.
 *
 * - `append` gives the record the next `seq` of its stream (0 first), links it to the previous
 *   entry's hash (`GENESIS_HASH` first) and stores it. Concurrent appends to one stream all land,
 *   each once, in some order. Nothing is ever updated or deleted.
 * - A record with a `key` already present in its stream is not appended again, even when two such
 *   appends race: the entry stored first is answered.
 * - `has` tells whether the stream holds an entry with that key.
 * - `list` answers a stream's entries in `seq` order (empty for an unknown stream).
 * - `verify` recomputes the chain with `verifyAuditChain` and reports the first tampered entry.
 */
export interface AuditLog {
  append(record: AuditRecord): ResultAsync<AuditEntry, AuditLogError>;
  has(stream: string, key: string): ResultAsync<boolean, AuditLogError>;
  list(stream: string): ResultAsync<readonly AuditEntry[], AuditLogError>;
  verify(stream: string): ResultAsync<AuditVerification, AuditLogError>;
}
