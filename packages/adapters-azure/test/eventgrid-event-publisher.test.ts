import { randomUUID } from "node:crypto";
import type { AirlockEvent } from "@airlock/core";
import { AirlockEventSchema, EVENT_TYPES } from "@airlock/core";
import { eventPublisherContract } from "@airlock/core/testing";
import { AzureKeyCredential } from "@azure/eventgrid";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createEventGridPublisher,
  type EventGridPublisherOptions,
} from "../src/eventgrid-event-publisher.js";
import type { RetryPolicy } from "../src/retry.js";
import { type EventGridCheckingServer, startEventGridServer } from "./support/checking-servers.js";

const FAST_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

const statusChanged = (): AirlockEvent => {
  const requestId = randomUUID();
  const workspaceId = randomUUID();
  return {
    specversion: "1.0",
    id: `${requestId}/status/1`,
    source: `/workspaces/${workspaceId}/requests/${requestId}`,
    subject: requestId,
    type: EVENT_TYPES.statusChanged,
    time: "2026-01-01T10:00:00.000Z",
    datacontenttype: "application/json",
    data: {
      requestId,
      workspaceId,
      type: "import",
      previousStatus: "draft",
      newStatus: "submitted",
      statusMessage: null,
      version: 2,
    },
  };
};

const reviewed = (): AirlockEvent => {
  const requestId = randomUUID();
  const workspaceId = randomUUID();
  return {
    specversion: "1.0",
    id: `${requestId}/review/r1`,
    source: `/workspaces/${workspaceId}/requests/${requestId}`,
    subject: requestId,
    type: EVENT_TYPES.reviewed,
    time: "2026-01-01T11:30:00.000Z",
    datacontenttype: "application/json",
    data: {
      requestId,
      workspaceId,
      type: "export",
      reviewer: { id: "m1", name: "Mia Manager", email: "mia@example.org" },
      reviewDecision: "approved",
      status: "approval_in_progress",
      approvals: 1,
      requiredApprovals: 1,
    },
  };
};

describe("Event Grid publisher", () => {
  let server: EventGridCheckingServer;
  beforeEach(async () => {
    server = await startEventGridServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const publisherFor = (overrides: Partial<EventGridPublisherOptions> = {}) =>
    createEventGridPublisher({
      endpoint: server.endpoint,
      credential: new AzureKeyCredential(server.key),
      allowInsecureConnection: true,
      retry: FAST_RETRY,
      ...overrides,
    });

  it("sends the events as one CloudEvents 1.0 batch, in order, with every field of the envelope", async () => {
    const events = [statusChanged(), reviewed()];

    const result = await publisherFor().publish(events);

    expect(result.isOk()).toBe(true);
    expect(server.refusals()).toEqual([]);
    expect(server.batches()).toHaveLength(1);
    expect(server.accepted()).toEqual(events);
  });

  it("publishes nothing for an empty list", async () => {
    const result = await publisherFor().publish([]);

    expect(result.isOk()).toBe(true);
    expect(server.requestCount()).toBe(0);
  });

  it("retries throttling and server errors, and the events arrive once", async () => {
    server.failNext(429, 1);
    server.failNext(503, 1);
    const event = statusChanged();

    const result = await publisherFor().publish([event]);

    expect(result.isOk()).toBe(true);
    expect(server.requestCount()).toBe(3);
    expect(server.accepted()).toEqual([event]);
  });

  it("gives up after the configured attempts as Unavailable, keeping the cause", async () => {
    server.failNext(503, 10);

    const result = await publisherFor().publish([statusChanged()]);

    // Three calls, not three times the SDK's own retries: ours is the only retry.
    expect(server.requestCount()).toBe(3);
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: "Unavailable", cause: { statusCode: 503 } });
    expect(result._unsafeUnwrapErr().message).toContain("after 3 attempt(s)");
    expect(server.accepted()).toEqual([]);
  });

  it("retries a dropped connection", async () => {
    server.failNext("reset", 1);

    const result = await publisherFor().publish([statusChanged()]);

    expect(result.isOk()).toBe(true);
    expect(server.requestCount()).toBe(2);
    expect(server.accepted()).toHaveLength(1);
  });

  it("abandons an attempt that gets no answer and counts it as a failed attempt", async () => {
    server.failNext("hang", 2);

    const result = await publisherFor({
      retry: { ...FAST_RETRY, attempts: 2, attemptTimeoutMs: 200 },
    }).publish([statusChanged()]);

    expect(result._unsafeUnwrapErr().kind).toBe("Unavailable");
    expect(server.requestCount()).toBe(2);
  });

  it("answers Unavailable at once for a key the topic refuses: repeating cannot help", async () => {
    const result = await publisherFor({ credential: new AzureKeyCredential("not-the-key") }).publish([
      statusChanged(),
    ]);

    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: "Unavailable", cause: { statusCode: 401 } });
    expect(server.requestCount()).toBe(1);
    expect(server.refusals()).toEqual([{ status: 401, reason: "aeg-sas-key does not match" }]);
  });

  it("answers Unavailable when the topic cannot be reached", async () => {
    const endpoint = server.endpoint;
    await server.close();
    server = await startEventGridServer();

    const result = await publisherFor({ endpoint }).publish([statusChanged()]);

    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: "Unavailable", cause: { name: "RestError" } });
  });

  it("creates no client and sends nothing until the first publish", async () => {
    publisherFor();

    expect(server.requestCount()).toBe(0);
  });

  it("refuses an http endpoint unless insecure connections are allowed for a local test", () => {
    expect(() => publisherFor({ allowInsecureConnection: false })).toThrow(/https/);
  });

  it("refuses a retry policy without attempts", () => {
    expect(() => publisherFor({ retry: { attempts: 0, baseDelayMs: 1 } })).toThrow(/attempts/);
  });
});

describe("Event Grid publisher against a checking Event Grid topic", () => {
  let server: EventGridCheckingServer;
  beforeAll(async () => {
    server = await startEventGridServer();
  });
  afterAll(async () => {
    await server.close();
  });

  // What subscribers get is what the topic accepted, read back as our events (the schema refuses
  // anything that is not one). A request the topic refused fails the test that made it.
  eventPublisherContract({ describe, it }, () => ({
    publisher: createEventGridPublisher({
      endpoint: server.endpoint,
      credential: new AzureKeyCredential(server.key),
      allowInsecureConnection: true,
      retry: FAST_RETRY,
    }),
    published: async () => {
      expect(server.refusals()).toEqual([]);
      return server.accepted().map((event) => AirlockEventSchema.parse(event));
    },
  }));
});
