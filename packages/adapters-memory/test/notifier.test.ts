import { sampleEvent, sampleNotification } from "@airlock/core/testing";
import { describe, expect, it } from "vitest";
import { createMemoryEventPublisher, createMemoryNotifier, INJECTED_FAULT } from "../src/index.js";

describe("memory notifier", () => {
  it("failNext refuses that many notifications and records none of them", async () => {
    const notifier = createMemoryNotifier();
    const [lost, kept] = [sampleNotification(), sampleNotification()];
    notifier.failNext();
    expect((await notifier.notify(lost))._unsafeUnwrapErr()).toEqual({
      kind: "Unavailable",
      message: INJECTED_FAULT,
    });
    expect((await notifier.notify(kept)).isOk()).toBe(true);
    expect(notifier.sent()).toEqual([kept]);
  });

  it("records a copy, so changing the notification afterwards changes nothing", async () => {
    const notifier = createMemoryNotifier();
    const notification = sampleNotification();
    const original = structuredClone(notification);
    await notifier.notify(notification);
    (notification.request as { title: string }).title = "changed";
    expect(notifier.sent()).toEqual([original]);
  });
});

describe("memory event publisher", () => {
  it("failNext refuses whole batches and publishes none of their events", async () => {
    const publisher = createMemoryEventPublisher();
    const lost = [sampleEvent(), sampleEvent()];
    const kept = [sampleEvent()];
    publisher.failNext();
    expect((await publisher.publish(lost))._unsafeUnwrapErr().kind).toBe("Unavailable");
    expect((await publisher.publish(kept)).isOk()).toBe(true);
    expect(publisher.published()).toEqual(kept);
  });
});
