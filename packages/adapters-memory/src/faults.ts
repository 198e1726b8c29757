import { type Unavailable, unavailable } from "@airlock/core";

/**
 * Injected failures for crash and retry tests: the next `count` calls of a method answer
 * `Unavailable` without doing anything, as a backing service that cannot be reached would.
 */
export interface Faults<M extends string> {
  /** From now on, the next `count` calls fail; replaces any count still pending (0 heals at once). */
  failNext(method: M, count?: number): void;
  /** Consumes one pending failure of `method`: the fault to answer, or null to go on. */
  take(method: M): Unavailable | null;
}

export const INJECTED_FAULT = "injected fault";

export const createFaults = <M extends string>(): Faults<M> => {
  const pending = new Map<M, number>();
  return {
    failNext(method, count = 1) {
      if (!Number.isInteger(count) || count < 0)
        throw new Error(`failNext: count must be a whole number, got ${count}`);
      pending.set(method, count);
    },
    take(method) {
      const left = pending.get(method) ?? 0;
      if (left === 0) return null;
      pending.set(method, left - 1);
      return unavailable(INJECTED_FAULT);
    },
  };
};
