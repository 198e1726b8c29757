import { eventPublisherContract } from "@airlock/core/testing";
import { describe, it } from "vitest";
import { createMemoryEventPublisher } from "../src/index.js";

eventPublisherContract({ describe, it }, () => {
  const publisher = createMemoryEventPublisher();
  return { publisher, published: async () => publisher.published() };
});
