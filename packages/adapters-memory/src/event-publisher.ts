import type { AirlockEvent, EventPublisher } from "@airlock/core";
import { err, ok, ResultAsync } from "neverthrow";
import { copyOf } from "./copy.js";
import { createFaults } from "./faults.js";
import { createRecent } from "./recent.js";

export interface MemoryEventPublisher extends EventPublisher {
  /** The events published (the latest `keep` of them), copies, in order; failed batches are not in it. */
  published(): readonly AirlockEvent[];
  /** The next `count` batches (default 1) answer `Unavailable` ("injected fault") and publish nothing; 0 heals. */
  failNext(count?: number): void;
}

export interface MemoryEventPublisherOptions {
  /** How many of the latest events `published()` keeps. Default: every one (tests); a server bounds it. */
  readonly keep?: number;
}

export const createMemoryEventPublisher = (
  options: MemoryEventPublisherOptions = {},
): MemoryEventPublisher => {
  // Kept as copies: no object is shared with the caller.
  const events = createRecent<AirlockEvent>(options.keep);
  const faults = createFaults<"publish">();
  const publisher = {
    publish: (batch) => {
      const fault = faults.take("publish");
      if (!fault) for (const event of batch) events.add(copyOf(event));
      return new ResultAsync(Promise.resolve(fault ? err(fault) : ok(undefined)));
    },
    published: () => copyOf(events.list()),
    failNext: (count) => faults.failNext("publish", count),
  } satisfies MemoryEventPublisher;
  return publisher;
};
