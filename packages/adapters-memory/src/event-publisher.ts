import type { AirlockEvent, EventPublisher } from "@airlock/core";
import { err, ok, ResultAsync } from "neverthrow";
import { copyJson } from "./copy.js";
import { createFaults } from "./faults.js";

export interface MemoryEventPublisher extends EventPublisher {
  /** Copies of every event published, in order (batches that failed are not in it). */
  published(): readonly AirlockEvent[];
  /** The next `count` batches (default 1) answer `Unavailable` ("injected fault") and publish nothing; 0 heals. */
  failNext(count?: number): void;
}

export const createMemoryEventPublisher = (): MemoryEventPublisher => {
  const events: AirlockEvent[] = [];
  const faults = createFaults<"publish">();
  const publisher = {
    publish: (batch) => {
      const fault = faults.take("publish");
      if (!fault) events.push(...batch.map((event) => copyJson(event)));
      return new ResultAsync(Promise.resolve(fault ? err(fault) : ok(undefined)));
    },
    published: () => events.map((event) => copyJson(event)),
    failNext: (count) => faults.failNext("publish", count),
  } satisfies MemoryEventPublisher;
  return publisher;
};
