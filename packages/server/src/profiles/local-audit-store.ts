import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  createFileAuditCheckpoints,
  createSqliteAuditLog,
  DATABASE_FILE,
  openAirlockDatabase,
} from "@airlock/adapters-local";
import type { AuditCheckpoints, AuditLog } from "@airlock/core";
import { err, ok, type Result } from "neverthrow";
import { loadAuditKeys } from "./audit-sealing.js";
import { AUDIT_CHAIN_KEY_FILE, AUDIT_SIGNING_KEY_FILE } from "./data-dir-secrets.js";
import { localSettingsFromEnv } from "./local-settings.js";

type Env = Readonly<Record<string, string | undefined>>;

export interface AuditStore {
  readonly audit: AuditLog;
  readonly checkpoints: AuditCheckpoints;
  readonly where: string;
  close(): void;
}

/**
 * The local profile's audit log and checkpoints, for reading: the data directory must hold a
 * database already (nothing is created), and the keys are the configured ones or the data
 * directory's own.
 */
export const openLocalAuditStore = (env: Env, cwd: string): Result<AuditStore, string> => {
  const settings = localSettingsFromEnv(env, cwd);
  if (settings.isErr()) return err(`the local profile's settings are not valid:\n${settings.error}`);
  const { dataDir, checkpointsDir, auditKeys } = settings.value;
  const databaseFile = join(dataDir, DATABASE_FILE);
  if (!existsSync(databaseFile)) return err(`${databaseFile} does not exist: is AIRLOCK_DATA_DIR right?`);
  const keyFiles = {
    chainKey: { file: join(dataDir, AUDIT_CHAIN_KEY_FILE) },
    signingKey: { file: join(dataDir, AUDIT_SIGNING_KEY_FILE) },
  };
  if (auditKeys === undefined && !existsSync(keyFiles.chainKey.file)) {
    return err(
      `${keyFiles.chainKey.file} does not exist: set AIRLOCK_AUDIT_CHAIN_KEY and AIRLOCK_AUDIT_SIGNING_KEY as the server has them`,
    );
  }
  const { keys } = loadAuditKeys({ ...(auditKeys ?? keyFiles), checkpointsContainer: "" });
  const database = openAirlockDatabase(databaseFile);
  const checkpoints = createFileAuditCheckpoints({ dir: checkpointsDir });
  return ok({
    audit: createSqliteAuditLog(database, { keys, checkpoints }),
    checkpoints,
    where: `${databaseFile}, checkpoints in ${checkpointsDir}`,
    close: () => database.close(),
  });
};
