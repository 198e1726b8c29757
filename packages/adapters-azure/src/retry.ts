import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { statusOf } from "./errors.js";

/**
 * How an adapter repeats a call to a service that failed transiently: at most `attempts` calls in
 * all, waiting `baseDelayMs`, then twice that, and so on (capped at `maxDelayMs`, with jitter so
 * many processes retrying together do not hit the service in step).
 */
export interface RetryPolicy {
  /** Calls in all, the first included (≥ 1). */
  readonly attempts: number;
  /** The wait before the second call; each later wait doubles. */
  readonly baseDelayMs: number;
  /** The longest single wait. Default 30 s. */
  readonly maxDelayMs?: number;
  /** How long one call may take before it is abandoned and counts as a transient failure. Default 60 s. */
  readonly attemptTimeoutMs?: number;
}

const DEFAULT_MAX_DELAY_MS = 30_000;
const DEFAULT_ATTEMPT_TIMEOUT_MS = 60_000;

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: DEFAULT_MAX_DELAY_MS,
  attemptTimeoutMs: DEFAULT_ATTEMPT_TIMEOUT_MS,
};

/** What the last attempt failed with, and how many calls were made. */
export interface RetryFailure {
  readonly cause: unknown;
  readonly attempts: number;
  /** False when the loop stopped early because the failure will not go away by itself (401, 400, …). */
  readonly transient: boolean;
}

export interface RetryHooks {
  /** Whether a failure may pass if the call is repeated. Default: `isTransientFailure`. */
  readonly isTransient?: (error: unknown) => boolean;
  /** Told before each wait, so the caller can log it. */
  readonly onRetry?: (failure: {
    readonly cause: unknown;
    readonly attempt: number;
    readonly delayMs: number;
  }) => void;
  /** Waits; replaceable so unit tests need no clock. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the jitter; replaceable for unit tests. */
  readonly random?: () => number;
}

/** Throws on a policy that cannot work: it is configuration, checked when an adapter is created. */
export const checkRetryPolicy = (policy: RetryPolicy): RetryPolicy => {
  const { attempts, baseDelayMs, maxDelayMs, attemptTimeoutMs } = policy;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new Error(`retry.attempts must be an integer ≥ 1 (got ${attempts})`);
  if (!Number.isFinite(baseDelayMs) || baseDelayMs < 0) throw new Error("retry.baseDelayMs must be ≥ 0");
  if (maxDelayMs !== undefined && !(maxDelayMs >= 0)) throw new Error("retry.maxDelayMs must be ≥ 0");
  if (attemptTimeoutMs !== undefined && !(attemptTimeoutMs > 0))
    throw new Error("retry.attemptTimeoutMs must be > 0");
  return policy;
};

/**
 * The wait before retry number `retry` (1 for the wait after the first failure): exponential, capped,
 * with "equal jitter" (half fixed, half random) so it never collapses to zero.
 */
export const backoffDelay = (
  policy: RetryPolicy,
  retry: number,
  random: () => number = Math.random,
): number => {
  const cap = policy.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const exponential = Math.min(cap, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
};

const field = (value: unknown, name: string): unknown =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;

/** The service's `Retry-After` in milliseconds, when a throttled answer carried one in seconds. */
export const retryAfterMs = (error: unknown): number | undefined => {
  const headers = field(field(error, "response"), "headers");
  const get = field(headers, "get");
  if (typeof get !== "function") return undefined;
  const value: unknown = get.call(headers, "retry-after");
  if (typeof value !== "string" || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
};

/**
 * Azure's transient failures: throttling (429), timeouts (408) and server errors (5xx), and a
 * request that never got an answer (refused, reset, DNS: the SDKs' `RestError` without a status).
 * Any other answer (400, 401, 403, 404, …) is the same on every try.
 */
export const isTransientFailure = (error: unknown): boolean => {
  const status = statusOf(error);
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  return field(error, "name") === "RestError";
};

/** One line about a failure for messages and logs: the status and the first line, never a body. */
export const describeFailure = (error: unknown): string => {
  if (typeof error !== "object" || error === null) return String(error);
  const { statusCode, code, message } = error as { statusCode?: unknown; code?: unknown; message?: unknown };
  const tags = [statusCode, code]
    .filter((tag) => typeof tag === "number" || typeof tag === "string")
    .join(" ");
  const first = typeof message === "string" ? (message.split("\n")[0] ?? "") : String(error);
  return `${tags ? `[${tags}] ` : ""}${first}`.slice(0, 300);
};

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `operation` until it succeeds, fails with a failure that is not transient, or `attempts`
 * calls were made. Each call gets an `AbortSignal` that fires after `attemptTimeoutMs`; a call
 * abandoned that way counts as transient.
 */
export const retrying = <T>(
  policy: RetryPolicy,
  operation: (attempt: number, signal: AbortSignal) => Promise<T>,
  hooks: RetryHooks = {},
): ResultAsync<T, RetryFailure> => {
  const isTransient = hooks.isTransient ?? isTransientFailure;
  const sleep = hooks.sleep ?? realSleep;
  const timeoutMs = policy.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const run = async (): Promise<{ ok: true; value: T } | { ok: false; failure: RetryFailure }> => {
    for (let attempt = 1; ; attempt++) {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        return { ok: true, value: await operation(attempt, signal) };
      } catch (cause) {
        const transient = signal.aborted || isTransient(cause);
        if (!transient || attempt >= policy.attempts)
          return { ok: false, failure: { cause, attempts: attempt, transient } };
        const backoff = backoffDelay(policy, attempt, hooks.random);
        const delayMs = Math.min(
          Math.max(backoff, retryAfterMs(cause) ?? 0),
          policy.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
        );
        hooks.onRetry?.({ cause, attempt, delayMs });
        await sleep(delayMs);
      }
    }
  };
  // `run` settles with a value in every case; a rejection here would be a bug in `sleep` or a hook.
  return ResultAsync.fromSafePromise(run()).andThen((outcome) =>
    outcome.ok ? okAsync(outcome.value) : errAsync(outcome.failure),
  );
};
