import type { ResultAsync } from "neverthrow";
import type {
  AuditEntry,
  AuditPage,
  AuditPageRequest,
  AuditRecord,
  AuditStreamPage,
  AuditStreamPageRequest,
  AuditVerification,
} from "../model/audit.js";
import type { Unavailable } from "./errors.js";

export type AuditLogError = Unavailable;

/**
 * An append-only log, one keyed chain per `stream`, checkpointed outside its own store (see
 * `AuditSealing`).
 *
 * - `append` gives the record the next `seq` of its stream (0 first), links it to the previous
 *   entry's hash (`GENESIS_HASH` first), hashes it with the chain key (`hashAuditEntry`), stores
 *   it, and then stores a signed checkpoint of it (`checkpointEntry`) before it answers. Concurrent
 *   appends to one stream all land, each once, in some order. Nothing is ever updated or deleted.
 * - A record with a `key` already present in its stream is not appended again, even when two such
 *   appends race: the entry stored first is answered.
 * - `has` tells whether the stream holds an entry with that key.
 * - `list` answers a page of a stream in `seq` order: at most `limit` entries (at most
 *   `MAX_AUDIT_PAGE`) from `fromSeq` on, and the `seq` the next page starts at (null when none
 *   follows). An unknown stream, or a `fromSeq` past its end, is an empty last page.
 * - `streams` answers the names of streams holding entries, in name order, a page at a time.
 * - `verify` walks the stream a page at a time with `verifyAuditStream` against its latest signed
 *   checkpoint and reports the first entry that is missing or does not verify.
 */
export interface AuditLog {
  append(record: AuditRecord): ResultAsync<AuditEntry, AuditLogError>;
  has(stream: string, key: string): ResultAsync<boolean, AuditLogError>;
  list(stream: string, page: AuditPageRequest): ResultAsync<AuditPage, AuditLogError>;
  streams(page: AuditStreamPageRequest): ResultAsync<AuditStreamPage, AuditLogError>;
  verify(stream: string): ResultAsync<AuditVerification, AuditLogError>;
}
