import { z } from "zod";
import { RequestStatus } from "./status.js";

export const AuditOutcome = z.enum(["allowed", "denied", "transition"]);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

/** What the caller gives the audit log; it adds the position in the chain and the hashes. */
export const AuditRecord = z.object({
  /** The chain this entry belongs to: a request id, or `workspace:{id}` for workspace-wide commands. */
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

export type AuditVerification =
  | { readonly ok: true; readonly entries: number }
  | { readonly ok: false; readonly entries: number; readonly firstTampered: number; readonly reason: string };

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

const hex = (buffer: ArrayBuffer) =>
  Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");

export const hashAuditEntry = async (entry: Omit<AuditEntry, "hash">): Promise<string> =>
  hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalAuditText(entry))));

/** Checks one stream's entries (in `seq` order) and reports the first that breaks the chain. */
export const verifyAuditChain = async (entries: readonly AuditEntry[]): Promise<AuditVerification> => {
  let prevHash = GENESIS_HASH;
  for (const [index, entry] of entries.entries()) {
    const { hash, ...rest } = entry;
    if (entry.seq !== index) {
      return { ok: false, entries: entries.length, firstTampered: index, reason: "sequence gap" };
    }
    if (entry.prevHash !== prevHash) {
      return { ok: false, entries: entries.length, firstTampered: index, reason: "broken link" };
    }
    if ((await hashAuditEntry(rest)) !== hash) {
      return { ok: false, entries: entries.length, firstTampered: index, reason: "content changed" };
    }
    prevHash = hash;
  }
  return { ok: true, entries: entries.length };
};
