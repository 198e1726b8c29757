import type { ResultAsync } from "neverthrow";
import type { AirlockEvent } from "../model/events.js";
import type { Unavailable } from "./errors.js";

export type EventPublisherError = Unavailable;

/**
 * Publishes domain events (CloudEvents 1.0) in the order given.
 * Delivery is at least once; each event's `id` is stable so subscribers can drop duplicates.
 */
export interface EventPublisher {
  publish(events: readonly AirlockEvent[]): ResultAsync<void, EventPublisherError>;
}
