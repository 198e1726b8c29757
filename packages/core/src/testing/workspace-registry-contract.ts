import type { Workspace } from "../model/workspace.js";
import type { WorkspaceRegistry } from "../ports/workspace-directory.js";
import { assertEqual, assertErr, assertOk } from "./assert.js";
import { type ContractOptions, type ContractRunner, defineContract, fresh } from "./contract.js";
import { sampleUser, sampleWorkspace } from "./fixtures.js";

const byId = (workspaces: readonly Workspace[]) =>
  [...workspaces].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** The `WorkspaceRegistry` contract (see its JSDoc). */
export function workspaceRegistryContract(
  t: ContractRunner,
  make: () => Promise<WorkspaceRegistry> | WorkspaceRegistry,
  options?: ContractOptions,
): void {
  defineContract(t, "WorkspaceRegistry contract", options, (test) => {
    test("put stores a workspace and get answers it", async () => {
      const registry = await fresh(make);
      const workspace = sampleWorkspace();
      assertEqual(assertOk(await registry.put(workspace), "put"), workspace, "put answer");
      assertEqual(assertOk(await registry.get(workspace.id), "get"), workspace, "get answer");
    });

    test("get of an unknown workspace is NotFound", async () => {
      const registry = await fresh(make);
      assertErr(await registry.get(crypto.randomUUID()), "NotFound", "get");
    });

    test("put of an existing id replaces the workspace", async () => {
      const registry = await fresh(make);
      const workspace = sampleWorkspace();
      assertOk(await registry.put(workspace), "first put");
      const replacement: Workspace = {
        ...workspace,
        displayName: "Renamed workspace",
        policy: { ...workspace.policy, requiredApprovals: 2, scanning: false },
        members: [{ ...sampleUser(), roles: ["WorkspaceOwner", "AirlockManager"] }],
      };
      assertOk(await registry.put(replacement), "second put");
      assertEqual(assertOk(await registry.get(workspace.id), "get"), replacement, "get after replacing");
      const listed = assertOk(await registry.list(), "list").filter(
        (listedOne) => listedOne.id === workspace.id,
      );
      assertEqual(listed, [replacement], "list holds the workspace once, replaced");
    });

    test("answers are copies: changing an answer or what was put changes nothing stored", async () => {
      const registry = await fresh(make);
      const workspace = sampleWorkspace();
      const original = JSON.parse(JSON.stringify(workspace)) as Workspace;
      const mutate = (answer: Workspace) => {
        (answer as { displayName: string }).displayName = "changed by a caller";
        (answer.members as unknown[]).push({ mutated: true });
        (answer.policy as { enabled: boolean }).enabled = !original.policy.enabled;
      };
      const put = assertOk(await registry.put(workspace), "put");
      mutate(workspace);
      mutate(put);
      mutate(assertOk(await registry.get(original.id), "get"));
      for (const listed of assertOk(await registry.list(), "list")) mutate(listed);
      assertEqual(
        assertOk(await registry.get(original.id), "get after changes"),
        original,
        "stored workspace",
      );
    });

    test("list contains every workspace put", async () => {
      const registry = await fresh(make);
      const workspaces = [sampleWorkspace(), sampleWorkspace(), sampleWorkspace()];
      for (const workspace of workspaces) assertOk(await registry.put(workspace), `put ${workspace.id}`);
      const ours = new Set(workspaces.map((workspace) => workspace.id));
      const listed = assertOk(await registry.list(), "list").filter((workspace) => ours.has(workspace.id));
      assertEqual(byId(listed), byId(workspaces), "listed workspaces");
    });
  });
}
