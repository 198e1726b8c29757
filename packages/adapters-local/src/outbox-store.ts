import type { DatabaseSync } from "node:sqlite";

/** What an outbox row carries: a CloudEvent for a webhook, or a notification to email. */
export type OutboxKind = "event" | "notification";

/** The destination of every notification row: the SMTP server configured for delivery. */
export const EMAIL_DESTINATION = "email";

export interface NewOutboxRow {
  readonly kind: OutboxKind;
  /** The event's or notification's own id: with kind and destination, what makes a repeat. */
  readonly id: string;
  readonly destination: string;
  /** The event or notification as JSON. */
  readonly payload: string;
}

export interface OutboxRow extends NewOutboxRow {
  /** Insertion order. */
  readonly seq: number;
  readonly attempts: number;
  readonly nextAttemptAt: number;
}

interface StoredRow {
  seq: number;
  kind: OutboxKind;
  id: string;
  destination: string;
  payload: string;
  attempts: number;
  next_attempt_at: number;
}

const fromStored = (row: StoredRow): OutboxRow => ({
  seq: row.seq,
  kind: row.kind,
  id: row.id,
  destination: row.destination,
  payload: row.payload,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at,
});

/**
 * Inserts the rows in one transaction, due at once. A row whose (kind, id, destination) is already
 * in the outbox, delivered or not, is left as it is: handing the same event over twice sends it
 * once. Throws what SQLite throws; nothing is inserted then.
 */
export const insertOutboxRows = (db: DatabaseSync, rows: readonly NewOutboxRow[], now: number): void => {
  if (rows.length === 0) return;
  const insert = db.prepare(
    `INSERT OR IGNORE INTO outbox (kind, id, destination, payload, created_at, next_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  db.exec("BEGIN IMMEDIATE");
  try {
    for (const row of rows) insert.run(row.kind, row.id, row.destination, row.payload, now, now);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
};

/** The oldest undelivered rows for one destination, in insertion order, due or not. */
export const pendingRows = (db: DatabaseSync, destination: string, limit: number): OutboxRow[] =>
  (
    db
      .prepare(
        `SELECT seq, kind, id, destination, payload, attempts, next_attempt_at FROM outbox
         WHERE destination = ? AND delivered_at IS NULL ORDER BY seq LIMIT ?`,
      )
      .all(destination, limit) as unknown as StoredRow[]
  ).map(fromStored);

/** Undelivered rows for one destination that are due at `now`, in insertion order. */
export const dueRows = (db: DatabaseSync, destination: string, now: number, limit: number): OutboxRow[] =>
  (
    db
      .prepare(
        `SELECT seq, kind, id, destination, payload, attempts, next_attempt_at FROM outbox
         WHERE destination = ? AND delivered_at IS NULL AND next_attempt_at <= ? ORDER BY seq LIMIT ?`,
      )
      .all(destination, now, limit) as unknown as StoredRow[]
  ).map(fromStored);

export const markDelivered = (db: DatabaseSync, seq: number, now: number): void => {
  db.prepare(
    "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE seq = ?",
  ).run(now, seq);
};

export const recordFailure = (
  db: DatabaseSync,
  seq: number,
  failure: { readonly nextAttemptAt: number; readonly error: string },
): void => {
  db.prepare(
    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE seq = ?",
  ).run(failure.nextAttemptAt, failure.error, seq);
};

/** How many rows wait for each destination. */
export const pendingByDestination = (db: DatabaseSync): Map<string, number> =>
  new Map(
    (
      db
        .prepare(
          "SELECT destination, count(*) AS count FROM outbox WHERE delivered_at IS NULL GROUP BY destination",
        )
        .all() as { destination: string; count: number }[]
    ).map((row) => [row.destination, row.count]),
  );

/**
 * A webhook URL as the outbox keys it (normalised by the URL parser, so the publisher and the
 * delivery agree). Throws unless http or https: a configuration mistake, found at startup.
 */
export const webhookDestination = (url: string): string => {
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new Error(`a webhook URL must be http or https (got ${parsed.protocol})`);
  }
  return parsed.href;
};

/** A destination fit for a log line: a URL without credentials or query (they may hold a secret). */
export const destinationForLogs = (destination: string): string => {
  if (destination === EMAIL_DESTINATION) return destination;
  try {
    const url = new URL(destination);
    return `${url.origin}${url.pathname}`;
  } catch {
    return "(not a URL)";
  }
};
