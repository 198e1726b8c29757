import { describe, expect, it } from "vitest";
import {
  createManualClock,
  createRandomIds,
  createSequentialIds,
  MANUAL_CLOCK_START_MS,
} from "../src/index.js";

describe("manual clock", () => {
  it("starts at 2026-01-01 and moves only when told", () => {
    const clock = createManualClock();
    expect(new Date(clock.now()).toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(clock.now()).toBe(MANUAL_CLOCK_START_MS);
    expect(clock.advance(1500)).toBe(MANUAL_CLOCK_START_MS + 1500);
    expect(clock.now()).toBe(MANUAL_CLOCK_START_MS + 1500);
    clock.set(42);
    expect(clock.now()).toBe(42);
  });

  it("starts where asked and refuses to run backwards through advance", () => {
    const clock = createManualClock(1000);
    expect(clock.now()).toBe(1000);
    expect(() => clock.advance(-1)).toThrow(/back in time/);
    expect(() => clock.set(Number.NaN)).toThrow(/finite/);
    expect(clock.now()).toBe(1000);
  });
});

describe("ids", () => {
  it("sequential ids are uuid-shaped and count up", () => {
    const ids = createSequentialIds();
    expect([ids.next(), ids.next()]).toEqual([
      "00000000-0000-4000-8000-000000000001",
      "00000000-0000-4000-8000-000000000002",
    ]);
    expect(ids.issued()).toBe(2);
  });

  it("a prefix keeps two sequences apart", () => {
    expect(createSequentialIds("a1").next()).toBe("000000a1-0000-4000-8000-000000000001");
    expect(() => createSequentialIds("req-")).toThrow(/hex/);
  });

  it("random ids are uuids that differ", () => {
    const ids = createRandomIds();
    const [a, b] = [ids.next(), ids.next()];
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });
});
