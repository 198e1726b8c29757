import { hostname } from "node:os";
import type { DatabaseSync } from "node:sqlite";
import type { Clock, Notification } from "@airlock/core";
import { type Logger, pino } from "pino";
import { createEmailSender, type SmtpOptions } from "./email-sender.js";
import { type BackoffPolicy, backoffDelay, checkBackoff } from "./outbox-backoff.js";
import {
  destinationForLogs,
  dueRows,
  EMAIL_DESTINATION,
  markDelivered,
  type OutboxRow,
  pendingByDestination,
  pendingRows,
  recordFailure,
  webhookDestination,
} from "./outbox-store.js";
import { createWebhookSender, type SendOutcome, type WebhookEndpoint } from "./webhook-sender.js";

export interface OutboxDeliveryOptions {
  /** The database the outbox publisher and notifier write to. */
  readonly db: DatabaseSync;
  /** Where events go; the same URLs as the publisher's `destinations`. */
  readonly webhooks?: readonly WebhookEndpoint[];
  /** Where notifications go. Without it notifications wait in the outbox. */
  readonly smtp?: SmtpOptions;
  /** Told about failures (warn, or error for what needs a person) and deliveries (debug). */
  readonly logger?: Logger;
  readonly backoff?: BackoffPolicy;
  /** Rows looked at per destination in one pass. Default 100. */
  readonly batch?: number;
  readonly clock?: Clock;
  /** The DNS name the airlock sends as (`WebHook-Request-Origin`, `Origin`). Default: the host name. */
  readonly origin?: string;
  /** The pause between passes after `start()`, in ms. Default 1000. */
  readonly pollIntervalMs?: number;
  /** How long one HTTP request may take, in ms. Default 10000. */
  readonly timeoutMs?: number;
}

/** What one pass did. */
export interface DeliveryPass {
  readonly delivered: number;
  readonly failed: number;
  /** Rows still waiting in the outbox after the pass, for every destination. */
  readonly pending: number;
}

export interface OutboxDelivery {
  /** Runs a pass now and then one every `pollIntervalMs` until `stop()`. */
  start(): void;
  /**
   * Stops the passes; resolves once the sends in flight have finished and been recorded. No new
   * send starts after it (a `deliverDue()` then does nothing) until `start()` is called again.
   */
  stop(): Promise<void>;
  /** One pass over the rows due now; passes never overlap. */
  deliverDue(): Promise<DeliveryPass>;
}

const systemClock: Clock = { now: () => Date.now() };

const wholeNumber = (value: number, name: string, min: number): number => {
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number ≥ ${min}`);
  return value;
};

/**
 * Delivers what `createOutboxEventPublisher` and `createOutboxNotifier` put in the outbox: events
 * to webhooks as CloudEvents, notifications as email over SMTP.
 *
 * - A row is marked delivered only after the webhook answered 2xx or the SMTP server accepted the
 *   message. A process that stops mid-send leaves the row due, so it is sent again: delivery is at
 *   least once, and receivers drop repeats by the CloudEvent `id` (or the email's Message-ID).
 * - Events reach each webhook in the order they were published: a row that failed holds back the
 *   later rows for that webhook (and only that one) until it is delivered.
 * - Emails are tried in the order they were handed over, but one that fails does not hold back the
 *   others: a refused address must not stop everyone's mail.
 * - Nothing is ever dropped. Every failure is retried with exponential backoff and jitter (capped),
 *   honouring Retry-After; failures that need a person (another 4xx, a refused handshake, a
 *   permanent SMTP reply) are logged at error level.
 *
 * Run one delivery per database: two would each keep the order but could interleave sends.
 */
export const createOutboxDelivery = (options: OutboxDeliveryOptions): OutboxDelivery => {
  const { db } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ enabled: false });
  const backoff = checkBackoff(options.backoff);
  const batch = wholeNumber(options.batch ?? 100, "batch", 1);
  const pollIntervalMs = wholeNumber(options.pollIntervalMs ?? 1000, "pollIntervalMs", 1);
  const timeoutMs = wholeNumber(options.timeoutMs ?? 10_000, "timeoutMs", 1);
  const endpoints = new Map(
    (options.webhooks ?? []).map((webhook) => [webhookDestination(webhook.url), webhook]),
  );
  const webhookSender = createWebhookSender({
    origin: options.origin ?? hostname(),
    timeoutMs,
    now: () => clock.now(),
  });
  const emailSender = options.smtp === undefined ? undefined : createEmailSender(options.smtp);
  let stopping = false;

  /** Records the outcome of one try; true when the row was delivered. */
  const settle = (row: OutboxRow, outcome: SendOutcome): boolean => {
    const now = clock.now();
    const about = {
      outboxSeq: row.seq,
      kind: row.kind,
      id: row.id,
      destination: destinationForLogs(row.destination),
      attempt: row.attempts + 1,
    };
    if (outcome.delivered) {
      markDelivered(db, row.seq, now);
      logger.debug(about, "outbox row delivered");
      return true;
    }
    const waitMs = backoffDelay(row.attempts + 1, backoff, outcome.retryAfterMs);
    recordFailure(db, row.seq, { nextAttemptAt: now + waitMs, error: outcome.error });
    logger[outcome.level](
      { ...about, error: outcome.error, retryInMs: waitMs },
      "outbox delivery failed; will retry",
    );
    return false;
  };

  const deliverToWebhook = async (destination: string, endpoint: WebhookEndpoint) => {
    const counts = { delivered: 0, failed: 0 };
    for (const row of pendingRows(db, destination, batch)) {
      // Rows after one that is waiting wait too: each webhook gets its events in order.
      if (stopping || row.nextAttemptAt > clock.now()) break;
      if (!settle(row, await webhookSender.send(endpoint, destination, row.payload))) {
        counts.failed++;
        break;
      }
      counts.delivered++;
    }
    return counts;
  };

  const deliverEmails = async () => {
    const counts = { delivered: 0, failed: 0 };
    if (emailSender === undefined) return counts;
    for (const row of dueRows(db, EMAIL_DESTINATION, clock.now(), batch)) {
      if (stopping) break;
      const notification = JSON.parse(row.payload) as Notification;
      const outcome = await emailSender.send(notification);
      if (outcome.delivered && (outcome.skipped ?? 0) > 0) {
        logger.warn(
          { notificationId: notification.id, skipped: outcome.skipped },
          "recipients without an address, listed twice or refused by the SMTP server were not emailed",
        );
      }
      if (settle(row, outcome)) counts.delivered++;
      else counts.failed++;
    }
    return counts;
  };

  const pass = async (): Promise<DeliveryPass> => {
    const results = await Promise.all([
      ...[...endpoints].map(([destination, endpoint]) => deliverToWebhook(destination, endpoint)),
      deliverEmails(),
    ]);
    let pending = 0;
    for (const count of pendingByDestination(db).values()) pending += count;
    return {
      delivered: results.reduce((sum, counts) => sum + counts.delivered, 0),
      failed: results.reduce((sum, counts) => sum + counts.failed, 0),
      pending,
    };
  };

  let previous: Promise<unknown> = Promise.resolve();
  const deliverDue = (): Promise<DeliveryPass> => {
    const next = previous.then(pass);
    previous = next.catch(() => undefined);
    return next;
  };

  /** Rows for a destination this delivery does not serve stay in the outbox; say so once at start. */
  const reportUnserved = () => {
    for (const [destination, count] of pendingByDestination(db)) {
      const served =
        destination === EMAIL_DESTINATION ? emailSender !== undefined : endpoints.has(destination);
      if (!served) {
        logger.warn(
          { destination: destinationForLogs(destination), pending: count },
          "outbox rows wait for a destination that is not configured; they stay until it is",
        );
      }
    }
  };

  let running = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    deliverDue()
      .catch((error: unknown) =>
        logger.error({ error: error instanceof Error ? error.message : String(error) }, "outbox pass failed"),
      )
      .finally(() => {
        if (!running) return;
        timer = setTimeout(tick, pollIntervalMs);
        timer.unref();
      });
  };

  return {
    start: () => {
      if (running) return;
      running = true;
      stopping = false;
      reportUnserved();
      tick();
    },
    stop: async () => {
      running = false;
      stopping = true;
      clearTimeout(timer);
      await previous;
    },
    deliverDue,
  };
};
