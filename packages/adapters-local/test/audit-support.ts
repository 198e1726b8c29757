import type { DatabaseSync } from "node:sqlite";
import type { AuditEntry } from "@airlock/core";

/** Drops the triggers that refuse changes to audit entries, as someone owning the file can. */
export const dropAuditGuards = (db: DatabaseSync): void => {
  for (const trigger of [
    "audit_entries_never_replaced",
    "audit_entries_never_updated",
    "audit_entries_never_deleted",
  ]) {
    db.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
  }
};

/** Writes `entry` as a row at its stream and seq, replacing whatever row is there. */
export const writeEntryRow = (db: DatabaseSync, entry: AuditEntry): void => {
  db.prepare(
    `INSERT OR REPLACE INTO audit_entries (stream, seq, workspace_id, request_id, at, actor_id, actor_name,
       action, outcome, reason, from_status, to_status, key, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    entry.stream,
    entry.seq,
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
    entry.prevHash,
    entry.hash,
  );
};
