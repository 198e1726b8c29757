import { sampleEvent, sampleNotification } from "@airlock/core/testing";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createMemoryProfile, EMBEDDED_KEEP_SENT } from "../src/profiles/memory.js";

describe("the embedded (memory) profile", () => {
  it("keeps only the latest events and notifications, so a long-running server does not grow for them", async () => {
    const profile = createMemoryProfile({ logger: pino({ enabled: false }) });
    const { ports } = profile;
    const last = sampleEvent();
    for (let n = 0; n < EMBEDDED_KEEP_SENT; n += 1) await ports.events.publish([sampleEvent()]);
    await ports.events.publish([last]);
    for (let n = 0; n <= EMBEDDED_KEEP_SENT; n += 1) await ports.notifier.notify(sampleNotification());
    expect(ports.events.published()).toHaveLength(EMBEDDED_KEEP_SENT);
    expect(ports.events.published().at(-1)).toEqual(last);
    expect(ports.notifier.sent()).toHaveLength(EMBEDDED_KEEP_SENT);
  });
});
