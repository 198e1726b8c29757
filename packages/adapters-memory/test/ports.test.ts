import type { AirlockPorts, Clock } from "@airlock/core";
import { assertOk, EICAR, sampleWorkspace, streamOf } from "@airlock/core/testing";
import { describe, expect, expectTypeOf, it } from "vitest";
import { createMemoryPorts, createRandomIds, type ManualClock } from "../src/index.js";

describe("createMemoryPorts", () => {
  it("wires the scanner to the storage it returns", async () => {
    const ports = createMemoryPorts();
    const ref = { requestId: ports.ids.next(), workspaceId: "ws-1", type: "import" as const };
    await ports.storage.provision(ref, "in_progress");
    await ports.storage.upload(ref, "in_progress", "eicar.com", streamOf([EICAR]), { maxBytes: 1000 });
    expect(assertOk(await ports.scanner.scan(ref, "in_progress"), "scan").verdict).toBe("threat");
  });

  it("is deterministic by default and takes the workspaces, clock, ids and link signer given", async () => {
    const defaults = createMemoryPorts();
    expect(defaults.ids.next()).toBe("00000000-0000-4000-8000-000000000001");
    expect(defaults.clock.now()).toBe(Date.UTC(2026, 0, 1));

    const workspace = sampleWorkspace();
    const clock: Clock = { now: () => 7 };
    const ports = createMemoryPorts({
      workspaces: [workspace],
      clock,
      ids: createRandomIds(),
      linkSigner: ({ ref }) => `https://airlock.test/${ref.requestId}`,
    });
    expect(assertOk(await ports.workspaces.get(workspace.id), "get")).toEqual(workspace);
    expect(ports.clock).toBe(clock);
    expect(ports.ids.next()).not.toBe("00000000-0000-4000-8000-000000000001");
    const link = await ports.storage.link(
      { requestId: "r1", workspaceId: workspace.id, type: "import" },
      "draft",
      ["read"],
      new Date(0),
    );
    expect(assertOk(link, "link").containerUrl).toBe("https://airlock.test/r1");
  });

  it("keeps the memory types, and the whole satisfies AirlockPorts", () => {
    const ports = createMemoryPorts();
    expectTypeOf(ports).toExtend<AirlockPorts>();
    expectTypeOf(ports.clock).toEqualTypeOf<ManualClock>();
    expectTypeOf(ports.repository.failNext).toBeFunction();
    expectTypeOf(ports.storage.stagesHolding).toBeFunction();
  });
});
