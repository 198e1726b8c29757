import { DatabaseSync } from "node:sqlite";

/**
 * How hard SQLite works to keep a write once it has answered:
 * - `FULL` (the default): an acknowledged write survives a power loss or an operating-system crash.
 * - `NORMAL`: faster; an acknowledged write survives the process crashing, but the last writes may
 *   be lost if the machine loses power.
 */
export type SqliteSynchronous = "FULL" | "NORMAL";

export interface AirlockDatabaseOptions {
  /** Default `FULL`. */
  readonly synchronous?: SqliteSynchronous;
  /** How long a write waits for another connection's lock before failing, in ms. Default 5000. */
  readonly busyTimeoutMs?: number;
}

/** One step of the schema; applied once, in order, each in its own transaction. */
export interface SqliteMigration {
  readonly description: string;
  readonly sql: string;
}

/**
 * The schema, oldest step first. Never edit or reorder a step that has shipped: add a new one. The
 * database's `PRAGMA user_version` counts the steps applied.
 */
export const AIRLOCK_MIGRATIONS: readonly SqliteMigration[] = [
  {
    description: "requests as JSON, with the fields lists filter and order by as indexed columns",
    sql: `
      CREATE TABLE requests (
        id TEXT PRIMARY KEY NOT NULL,
        workspace_id TEXT NOT NULL,
        creator TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        title TEXT NOT NULL,
        created_when REAL NOT NULL,
        updated_when REAL NOT NULL,
        etag TEXT NOT NULL,
        body TEXT NOT NULL
      ) STRICT;
      CREATE INDEX requests_by_created ON requests (created_when, id);
      CREATE INDEX requests_by_updated ON requests (updated_when, id);
      CREATE INDEX requests_by_status ON requests (status, id);
      CREATE INDEX requests_by_type ON requests (type, id);
      CREATE INDEX requests_by_title ON requests (title, id);
      CREATE INDEX requests_by_workspace_created ON requests (workspace_id, created_when, id);
      CREATE INDEX requests_by_creator_created ON requests (creator, created_when, id);
    `,
  },
  {
    description: "workspaces as JSON",
    sql: `
      CREATE TABLE workspaces (
        id TEXT PRIMARY KEY NOT NULL,
        body TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    description: "the audit log: one hash chain per stream, append-only",
    sql: `
      CREATE TABLE audit_entries (
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        workspace_id TEXT NOT NULL,
        request_id TEXT,
        at REAL NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT,
        from_status TEXT,
        to_status TEXT,
        key TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (stream, seq)
      ) STRICT, WITHOUT ROWID;
      CREATE UNIQUE INDEX audit_entries_by_key ON audit_entries (stream, key) WHERE key IS NOT NULL;
      CREATE TRIGGER audit_entries_never_replaced BEFORE INSERT ON audit_entries
        WHEN EXISTS (SELECT 1 FROM audit_entries WHERE stream = NEW.stream AND seq = NEW.seq)
          OR (NEW.key IS NOT NULL
            AND EXISTS (SELECT 1 FROM audit_entries WHERE stream = NEW.stream AND key = NEW.key))
      BEGIN
        SELECT RAISE(ABORT, 'audit entries are append-only');
      END;
      CREATE TRIGGER audit_entries_never_updated BEFORE UPDATE ON audit_entries
      BEGIN
        SELECT RAISE(ABORT, 'audit entries are append-only');
      END;
      CREATE TRIGGER audit_entries_never_deleted BEFORE DELETE ON audit_entries
      BEGIN
        SELECT RAISE(ABORT, 'audit entries are append-only');
      END;
    `,
  },
  {
    description: "the outbox: events and notifications waiting to be delivered, one row per destination",
    sql: `
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('event', 'notification')),
        id TEXT NOT NULL,
        destination TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        delivered_at INTEGER,
        UNIQUE (kind, id, destination)
      ) STRICT;
      CREATE INDEX outbox_pending ON outbox (destination, seq) WHERE delivered_at IS NULL;
    `,
  },
  {
    description:
      "request indexes that let a page filtered by status, or by workspace and status, or a workspace's page by update time, seek instead of scan",
    sql: `
      CREATE INDEX requests_by_status_created ON requests (status, created_when, id);
      CREATE INDEX requests_by_status_updated ON requests (status, updated_when, id);
      CREATE INDEX requests_by_workspace_status_created ON requests (workspace_id, status, created_when, id);
      CREATE INDEX requests_by_workspace_updated ON requests (workspace_id, updated_when, id);
    `,
  },
];

const schemaVersion = (db: DatabaseSync): number => {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  return row.user_version;
};

/**
 * Brings the schema up to `migrations.length` steps, one transaction per step, so a failed step
 * leaves the database at the previous version. Throws for a database written by a newer schema.
 */
export const migrateAirlockDatabase = (
  db: DatabaseSync,
  migrations: readonly SqliteMigration[] = AIRLOCK_MIGRATIONS,
): number => {
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new Error(
      `the database has schema version ${current}, newer than the ${migrations.length} this version knows`,
    );
  }
  for (const [index, migration] of migrations.entries()) {
    if (index < current) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(migration.sql);
      // PRAGMA takes no parameters; the version is a number we computed.
      db.exec(`PRAGMA user_version = ${index + 1}`);
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw new Error(`schema step ${index + 1} (${migration.description}) failed`, { cause: error });
    }
  }
  return schemaVersion(db);
};

/**
 * Opens (creating if absent) the airlock's SQLite database at `path` (`:memory:` for a throwaway
 * one): WAL journal so readers never block the writer, `synchronous` as chosen (default FULL),
 * foreign keys enforced, a busy timeout, and the schema migrated to the latest version. Throws when
 * the file cannot be opened or migrated: that is a startup failure, not a port answer.
 */
export const openAirlockDatabase = (path: string, options: AirlockDatabaseOptions = {}): DatabaseSync => {
  const synchronous = options.synchronous ?? "FULL";
  if (synchronous !== "FULL" && synchronous !== "NORMAL") {
    throw new Error(`synchronous must be FULL or NORMAL, not ${String(synchronous)}`);
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new Error("busyTimeoutMs must be a whole number of milliseconds");
  }
  const db = new DatabaseSync(path, { timeout: busyTimeoutMs });
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = ${synchronous}`);
    db.exec("PRAGMA foreign_keys = ON");
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    migrateAirlockDatabase(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
};
