import { fileURLToPath } from "node:url";
import { DEFAULT_POLICY, type Workspace } from "@airlock/core";
import { type AuthConfig, buildServer, DEV_SECRET_DEFAULT } from "@airlock/http";
import { pino } from "pino";
import { registerConsole } from "../../../server/src/console.js";
import { createMemoryProfile } from "../../../server/src/profiles/memory.js";

export const CONSOLE_DIST = fileURLToPath(new URL("../../dist", import.meta.url));

/** A workspace whose requests may carry several files, reviewed by two managers. */
export const E2E_WORKSPACE: Workspace = {
  id: "ws-e2e",
  displayName: "Console workspace",
  clientId: "ws-e2e",
  policy: { ...DEFAULT_POLICY, maxFiles: 10, requiredApprovals: 2 },
  members: [
    { id: "alice", name: "Alice Researcher", email: "alice@example.org", roles: ["WorkspaceResearcher"] },
    { id: "bob", name: "Bob Checker", email: "bob@example.org", roles: ["AirlockManager"] },
    { id: "carol", name: "Carol Checker", email: "carol@example.org", roles: ["AirlockManager"] },
  ],
};

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The real server as `pnpm start` wires it (memory profile, development sign-in), on a random port. */
export const startServer = async (): Promise<RunningServer> => {
  const profile = createMemoryProfile({ logger: pino({ enabled: false }), workspaces: [E2E_WORKSPACE] });
  const auth: AuthConfig = { mode: "development", secret: DEV_SECRET_DEFAULT };
  const app = buildServer({
    airlock: profile.airlock,
    workspaces: profile.ports.workspaces,
    auth,
    blobEndpoint: profile.blobEndpoint,
    logger: false,
  });
  await registerConsole(app, { root: CONSOLE_DIST, auth, workspaces: profile.ports.workspaces });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    url,
    close: async () => {
      await app.close();
      await profile.airlock.processor.idle();
    },
  };
};
