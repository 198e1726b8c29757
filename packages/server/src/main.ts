import { ALLOW_DEVELOPMENT_IN_PRODUCTION } from "@airlock/http";
import { pino } from "pino";
import { createMemoryProfile } from "./profiles/memory.js";
import type { Profile } from "./profiles/profile.js";
import { DEMO_WORKSPACE, failStart, serve } from "./profiles/serve.js";

/**
 * The API as a process. `AIRLOCK_PROFILE` chooses the wiring:
 * - `memory` (default): every port in memory, links served by this server, a demo workspace; what
 *   it holds is gone when it stops.
 * - `azure`: Blob Storage, Cosmos DB, Event Grid, Communication Services Email and Defender for
 *   Storage, from the settings in the environment (see the adapters-azure README).
 */

const log = pino({ name: "airlock", level: process.env.LOG_LEVEL ?? "info" });
const name = process.env.AIRLOCK_PROFILE ?? "memory";

/**
 * The azure profile's modules load the Azure SDKs, so they are imported only when that profile
 * runs: a memory server never loads `@azure/*`.
 */
const azureProfile = async (): Promise<Profile> => {
  const [{ createAzureProfile }, { azureSettingsFromEnv }] = await Promise.all([
    import("./profiles/azure.js"),
    import("./profiles/azure-settings.js"),
  ]);
  const settings = azureSettingsFromEnv(process.env).match(
    (value) => value,
    (problems) => failStart(log, `AIRLOCK_PROFILE=azure needs these settings:\n${problems}`),
  );
  return createAzureProfile({ settings, logger: log });
};

if (name === "memory") {
  if (process.env.NODE_ENV === "production" && process.env[ALLOW_DEVELOPMENT_IN_PRODUCTION] !== "true") {
    failStart(
      log,
      `the memory profile (everything in the process, gone on restart, a demo workspace) is refused when NODE_ENV=production; set AIRLOCK_PROFILE=azure, or ${ALLOW_DEVELOPMENT_IN_PRODUCTION}=true to run it anyway`,
    );
  }
  const profile = createMemoryProfile({ logger: log, workspaces: [DEMO_WORKSPACE] });
  await serve({ profile, env: process.env, log, demoWorkspace: DEMO_WORKSPACE });
} else if (name === "azure") {
  await serve({ profile: await azureProfile(), env: process.env, log });
} else {
  failStart(log, `AIRLOCK_PROFILE must be "memory" or "azure", not "${name}"`);
}
