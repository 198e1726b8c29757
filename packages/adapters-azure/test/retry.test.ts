import { describe, expect, it } from "vitest";
import { backoffDelay, checkRetryPolicy, isTransientFailure, retrying } from "../src/retry.js";

const restError = (statusCode?: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`status ${statusCode ?? "none"}`), {
    name: "RestError",
    ...(statusCode === undefined ? { code: "ECONNREFUSED" } : { statusCode }),
    response: { headers: { get: (name: string) => headers[name] } },
  });

/** Records the waits instead of waiting. */
const clock = () => {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
};

describe("bounded retry", () => {
  it("returns the first success and stops calling", async () => {
    const { waits, sleep } = clock();
    let calls = 0;

    const result = await retrying(
      { attempts: 5, baseDelayMs: 100 },
      async () => {
        calls++;
        if (calls < 3) throw restError(503);
        return "done";
      },
      { sleep, random: () => 0 },
    );

    expect(result._unsafeUnwrap()).toBe("done");
    expect(calls).toBe(3);
    expect(waits).toEqual([50, 100]);
  });

  it("stops after the last attempt with the last cause", async () => {
    const { sleep } = clock();
    let calls = 0;

    const result = await retrying(
      { attempts: 3, baseDelayMs: 1 },
      async () => {
        calls++;
        throw restError(500 + calls);
      },
      { sleep },
    );

    expect(calls).toBe(3);
    expect(result._unsafeUnwrapErr()).toMatchObject({
      attempts: 3,
      transient: true,
      cause: { statusCode: 503 },
    });
  });

  it("does not repeat a failure that will not pass by itself", async () => {
    let calls = 0;

    const result = await retrying({ attempts: 5, baseDelayMs: 1 }, async () => {
      calls++;
      throw restError(401);
    });

    expect(calls).toBe(1);
    expect(result._unsafeUnwrapErr()).toMatchObject({ attempts: 1, transient: false });
  });

  it("waits at least as long as a throttled answer asks, within the cap", async () => {
    const { waits, sleep } = clock();
    let calls = 0;

    await retrying(
      { attempts: 3, baseDelayMs: 10, maxDelayMs: 5_000 },
      async () => {
        calls++;
        throw restError(429, { "retry-after": calls === 1 ? "2" : "60" });
      },
      { sleep, random: () => 0 },
    );

    expect(waits).toEqual([2_000, 5_000]);
  });

  it("doubles the wait each time, never beyond the cap, with half of it jittered", () => {
    const policy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1_000 };

    expect([1, 2, 3, 4, 5].map((retry) => backoffDelay(policy, retry, () => 0))).toEqual([
      50, 100, 200, 400, 500,
    ]);
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelay(policy, retry, () => 0.999))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
  });

  it("treats throttling, timeouts, server errors and unanswered requests as transient", () => {
    expect([408, 429, 500, 503].map((status) => isTransientFailure(restError(status)))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(isTransientFailure(restError())).toBe(true);
    expect([400, 401, 403, 404, 409].map((status) => isTransientFailure(restError(status)))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(isTransientFailure(new TypeError("a bug"))).toBe(false);
  });

  it("refuses a policy that cannot work", () => {
    expect(() => checkRetryPolicy({ attempts: 0, baseDelayMs: 1 })).toThrow(/attempts/);
    expect(() => checkRetryPolicy({ attempts: 1.5, baseDelayMs: 1 })).toThrow(/attempts/);
    expect(() => checkRetryPolicy({ attempts: 1, baseDelayMs: -1 })).toThrow(/baseDelayMs/);
    expect(() => checkRetryPolicy({ attempts: 1, baseDelayMs: 1, attemptTimeoutMs: 0 })).toThrow(
      /attemptTimeoutMs/,
    );
  });
});
