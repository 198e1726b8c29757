import { auditLogContract } from "@airlock/core/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createCosmosAuditLog } from "../src/cosmos-audit-log.js";
import { type CosmosBackend, startCosmosBackend } from "./support/backends.js";

let backend: CosmosBackend;
beforeAll(async () => {
  backend = await startCosmosBackend();
});
afterAll(async () => {
  await backend?.stop();
});

auditLogContract({ describe, it }, () =>
  createCosmosAuditLog({
    ...backend.connection,
    databaseId: backend.databaseId,
    containerId: backend.containerId("audit"),
  }),
);
