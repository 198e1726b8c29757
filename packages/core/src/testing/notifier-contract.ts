import type { Notification } from "../model/notification.js";
import type { Notifier } from "../ports/notifier.js";
import { assertEqual, assertOk } from "./assert.js";
import { type ContractOptions, type ContractRunner, defineContract, fresh } from "./contract.js";
import { sampleNotification, sampleUser } from "./fixtures.js";

/**
 * A notifier and a way to see what reached people (a test mail server, memory). `delivered()` may
 * include notifications of other tests sharing the backend; the suite finds its own by request id.
 */
export interface NotifierUnderTest {
  notifier: Notifier;
  delivered(): Promise<readonly Notification[]>;
}

const deliveredFor = async (under: NotifierUnderTest, requestId: string) =>
  (await under.delivered()).filter((notification) => notification.request.id === requestId);

/** Sends `sent` and checks that what arrived for its request carries its recipients and summary unchanged. */
const assertDeliveredWhole = async (under: NotifierUnderTest, sent: Notification) => {
  assertOk(await under.notifier.notify(sent), "notify");
  const delivered = await deliveredFor(under, sent.request.id);
  assertEqual(delivered.length >= 1, true, "a notification for the request was delivered");
  for (const notification of delivered) {
    assertEqual(notification.recipients, sent.recipients, "recipients");
    assertEqual(notification.request, sent.request, "request summary");
  }
};

/** The `Notifier` contract (see its JSDoc). */
export function notifierContract(
  t: ContractRunner,
  make: () => Promise<NotifierUnderTest> | NotifierUnderTest,
  options?: ContractOptions,
): void {
  defineContract(t, "Notifier contract", options, (test) => {
    test("a notification is delivered with its recipients and request summary", async () => {
      const under = await fresh(make);
      const sent = sampleNotification();
      await assertDeliveredWhole(under, sent);
    });

    test("a notification with a status message and several recipients is delivered whole", async () => {
      const under = await fresh(make);
      const base = sampleNotification();
      const sent: Notification = {
        ...base,
        recipients: [
          { ...base.request.createdBy, role: "requester" },
          { ...sampleUser(), role: "WorkspaceOwner" },
          { ...sampleUser(), role: "AirlockManager" },
          { ...sampleUser(), role: "AirlockManager" },
        ],
        request: {
          ...base.request,
          type: "export",
          status: "blocked_by_scan",
          previousStatus: "blocking_in_progress",
          statusMessage: "Threat found: Eicar-Test-Signature",
        },
      };
      await assertDeliveredWhole(under, sent);
    });

    test("each of several notifications is delivered", async () => {
      const under = await fresh(make);
      const sent = [sampleNotification(), sampleNotification(), sampleNotification()];
      for (const notification of sent) assertOk(await under.notifier.notify(notification), "notify");
      for (const notification of sent) {
        const delivered = await deliveredFor(under, notification.request.id);
        assertEqual(delivered.length >= 1, true, `a notification for request ${notification.request.id}`);
        assertEqual(delivered[0]?.request, notification.request, "request summary");
      }
    });
  });
}
