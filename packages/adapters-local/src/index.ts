// The airlock's ports on one machine: SQLite (node:sqlite) for records, the filesystem for files.

// Backup and restore of a local data directory, consistent while the server runs.
export {
  type BackupOptions,
  type BackupProgress,
  type BackupReport,
  backupAirlockData,
  CHECKPOINTS_DIR,
  FILES_DIR,
  type RestoreOptions,
  type RestoreReport,
  restoreAirlockData,
} from "./backup.js";
export {
  type BackupFile,
  type BackupManifest,
  type BackupVerification,
  DATABASE_FILE,
  type MissingFile,
  verifyAirlockBackup,
} from "./backup-manifest.js";
// Files on the local filesystem.
export type { FileStorageOptions } from "./file-storage.js";
export { createFileStorage } from "./file-storage.js";
// Records in SQLite.
export {
  AIRLOCK_MIGRATIONS,
  type AirlockDatabaseOptions,
  migrateAirlockDatabase,
  openAirlockDatabase,
  type SqliteMigration,
  type SqliteSynchronous,
} from "./sqlite-database.js";
export { createSqliteRequestRepository } from "./sqlite-request-repository.js";
export { createSqliteWorkspaceRegistry } from "./sqlite-workspace-registry.js";
