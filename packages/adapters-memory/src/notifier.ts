import type { Notification, Notifier } from "@airlock/core";
import { err, ok, ResultAsync } from "neverthrow";
import { copyOf } from "./copy.js";
import { createFaults } from "./faults.js";
import { createRecent } from "./recent.js";

export interface MemoryNotifier extends Notifier {
  /** The notifications delivered (the latest `keep` of them), copies, in order; failed deliveries are not in it. */
  sent(): readonly Notification[];
  /** The next `count` notifications (default 1) answer `Unavailable` ("injected fault") and are not delivered; 0 heals. */
  failNext(count?: number): void;
}

export interface MemoryNotifierOptions {
  /** How many of the latest notifications `sent()` keeps. Default: every one (tests); a server bounds it. */
  readonly keep?: number;
}

export const createMemoryNotifier = (options: MemoryNotifierOptions = {}): MemoryNotifier => {
  // Kept as copies: no object is shared with the caller.
  const delivered = createRecent<Notification>(options.keep);
  const faults = createFaults<"notify">();
  const notifier = {
    notify: (notification) => {
      const fault = faults.take("notify");
      if (!fault) delivered.add(copyOf(notification));
      return new ResultAsync(Promise.resolve(fault ? err(fault) : ok(undefined)));
    },
    sent: () => copyOf(delivered.list()),
    failNext: (count) => faults.failNext("notify", count),
  } satisfies MemoryNotifier;
  return notifier;
};
