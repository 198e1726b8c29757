import { type AddressInfo, createServer as createNetServer } from "node:net";
import { DatabaseSync } from "node:sqlite";
import type { AirlockEvent } from "@airlock/core";
import { sampleEvent, sampleReviewedEvent } from "@airlock/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createOutboxDelivery,
  createOutboxEventPublisher,
  type OutboxDeliveryOptions,
  openAirlockDatabase,
} from "../src/index.js";
import { capturedLogger, drain, manualClock } from "./outbox-support.js";
import { startWebhookReceiver, type WebhookReceiver } from "./receivers.js";
import { temporaryDatabases } from "./support.js";

const databases = temporaryDatabases();
const ORIGIN = "airlock.tre.example.org";

interface StoredRow {
  kind: string;
  id: string;
  destination: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  delivered_at: number | null;
}

const outboxRows = (db: DatabaseSync) =>
  db
    .prepare(
      "SELECT kind, id, destination, attempts, next_attempt_at, last_error, delivered_at FROM outbox ORDER BY seq",
    )
    .all() as unknown as StoredRow[];

describe("outbox webhooks", () => {
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  const setUp = (overrides: Partial<OutboxDeliveryOptions> = {}) => {
    const db = overrides.db ?? databases.freshDatabase();
    const clock = manualClock();
    const publisher = createOutboxEventPublisher(db, { destinations: [receiver.url], clock });
    const delivery = createOutboxDelivery({
      db,
      webhooks: [{ url: receiver.url, headers: { Authorization: "Bearer s3cret-token" } }],
      origin: ORIGIN,
      clock,
      ...overrides,
    });
    return { db, clock, publisher, delivery };
  };

  it("posts each event as a structured CloudEvent after the endpoint agreed in the handshake", async () => {
    const { publisher, delivery } = setUp();
    const events = [sampleEvent(), sampleReviewedEvent()];

    expect((await publisher.publish(events)).isOk()).toBe(true);
    expect(receiver.requests()).toEqual([]); // publishing sends nothing
    const pass = await delivery.deliverDue();

    expect(pass).toEqual({ delivered: 2, failed: 0, pending: 0 });
    const [options, ...posts] = receiver.requests();
    expect(options?.method).toBe("OPTIONS");
    expect(options?.headers["webhook-request-origin"]).toBe(ORIGIN);
    expect(options?.headers.authorization).toBe("Bearer s3cret-token");
    expect(posts.map((post) => post.method)).toEqual(["POST", "POST"]);
    for (const [index, post] of posts.entries()) {
      expect(post.headers["content-type"]).toBe("application/cloudevents+json; charset=utf-8");
      expect(post.headers.origin).toBe(ORIGIN);
      expect(post.headers.authorization).toBe("Bearer s3cret-token");
      expect(post.headers["ce-id"]).toBeUndefined(); // structured mode: the attributes are in the body
      expect(JSON.parse(post.body)).toEqual(events[index]);
    }
  });

  it("asks an endpoint once while running, not before every event", async () => {
    const { publisher, delivery } = setUp();
    await publisher.publish([sampleEvent()]);
    await delivery.deliverDue();
    await publisher.publish([sampleEvent(), sampleEvent()]);
    await delivery.deliverDue();

    expect(receiver.requests().map((request) => request.method)).toEqual(["OPTIONS", "POST", "POST", "POST"]);
  });

  it("sends nothing to an endpoint that does not agree, keeps the events and logs an error", async () => {
    const { logger, lines } = capturedLogger();
    const { db, clock, publisher, delivery } = setUp({ logger });
    receiver.setHandshake("refuse");
    const event = sampleEvent();
    await publisher.publish([event]);

    const refused = await delivery.deliverDue();

    expect(refused).toEqual({ delivered: 0, failed: 1, pending: 1 });
    expect(receiver.posts()).toEqual([]);
    expect(outboxRows(db)[0]?.last_error).toMatch(/did not allow delivery/);
    expect(lines.find((line) => line.level === 50)?.msg).toMatch(/will retry/);

    receiver.setHandshake("allow");
    clock.set((outboxRows(db)[0]?.next_attempt_at ?? 0) + 1);
    expect(await delivery.deliverDue()).toEqual({ delivered: 1, failed: 0, pending: 0 });
    expect(receiver.accepted()).toEqual([event]);
  });

  it("can skip the handshake for a receiver that does not implement it", async () => {
    const { publisher, delivery } = setUp({ webhooks: [{ url: receiver.url, abuseProtection: false }] });
    receiver.setHandshake("refuse");
    await publisher.publish([sampleEvent()]);

    await delivery.deliverDue();

    expect(receiver.requests().map((request) => request.method)).toEqual(["POST"]);
  });

  it("answers publish with the rows already committed: the hand-over is durable when the call returns", async () => {
    const { db, publisher } = setUp();
    const reader = databases.track(new DatabaseSync(db.location() ?? ""));
    const events = [sampleEvent(), sampleEvent()];

    const answer = publisher.publish(events); // not awaited: the rows must be there already

    expect(
      reader
        .prepare("SELECT id FROM outbox ORDER BY seq")
        .all()
        .map((row) => row.id),
    ).toEqual(events.map((event) => event.id));
    expect((await answer).isOk()).toBe(true);
  });

  it("keeps one row per event and webhook, each endpoint retried on its own", async () => {
    const other = await startWebhookReceiver();
    try {
      const db = databases.freshDatabase();
      const clock = manualClock();
      const publisher = createOutboxEventPublisher(db, { destinations: [receiver.url, other.url], clock });
      const delivery = createOutboxDelivery({
        db,
        webhooks: [{ url: receiver.url }, { url: other.url }],
        origin: ORIGIN,
        clock,
      });
      other.answerNext({ status: 503 });
      const events = [sampleEvent(), sampleEvent()];
      await publisher.publish(events);

      expect(await delivery.deliverDue()).toEqual({ delivered: 2, failed: 1, pending: 2 });
      expect(receiver.accepted()).toEqual(events);
      expect(other.accepted()).toEqual([]);

      clock.advance(60_000);
      await drain(delivery);
      expect(other.accepted()).toEqual(events);
      expect(receiver.accepted()).toEqual(events); // not sent twice to the endpoint that took them
    } finally {
      await other.close();
    }
  });

  it("retries a failing endpoint with growing waits and delivers in the order published", async () => {
    const { db, clock, publisher, delivery } = setUp({ backoff: { firstMs: 1000, maxMs: 60_000 } });
    receiver.answerNext({ status: 503 }, 3);
    const first = sampleEvent();
    const second = sampleEvent();
    await publisher.publish([first]);
    await publisher.publish([second]);

    const waits: number[] = [];
    for (let failure = 1; failure <= 3; failure++) {
      expect(await delivery.deliverDue()).toEqual({ delivered: 0, failed: 1, pending: 2 });
      const [head, next] = outboxRows(db);
      expect(head?.attempts).toBe(failure);
      expect(head?.last_error).toBe("HTTP 503");
      expect(next?.attempts).toBe(0); // the later event waits behind the one that failed
      const wait = (head?.next_attempt_at ?? 0) - clock.now();
      waits.push(wait);
      // Not due yet: a pass sends nothing.
      const posts = receiver.posts().length;
      clock.advance(wait - 1);
      expect(await delivery.deliverDue()).toEqual({ delivered: 0, failed: 0, pending: 2 });
      expect(receiver.posts()).toHaveLength(posts);
      clock.advance(1);
    }

    expect(await delivery.deliverDue()).toEqual({ delivered: 2, failed: 0, pending: 0 });
    expect(receiver.accepted()).toEqual([first, second]);
    // Equal jitter: the n-th wait lies between half and all of 1000·2^(n-1), so waits never shrink.
    expect(waits[0]).toBeGreaterThanOrEqual(500);
    expect(waits[0]).toBeLessThanOrEqual(1000);
    expect(waits[1]).toBeGreaterThanOrEqual(1000);
    expect(waits[1]).toBeLessThanOrEqual(2000);
    expect(waits[2]).toBeGreaterThanOrEqual(2000);
    expect(waits[2]).toBeLessThanOrEqual(4000);
    expect(outboxRows(db).map((row) => row.delivered_at)).toEqual([clock.now(), clock.now()]);
  });

  it("waits at least as long as Retry-After asks", async () => {
    const { db, clock, publisher, delivery } = setUp();
    receiver.answerNext({ status: 429, headers: { "Retry-After": "120" } });
    await publisher.publish([sampleEvent()]);

    await delivery.deliverDue();

    expect((outboxRows(db)[0]?.next_attempt_at ?? 0) - clock.now()).toBeGreaterThanOrEqual(120_000);
  });

  it("keeps retrying an endpoint that refuses with another 4xx, logging an error without secrets or bodies", async () => {
    const { logger, lines } = capturedLogger();
    const { db, clock, publisher, delivery } = setUp({ logger });
    receiver.answerNext({ status: 400 }, 2);
    const event = sampleEvent({ data: { statusMessage: "a message only the receiver may see" } });
    await publisher.publish([event]);

    for (let i = 0; i < 2; i++) {
      expect(await delivery.deliverDue()).toMatchObject({ failed: 1, pending: 1 });
      clock.set((outboxRows(db)[0]?.next_attempt_at ?? 0) + 1);
    }
    expect(await delivery.deliverDue()).toEqual({ delivered: 1, failed: 0, pending: 0 });

    expect(receiver.accepted()).toEqual([event]);
    const errors = lines.filter((line) => line.level === 50);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({
      error: "HTTP 400",
      id: event.id,
      destination: receiver.url.split("?")[0],
    });
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain("s3cret-token");
    expect(logged).not.toContain("a message only the receiver may see");
    expect(logged).not.toContain("a body the sender must not log");
  });

  it("keeps query strings (which may hold a token) out of the logs", async () => {
    const { logger, lines } = capturedLogger();
    const url = `${receiver.url}?code=query-secret`;
    const db = databases.freshDatabase();
    const publisher = createOutboxEventPublisher(db, { destinations: [url] });
    const delivery = createOutboxDelivery({ db, webhooks: [{ url }], logger, origin: ORIGIN });
    receiver.answerNext({ status: 500 });
    await publisher.publish([sampleEvent()]);

    await delivery.deliverDue();

    expect(lines.some((line) => line.level === 40)).toBe(true);
    expect(JSON.stringify(lines)).not.toContain("query-secret");
  });

  it("adds a repeated event once and sends it once", async () => {
    const { db, publisher, delivery } = setUp();
    const event = sampleEvent();

    await publisher.publish([event]);
    await publisher.publish([event]);
    await drain(delivery);
    await publisher.publish([event]); // after delivery too
    await drain(delivery);

    expect(outboxRows(db)).toHaveLength(1);
    expect(receiver.accepted()).toEqual([event]);
  });

  it("delivers rows left by a process that stopped, from the reopened database", async () => {
    const path = databases.path();
    const before = openAirlockDatabase(path);
    const events: AirlockEvent[] = [sampleEvent(), sampleEvent()];
    await createOutboxEventPublisher(before, { destinations: [receiver.url] }).publish(events);
    before.close(); // as after a crash: nothing was sent

    const after = databases.track(openAirlockDatabase(path));
    const delivery = createOutboxDelivery({ db: after, webhooks: [{ url: receiver.url }], origin: ORIGIN });
    expect(await delivery.deliverDue()).toEqual({ delivered: 2, failed: 0, pending: 0 });

    expect(receiver.accepted()).toEqual(events);
  });

  it("leaves a row due when the endpoint never answers, so it is sent again", async () => {
    // A server that takes the connection and never answers, as a receiver that hangs mid-send.
    const silent = createNetServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hooks`;
    try {
      const db = databases.freshDatabase();
      await createOutboxEventPublisher(db, { destinations: [url] }).publish([sampleEvent()]);
      const delivery = createOutboxDelivery({
        db,
        webhooks: [{ url, abuseProtection: false }],
        origin: ORIGIN,
        timeoutMs: 50,
      });

      expect(await delivery.deliverDue()).toEqual({ delivered: 0, failed: 1, pending: 1 });
      expect(outboxRows(db)[0]).toMatchObject({
        delivered_at: null,
        attempts: 1,
        last_error: "no answer before the timeout",
      });
    } finally {
      silent.close();
    }
  });

  it("runs passes after start() and, on stop(), waits for the send in flight and records it", async () => {
    const db = databases.freshDatabase();
    const publisher = createOutboxEventPublisher(db, { destinations: [receiver.url] });
    const delivery = createOutboxDelivery({
      db,
      webhooks: [{ url: receiver.url }],
      origin: ORIGIN,
      pollIntervalMs: 5,
    });
    const event = sampleEvent();
    const held = receiver.holdNextPost();
    await publisher.publish([event]);

    delivery.start();
    await held.arrived; // the POST is at the receiver, unanswered
    let stopped = false;
    const stopping = delivery.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    held.release();
    await stopping;

    expect(outboxRows(db)[0]?.delivered_at).not.toBeNull();
    expect(receiver.accepted()).toEqual([event]);
  });

  it("does not start another send after stop()", async () => {
    const db = databases.freshDatabase();
    const publisher = createOutboxEventPublisher(db, { destinations: [receiver.url] });
    const delivery = createOutboxDelivery({ db, webhooks: [{ url: receiver.url }], origin: ORIGIN });
    const held = receiver.holdNextPost();
    await publisher.publish([sampleEvent(), sampleEvent()]);

    const pass = delivery.deliverDue();
    await held.arrived;
    const stopping = delivery.stop();
    held.release();
    await stopping;

    expect(await pass).toEqual({ delivered: 1, failed: 0, pending: 1 });
    expect(receiver.posts()).toHaveLength(1);
  });

  it("refuses a webhook URL that is not http or https", () => {
    const db = databases.freshDatabase();
    expect(() => createOutboxEventPublisher(db, { destinations: ["ftp://example.org/x"] })).toThrow(
      /http or https/,
    );
    expect(() => createOutboxDelivery({ db, webhooks: [{ url: "file:///etc/passwd" }] })).toThrow(
      /http or https/,
    );
  });
});
