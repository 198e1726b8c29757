import type { DatabaseSync } from "node:sqlite";
import type { AuditEntry } from "@airlock/core";
import { AUDIT_ENTRY_COLUMNS, entryRowValues } from "../src/sqlite-audit-log.js";

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
    `INSERT OR REPLACE INTO audit_entries (${AUDIT_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(...entryRowValues(entry));
};
