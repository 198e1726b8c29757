import { DEFAULT_POLICY, type Workspace } from "@airlock/core";
import { authConfigFromEnv, buildServer } from "@airlock/http";
import type { Logger } from "pino";
import { consoleSettingFromEnv, registerConsole } from "../console.js";
import { limitsFromEnv } from "./limit-settings.js";
import type { Profile } from "./profile.js";

/** A workspace to try things in straight away; the walkthrough registers its own. */
export const DEMO_WORKSPACE: Workspace = {
  id: "ws1",
  displayName: "Demo workspace",
  clientId: "ws1",
  policy: { ...DEFAULT_POLICY, maxFiles: 1 },
  members: [
    { id: "alice", name: "Alice Researcher", email: "alice@example.org", roles: ["WorkspaceResearcher"] },
    { id: "bob", name: "Bob Manager", email: "bob@example.org", roles: ["AirlockManager"] },
    { id: "olivia", name: "Olivia Owner", email: "olivia@example.org", roles: ["WorkspaceOwner"] },
  ],
};

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The repository's token script, silent so that only the token is printed (`TOKEN=$(…)` works).
 * Not `pnpm token`: that is pnpm's own command for registry tokens.
 */
export const DEV_TOKEN_COMMAND = "pnpm -s dev-token";

export interface ServeOptions {
  readonly profile: Profile;
  readonly env: Env;
  readonly log: Logger;
  /** Named in the banner (with token commands) when development tokens are on. */
  readonly demoWorkspace?: Workspace;
  /** More banner lines, after the profile's. */
  readonly banner?: readonly string[];
  /** Runs last on SIGTERM/SIGINT, after the server and the engine stopped (emulators, …). */
  readonly onClose?: () => Promise<void>;
  /** How often late verdicts and failed steps are swept up. Default 5 s. */
  readonly sweepIntervalMs?: number;
}

/** Stops the process with a message that says what to fix. */
export const failStart = (log: Logger, message: string): never => {
  log.fatal(message);
  process.stderr.write(`\nThe Airlock API cannot start:\n${message}\n\n`);
  process.exit(1);
};

/**
 * Runs a profile as this process's HTTP server: settings from the environment, a sweep of the
 * processor at start (work a previous process left: a crash, a deploy) and on a timer, a banner,
 * and a graceful close on SIGTERM/SIGINT.
 */
export const serve = async (options: ServeOptions): Promise<void> => {
  const { profile, env, log } = options;
  const auth = authConfigFromEnv(env).match(
    (config) => config,
    (message) => failStart(log, message),
  );
  const host = env.HOST ?? "127.0.0.1";
  const port = Number(env.PORT ?? "8080");
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    failStart(log, `PORT must be a port number, not "${env.PORT}"`);
  const linkSecret = env.AIRLOCK_LINK_SECRET || profile.linkSecret;
  if (typeof linkSecret === "string" && linkSecret.length < 16)
    failStart(log, "AIRLOCK_LINK_SECRET needs at least 16 characters");
  const publicUrl = env.AIRLOCK_PUBLIC_URL || undefined;
  if (publicUrl !== undefined && !/^https?:$/.test(URL.parse(publicUrl)?.protocol ?? "")) {
    failStart(log, `AIRLOCK_PUBLIC_URL must be an http(s) URL, not "${publicUrl}"`);
  }
  // A link made from a request's Host header would carry a valid signature to whatever host the
  // client named; only development tokens (a laptop) may go without the public URL.
  if (profile.blobEndpoint === "embedded" && publicUrl === undefined && auth.mode !== "development") {
    failStart(
      log,
      "AIRLOCK_PUBLIC_URL is missing: this server hands out links to itself, and they must name the URL clients reach it at (e.g. https://airlock.example.org), never a request's Host header",
    );
  }
  const limits = limitsFromEnv(env).match(
    (value) => value,
    (message) => failStart(log, message),
  );

  const consoleSetting = consoleSettingFromEnv(env, auth);
  if ("problem" in consoleSetting) failStart(log, consoleSetting.problem);

  await profile.prepare().catch((error: unknown) => failStart(log, String(error)));

  const { airlock } = profile;
  const app = buildServer({
    airlock,
    workspaces: profile.ports.workspaces,
    ...(profile.ports.clock ? { clock: profile.ports.clock } : {}),
    auth,
    blobEndpoint: profile.blobEndpoint,
    ...(publicUrl ? { publicBaseUrl: publicUrl } : {}),
    ...(linkSecret ? { linkSecret } : {}),
    ...(profile.scanEvents ? { scanEvents: profile.scanEvents } : {}),
    limits,
    logger: { level: env.LOG_LEVEL ?? "info" },
  });

  const webConsole = "setting" in consoleSetting ? consoleSetting.setting : { serve: false as const };
  let consoleServed = false;
  if (webConsole.serve) {
    const { required } = webConsole;
    await registerConsole(app, {
      root: webConsole.root,
      auth,
      workspaces: profile.ports.workspaces,
      connectSources: webConsole.connectSources,
      ...(webConsole.entra ? { entra: webConsole.entra } : {}),
    }).then(
      () => {
        consoleServed = true;
      },
      (error: unknown) => {
        const problem = `the web console cannot be served (${String(error)}); build it with \`pnpm build\`, or set AIRLOCK_CONSOLE=off`;
        // Unless it was asked for, a console that is not built (or is being rebuilt) leaves the API running.
        if (required) failStart(log, problem);
        log.warn(problem);
      },
    );
  }

  let sweeping = false;
  const sweepOnce = () => {
    if (sweeping) return;
    sweeping = true;
    void airlock.processor
      .resume()
      .match(
        (summary) => {
          if (summary.processed + summary.failed > 0) app.log.info({ summary }, "processor sweep");
        },
        (error) =>
          app.log.warn({ error: { kind: error.kind, message: error.message } }, "processor sweep failed"),
      )
      .finally(() => {
        sweeping = false;
      });
  };
  // Late scan verdicts and failed steps are picked up by a sweep; it must not keep the process alive.
  const sweep = setInterval(sweepOnce, options.sweepIntervalMs ?? 5_000);
  sweep.unref();

  const address = await app
    .listen({ host, port })
    .catch((error: unknown) => failStart(log, `cannot listen on ${host}:${port}: ${String(error)}`));
  // What a previous process left half done (a crash, a deploy): first the audit entries its last
  // writes did not append, then the requests it left in progress.
  sweeping = true;
  void airlock.processor
    .recover()
    .match(
      ({ recovered }) => {
        if (recovered > 0) app.log.warn({ recovered }, "audit entries recovered after a restart");
      },
      (error) =>
        app.log.warn({ error: { kind: error.kind, message: error.message } }, "audit recovery failed"),
    )
    .finally(() => {
      sweeping = false;
      sweepOnce();
    });

  const base = publicUrl?.replace(/\/+$/, "") ?? address;
  const demo = options.demoWorkspace;
  process.stdout.write(
    [
      "",
      `Airlock API      ${base}   (profile ${profile.name})`,
      ...(consoleServed ? [`Web console      ${base}/`] : []),
      `API docs         ${base}/api/docs`,
      `OpenAPI          ${base}/api/openapi.json`,
      ...profile.banner,
      ...(profile.scanEvents
        ? [
            `Scan results     POST ${base}/api/events${profile.scanEvents.key ? "?code=<AIRLOCK_EVENTS_KEY>" : ""}${profile.scanEvents.principals?.length ? ` (or a bearer token of ${profile.scanEvents.principals.join(", ")})` : ""}${!profile.scanEvents.key && !profile.scanEvents.principals?.length ? " is closed: set AIRLOCK_EVENTS_KEY or AIRLOCK_EVENTS_PRINCIPALS" : ""}`,
          ]
        : []),
      ...(options.banner ?? []),
      ...(auth.mode === "development"
        ? [
            `Get a token      ${DEV_TOKEN_COMMAND} --user alice --role WorkspaceResearcher --workspace ${demo?.id ?? "<workspace>"}`,
            `TRE admin token  ${DEV_TOKEN_COMMAND} --user admin --role TREAdmin`,
            ...(demo
              ? [
                  `Demo workspace   ${demo.id} (${demo.members.map((m) => `${m.id}: ${m.roles.join("+")}`).join(", ")})`,
                ]
              : []),
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
      .then(() => profile.close())
      .then(() => options.onClose?.())
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
};
