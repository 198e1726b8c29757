import type { AirlockEvent } from "../model/events.js";
import type { EventPublisher } from "../ports/event-publisher.js";
import { assertEqual, assertOk } from "./assert.js";
import { type ContractOptions, type ContractRunner, defineContract, fresh } from "./contract.js";
import { sampleEvent, sampleReviewedEvent } from "./fixtures.js";

/**
 * A publisher and a way to see what reached its subscribers (a test server, an emulator, memory).
 * `published()` may include events of other tests sharing the backend; the suite ignores them.
 */
export interface PublisherUnderTest {
  publisher: EventPublisher;
  published(): Promise<readonly AirlockEvent[]>;
}

/**
 * What arrived of `sent`, in arrival order. Delivery is at least once, so a repeated `id` counts
 * once (its first arrival); events of other tests sharing the backend are ignored.
 */
const arrivedOf = async (under: PublisherUnderTest, sent: readonly AirlockEvent[]) => {
  const wanted = new Set(sent.map((event) => event.id));
  const seen = new Set<string>();
  const arrived: AirlockEvent[] = [];
  for (const event of await under.published()) {
    if (wanted.has(event.id) && !seen.has(event.id)) {
      seen.add(event.id);
      arrived.push(event);
    }
  }
  return arrived;
};

/** The `EventPublisher` contract (see its JSDoc). */
export function eventPublisherContract(
  t: ContractRunner,
  make: () => Promise<PublisherUnderTest> | PublisherUnderTest,
  options?: ContractOptions,
): void {
  defineContract(t, "EventPublisher contract", options, (test) => {
    test("published events arrive in the order given, unchanged", async () => {
      const under = await fresh(make);
      const requestId = crypto.randomUUID();
      const events = [
        sampleEvent({ data: { requestId, previousStatus: null, newStatus: "draft", version: 1 } }),
        sampleEvent({ data: { requestId, previousStatus: "draft", newStatus: "submitted", version: 2 } }),
        sampleReviewedEvent({ data: { requestId } }),
        sampleEvent({
          data: {
            requestId,
            previousStatus: "submitted",
            newStatus: "failed",
            statusMessage: "no files",
            version: 3,
          },
        }),
      ];
      assertOk(await under.publisher.publish(events), "publish");
      assertEqual(await arrivedOf(under, events), events, "events that arrived");
    });

    test("batches published one after another keep their order", async () => {
      const under = await fresh(make);
      const first = [sampleEvent(), sampleEvent()];
      const second = [sampleReviewedEvent()];
      const third = [sampleEvent(), sampleEvent(), sampleEvent()];
      for (const batch of [first, second, third]) assertOk(await under.publisher.publish(batch), "publish");
      const all = [...first, ...second, ...third];
      assertEqual(await arrivedOf(under, all), all, "events that arrived");
    });

    test("an empty batch is accepted", async () => {
      const under = await fresh(make);
      assertOk(await under.publisher.publish([]), "publish of an empty batch");
      const event = sampleEvent();
      assertOk(await under.publisher.publish([event]), "publish after the empty batch");
      assertEqual(await arrivedOf(under, [event]), [event], "events that arrived");
    });
  });
}
