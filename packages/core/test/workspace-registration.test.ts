import { createMemoryWorkspaceRegistry } from "@airlock/adapters-memory";
import { sampleWorkspace } from "@airlock/core/testing";
import { describe, expect, it } from "vitest";
import { createWorkspaceRegistrar } from "../src/index.js";

const setUp = () => {
  const registry = createMemoryWorkspaceRegistry();
  const registrar = createWorkspaceRegistrar(registry, { reservedNames: ["airlock-api", "My-API"] });
  return { registry, registrar };
};

describe("registering workspaces", () => {
  it("registers a workspace, then replaces it", async () => {
    const { registrar } = setUp();
    const first = await registrar.register(sampleWorkspace({ id: "ws1", clientId: "app-1" }));
    expect(first._unsafeUnwrap().replaced).toBe(false);
    const again = await registrar.register(
      sampleWorkspace({ id: "ws1", clientId: "app-1", displayName: "New" }),
    );
    expect(again._unsafeUnwrap()).toMatchObject({ replaced: true, workspace: { displayName: "New" } });
  });

  it("refuses a client id another workspace has, and stores nothing", async () => {
    const { registry, registrar } = setUp();
    await registrar.register(sampleWorkspace({ id: "ws1", clientId: "app-1" }));
    const taken = await registrar.register(sampleWorkspace({ id: "ws2", clientId: "app-1" }));
    expect(taken._unsafeUnwrapErr()).toMatchObject({
      kind: "Conflict",
      message: expect.stringContaining("ws1"),
    });
    expect((await registry.get("ws2"))._unsafeUnwrapErr().kind).toBe("NotFound");
  });

  it("lets only one of several racing registrations of one client id through", async () => {
    const { registry, registrar } = setUp();
    const racing = await Promise.all(
      ["ws1", "ws2", "ws3"].map((id) => registrar.register(sampleWorkspace({ id, clientId: "app-1" }))),
    );
    expect(racing.filter((result) => result.isOk())).toHaveLength(1);
    expect(racing.filter((result) => result.isErr() && result.error.kind === "Conflict")).toHaveLength(2);
    expect((await registry.list())._unsafeUnwrap().filter((w) => w.clientId === "app-1")).toHaveLength(1);
  });

  it("refuses a reserved name as id or client id, whatever its case", async () => {
    const { registry, registrar } = setUp();
    const asId = await registrar.register(sampleWorkspace({ id: "airlock-api", clientId: "app-9" }));
    expect(asId._unsafeUnwrapErr()).toMatchObject({
      kind: "InvalidInput",
      issues: [{ path: "id", message: expect.stringContaining("reserved") }],
    });
    const asClient = await registrar.register(sampleWorkspace({ id: "ws9", clientId: "my-api" }));
    expect(asClient._unsafeUnwrapErr()).toMatchObject({
      kind: "InvalidInput",
      issues: [{ path: "clientId" }],
    });
    expect((await registry.list())._unsafeUnwrap()).toEqual([]);
  });
});
