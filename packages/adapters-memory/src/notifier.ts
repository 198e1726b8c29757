import type { Notification, Notifier } from "@airlock/core";
import { err, ok, ResultAsync } from "neverthrow";
import { createFaults } from "./faults.js";
import { deepFrozen } from "./frozen.js";

export interface MemoryNotifier extends Notifier {
  /** Every notification delivered, deeply frozen, in order (failed deliveries are not in it). */
  sent(): readonly Notification[];
  /** The next `count` notifications (default 1) answer `Unavailable` ("injected fault") and are not delivered; 0 heals. */
  failNext(count?: number): void;
}

export const createMemoryNotifier = (): MemoryNotifier => {
  // Kept as frozen copies: no object is shared with the caller.
  const delivered: Notification[] = [];
  const faults = createFaults<"notify">();
  const notifier = {
    notify: (notification) => {
      const fault = faults.take("notify");
      if (!fault) delivered.push(deepFrozen(notification));
      return new ResultAsync(Promise.resolve(fault ? err(fault) : ok(undefined)));
    },
    sent: () => [...delivered],
    failNext: (count) => faults.failNext("notify", count),
  } satisfies MemoryNotifier;
  return notifier;
};
