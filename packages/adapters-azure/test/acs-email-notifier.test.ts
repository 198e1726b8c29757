import { randomUUID } from "node:crypto";
import { type Notification, notificationEmail } from "@airlock/core";
import { notifierContract } from "@airlock/core/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type AcsEmailNotifierOptions, createAcsEmailNotifier } from "../src/acs-email-notifier.js";
import { type AcsCheckingServer, type AcsEmail, startAcsEmailServer } from "./support/checking-servers.js";

const SENDER = "DoNotReply@airlock.example.org";

const notification = (overrides: Partial<Notification> = {}): Notification => {
  const requester = { id: randomUUID(), name: "Rita Researcher", email: "rita@example.org" };
  return {
    id: randomUUID(),
    recipients: [
      { ...requester, role: "requester" },
      { id: randomUUID(), name: "Mia Manager", email: "mia@example.org", role: "AirlockManager" },
    ],
    request: {
      id: randomUUID(),
      workspaceId: randomUUID(),
      type: "import",
      title: "Cohort extract",
      status: "in_review",
      previousStatus: "submitted",
      statusMessage: null,
      createdBy: requester,
    },
    ...overrides,
  };
};

describe("ACS email notifier", () => {
  let server: AcsCheckingServer;
  beforeEach(async () => {
    server = await startAcsEmailServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const notifierFor = (overrides: Partial<AcsEmailNotifierOptions> = {}) =>
    createAcsEmailNotifier({
      connectionString: server.connectionString,
      sender: SENDER,
      allowInsecureConnection: true,
      portalUrl: "https://tre.example.org",
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
      pollIntervalMs: 1,
      ...overrides,
    });

  it("sends one signed email to every recipient and waits until ACS reports it sent", async () => {
    const sent = notification();

    const result = await notifierFor().notify(sent);

    expect(result.isOk()).toBe(true);
    expect(server.refusals()).toEqual([]);
    expect(server.sendCount()).toBe(1);
    const [email, ...others] = server.delivered();
    expect(others).toEqual([]);
    expect(email?.message.senderAddress).toBe(SENDER);
    expect(email?.message.userEngagementTrackingDisabled).toBe(true);
    expect(email?.message.recipients.to).toEqual([
      { address: "rita@example.org", displayName: "Rita Researcher" },
      { address: "mia@example.org", displayName: "Mia Manager" },
    ]);
    expect(email?.message.content.subject).toBe('[Airlock] Import request "Cohort extract" is in review');
    expect(email?.message.content.plainText).toContain(sent.request.id);
    expect(email?.message.content.html).toContain(
      `https://tre.example.org/workspaces/${sent.request.workspaceId}/requests/${sent.request.id}`,
    );
  });

  it("emails an address listed twice once, and skips people without an address", async () => {
    const base = notification();
    const sent = notification({
      recipients: [
        ...base.recipients,
        { id: randomUUID(), name: "Mia again", email: "MIA@example.org", role: "WorkspaceOwner" },
        { id: randomUUID(), name: "No Mail", email: "", role: "WorkspaceOwner" },
      ],
    });

    const result = await notifierFor().notify(sent);

    expect(result.isOk()).toBe(true);
    expect(server.delivered()[0]?.message.recipients.to.map((to) => to.address)).toEqual([
      "rita@example.org",
      "mia@example.org",
    ]);
  });

  it("sends nothing when no recipient has an address", async () => {
    const base = notification();
    const sent = notification({
      recipients: base.recipients.map((recipient) => ({ ...recipient, email: "" })),
    });

    const result = await notifierFor().notify(sent);

    expect(result.isOk()).toBe(true);
    expect(server.requestCount()).toBe(0);
  });

  it("answers Unavailable for a wrong access key, at once: repeating cannot help", async () => {
    const result = await notifierFor({ connectionString: server.wrongKeyConnectionString }).notify(
      notification(),
    );

    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: "Unavailable", cause: { statusCode: 401 } });
    expect(server.refusals()).toEqual([{ status: 401, reason: "signature does not match" }]);
    expect(server.requestCount()).toBe(1);
    expect(server.emails()).toEqual([]);
  });

  it("retries a throttled or failing send until ACS accepts it", async () => {
    server.failNextSends(429, 1);
    server.failNextSends(503, 1);

    const result = await notifierFor().notify(notification());

    expect(result.isOk()).toBe(true);
    expect(server.sendCount()).toBe(3);
    expect(server.delivered()).toHaveLength(1);
  });

  it("sends again when ACS reports the send failed", async () => {
    server.failNextOperations(1);

    const result = await notifierFor().notify(notification());

    expect(result.isOk()).toBe(true);
    expect(server.emails().map((email) => email.status)).toEqual(["Failed", "Succeeded"]);
  });

  it("sends again when polling fails after ACS accepted the email: at least once, never lost", async () => {
    // The first poll (inside beginSend) answers Running; the second fails.
    server.failNextPolls(503, 1, 1);

    const result = await notifierFor().notify(notification());

    expect(result.isOk()).toBe(true);
    expect(server.sendCount()).toBe(2);
    expect(server.delivered()).toHaveLength(1);
  });

  it("gives up after the configured attempts as Unavailable, keeping the cause", async () => {
    server.failNextSends(503, 10);

    const result = await notifierFor({ retry: { attempts: 2, baseDelayMs: 1 } }).notify(notification());

    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: "Unavailable", cause: { statusCode: 503 } });
    expect(server.sendCount()).toBe(2);
    expect(server.delivered()).toEqual([]);
  });

  it("gives up as Unavailable when every send is reported failed", async () => {
    server.failNextOperations(5);

    const result = await notifierFor({ retry: { attempts: 2, baseDelayMs: 1 } }).notify(notification());

    const error = result._unsafeUnwrapErr();
    expect(error.kind).toBe("Unavailable");
    expect(error.message).toContain("reported the send as failed");
    expect(server.emails().map((email) => email.status)).toEqual(["Failed", "Failed"]);
  });

  it("makes no request until the first notification", () => {
    notifierFor();

    expect(server.requestCount()).toBe(0);
  });

  it("refuses an http endpoint unless insecure connections are allowed for a local test", () => {
    expect(() => notifierFor({ allowInsecureConnection: false })).toThrow(/https/);
  });

  it("refuses a portal URL that is not http(s)", () => {
    expect(() => notifierFor({ portalUrl: "javascript:alert(1)" })).toThrow(/portalUrl/);
  });
});

describe("ACS email notifier against a checking ACS Email service", () => {
  const portalUrl = "https://tre.example.org";
  let server: AcsCheckingServer;
  beforeAll(async () => {
    server = await startAcsEmailServer();
  });
  afterAll(async () => {
    await server.close();
  });

  /** Whether ACS delivered exactly the email this notification makes, to exactly its people. */
  const carries = (email: AcsEmail, notification: Notification): boolean => {
    const expected = notificationEmail(notification, { portalUrl });
    const addresses = email.message.recipients.to.map((to) => to.address);
    return (
      email.message.content.subject === expected.subject &&
      email.message.content.plainText === expected.plainText &&
      email.message.content.html === expected.html &&
      addresses.length === notification.recipients.length &&
      notification.recipients.every((recipient, index) => addresses[index] === recipient.email)
    );
  };

  // An email cannot carry user ids and roles back, so `delivered()` answers the notifications
  // handed to the notifier whose email the service reports sent, checked field by field.
  notifierContract({ describe, it }, () => {
    const notifier = createAcsEmailNotifier({
      connectionString: server.connectionString,
      sender: SENDER,
      allowInsecureConnection: true,
      portalUrl,
      retry: { attempts: 3, baseDelayMs: 1 },
      pollIntervalMs: 1,
    });
    const handed: Notification[] = [];
    return {
      notifier: {
        notify: (notification) => {
          handed.push(notification);
          return notifier.notify(notification);
        },
      },
      delivered: async () => {
        expect(server.refusals()).toEqual([]);
        return handed.filter((notification) =>
          server.delivered().some((email) => carries(email, notification)),
        );
      },
    };
  });
});
