import type { Notification, Notifier } from "@airlock/core";
import { err, ok, ResultAsync } from "neverthrow";
import { createFaults } from "./faults.js";

export interface MemoryNotifier extends Notifier {
  /** Copies of every notification delivered, in order (failed deliveries are not in it). */
  sent(): readonly Notification[];
  /** The next `count` notifications (default 1) answer `Unavailable` ("injected fault") and are not delivered; 0 heals. */
  failNext(count?: number): void;
}

export const createMemoryNotifier = (): MemoryNotifier => {
  // Kept serialised: no object is shared with the caller, and storing costs one stringify.
  const delivered: string[] = [];
  const faults = createFaults<"notify">();
  const notifier = {
    notify: (notification) => {
      const fault = faults.take("notify");
      if (!fault) delivered.push(JSON.stringify(notification));
      return new ResultAsync(Promise.resolve(fault ? err(fault) : ok(undefined)));
    },
    sent: () => delivered.map((notification) => JSON.parse(notification) as Notification),
    failNext: (count) => faults.failNext("notify", count),
  } satisfies MemoryNotifier;
  return notifier;
};
