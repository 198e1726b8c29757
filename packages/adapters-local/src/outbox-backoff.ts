/** How long the outbox waits before sending a failed row again. */
export interface BackoffPolicy {
  /** Wait after the first failure, in ms (before jitter). Default 1000. */
  readonly firstMs?: number;
  /** The longest wait, in ms. Default 300000 (5 minutes). */
  readonly maxMs?: number;
}

export const DEFAULT_BACKOFF = { firstMs: 1000, maxMs: 300_000 } as const;

/** A receiver's Retry-After is honoured up to a day; a longer one is read as a day. */
export const RETRY_AFTER_MAX_MS = 24 * 60 * 60 * 1000;

export const checkBackoff = (policy: BackoffPolicy = {}): Required<BackoffPolicy> => {
  const firstMs = policy.firstMs ?? DEFAULT_BACKOFF.firstMs;
  const maxMs = policy.maxMs ?? DEFAULT_BACKOFF.maxMs;
  if (!Number.isInteger(firstMs) || firstMs < 1)
    throw new Error("backoff.firstMs must be a whole number ≥ 1");
  if (!Number.isInteger(maxMs) || maxMs < firstMs)
    throw new Error("backoff.maxMs must be a whole number ≥ firstMs");
  return { firstMs, maxMs };
};

/**
 * The wait after the `failures`-th failure in a row: the exponential step `firstMs·2^(failures-1)`,
 * capped at `maxMs`, with "equal jitter" (between half the step and the whole step) so that many
 * rows failing together do not come back together, while each wait stays at least as long as the
 * one before. A Retry-After from the receiver is a floor.
 */
export const backoffDelay = (
  failures: number,
  policy: Required<BackoffPolicy>,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number => {
  const step = Math.min(policy.maxMs, policy.firstMs * 2 ** Math.min(Math.max(failures - 1, 0), 52));
  const jittered = Math.round(step / 2 + (random() * step) / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
};

/**
 * A Retry-After header (seconds, or an HTTP date) as a wait in ms from `now`, at most a day;
 * undefined when absent or unreadable.
 */
export const retryAfterMs = (header: string | null, now: number): number | undefined => {
  if (header === null) return undefined;
  const text = header.trim();
  const wait = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  if (Number.isNaN(wait)) return undefined;
  return Math.min(Math.max(wait, 0), RETRY_AFTER_MAX_MS);
};
