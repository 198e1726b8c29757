import { workspaceRegistryContract } from "@airlock/core/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createCosmosWorkspaceRegistry } from "../src/cosmos-workspace-registry.js";
import { type CosmosBackend, startCosmosBackend } from "./support/backends.js";

let backend: CosmosBackend;
beforeAll(async () => {
  backend = await startCosmosBackend();
});
afterAll(async () => {
  await backend?.stop();
});

workspaceRegistryContract({ describe, it }, () =>
  createCosmosWorkspaceRegistry({
    ...backend.connection,
    databaseId: backend.databaseId,
    containerId: backend.containerId("workspaces"),
  }),
);
