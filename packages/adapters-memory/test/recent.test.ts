import { sampleEvent, sampleNotification } from "@airlock/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMemoryEventPublisher, createMemoryNotifier, createMemoryPorts } from "../src/index.js";
import { createRecent } from "../src/recent.js";

describe("a bounded window of what was sent", () => {
  it("keeps exactly the latest `keep` items, in order, however many were added", () => {
    fc.assert(
      fc.property(fc.nat({ max: 50 }), fc.nat({ max: 5_000 }), (keep, count) => {
        const recent = createRecent<number>(keep);
        for (let n = 0; n < count; n += 1) recent.add(n);
        const expected = Array.from(
          { length: Math.min(keep, count) },
          (_, i) => count - Math.min(keep, count) + i,
        );
        expect(recent.list()).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps everything when no bound is given", () => {
    const recent = createRecent<number>();
    for (let n = 0; n < 3_000; n += 1) recent.add(n);
    expect(recent.list()).toHaveLength(3_000);
  });

  it("refuses a bound that is not a number of items", () => {
    expect(() => createRecent(Number.NaN)).toThrow(/keep/);
    expect(() => createRecent(-1)).toThrow(/keep/);
  });

  it("bounds the publisher and the notifier, and createMemoryPorts passes the bound to both", async () => {
    const publisher = createMemoryEventPublisher({ keep: 2 });
    const notifier = createMemoryNotifier({ keep: 2 });
    const events = [sampleEvent(), sampleEvent(), sampleEvent()];
    const notifications = [sampleNotification(), sampleNotification(), sampleNotification()];
    for (const event of events) await publisher.publish([event]);
    for (const notification of notifications) await notifier.notify(notification);
    expect(publisher.published()).toEqual(events.slice(1));
    expect(notifier.sent()).toEqual(notifications.slice(1));

    const ports = createMemoryPorts({ keepSent: 1 });
    for (const event of events) await ports.events.publish([event]);
    for (const notification of notifications) await ports.notifier.notify(notification);
    expect(ports.events.published()).toEqual(events.slice(2));
    expect(ports.notifier.sent()).toEqual(notifications.slice(2));
  });
});
