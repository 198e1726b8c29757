import { Agent } from "node:https";
import { createBlobAuditCheckpoints, createCosmosAuditLog } from "@airlock/adapters-azure";
import { DefaultAzureCredential } from "@azure/identity";
import { err, ok, type Result } from "neverthrow";
import { loadAuditKeys } from "./audit-sealing.js";
import { checkpointContainer } from "./azure-audit-checkpoints.js";
import { azureSettingsFromEnv } from "./azure-settings.js";
import type { AuditStore } from "./local-audit-store.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The azure profile's audit log (Cosmos DB) and checkpoints (Blob Storage), from the same settings as the server. */
export const openAzureAuditStore = (env: Env): Result<AuditStore, string> => {
  const settings = azureSettingsFromEnv(env);
  if (settings.isErr()) return err(`the azure profile's settings are not valid:\n${settings.error}`);
  const { cosmos, audit: auditSettings } = settings.value;
  if (auditSettings?.chainKey === undefined) {
    return err("AIRLOCK_AUDIT_CHAIN_KEY (or _FILE) is needed to verify the log");
  }
  const { keys } = loadAuditKeys(auditSettings);
  const agent = cosmos.emulator ? new Agent({ rejectUnauthorized: false, keepAlive: true }) : undefined;
  const identity = new DefaultAzureCredential();
  const located = checkpointContainer(settings.value, () => identity);
  const checkpoints = createBlobAuditCheckpoints({ container: located.container });
  const audit = createCosmosAuditLog({
    endpoint: cosmos.endpoint,
    key: cosmos.key ?? "",
    clientOptions: {
      ...(agent === undefined ? {} : { agent, connectionPolicy: { enableEndpointDiscovery: false } }),
      ...(cosmos.key === undefined ? { aadCredentials: identity } : {}),
    },
    databaseId: cosmos.database,
    containerId: cosmos.containers.audit,
    sealing: { keys, checkpoints },
  });
  return ok({
    audit,
    checkpoints,
    where: `${cosmos.endpoint} ${cosmos.database}/${cosmos.containers.audit}, checkpoints in ${located.where}`,
    close: () => agent?.destroy(),
  });
};
