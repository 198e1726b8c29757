import type { DatabaseSync } from "node:sqlite";
import type { Clock, EventPublisher, EventPublisherError, Notifier, NotifierError } from "@airlock/core";
import { ok, ResultAsync } from "neverthrow";
import {
  EMAIL_DESTINATION,
  insertOutboxRows,
  type NewOutboxRow,
  webhookDestination,
} from "./outbox-store.js";
import { sqliteCall } from "./sqlite-errors.js";

export interface OutboxEventPublisherOptions {
  /** The webhook URLs every event goes to; each gets its own row, so each is retried on its own. */
  readonly destinations: readonly string[];
  readonly clock?: Clock;
}

export interface OutboxNotifierOptions {
  readonly clock?: Clock;
}

const systemClock: Clock = { now: () => Date.now() };

/**
 * Writes the rows now, before answering: the engine counts an announcement as handed over the
 * moment the call returns (its crash recovery relies on that), so the commit cannot wait for a
 * later turn of the event loop.
 */
const handOver = (
  db: DatabaseSync,
  what: string,
  rows: readonly NewOutboxRow[],
  clock: Clock,
): ResultAsync<void, EventPublisherError & NotifierError> => {
  const result = sqliteCall(what, () => {
    insertOutboxRows(db, rows, clock.now());
    return ok(undefined);
  });
  return new ResultAsync(Promise.resolve(result));
};

/**
 * An `EventPublisher` that records each event in the `outbox` table of a database from
 * `openAirlockDatabase`, one row per webhook destination, and sends nothing itself:
 * `createOutboxDelivery` delivers the rows. `publish` answers ok once the rows are committed; an
 * event already in the outbox (same id) is not added again.
 */
export const createOutboxEventPublisher = (
  db: DatabaseSync,
  options: OutboxEventPublisherOptions,
): EventPublisher => {
  const destinations = [...new Set(options.destinations.map(webhookDestination))];
  const clock = options.clock ?? systemClock;
  return {
    publish: (events) =>
      handOver(
        db,
        "record events in the outbox",
        events.flatMap((event) => {
          const payload = JSON.stringify(event);
          return destinations.map((destination) => ({
            kind: "event" as const,
            id: event.id,
            destination,
            payload,
          }));
        }),
        clock,
      ),
  };
};

/**
 * A `Notifier` that records each notification in the `outbox` table, to be emailed by
 * `createOutboxDelivery`. `notify` answers ok once the row is committed; a notification already in
 * the outbox (same id) is not added again.
 */
export const createOutboxNotifier = (db: DatabaseSync, options: OutboxNotifierOptions = {}): Notifier => {
  const clock = options.clock ?? systemClock;
  return {
    notify: (notification) =>
      handOver(
        db,
        "record a notification in the outbox",
        [
          {
            kind: "notification",
            id: notification.id,
            destination: EMAIL_DESTINATION,
            payload: JSON.stringify(notification),
          },
        ],
        clock,
      ),
  };
};
