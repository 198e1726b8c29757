/**
 * Counts what is in progress per key (a link, or a link's holder) and
 * refuses one more beyond `max`. Keys with nothing in progress are forgotten, so memory follows what
 * runs now, not every key ever seen.
 */
export interface ConcurrencyLimiter {
  /** A release function when there is room for `key` (call it exactly once), else `undefined`. */
  acquire(key: string): (() => void) | undefined;
  /** What is in progress for `key` now. */
  active(key: string): number;
  /** How much may be in progress per key. */
  readonly max: number;
}

export const createConcurrencyLimiter = (max: number): ConcurrencyLimiter => {
  const running = new Map<string, number>();
  return {
    acquire: (key) => {
      const count = running.get(key) ?? 0;
      if (count >= max) return undefined;
      running.set(key, count + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (running.get(key) ?? 1) - 1;
        if (left === 0) running.delete(key);
        else running.set(key, left);
      };
    },
    active: (key) => running.get(key) ?? 0,
    max,
  };
};
