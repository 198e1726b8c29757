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
// Events and notifications through a durable outbox in the same SQLite database.
export type { SmtpOptions } from "./email-sender.js";
// Signed checkpoints of the audit log, in files kept apart from the database.
export {
  createFileAuditCheckpoints,
  type FileAuditCheckpointsOptions,
} from "./file-audit-checkpoints.js";
// Files on the local filesystem.
export type { FileStorageOptions } from "./file-storage.js";
export { createFileStorage } from "./file-storage.js";
export { type BackoffPolicy, DEFAULT_BACKOFF } from "./outbox-backoff.js";
export {
  createOutboxDelivery,
  type DeliveryPass,
  type OutboxDelivery,
  type OutboxDeliveryOptions,
} from "./outbox-delivery.js";
export {
  createOutboxEventPublisher,
  createOutboxNotifier,
  type OutboxEventPublisherOptions,
  type OutboxNotifierOptions,
} from "./outbox-ports.js";
// The audit log in SQLite.
export { createSqliteAuditLog } from "./sqlite-audit-log.js";
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
export { CLOUDEVENTS_CONTENT_TYPE, type WebhookEndpoint } from "./webhook-sender.js";
