import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createFileAuditCheckpoints,
  createSqliteAuditLog,
  DATABASE_FILE,
  openAirlockDatabase,
} from "@airlock/adapters-local";
import { assertOk, sampleAuditRecord } from "@airlock/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadWritingAuditKeys } from "../src/profiles/audit-sealing.js";
import { dataDirAuditKeyFiles } from "../src/profiles/data-dir-secrets.js";
import { runChild } from "./support/child-api.js";

const VERIFY_AUDIT = fileURLToPath(new URL("../src/verify-audit.ts", import.meta.url));

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "airlock-verify-"));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("pnpm verify-audit on the local profile (the default)", () => {
  it("passes an intact log, then names each stream that was edited or cut short, and fails", async () => {
    const keyFiles = await dataDirAuditKeyFiles(dataDir);
    const { keys } = loadWritingAuditKeys({
      chainKey: { file: keyFiles.chainKeyFile },
      signingKey: { file: keyFiles.signingKeyFile },
      checkpointsContainer: "",
    });
    const database = openAirlockDatabase(join(dataDir, DATABASE_FILE));
    const audit = createSqliteAuditLog(database, {
      keys,
      checkpoints: createFileAuditCheckpoints({ dir: join(dataDir, "audit-checkpoints") }),
    });
    const [intact, edited, cut] = ["request-intact", "request-edited", "workspace:ws-cut"];
    for (const [stream, count] of [
      [intact, 3],
      [edited, 4],
      [cut, 5],
    ] as const) {
      for (let n = 0; n < count; n++) {
        assertOk(await audit.append(sampleAuditRecord(stream, { action: `step-${n}` })), "append");
      }
    }
    const env = { AIRLOCK_DATA_DIR: dataDir };
    const clean = await runChild({ env, entry: VERIFY_AUDIT });
    expect(clean.output).toContain("OK: 3 streams verified, 0 failed, 12 entries in intact streams");
    expect(clean.code).toBe(0);

    // Whoever can write the database file can drop its guards; the seals still show the change.
    database.exec("DROP TRIGGER audit_entries_never_updated; DROP TRIGGER audit_entries_never_deleted;");
    database
      .prepare("UPDATE audit_entries SET reason = 'nothing happened' WHERE stream = ? AND seq = 1")
      .run(edited);
    database.prepare("DELETE FROM audit_entries WHERE stream = ? AND seq >= 3").run(cut);
    database.close();

    const failed = await runChild({ env, entry: VERIFY_AUDIT });
    expect(failed.output).toContain(`FAILED "${edited}" at seq 1: content changed`);
    expect(failed.output).toContain(`FAILED "${cut}" at seq 3: truncated`);
    expect(failed.output).toContain("FAILED: 3 streams verified, 2 failed, 3 entries in intact streams");
    expect(failed.code).toBe(1);
  });

  it("says what is missing instead of creating an empty database", async () => {
    const result = await runChild({
      env: { AIRLOCK_DATA_DIR: join(dataDir, "nowhere") },
      entry: VERIFY_AUDIT,
    });
    expect(result.output).toMatch(/airlock\.db does not exist: is AIRLOCK_DATA_DIR right\?/);
    expect(result.code).toBe(2);
  });

  it("refuses a profile it does not know", async () => {
    const result = await runChild({ env: { AIRLOCK_PROFILE: "gcp" }, entry: VERIFY_AUDIT });
    expect(result.output).toContain('AIRLOCK_PROFILE must be "local" or "azure"');
    expect(result.code).toBe(2);
  });
});
