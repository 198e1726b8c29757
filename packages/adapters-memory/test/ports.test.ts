import type { AirlockPorts, Clock } from "@airlock/core";
import { assertOk, EICAR, sampleWorkspace, streamOf } from "@airlock/core/testing";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  createManualClock,
  createMemoryPorts,
  createSequentialIds,
  type ManualClock,
  type SequentialIds,
} from "../src/index.js";

describe("createMemoryPorts", () => {
  it("wires the scanner to the storage it returns", async () => {
    const ports = createMemoryPorts();
    const ref = { requestId: ports.ids.next(), workspaceId: "ws-1", type: "import" as const };
    await ports.storage.provision(ref, "in_progress");
    await ports.storage.upload(ref, "in_progress", "eicar.com", streamOf([EICAR]), { maxBytes: 1000 });
    expect(assertOk(await ports.scanner.scan(ref, "in_progress"), "scan").verdict).toBe("threat");
  });

  it("keeps real time and random ids by default, so an embedder's requests and links are dated now", async () => {
    const before = Date.now();
    const defaults = createMemoryPorts();
    const now = defaults.clock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    const [first, second] = [defaults.ids.next(), defaults.ids.next()];
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second).not.toBe(first);
  });

  it("takes the workspaces, clock, ids and link signer given", async () => {
    const workspace = sampleWorkspace();
    const clock: Clock = { now: () => 7 };
    const ports = createMemoryPorts({
      workspaces: [workspace],
      clock,
      ids: createSequentialIds(),
      linkSigner: ({ ref }) => `https://airlock.test/${ref.requestId}`,
    });
    expect(assertOk(await ports.workspaces.get(workspace.id), "get")).toEqual(workspace);
    expect(ports.clock).toBe(clock);
    expect(ports.ids.next()).toBe("00000000-0000-4000-8000-000000000001");
    const link = await ports.storage.link(
      { requestId: "r1", workspaceId: workspace.id, type: "import" },
      "draft",
      ["read"],
      new Date(0),
    );
    expect(assertOk(link, "link").containerUrl).toBe("https://airlock.test/r1");
  });

  it("keeps the memory types, and the types of the clock and ids given", () => {
    const ports = createMemoryPorts();
    expectTypeOf(ports).toExtend<AirlockPorts>();
    expectTypeOf(ports.clock).toEqualTypeOf<Clock>();
    const manual = createMemoryPorts({ clock: createManualClock(), ids: createSequentialIds() });
    expectTypeOf(manual.clock).toEqualTypeOf<ManualClock>();
    expectTypeOf(manual.ids).toEqualTypeOf<SequentialIds>();
    expectTypeOf(ports.repository.failNext).toBeFunction();
    expectTypeOf(ports.storage.stagesHolding).toBeFunction();
  });
});
