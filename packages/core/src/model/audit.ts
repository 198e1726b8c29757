import { z } from "zod";
import { RequestStatus } from "./status.js";

export const AuditOutcome = z.enum(["allowed", "denied", "transition"]);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

/** What the caller gives the audit log; it adds the position in the chain and the hashes. */
export const AuditRecord = z.object({
  /**
   * The chain this entry belongs to: a request id, `workspace:{id}` for workspace-wide commands, or
   * `tre` for refusals that name no workspace.
   */
  stream: z.string().min(1),
  workspaceId: z.string(),
  requestId: z.string().nullable(),
  at: z.number(),
  actor: z.object({ id: z.string(), name: z.string() }),
  action: z.string().min(1),
  outcome: AuditOutcome,
  reason: z.string().nullable(),
  fromStatus: RequestStatus.nullable(),
  toStatus: RequestStatus.nullable(),
  /**
   * Unique within the stream when set: a record whose key is already in the stream is never
   * appended twice, so a step can be re-audited safely after a crash.
   */
  key: z.string().min(1).max(200).nullable(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

export const AuditEntry = AuditRecord.extend({
  seq: z.number().int().nonnegative(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const GENESIS_HASH = "0".repeat(64);

/**
 * A record's own fields at a position in its chain, copied field by field: nothing a caller or a
 * store added around them, and no object shared with the record.
 */
export const unhashedAuditEntry = (
  record: AuditRecord,
  seq: number,
  prevHash: string,
): Omit<AuditEntry, "hash"> => ({
  stream: record.stream,
  workspaceId: record.workspaceId,
  requestId: record.requestId,
  at: record.at,
  actor: { id: record.actor.id, name: record.actor.name },
  action: record.action,
  outcome: record.outcome,
  reason: record.reason,
  fromStatus: record.fromStatus,
  toStatus: record.toStatus,
  key: record.key ?? null,
  seq,
  prevHash,
});

/** The canonical text hashed for an entry: fixed key order, so every adapter computes the same chain. */
export const canonicalAuditText = (entry: Omit<AuditEntry, "hash">): string =>
  JSON.stringify([
    entry.stream,
    entry.seq,
    entry.prevHash,
    entry.workspaceId,
    entry.requestId,
    entry.at,
    entry.actor.id,
    entry.actor.name,
    entry.action,
    entry.outcome,
    entry.reason,
    entry.fromStatus,
    entry.toStatus,
    entry.key,
  ]);

/** A signed statement that `stream` held `seq + 1` entries, the last with `hash`, at `at` (epoch seconds). */
export const AuditCheckpoint = z.object({
  stream: z.string().min(1),
  seq: z.number().int().nonnegative(),
  hash: z.string(),
  at: z.number(),
  /** Ed25519 over `canonicalCheckpointText`, base64url. */
  signature: z.string(),
});
export type AuditCheckpoint = z.infer<typeof AuditCheckpoint>;

/** The text a checkpoint's signature covers: fixed order, so any reader checks the same bytes. */
export const canonicalCheckpointText = (checkpoint: Omit<AuditCheckpoint, "signature">): string =>
  JSON.stringify([
    "airlock-audit-checkpoint",
    checkpoint.stream,
    checkpoint.seq,
    checkpoint.hash,
    checkpoint.at,
  ]);

/** A page of one stream: entries from a `seq` on, and where the next page starts (null at the end). */
export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  readonly nextSeq: number | null;
}

/** Where a page of a stream starts and how many entries it holds at most. */
export interface AuditPageRequest {
  readonly fromSeq: number;
  readonly limit: number;
}

/** A page of stream names in name order, and where the next page starts (opaque; null at the end). */
export interface AuditStreamPage {
  readonly streams: readonly string[];
  readonly next: string | null;
}

/** Where a page of stream names starts (`after`: the previous page's `next`, null for the first) and its size. */
export interface AuditStreamPageRequest {
  readonly after: string | null;
  readonly limit: number;
}

/** The largest page an audit read answers. */
export const MAX_AUDIT_PAGE = 1000;

/** Why a stream failed verification. */
export type AuditTamper =
  /** An entry's `seq` is not the next one: an entry was removed or renumbered. */
  | "sequence gap"
  /** An entry's `prevHash` is not the previous entry's hash. */
  | "broken link"
  /** An entry's hash is not the keyed hash of its content: changed, or written without the chain key. */
  | "content changed"
  /** The stream ends before the last signed checkpoint: entries were removed from its tail. */
  | "truncated"
  /** The entry a signed checkpoint names has another hash: the chain was rewritten. */
  | "checkpoint mismatch"
  /** The latest checkpoint's signature does not verify with the checkpoint key. */
  | "checkpoint forged";

export type AuditVerification =
  | {
      readonly ok: true;
      readonly entries: number;
      /** The seq of the signed checkpoint the stream was checked against; null when it has none. */
      readonly checkpointSeq: number | null;
    }
  | {
      readonly ok: false;
      /** The first seq that is missing or does not verify. */
      readonly firstTampered: number;
      readonly reason: AuditTamper;
    };

/**
 * Where a refusal that names no workspace is recorded: a token refused on a TRE-wide route (the
 * workspace directory, the scanner's events, the TRE's audit trail), or one that addressed a
 * workspace that does not exist.
 */
export const TRE_STREAM = "tre";

/** The stream of a workspace's own entries: refusals made before any request was read. */
export const workspaceAuditStream = (workspaceId: string): string => `workspace:${workspaceId}`;

/** How many entries a page of the audit trail holds unless the caller asks for another size. */
export const DEFAULT_AUDIT_PAGE = 100;

/** Which page of an audit trail to read: `continuation` from the previous page (absent for the first). */
export const AuditTrailQuery = z.object({
  continuation: z
    .string()
    .regex(/^\d{1,12}$/, "a continuation from a previous page of this audit trail")
    .optional(),
  pageSize: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).optional(),
});
export type AuditTrailQuery = z.infer<typeof AuditTrailQuery>;

/** One page of an audit trail, and the continuation of the next page (null on the last). */
export interface AuditTrailPage {
  readonly entries: readonly AuditEntry[];
  readonly continuation: string | null;
}
