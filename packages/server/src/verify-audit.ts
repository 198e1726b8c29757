import { Agent } from "node:https";
import { createBlobAuditCheckpoints, createCosmosAuditLog } from "@airlock/adapters-azure";
import { verifyAllAuditStreams } from "@airlock/core";
import { DefaultAzureCredential } from "@azure/identity";
import { loadAuditKeys } from "./profiles/audit-sealing.js";
import { checkpointContainer } from "./profiles/azure-audit-checkpoints.js";
import { azureSettingsFromEnv } from "./profiles/azure-settings.js";

/**
 * `pnpm verify-audit`: verifies every stream of the azure profile's audit log (the same
 * AIRLOCK_* variables as the server) against its signed checkpoints. Prints one line per stream
 * that fails and a summary; exits 1 when any stream fails, 2 when it cannot run.
 */
const main = async (): Promise<number> => {
  const settings = azureSettingsFromEnv(process.env);
  if (settings.isErr()) {
    process.stderr.write(`verify-audit: the azure profile's settings are not valid:\n${settings.error}\n`);
    return 2;
  }
  const { cosmos, audit: auditSettings } = settings.value;
  if (auditSettings?.chainKey === undefined) {
    process.stderr.write("verify-audit: AIRLOCK_AUDIT_CHAIN_KEY (or _FILE) is needed to verify the log\n");
    return 2;
  }
  const { keys } = loadAuditKeys(auditSettings);
  const agent = cosmos.emulator ? new Agent({ rejectUnauthorized: false, keepAlive: true }) : undefined;
  const identity = new DefaultAzureCredential();
  const checkpoints = createBlobAuditCheckpoints({
    container: checkpointContainer(settings.value, () => identity).container,
  });
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
  try {
    const summary = await verifyAllAuditStreams({ audit, checkpoints }, ({ stream, verification }) => {
      if (!verification.ok) {
        process.stdout.write(
          `FAILED ${JSON.stringify(stream)} at seq ${verification.firstTampered}: ${verification.reason}\n`,
        );
      }
    });
    if (summary.isErr()) {
      process.stderr.write(`verify-audit: could not read the audit log: ${summary.error.message}\n`);
      return 2;
    }
    const { streams, failed, entries } = summary.value;
    process.stdout.write(
      `${failed === 0 ? "OK" : "FAILED"}: ${streams} streams verified, ${failed} failed, ${entries} entries in intact streams\n`,
    );
    return failed === 0 ? 0 : 1;
  } finally {
    agent?.destroy();
  }
};

process.exitCode = await main();
