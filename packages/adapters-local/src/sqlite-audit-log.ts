import { createHmac } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import {
  type AuditEntry,
  type AuditLog,
  type AuditLogError,
  type AuditPage,
  type AuditPageRequest,
  type AuditRecord,
  type AuditSealing,
  type AuditStreamPage,
  type AuditStreamPageRequest,
  canonicalAuditText,
  checkpointEntry,
  GENESIS_HASH,
  MAX_AUDIT_PAGE,
  unavailable,
  unhashedAuditEntry,
  verifyAuditStream,
} from "@airlock/core";
import { errAsync, ok, type Result, ResultAsync } from "neverthrow";
import { sqliteCall } from "./sqlite-errors.js";

interface EntryRow {
  readonly stream: string;
  readonly seq: number;
  readonly workspace_id: string;
  readonly request_id: string | null;
  readonly at: number;
  readonly actor_id: string;
  readonly actor_name: string;
  readonly action: string;
  readonly outcome: string;
  readonly reason: string | null;
  readonly from_status: string | null;
  readonly to_status: string | null;
  readonly key: string | null;
  readonly prev_hash: string;
  readonly hash: string;
}

export const AUDIT_ENTRY_COLUMNS =
  "stream, seq, workspace_id, request_id, at, actor_id, actor_name, action, outcome, reason, from_status, to_status, key, prev_hash, hash";

const toEntry = (row: EntryRow): AuditEntry => ({
  stream: row.stream,
  workspaceId: row.workspace_id,
  requestId: row.request_id,
  at: row.at,
  actor: { id: row.actor_id, name: row.actor_name },
  action: row.action,
  outcome: row.outcome as AuditEntry["outcome"],
  reason: row.reason,
  fromStatus: row.from_status as AuditEntry["fromStatus"],
  toStatus: row.to_status as AuditEntry["toStatus"],
  key: row.key,
  seq: row.seq,
  prevHash: row.prev_hash,
  hash: row.hash,
});

/** An entry's values in the order of `AUDIT_ENTRY_COLUMNS`. */
export const entryRowValues = (entry: AuditEntry) =>
  [
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
  ] as const;

const pageLimit = (limit: number) =>
  Number.isFinite(limit) ? Math.max(1, Math.min(Math.floor(limit), MAX_AUDIT_PAGE)) : MAX_AUDIT_PAGE;

/**
 * Runs `work` in a `BEGIN IMMEDIATE` transaction: the database's write lock is taken before the
 * first read, so nothing another connection or process writes can land between what `work` reads
 * and what it writes. A transaction that fails is rolled back; one that never began is left alone.
 */
const inWriteTransaction = <T>(db: DatabaseSync, work: () => T): T => {
  db.exec("BEGIN IMMEDIATE");
  try {
    const answer = work();
    db.exec("COMMIT");
    return answer;
  } catch (error) {
    try {
      db.exec("ROLLBACK");
    } catch {
      // SQLite already rolled back (some errors end the transaction themselves): the original error tells why.
    }
    throw error;
  }
};

/**
 * A keyed, checkpointed `AuditLog` in the `audit_entries` table of a database from
 * `openAirlockDatabase`: one hash chain per stream, keyed by `(stream, seq)`, a record's `key`
 * unique within its stream. An append reads the stream's last entry, hashes the new one and inserts
 * it inside one synchronous `BEGIN IMMEDIATE` transaction, so appends from any number of
 * connections or processes on the file make one gapless chain; then it stores the signed checkpoint
 * (`sealing.checkpoints`, kept outside this database) before it answers. The table's triggers
 * refuse every UPDATE and DELETE, and any INSERT that would replace an entry.
 */
export const createSqliteAuditLog = (db: DatabaseSync, sealing: AuditSealing): AuditLog => {
  const chainKey = sealing.keys.chainKey;
  // The same HMAC-SHA256 over the same canonical text as core's `hashAuditEntry`, but synchronous,
  // so the hash is taken inside the transaction that read the previous one.
  const keyedHash = (unhashed: Omit<AuditEntry, "hash">) =>
    createHmac("sha256", chainKey).update(canonicalAuditText(unhashed)).digest("hex");

  const entryWithKey = (stream: string, key: string) =>
    db
      .prepare(`SELECT ${AUDIT_ENTRY_COLUMNS} FROM audit_entries WHERE stream = ? AND key = ?`)
      .get(stream, key) as EntryRow | undefined;

  const lastEntry = (stream: string) =>
    db
      .prepare("SELECT seq, hash FROM audit_entries WHERE stream = ? ORDER BY seq DESC LIMIT 1")
      .get(stream) as { seq: number; hash: string } | undefined;

  const insert = (entry: AuditEntry) =>
    db
      .prepare(
        `INSERT INTO audit_entries (${AUDIT_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(...entryRowValues(entry));

  /** The entry holding the record's key when there is one, otherwise the record appended as the next entry. */
  const store = (record: AuditRecord): Result<AuditEntry, AuditLogError> =>
    sqliteCall(`append to audit stream ${record.stream}`, () =>
      inWriteTransaction(db, () => {
        const key = record.key ?? null;
        const existing = key === null ? undefined : entryWithKey(record.stream, key);
        if (existing) return ok(toEntry(existing));
        const last = lastEntry(record.stream);
        const unhashed = unhashedAuditEntry(
          record,
          last === undefined ? 0 : last.seq + 1,
          last?.hash ?? GENESIS_HASH,
        );
        const entry: AuditEntry = { ...unhashed, hash: keyedHash(unhashed) };
        insert(entry);
        return ok(entry);
      }),
    );

  const page = (stream: string, request: AuditPageRequest): Result<AuditPage, AuditLogError> =>
    sqliteCall(`list audit stream ${stream}`, () => {
      const limit = pageLimit(request.limit);
      // One row more than the page tells whether another page follows.
      const rows = db
        .prepare(
          `SELECT ${AUDIT_ENTRY_COLUMNS} FROM audit_entries WHERE stream = ? AND seq >= ? ORDER BY seq LIMIT ?`,
        )
        .all(stream, request.fromSeq, limit + 1) as unknown as EntryRow[];
      const entries = rows.slice(0, limit).map(toEntry);
      return ok({ entries, nextSeq: rows.length > limit ? (entries.at(-1) as AuditEntry).seq + 1 : null });
    });

  /**
   * Stream names in name order (UTF-8 byte order), each found by one seek on the primary key for
   * the next name after the previous one, so a page costs its size whatever the streams hold.
   */
  const streamPage = (request: AuditStreamPageRequest): Result<AuditStreamPage, AuditLogError> =>
    sqliteCall("list audit streams", () => {
      const limit = pageLimit(request.limit);
      const rows = db
        .prepare(
          `WITH RECURSIVE names(stream, n) AS (
             SELECT (SELECT MIN(stream) FROM audit_entries WHERE stream > ?), 1
             UNION ALL
             SELECT (SELECT MIN(stream) FROM audit_entries WHERE stream > names.stream), n + 1
             FROM names WHERE names.stream IS NOT NULL AND n < ?
           )
           SELECT stream FROM names WHERE stream IS NOT NULL`,
        )
        .all(request.after ?? "", limit + 1) as { stream: string }[];
      const streams = rows.slice(0, limit).map((row) => row.stream);
      return ok({ streams, next: rows.length > limit ? (streams.at(-1) ?? null) : null });
    });

  const listPage = (stream: string, request: AuditPageRequest) =>
    new ResultAsync<AuditPage, AuditLogError>(Promise.resolve(page(stream, request)));

  return {
    append: (record) => {
      // Refused before anything is stored: an entry without its checkpoint is one a truncation could hide.
      if (sealing.keys.signingKey === null) {
        return errAsync(
          unavailable(`audit stream ${record.stream}: no checkpoint signing key, appends are refused`),
        );
      }
      return new ResultAsync(Promise.resolve(store(record))).andThen((entry) =>
        // A repeated keyed append checkpoints its entry again: harmless, and it heals a checkpoint
        // that failed the first time.
        checkpointEntry(sealing, entry).map(() => entry),
      );
    },
    has: (stream, key) =>
      new ResultAsync(
        Promise.resolve(
          sqliteCall<boolean, AuditLogError>(`look up key ${key} in audit stream ${stream}`, () =>
            ok(entryWithKey(stream, key) !== undefined),
          ),
        ),
      ),
    list: listPage,
    streams: (request) => new ResultAsync(Promise.resolve(streamPage(request))),
    verify: (stream) => verifyAuditStream(sealing, listPage, stream),
  };
};
