import { pino } from "pino";
import { createAzureProfile } from "./profiles/azure.js";
import { azureSettingsFromEnv } from "./profiles/azure-settings.js";
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

let profile: Profile;
let demoWorkspace: typeof DEMO_WORKSPACE | undefined;
if (name === "memory") {
  profile = createMemoryProfile({ logger: log, workspaces: [DEMO_WORKSPACE] });
  demoWorkspace = DEMO_WORKSPACE;
} else if (name === "azure") {
  const settings = azureSettingsFromEnv(process.env).match(
    (value) => value,
    (problems) => failStart(log, `AIRLOCK_PROFILE=azure needs these settings:\n${problems}`),
  );
  profile = createAzureProfile({ settings, logger: log });
} else {
  profile = failStart(log, `AIRLOCK_PROFILE must be "memory" or "azure", not "${name}"`);
}

await serve({ profile, env: process.env, log, ...(demoWorkspace ? { demoWorkspace } : {}) });
