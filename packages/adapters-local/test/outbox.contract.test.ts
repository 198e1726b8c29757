import { emailRecipients, type Notification, notificationEmail } from "@airlock/core";
import { eventPublisherContract, notifierContract } from "@airlock/core/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createOutboxDelivery, createOutboxEventPublisher, createOutboxNotifier } from "../src/index.js";
import { drain } from "./outbox-support.js";
import {
  type ReceivedEmail,
  type SmtpReceiver,
  startSmtpReceiver,
  startWebhookReceiver,
  type WebhookReceiver,
} from "./receivers.js";
import { temporaryDatabases } from "./support.js";

const databases = temporaryDatabases();
let webhook: WebhookReceiver;
let smtp: SmtpReceiver;
beforeAll(async () => {
  webhook = await startWebhookReceiver();
  smtp = await startSmtpReceiver();
});
afterAll(async () => {
  await webhook.close();
  await smtp.close();
});

// What reached the subscriber is what the real receiver accepted after the delivery emptied the outbox.
eventPublisherContract({ describe, it }, () => {
  const db = databases.freshDatabase();
  const delivery = createOutboxDelivery({ db, webhooks: [{ url: webhook.url }] });
  return {
    publisher: createOutboxEventPublisher(db, { destinations: [webhook.url] }),
    published: async () => {
      await drain(delivery);
      return webhook.accepted();
    },
  };
});

const portalUrl = "https://tre.example.org";

/** Whether the SMTP server received exactly the email this notification makes, to exactly its people. */
const carries = (email: ReceivedEmail, notification: Notification): boolean => {
  const expected = notificationEmail(notification, { portalUrl });
  return (
    email.subject === expected.subject &&
    email.text.trim() === expected.plainText.trim() &&
    email.html.trim() === expected.html.trim() &&
    JSON.stringify(email.envelopeTo) === JSON.stringify(emailRecipients(notification).map((to) => to.address))
  );
};

// An email cannot carry user ids and roles back, so `delivered()` answers the notifications handed
// to the notifier whose email the SMTP server received, checked field by field.
notifierContract({ describe, it }, () => {
  const db = databases.freshDatabase();
  const delivery = createOutboxDelivery({
    db,
    smtp: { transport: smtp.transport, from: "Airlock <airlock@tre.example.org>", portalUrl },
  });
  const notifier = createOutboxNotifier(db);
  const handed: Notification[] = [];
  return {
    notifier: {
      notify: (notification) => {
        handed.push(notification);
        return notifier.notify(notification);
      },
    },
    delivered: async () => {
      await drain(delivery);
      const received = smtp.received();
      return handed.filter((notification) => received.some((email) => carries(email, notification)));
    },
  };
});
