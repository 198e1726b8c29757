import { randomUUID } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import type { Notification } from "@airlock/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOutboxDelivery, createOutboxNotifier, type OutboxDeliveryOptions } from "../src/index.js";
import { capturedLogger, manualClock } from "./outbox-support.js";
import { type SmtpReceiver, startSmtpReceiver } from "./receivers.js";
import { temporaryDatabases } from "./support.js";

const databases = temporaryDatabases();
const FROM = "Airlock <airlock@tre.example.org>";

const notification = (overrides: Partial<Notification["request"]> = {}): Notification => {
  const requester = { id: randomUUID(), name: "Rita Researcher", email: "rita@example.org" };
  return {
    id: randomUUID(),
    recipients: [
      { ...requester, role: "requester" },
      { id: randomUUID(), name: "Mia Manager", email: "mia@example.org", role: "AirlockManager" },
      { id: randomUUID(), name: "Mia again", email: "MIA@example.org", role: "WorkspaceOwner" },
      { id: randomUUID(), name: "No Mail", email: "", role: "WorkspaceOwner" },
    ],
    request: {
      id: randomUUID(),
      workspaceId: randomUUID(),
      type: "export",
      title: "Cohort extract",
      status: "approved",
      previousStatus: "approval_in_progress",
      statusMessage: null,
      createdBy: requester,
      ...overrides,
    },
  };
};

const pendingEmails = (db: DatabaseSync) =>
  db.prepare("SELECT attempts, next_attempt_at, last_error FROM outbox WHERE delivered_at IS NULL").all() as {
    attempts: number;
    next_attempt_at: number;
    last_error: string | null;
  }[];

describe("outbox email over SMTP", () => {
  let smtp: SmtpReceiver;
  beforeEach(async () => {
    smtp = await startSmtpReceiver();
  });
  afterEach(async () => {
    await smtp.close();
  });

  const setUp = (overrides: Partial<OutboxDeliveryOptions> = {}) => {
    const db = databases.freshDatabase();
    const clock = manualClock();
    return {
      db,
      clock,
      notifier: createOutboxNotifier(db, { clock }),
      delivery: createOutboxDelivery({
        db,
        smtp: { transport: smtp.transport, from: FROM, portalUrl: "https://tre.example.org" },
        clock,
        ...overrides,
      }),
    };
  };

  it("sends one message to every recipient once, about the request, with no file contents", async () => {
    const { notifier, delivery } = setUp();
    const sent = notification({ title: "Diabetes <cohort> extract", statusMessage: "Looks fine" });

    expect((await notifier.notify(sent)).isOk()).toBe(true);
    expect(smtp.received()).toEqual([]); // notify only records it
    expect(await delivery.deliverDue()).toEqual({ delivered: 1, failed: 0, pending: 0 });

    const [email, ...others] = smtp.received();
    expect(others).toEqual([]);
    expect(email?.envelopeFrom).toBe("airlock@tre.example.org");
    expect(email?.envelopeTo).toEqual(["rita@example.org", "mia@example.org"]);
    expect(email?.to).toEqual([
      { address: "rita@example.org", name: "Rita Researcher" },
      { address: "mia@example.org", name: "Mia Manager" },
    ]);
    expect(email?.subject).toBe('[Airlock] Export request "Diabetes <cohort> extract" was approved');
    expect(email?.text).toContain("Diabetes <cohort> extract");
    expect(email?.text).toContain("approved (was approval_in_progress)");
    expect(email?.text).toContain("Looks fine");
    expect(email?.text).toContain(
      `https://tre.example.org/workspaces/${sent.request.workspaceId}/requests/${sent.request.id}`,
    );
    expect(email?.html).toContain("Diabetes &lt;cohort&gt; extract");
    expect(email?.messageId).toBe(`<airlock.${sent.id}@tre.example.org>`);
    expect(email?.attachments).toBe(0);
  });

  it("adds a repeated notification once", async () => {
    const { db, notifier, delivery } = setUp();
    const sent = notification();

    await notifier.notify(sent);
    await notifier.notify(sent);
    await delivery.deliverDue();
    await notifier.notify(sent);
    await delivery.deliverDue();

    expect(db.prepare("SELECT count(*) AS n FROM outbox").get()).toEqual({ n: 1 });
    expect(smtp.received()).toHaveLength(1);
  });

  it("marks a notification without any address delivered without sending", async () => {
    const { notifier, delivery } = setUp();
    const sent = notification();
    await notifier.notify({ ...sent, recipients: sent.recipients.map((to) => ({ ...to, email: "" })) });

    expect(await delivery.deliverDue()).toEqual({ delivered: 1, failed: 0, pending: 0 });
    expect(smtp.received()).toEqual([]);
  });

  it("retries a message the server refused until it takes it, without holding back the others", async () => {
    const { db, clock, notifier, delivery } = setUp();
    smtp.refuseNext(451);
    const first = notification({ title: "First" });
    const second = notification({ title: "Second" });
    await notifier.notify(first);
    await notifier.notify(second);

    // The first is refused; the second goes out in the same pass.
    expect(await delivery.deliverDue()).toEqual({ delivered: 1, failed: 1, pending: 1 });
    expect(smtp.received().map((email) => email.subject)).toEqual([
      '[Airlock] Export request "Second" was approved',
    ]);
    expect(pendingEmails(db)[0]).toMatchObject({ attempts: 1, last_error: "SMTP 451 EMESSAGE" });

    smtp.refuseNext(451);
    clock.set((pendingEmails(db)[0]?.next_attempt_at ?? 0) + 1);
    expect(await delivery.deliverDue()).toEqual({ delivered: 0, failed: 1, pending: 1 });
    expect(pendingEmails(db)[0]?.attempts).toBe(2);
    clock.set((pendingEmails(db)[0]?.next_attempt_at ?? 0) + 1);
    expect(await delivery.deliverDue()).toEqual({ delivered: 1, failed: 0, pending: 0 });
    expect(smtp.received().map((email) => email.subject)).toEqual([
      '[Airlock] Export request "Second" was approved',
      '[Airlock] Export request "First" was approved',
    ]);
  });

  it("logs a permanent refusal as an error, without addresses, and keeps the notification", async () => {
    const { logger, lines } = capturedLogger();
    const { db, notifier, delivery } = setUp({ logger });
    smtp.refuseNext(550);
    await notifier.notify(notification({ title: "Private title" }));

    expect(await delivery.deliverDue()).toEqual({ delivered: 0, failed: 1, pending: 1 });

    expect(pendingEmails(db)[0]?.last_error).toBe("SMTP 550 EMESSAGE");
    expect(lines.filter((line) => line.level === 50)).toHaveLength(1);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain("rita@example.org");
    expect(logged).not.toContain("Private title");
  });

  it("keeps notifications in the outbox while no SMTP server is configured", async () => {
    const db = databases.freshDatabase();
    await createOutboxNotifier(db).notify(notification());

    const withoutSmtp = createOutboxDelivery({ db });
    expect(await withoutSmtp.deliverDue()).toEqual({ delivered: 0, failed: 0, pending: 1 });

    const withSmtp = createOutboxDelivery({ db, smtp: { transport: smtp.transport, from: FROM } });
    expect(await withSmtp.deliverDue()).toEqual({ delivered: 1, failed: 0, pending: 0 });
    expect(smtp.received()).toHaveLength(1);
  });
});
