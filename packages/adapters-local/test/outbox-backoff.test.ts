import { describe, expect, it } from "vitest";
import { backoffDelay, checkBackoff, RETRY_AFTER_MAX_MS, retryAfterMs } from "../src/outbox-backoff.js";

describe("outbox backoff", () => {
  const policy = checkBackoff({ firstMs: 1000, maxMs: 10_000 });

  it("doubles the step per failure, between half and all of it, up to the cap", () => {
    const lowest = [1, 2, 3, 4, 5, 6].map((failures) => backoffDelay(failures, policy, undefined, () => 0));
    const highest = [1, 2, 3, 4, 5, 6].map((failures) => backoffDelay(failures, policy, undefined, () => 1));

    expect(lowest).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect(highest).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(backoffDelay(10_000, policy, undefined, () => 1)).toBe(10_000);
  });

  it("waits at least what Retry-After asks", () => {
    expect(backoffDelay(1, policy, 60_000, () => 0)).toBe(60_000);
    expect(backoffDelay(4, policy, 10, () => 1)).toBe(8000);
  });

  it("reads Retry-After as seconds or as an HTTP date, at most a day", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("9999999", now)).toBe(RETRY_AFTER_MAX_MS);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it("has defaults and refuses a policy that makes no sense", () => {
    expect(checkBackoff()).toEqual({ firstMs: 1000, maxMs: 300_000 });
    expect(() => checkBackoff({ firstMs: 0 })).toThrow(/firstMs/);
    expect(() => checkBackoff({ firstMs: 5000, maxMs: 1000 })).toThrow(/maxMs/);
  });
});
