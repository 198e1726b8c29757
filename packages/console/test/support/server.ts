import { type AddressInfo, createServer as createNetServer } from "node:net";
import { createMemoryPorts, type MemoryAuditLog } from "@airlock/adapters-memory";
import { createAirlock, DEFAULT_POLICY, type Workspace } from "@airlock/core";
import { inProcessGates } from "@airlock/gates";
import { type AuthConfig, buildServer, DEV_SECRET_DEFAULT } from "@airlock/http";
import { inject } from "vitest";
import { registerConsole } from "../../../server/src/console.js";

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

/** A workspace whose policy runs the disclosure gate over CSV files (threshold 10). */
export const DISCLOSURE_WORKSPACE: Workspace = {
  ...E2E_WORKSPACE,
  id: "ws-disclosure",
  displayName: "Disclosure-checked workspace",
  clientId: "ws-disclosure",
  policy: { ...E2E_WORKSPACE.policy, requiredApprovals: 1, gates: [{ type: "disclosure", threshold: 10 }] },
};

/** A workspace with independent review: a reviewer sees the others' votes once they voted on every file. */
export const INDEPENDENT_WORKSPACE: Workspace = {
  ...E2E_WORKSPACE,
  id: "ws-independent",
  displayName: "Independently reviewed workspace",
  clientId: "ws-independent",
  policy: { ...E2E_WORKSPACE.policy, independentReview: true },
};

/** A workspace taking at most two CSV or text files of at most 1 KiB each. */
export const RULES_WORKSPACE: Workspace = {
  ...E2E_WORKSPACE,
  id: "ws-rules",
  displayName: "Small tables workspace",
  clientId: "app-ws-rules",
  policy: {
    ...E2E_WORKSPACE.policy,
    maxFiles: 2,
    gates: [
      { type: "file-type", allow: ["csv", "txt"] },
      { type: "size", maxFileBytes: 1024 },
    ],
  },
};

export interface RunningServer {
  readonly url: string;
  /** Changes a stored audit entry behind the server's back, as someone with database access could. */
  readonly tamperAudit: MemoryAuditLog["tamper"];
  close(): Promise<void>;
}

/**
 * The server as the memory profile wires it (ports in memory, the in-process gates, inline
 * processing, development sign-in, the console), on a random port.
 */
export const startServer = async (): Promise<RunningServer> => {
  const ports = createMemoryPorts({
    workspaces: [E2E_WORKSPACE, DISCLOSURE_WORKSPACE, RULES_WORKSPACE, INDEPENDENT_WORKSPACE],
  });
  const airlock = createAirlock({ ...ports, gates: inProcessGates() }, { processing: "inline" });
  const auth: AuthConfig = { mode: "development", secret: DEV_SECRET_DEFAULT };
  const app = buildServer({
    airlock,
    workspaces: ports.workspaces,
    auth,
    blobEndpoint: "embedded",
    logger: false,
  });
  await registerConsole(app, { root: inject("consoleDist"), auth, workspaces: ports.workspaces });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    url,
    tamperAudit: ports.audit.tamper,
    close: async () => {
      await app.close();
      await airlock.processor.idle();
    },
  };
};

/** A port nothing listens on now, as the system picks one. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/** The Entra settings the console gets from the server, pointing at a test's own OpenID provider. */
export interface EntraTestSettings {
  readonly authority: string;
  readonly jwksUri: string;
  readonly clientId: string;
  readonly apiAudience: string;
  readonly workspaces: readonly Workspace[];
}

/**
 * The server with Entra authentication against a test's OpenID provider: the API verifies its
 * RS256 tokens, and the console signs in with MSAL, told that the authority is a plain OpenID
 * provider rather than Microsoft's.
 */
export const startEntraServer = async (settings: EntraTestSettings): Promise<RunningServer> => {
  const ports = createMemoryPorts({ workspaces: [...settings.workspaces] });
  const airlock = createAirlock({ ...ports, gates: inProcessGates() }, { processing: "inline" });
  const auth: AuthConfig = {
    mode: "entra",
    issuer: settings.authority,
    jwksUri: settings.jwksUri,
    apiAudience: settings.apiAudience,
  };
  // Outside development mode, links are built from the server's public URL: its port is chosen first.
  const port = await freePort();
  const app = buildServer({
    airlock,
    workspaces: ports.workspaces,
    auth,
    blobEndpoint: "embedded",
    publicBaseUrl: `http://127.0.0.1:${port}`,
    logger: false,
  });
  await registerConsole(app, {
    root: inject("consoleDist"),
    auth,
    workspaces: ports.workspaces,
    entra: {
      clientId: settings.clientId,
      authority: settings.authority,
      apiScope: `api://${settings.apiAudience}/user_impersonation`,
      workspaceScope: "api://{clientId}/user_impersonation",
      protocolMode: "OIDC",
    },
  });
  const url = await app.listen({ host: "127.0.0.1", port });
  return {
    url,
    tamperAudit: ports.audit.tamper,
    close: async () => {
      await app.close();
      await airlock.processor.idle();
    },
  };
};
