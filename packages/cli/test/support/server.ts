import type { MemoryAuditLog, MemoryStorage } from "@airlock/adapters-memory";
import { DEFAULT_POLICY, type Workspace } from "@airlock/core";
import { buildServer, DEV_SECRET_DEFAULT } from "@airlock/http";
import { pino } from "pino";
import { createMemoryProfile } from "../../../server/src/profiles/memory.js";

/** The workspace the command line's tests work in: a researcher, two reviewers, an owner. */
export const TEST_WORKSPACE: Workspace = {
  id: "ws-cli",
  displayName: "Command line tests",
  clientId: "ws-cli",
  policy: { ...DEFAULT_POLICY, maxFiles: 10, maxFileSize: 2 * 1024 ** 3 },
  members: [
    { id: "alice", name: "Alice Researcher", email: "alice@example.org", roles: ["WorkspaceResearcher"] },
    { id: "bob", name: "Bob Manager", email: "bob@example.org", roles: ["AirlockManager"] },
    { id: "carol", name: "Carol Manager", email: "carol@example.org", roles: ["AirlockManager"] },
    {
      id: "olivia",
      name: "Olivia Owner",
      email: "olivia@example.org",
      roles: ["WorkspaceOwner", "AirlockManager"],
    },
  ],
};

export interface TestServer {
  readonly url: string;
  /** The memory profile's storage, to reach behind the API (alter a stored file, inject faults). */
  readonly storage: MemoryStorage;
  /** The memory profile's audit log, to alter an entry behind the API. */
  readonly audit: MemoryAuditLog;
  readonly profile: ReturnType<typeof createMemoryProfile>;
  close(): Promise<void>;
}

/**
 * The server's memory profile with development tokens, in this process on a random port: the
 * same wiring `AIRLOCK_PROFILE=memory pnpm start` runs.
 */
export const startServer = async (): Promise<TestServer> => {
  const profile = createMemoryProfile({ logger: pino({ enabled: false }), workspaces: [TEST_WORKSPACE] });
  const app = buildServer({
    airlock: profile.airlock,
    workspaces: profile.ports.workspaces,
    auth: { mode: "development", secret: DEV_SECRET_DEFAULT },
    blobEndpoint: "embedded",
    logger: false,
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    url,
    // The memory profile's storage is the memory adapter's, which tests may steer.
    storage: profile.ports.storage as MemoryStorage,
    audit: (profile.ports as unknown as { audit: MemoryAuditLog }).audit,
    profile,
    close: async () => {
      await app.close();
      await profile.airlock.processor.idle();
    },
  };
};
