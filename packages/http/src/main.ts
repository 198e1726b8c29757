import { createMemoryPorts, createRandomIds } from "@airlock/adapters-memory";
import { createAirlock, type Workspace } from "@airlock/core";
import { pino } from "pino";
import { authConfigFromEnv } from "./auth/config.js";
import { buildServer } from "./server.js";

/**
 * The embedded profile as a process: every port in memory, links served by this server. What it
 * holds is gone when it stops. Configuration comes from the environment (see the README).
 */

const log = pino({ name: "airlock" });

/** A workspace to try things in straight away; the walkthrough registers its own. */
const DEMO_WORKSPACE: Workspace = {
  id: "ws1",
  displayName: "Demo workspace",
  clientId: "ws1",
  policy: { enabled: true, scanning: true, requiredApprovals: 1, maxFiles: 1, maxFileSize: 1024 ** 3 },
  members: [
    { id: "alice", name: "Alice Researcher", email: "alice@example.org", roles: ["WorkspaceResearcher"] },
    { id: "bob", name: "Bob Manager", email: "bob@example.org", roles: ["AirlockManager"] },
    { id: "olivia", name: "Olivia Owner", email: "olivia@example.org", roles: ["WorkspaceOwner"] },
  ],
};

const fail = (message: string): never => {
  log.fatal(message);
  process.exit(1);
};

const auth = authConfigFromEnv(process.env).match(
  (config) => config,
  (message) => fail(message),
);
const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? "8080");
if (!Number.isInteger(port) || port < 0 || port > 65_535)
  fail(`PORT must be a port number, not "${process.env.PORT}"`);
const linkSecret = process.env.AIRLOCK_LINK_SECRET;
if (linkSecret !== undefined && linkSecret.length < 16)
  fail("AIRLOCK_LINK_SECRET needs at least 16 characters");

const ports = createMemoryPorts({
  clock: { now: () => Date.now() },
  ids: createRandomIds(),
  workspaces: [DEMO_WORKSPACE],
});
const airlock = createAirlock(ports, {
  processing: "inline",
  onBackgroundError: (error) =>
    log.warn({ background: error }, "background step failed; the processor retries it"),
});

const app = buildServer({
  airlock,
  ports,
  auth,
  blobEndpoint: "embedded",
  ...(process.env.AIRLOCK_PUBLIC_URL ? { publicBaseUrl: process.env.AIRLOCK_PUBLIC_URL } : {}),
  ...(linkSecret ? { linkSecret } : {}),
  logger: { level: process.env.LOG_LEVEL ?? "info" },
});

// Late scan verdicts and failed steps are picked up by a sweep; it must not keep the process alive.
const sweep = setInterval(() => {
  airlock.processor.resume().match(
    (summary) => {
      if (summary.processed + summary.failed > 0) app.log.info({ summary }, "processor sweep");
    },
    (error) =>
      app.log.warn({ error: { kind: error.kind, message: error.message } }, "processor sweep failed"),
  );
}, 5_000);
sweep.unref();

const address = await app
  .listen({ host, port })
  .catch((error: unknown) => fail(`cannot listen on ${host}:${port}: ${String(error)}`));
const base = process.env.AIRLOCK_PUBLIC_URL?.replace(/\/+$/, "") ?? address;
process.stdout.write(
  [
    "",
    `Airlock API      ${base}`,
    `API docs         ${base}/api/docs`,
    `OpenAPI          ${base}/api/openapi.json`,
    ...(auth.mode === "development"
      ? [
          "Get a token      pnpm token --user alice --role WorkspaceResearcher --workspace ws1",
          "TRE admin token  pnpm token --user admin --role TREAdmin",
          "Demo workspace   ws1 (alice: WorkspaceResearcher, bob: AirlockManager, olivia: WorkspaceOwner)",
        ]
      : ["Tokens           Entra ID access tokens (AIRLOCK_AUTH_MODE=entra)"]),
    "",
  ].join("\n"),
);

let closing = false;
const shutdown = (signal: string) => {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, "closing");
  clearInterval(sweep);
  app
    .close()
    .then(() => airlock.processor.idle())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, "close failed");
        process.exit(1);
      },
    );
};
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
