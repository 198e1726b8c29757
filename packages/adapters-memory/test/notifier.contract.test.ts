import { notifierContract } from "@airlock/core/testing";
import { describe, it } from "vitest";
import { createMemoryNotifier } from "../src/index.js";

notifierContract({ describe, it }, () => {
  const notifier = createMemoryNotifier();
  return { notifier, delivered: async () => notifier.sent() };
});
