import { setTimeout as sleep } from "node:timers/promises";
import { TransientError } from "./blob.js";
import { CliError, EXIT } from "./errors.js";

export const DEFAULT_ATTEMPTS = 6;

export interface RetryOptions {
  /** Tries before giving up. */
  readonly attempts?: number;
  /** The first wait before a retry; it doubles on each further one (at most 15 s). */
  readonly backoffMs?: number;
  /** Where the line announcing each retry goes. */
  readonly log: (line: string) => void;
}

/**
 * Runs `attempt` until it succeeds, waiting longer after each dropped connection or busy answer;
 * each retry is announced in one line: what failed, `again` (what the next try does), when, and
 * `note` (what is kept). A CliError (the server refused) ends it at once.
 */
export const withRetries = async <T>(
  options: RetryOptions,
  say: { readonly again: () => string; readonly note?: string },
  attempt: () => Promise<T>,
): Promise<T> => {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  for (let tried = 1; ; tried += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      if (tried >= attempts) {
        throw new CliError(`${error.message}; gave up after ${attempts} tries`, EXIT.unavailable);
      }
      const wait = error.retryAfterMs ?? Math.min((options.backoffMs ?? 500) * 2 ** (tried - 1), 15_000);
      options.log(
        `${error.message}; ${say.again()} in ${(wait / 1000).toFixed(1)} s (try ${tried + 1} of ${attempts})${say.note ? `, ${say.note}` : ""}`,
      );
      await sleep(wait);
    }
  }
};
