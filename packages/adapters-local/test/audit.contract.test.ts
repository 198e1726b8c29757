import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditEntry } from "@airlock/core";
import { auditCheckpointsContract, auditLogContract } from "@airlock/core/testing";
import { afterAll, describe, it } from "vitest";
import { createFileAuditCheckpoints, createSqliteAuditLog } from "../src/index.js";
import { dropAuditGuards, writeEntryRow } from "./audit-support.js";
import { temporaryDatabases } from "./support.js";

const databases = temporaryDatabases();

auditLogContract({ describe, it }, (sealing) => {
  const db = databases.freshDatabase();
  return {
    audit: createSqliteAuditLog(db, sealing),
    // As someone with write access to the file would: drop the guards, then write the rows.
    backdoor: {
      overwrite: async (entry: AuditEntry) => {
        dropAuditGuards(db);
        writeEntryRow(db, entry);
      },
      removeFrom: async (stream: string, seq: number) => {
        dropAuditGuards(db);
        db.prepare("DELETE FROM audit_entries WHERE stream = ? AND seq >= ?").run(stream, seq);
      },
    },
  };
});

const checkpointDirs = mkdtempSync(join(tmpdir(), "airlock-checkpoints-"));
afterAll(() => rmSync(checkpointDirs, { recursive: true, force: true }));

auditCheckpointsContract({ describe, it }, () =>
  createFileAuditCheckpoints({ dir: mkdtempSync(join(checkpointDirs, "store-")) }),
);
