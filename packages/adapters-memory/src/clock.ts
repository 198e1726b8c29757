import type { Clock } from "@airlock/core";

export interface ManualClock extends Clock {
  /** Moves time forward by `ms` and answers the new time. */
  advance(ms: number): number;
  set(ms: number): void;
}

/** The system's time. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** 2026-01-01T00:00:00Z: a fixed start, so tests read the same on every run. */
export const MANUAL_CLOCK_START_MS = Date.UTC(2026, 0, 1);

/** A clock that moves only when told to. */
export const createManualClock = (startMs: number = MANUAL_CLOCK_START_MS): ManualClock => {
  const checked = (ms: number, what: string) => {
    if (!Number.isFinite(ms)) throw new Error(`${what} must be a finite number of milliseconds, got ${ms}`);
    return ms;
  };
  let now = checked(startMs, "startMs");
  return {
    now: () => now,
    advance: (ms) => {
      if (checked(ms, "advance") < 0) throw new Error(`advance cannot go back in time (${ms}); use set`);
      now += ms;
      return now;
    },
    set: (ms) => {
      now = checked(ms, "set");
    },
  } satisfies ManualClock;
};
