import type { AirlockEvent, EventPublisher } from "@airlock/core";
import { err, ok, ResultAsync } from "neverthrow";
import { createFaults } from "./faults.js";
import { deepFrozen } from "./frozen.js";

export interface MemoryEventPublisher extends EventPublisher {
  /** Every event published, deeply frozen, in order (batches that failed are not in it). */
  published(): readonly AirlockEvent[];
  /** The next `count` batches (default 1) answer `Unavailable` ("injected fault") and publish nothing; 0 heals. */
  failNext(count?: number): void;
}

export const createMemoryEventPublisher = (): MemoryEventPublisher => {
  // Kept as frozen copies: no object is shared with the publisher's caller.
  const events: AirlockEvent[] = [];
  const faults = createFaults<"publish">();
  const publisher = {
    publish: (batch) => {
      const fault = faults.take("publish");
      if (!fault) for (const event of batch) events.push(deepFrozen(event));
      return new ResultAsync(Promise.resolve(fault ? err(fault) : ok(undefined)));
    },
    published: () => [...events],
    failNext: (count) => faults.failNext("publish", count),
  } satisfies MemoryEventPublisher;
  return publisher;
};
