import { pino } from "pino";
import { createAzureProfile } from "./profiles/azure.js";
import { azureSettingsFromEnv } from "./profiles/azure-settings.js";
import type { Profile } from "./profiles/profile.js";
import { DEMO_WORKSPACE, failStart, serve } from "./profiles/serve.js";

/**
 * `pnpm start:azure-local`: the azure profile on this machine, a development tool. Azurite's blob
 * service runs as a child process, the Cosmos DB emulator (`@vercel/cosmosdb-server`) inside this
 * process; both keep their data in memory, so it is gone when this stops. Defender for Storage does not exist here:
 * a local stand-in reads each file through the storage port and flags the EICAR test string.
 * Event Grid and ACS Email are used when their settings are in the environment, otherwise their
 * memory stand-ins; the banner says which.
 */

const log = pino({ name: "airlock", level: process.env.LOG_LEVEL ?? "info" });

// The emulators are the Azure adapters' development dependencies: loaded here, when this launcher
// runs, and never by a module a deployed server imports.
const { startAzurite, startCosmosEmulator } = await import("@airlock/adapters-azure/testing").catch(
  (error: unknown) =>
    failStart(
      log,
      `the local emulators are not installed (they come with the workspace's development dependencies: pnpm install): ${String(error)}`,
    ),
);

const azurite = await startAzurite().catch((error: unknown) =>
  failStart(log, `Azurite did not start: ${String(error)}`),
);
const cosmos = await startCosmosEmulator().catch(async (error: unknown) => {
  await azurite.stop();
  return failStart(log, `the Cosmos DB emulator did not start: ${String(error)}`);
});

const stopEmulators = async () => {
  await cosmos.stop();
  await azurite.stop();
};

const settings = await azureSettingsFromEnv({
  ...process.env,
  AIRLOCK_TRE_ID: process.env.AIRLOCK_TRE_ID ?? "local",
  AIRLOCK_STORAGE_LAYOUT: "single-account-prefixes",
  AIRLOCK_STORAGE_CONNECTION_STRING: azurite.connectionString,
  AIRLOCK_STORAGE_ACCOUNT_URL: undefined,
  AIRLOCK_COSMOS_ENDPOINT: cosmos.endpoint,
  AIRLOCK_COSMOS_KEY: cosmos.key,
  AIRLOCK_COSMOS_EMULATOR: "true",
  AIRLOCK_SCANNER: process.env.AIRLOCK_SCANNER ?? "local",
}).match(
  async (value) => value,
  async (problems) => {
    await stopEmulators();
    return failStart(log, problems);
  },
);

const azure = createAzureProfile({ settings, logger: log });
const profile: Profile = {
  ...azure,
  name: "azure (local emulators)",
  prepare: async () => {
    await azure.prepare();
    const registered = await azure.ports.workspaces.put(DEMO_WORKSPACE);
    if (registered.isErr())
      throw new Error(`cannot register ${DEMO_WORKSPACE.id}: ${registered.error.message}`);
  },
};

if (settings.scanner === "local") {
  log.warn(
    "LOCAL SCANNER STAND-IN: files are scanned by reading them and looking for the EICAR test string only; this is not Defender for Storage",
  );
}

await serve({
  profile,
  env: process.env,
  log,
  demoWorkspace: DEMO_WORKSPACE,
  banner: [
    `Emulators        Azurite ${azurite.blobEndpoint} (child process), Cosmos DB emulator ${cosmos.endpoint} (in this process); in memory, gone on exit`,
    "Walkthrough      node examples/http-walkthrough/main.mjs   (AIRLOCK_URL if not on :8080)",
  ],
  onClose: stopEmulators,
});
