import type { AuditEntry } from "@airlock/core";
import { auditLogContract } from "@airlock/core/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createCosmosAuditLog } from "../src/cosmos-audit-log.js";
import { type CosmosBackend, startCosmosBackend } from "./support/backends.js";
import { rawCosmosContainer, storedEntryId } from "./support/raw-cosmos.js";

let backend: CosmosBackend;
beforeAll(async () => {
  backend = await startCosmosBackend();
});
afterAll(async () => {
  await backend?.stop();
});

auditLogContract({ describe, it }, async (sealing) => {
  const containerId = backend.containerId("audit");
  const audit = createCosmosAuditLog({
    ...backend.connection,
    databaseId: backend.databaseId,
    containerId,
    sealing,
  });
  const raw = () => rawCosmosContainer(backend, containerId);
  return {
    audit,
    backdoor: {
      overwrite: async (entry: AuditEntry) => {
        await raw().items.upsert({ ...entry, id: storedEntryId(entry.stream, entry.seq) });
      },
      removeFrom: async (stream: string, seq: number) => {
        const { resources } = await raw()
          .items.query<{ id: string }>({
            query: "SELECT c.id FROM c WHERE c.stream = @stream AND c.seq >= @seq AND NOT IS_DEFINED(c.kind)",
            parameters: [
              { name: "@stream", value: stream },
              { name: "@seq", value: seq },
            ],
          })
          .fetchAll();
        for (const { id } of resources) await raw().item(id, stream).delete();
      },
    },
  };
});
