import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RoleSchema, type WorkspaceDirectory } from "@airlock/core";
import { type AuthConfig, mintDevToken, problem, sendProblem } from "@airlock/http";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";

/** The console's build, as `pnpm build` leaves it in the repository. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../console/dist", import.meta.url));

/** Entra ID settings the console needs to sign people in with MSAL; the server only passes them on. */
export interface ConsoleEntraSettings {
  /** The console's own app registration (a single-page application). */
  readonly clientId: string;
  /** `https://login.microsoftonline.com/<tenant id>`. */
  readonly authority: string;
  /** The scope of TRE-wide routes, e.g. `api://airlock-api/user_impersonation`. */
  readonly apiScope: string;
  /** A workspace's scope, `{clientId}` standing for the workspace's clientId. */
  readonly workspaceScope: string;
  /**
   * `OIDC` for an OpenID provider that is not Microsoft's (MSAL then skips Entra's own discovery);
   * absent for Entra ID.
   */
  readonly protocolMode?: "OIDC";
}

export interface ConsoleOptions {
  /** The folder holding index.html and assets/. */
  readonly root: string;
  readonly auth: AuthConfig;
  /** Where the development token endpoint finds a workspace's clientId (its tokens' audience). */
  readonly workspaces: WorkspaceDirectory;
  /** Required with Entra authentication. */
  readonly entra?: ConsoleEntraSettings;
  /**
   * More origins the page may call: where links point when they are not this server's (the Azure
   * storage accounts' blob endpoints, whose CORS must also admit this origin).
   */
  readonly connectSources?: readonly string[];
  /** Lifetime of development tokens; one hour by default. */
  readonly devTokenTtlSeconds?: number;
}

/** The console's page as built; throws when the build is missing. */
export const readConsolePage = (root: string): Promise<string> => readFile(join(root, "index.html"), "utf8");

/** Paths of the API and the links: the console never answers them, not even their 404s. */
const SERVER_PATHS = /^\/(api|blob|console)(\/|$)|^\/(health|ready)(\/|$)/;

/** An origin a CSP source list may name: a scheme and a host, nothing that could add a directive. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

const NONCE_META = /(<meta name="airlock-style-nonce" content=")[^"]*(")/;

/**
 * The console's pages: scripts only from this origin (no inline script, no eval), style elements
 * only with this answer's nonce (Fluent UI's Griffel inserts them at run time and puts the nonce
 * on each), calls only to this origin (and the Entra authority, to fetch tokens), never framed.
 */
export const consoleCsp = (nonce: string, connect: readonly string[] = []): string =>
  [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' blob:",
    "font-src 'self'",
    ["connect-src 'self'", ...connect].join(" "),
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join("; ");

/** Only a page: a browser navigating (Accept names text/html) to a path that is not the server's. */
const isPageRequest = (request: IncomingMessage): boolean => {
  const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
  const accept = request.headers.accept;
  return !SERVER_PATHS.test(path) && typeof accept === "string" && accept.includes("text/html");
};

const DevTokenBody = z
  .object({
    userId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, "letters, digits, dot, dash or underscore; up to 128"),
    name: z.string().trim().min(1).max(200).optional(),
    roles: z.array(RoleSchema).min(1).max(5),
    /** Absent: a token for the API audience (TRE-wide routes); present: for that workspace's routes. */
    workspace: z.string().min(1).max(128).optional(),
  })
  .strict();

const securityHeaders = (reply: FastifyReply) =>
  reply
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("x-frame-options", "DENY")
    .header("cross-origin-opener-policy", "same-origin");

/**
 * Serves the web console at `/`: its hashed assets (cached for a year, immutable), its page for
 * every path a browser navigates to that is not the API's (no-cache, a fresh style nonce each
 * time), its settings (`/console/config.json`) and, with development authentication only, the
 * development token endpoint (`POST /console/dev-token`). Register it next to the API, on the same
 * instance; paths under /api, /blob, /health and /ready stay the API's, 404s included.
 */
export const registerConsole = async (app: FastifyInstance, options: ConsoleOptions): Promise<void> => {
  const indexHtml = await readConsolePage(options.root);
  if (!NONCE_META.test(indexHtml)) {
    throw new Error(`${join(options.root, "index.html")} lacks the airlock-style-nonce meta element`);
  }
  if (options.auth.mode === "entra" && !options.entra) {
    throw new Error("the console needs its Entra ID settings (client id, authority, scopes) in entra mode");
  }
  const connect = [
    ...(options.auth.mode === "entra" && options.entra ? [new URL(options.entra.authority).origin] : []),
    ...(options.connectSources ?? []),
  ];
  const notOrigin = connect.find((source) => !ORIGIN.test(source));
  if (notOrigin !== undefined) throw new Error(`"${notOrigin}" is not an origin (https://host[:port])`);
  const config =
    options.auth.mode === "development"
      ? { authMode: "development", apiAudience: options.auth.apiAudience ?? "airlock-api" }
      : { authMode: "entra", apiAudience: options.auth.apiAudience, ...options.entra };

  // A route constraint, so that a path the console does not answer falls through to the API's
  // not-found handler: API clients keep their problem+json 404 and 405 everywhere.
  app.addConstraintStrategy({
    name: "consolePage",
    storage: <H>() => {
      const handlers = new Map<unknown, H>();
      return {
        get: (value: unknown) => handlers.get(value) ?? null,
        set: (value: unknown, handler: H) => {
          handlers.set(value, handler);
        },
      };
    },
    deriveConstraint: (request) => (isPageRequest(request) ? "page" : "other"),
    mustMatchWhenDerived: false,
  });

  await app.register(async (scope) => {
    scope.addHook("onSend", (_request, reply, _payload, done) => {
      securityHeaders(reply);
      if (!reply.hasHeader("content-security-policy")) {
        reply.header("content-security-policy", consoleCsp(randomBytes(16).toString("base64"), connect));
      }
      done();
    });

    const page = async (_request: FastifyRequest, reply: FastifyReply) => {
      const nonce = randomBytes(16).toString("base64");
      return reply
        .header("content-security-policy", consoleCsp(nonce, connect))
        .header("cache-control", "no-cache")
        .type("text/html; charset=utf-8")
        .send(indexHtml.replace(NONCE_META, `$1${nonce}$2`));
    };
    scope.get("/", page);
    scope.get("/*", { constraints: { consolePage: "page" } }, page);

    await scope.register(fastifyStatic, {
      root: join(options.root, "assets"),
      prefix: "/assets/",
      index: false,
      // Every file under assets/ is named after its content's hash: it never changes.
      immutable: true,
      maxAge: "365d",
    });

    scope.get("/console/config.json", async (_request, reply) =>
      reply.header("cache-control", "no-store").send(config),
    );

    if (options.auth.mode === "development") {
      const { secret } = options.auth;
      const apiAudience = options.auth.apiAudience ?? "airlock-api";
      const ttlSeconds = options.devTokenTtlSeconds ?? 3600;
      scope.post("/console/dev-token", async (request, reply) => {
        const body = DevTokenBody.safeParse(request.body);
        if (!body.success) {
          return sendProblem(
            request,
            reply,
            problem("InvalidInput", "the sign-in is not valid", {
              errors: body.error.issues.map((issue) => ({
                path: issue.path.join("."),
                message: issue.message,
              })),
            }),
          );
        }
        const { userId, name, roles, workspace } = body.data;
        let audience = apiAudience;
        if (workspace !== undefined) {
          const found = await options.workspaces.get(workspace);
          if (found.isErr()) {
            return sendProblem(
              request,
              reply,
              found.error.kind === "NotFound"
                ? problem("NotFound", `there is no workspace "${workspace}"`)
                : problem("Unavailable", "the workspace directory is unavailable; try again later"),
            );
          }
          audience = found.value.clientId;
        }
        const token = await mintDevToken({
          secret,
          userId,
          name: name ?? userId,
          roles,
          audience,
          ttlSeconds,
        });
        return reply.header("cache-control", "no-store").send({ token, expiresIn: ttlSeconds });
      });
    }
  });
};

type Env = Readonly<Record<string, string | undefined>>;

export type ConsoleSetting =
  | { readonly serve: false; readonly reason?: string }
  | {
      readonly serve: true;
      readonly root: string;
      /** `AIRLOCK_CONSOLE=on` was said: a missing build stops the start instead of being skipped. */
      readonly required: boolean;
      readonly connectSources: readonly string[];
      readonly entra?: ConsoleEntraSettings;
    };

/**
 * `AIRLOCK_CONSOLE`: `on` serves the console (a missing build stops the start), `off` does not;
 * unset, the console is served when it is built and skipped with a warning when it is not. `AIRLOCK_CONSOLE_DIR`
 * names its build (default: the repository's packages/console/dist). In entra mode the console's
 * app registration: `AIRLOCK_CONSOLE_CLIENT_ID`, `AIRLOCK_CONSOLE_AUTHORITY`, and optionally
 * `AIRLOCK_CONSOLE_API_SCOPE`, `AIRLOCK_CONSOLE_WORKSPACE_SCOPE` and `AIRLOCK_CONSOLE_PROTOCOL_MODE`
 * (`entra`, the default, or `oidc` for another OpenID provider). `AIRLOCK_CONSOLE_CONNECT_SRC`:
 * origins links point at besides this server (Azure storage), which the page's CSP must admit.
 */
export const consoleSettingFromEnv = (
  env: Env,
  auth: AuthConfig,
): { readonly setting: ConsoleSetting } | { readonly problem: string } => {
  const value = (env.AIRLOCK_CONSOLE ?? "on").toLowerCase();
  if (value === "off") return { setting: { serve: false } };
  if (value !== "on")
    return { problem: `AIRLOCK_CONSOLE must be "on" or "off", not "${env.AIRLOCK_CONSOLE}"` };
  const root = env.AIRLOCK_CONSOLE_DIR || DEFAULT_CONSOLE_DIR;
  const required = env.AIRLOCK_CONSOLE !== undefined;
  const connectSources = (env.AIRLOCK_CONSOLE_CONNECT_SRC ?? "").split(/[\s,]+/).filter(Boolean);
  const notOrigins = connectSources.filter((source) => !ORIGIN.test(source));
  if (notOrigins.length > 0) {
    return {
      problem: `AIRLOCK_CONSOLE_CONNECT_SRC takes origins such as https://account.blob.core.windows.net, not ${notOrigins.join(", ")}`,
    };
  }
  if (auth.mode === "development") return { setting: { serve: true, root, required, connectSources } };
  const clientId = env.AIRLOCK_CONSOLE_CLIENT_ID;
  const authority = env.AIRLOCK_CONSOLE_AUTHORITY;
  if (!clientId || !authority || !URL.canParse(authority)) {
    return {
      problem:
        "the console with Entra ID needs AIRLOCK_CONSOLE_CLIENT_ID and AIRLOCK_CONSOLE_AUTHORITY (https://login.microsoftonline.com/<tenant id>), or AIRLOCK_CONSOLE=off",
    };
  }
  const protocol = (env.AIRLOCK_CONSOLE_PROTOCOL_MODE || "entra").toLowerCase();
  if (protocol !== "entra" && protocol !== "oidc") {
    return {
      problem: `AIRLOCK_CONSOLE_PROTOCOL_MODE must be "entra" or "oidc", not "${env.AIRLOCK_CONSOLE_PROTOCOL_MODE}"`,
    };
  }
  return {
    setting: {
      serve: true,
      root,
      required,
      connectSources,
      entra: {
        clientId,
        authority,
        apiScope: env.AIRLOCK_CONSOLE_API_SCOPE || `${auth.apiAudience}/user_impersonation`,
        workspaceScope: env.AIRLOCK_CONSOLE_WORKSPACE_SCOPE || "api://{clientId}/user_impersonation",
        ...(protocol === "oidc" ? { protocolMode: "OIDC" as const } : {}),
      },
    },
  };
};
