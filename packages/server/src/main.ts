import { ALLOW_DEVELOPMENT_IN_PRODUCTION } from "@airlock/http";
import { pino } from "pino";
import { createMemoryProfile } from "./profiles/memory.js";
import type { Profile } from "./profiles/profile.js";
import { scannerChoiceFromEnv } from "./profiles/scanner-settings.js";
import { DEMO_WORKSPACE, failStart, serve } from "./profiles/serve.js";

/**
 * The API as a process. `AIRLOCK_PROFILE` chooses the wiring:
 * - `local` (default): SQLite and the filesystem in one data directory (`AIRLOCK_DATA_DIR`, default
 *   `.airlock-data`), links served by this server; everything survives a restart. With
 *   development tokens it registers the demo workspace when missing.
 * - `memory`: every port in memory, links served by this server, a demo workspace; what it holds is
 *   gone when it stops.
 * - `azure`: Blob Storage, Cosmos DB, Event Grid, Communication Services Email and Defender for
 *   Storage, from the settings in the environment (see the adapters-azure README).
 */

const log = pino({ name: "airlock", level: process.env.LOG_LEVEL ?? "info" });
const name = process.env.AIRLOCK_PROFILE || "local";

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

/** The local profile's modules load node:sqlite, so they are imported only when that profile runs. */
const localProfile = async (): Promise<Profile> => {
  const [{ createLocalProfile }, { localSettingsFromEnv }] = await Promise.all([
    import("./profiles/local.js"),
    import("./profiles/local-settings.js"),
  ]);
  const settings = localSettingsFromEnv(process.env, process.cwd()).match(
    (value) => value,
    (problems) => failStart(log, `the local profile's settings are not valid:\n${problems}`),
  );
  const development = (process.env.AIRLOCK_AUTH_MODE ?? "development") === "development";
  return createLocalProfile({
    settings,
    logger: log,
    ...(development ? { workspaces: [DEMO_WORKSPACE] } : {}),
  }).catch((error: unknown) => failStart(log, `the local profile cannot open its data: ${String(error)}`));
};

if (name === "local") {
  const development = (process.env.AIRLOCK_AUTH_MODE ?? "development") === "development";
  await serve({
    profile: await localProfile(),
    env: process.env,
    log,
    ...(development ? { demoWorkspace: DEMO_WORKSPACE } : {}),
  });
} else if (name === "memory") {
  if (process.env.NODE_ENV === "production" && process.env[ALLOW_DEVELOPMENT_IN_PRODUCTION] !== "true") {
    failStart(
      log,
      `the memory profile (everything in the process, gone on restart, a demo workspace) is refused when NODE_ENV=production; set AIRLOCK_PROFILE=local or azure, or ${ALLOW_DEVELOPMENT_IN_PRODUCTION}=true to run it anyway`,
    );
  }
  const scanner = scannerChoiceFromEnv(process.env).match(
    (choice) => choice,
    (problems) => failStart(log, `the memory profile's settings are not valid:\n${problems.join("\n")}`),
  );
  const profile = createMemoryProfile({ logger: log, workspaces: [DEMO_WORKSPACE], scanner });
  await serve({ profile, env: process.env, log, demoWorkspace: DEMO_WORKSPACE });
} else if (name === "azure") {
  await serve({ profile: await azureProfile(), env: process.env, log });
} else {
  failStart(log, `AIRLOCK_PROFILE must be "local", "memory" or "azure", not "${name}"`);
}
