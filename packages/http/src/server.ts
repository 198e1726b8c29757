import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import Fastify, {
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerFactory,
  type FastifyServerOptions,
} from "fastify";
import type { DestinationStream, LoggerOptions } from "pino";
import { clientErrorHandler } from "./client-error.js";
import { type LimitOptions, type Limits, limitsOf } from "./limits/settings.js";
import { type AirlockApiOptions, airlockApi, checkApiOptions, JSON_BODY_LIMIT } from "./plugin.js";
import { problem, sendProblem } from "./problem.js";

export type AirlockLogger = (LoggerOptions & { readonly stream?: DestinationStream }) | boolean;

export interface ServerOptions extends AirlockApiOptions {
  /** pino options (and where to write), or `false` for no logging. */
  readonly logger?: AirlockLogger;
}

/**
 * Node's HTTP server with the connection limits: the idle, header, request and keep-alive
 * timeouts, and the cap on connections (further ones are closed as they arrive).
 */
const limitedServer =
  (limits: Limits): FastifyServerFactory =>
  (handler) => {
    const server = createServer(
      {
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        keepAliveTimeout: limits.keepAliveTimeoutMs,
        // Header and request timeouts are enforced when connections are checked: every second, so
        // a timeout is not overrun by Node's default 30 s between checks.
        connectionsCheckingInterval: 1_000,
      },
      handler,
    );
    // No 'timeout' listener: an idle socket is destroyed.
    server.setTimeout(limits.idleTimeoutMs);
    server.maxConnections = limits.maxConnections;
    return server;
  };

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Query parameters that carry a credential: a link's signature, a token, a webhook's key. */
const SECRET_PARAMETERS: ReadonlySet<string> = new Set(["sig", "token", "code"]);

const decodedKey = (raw: string): string | undefined => {
  try {
    return decodeURIComponent(raw.replaceAll("+", " "));
  } catch (_malformed) {
    return undefined;
  }
};

/**
 * A link's signature is a credential: it never reaches a log line. Parameters are compared by
 * their decoded name, as the query parser reads them (`%73ig=` is `sig=`); a name that does not
 * decode has its value hidden too.
 */
export const redactUrl = (url: string): string => {
  const start = url.indexOf("?");
  if (start === -1) return url;
  const end = url.indexOf("#", start);
  const query = url.slice(start + 1, end === -1 ? undefined : end);
  const redacted = query
    .split("&")
    .map((pair) => {
      const equals = pair.indexOf("=");
      const rawKey = equals === -1 ? pair : pair.slice(0, equals);
      const key = decodedKey(rawKey)?.toLowerCase();
      return key === undefined || SECRET_PARAMETERS.has(key) ? `${rawKey}=[REDACTED]` : pair;
    })
    .join("&");
  return `${url.slice(0, start + 1)}${redacted}${end === -1 ? "" : url.slice(end)}`;
};

type FastifyLogger = Exclude<FastifyServerOptions["logger"], undefined>;

const loggerOptions = (logger: AirlockLogger | undefined): FastifyLogger => {
  if (logger === false) return false;
  const base: LoggerOptions & { readonly stream?: DestinationStream } =
    typeof logger === "object" ? logger : {};
  return {
    level: "info",
    ...base,
    redact: {
      paths: ["req.headers.authorization", "req.headers.cookie", "headers.authorization", "authorization"],
      censor: "[REDACTED]",
    },
    serializers: {
      ...base.serializers,
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
      }),
    },
  } as FastifyLogger;
};

/**
 * The Fastify server options the API expects of the instance it is registered on: logs that never
 * hold a bearer token or a link signature, the caller's `x-request-id` (when it is a safe token),
 * room for a 255-character file name in a blob path, problem+json for what Node's HTTP parser
 * and the router refuse before any route runs, and the connection limits (timeouts, the cap on
 * connections; defaults in `DEFAULT_LIMITS`). Embedders pass them to `Fastify(...)` (their own
 * options after them win; a `serverFactory` of their own must apply the limits itself).
 */
export const airlockServerOptions = (
  logger?: AirlockLogger,
  limitOptions?: LimitOptions,
): FastifyServerOptions => {
  const limits = limitsOf(limitOptions);
  return {
    logger: loggerOptions(logger),
    connectionTimeout: limits.idleTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    serverFactory: limitedServer(limits),
    bodyLimit: JSON_BODY_LIMIT,
    clientErrorHandler,
    // Room for a 255-character file name, percent-encoded, in a blob path.
    routerOptions: { maxParamLength: 1024 },
    // Errors the router meets before any route or hook runs.
    frameworkErrors: (error, request, reply) => {
      reply.header("x-request-id", request.id);
      return sendProblem(
        request,
        reply,
        error.code === "FST_ERR_MAX_PARAM_LENGTH"
          ? problem("InvalidInput", "a path segment is too long", {
              errors: [{ path: "", message: "too long" }],
            })
          : problem("BadRequest", "the URL is not valid"),
      );
    },
    requestIdHeader: false,
    genReqId: (raw) => {
      const given = raw.headers["x-request-id"];
      return typeof given === "string" && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    },
  };
};

/**
 * A Fastify instance with `airlockServerOptions` and the `airlockApi` plugin registered: the whole
 * API, ready to `listen`. Throws at once for options the plugin would refuse.
 */
export const buildServer = (options: ServerOptions): FastifyInstance => {
  checkApiOptions(options);
  const { logger, ...api } = options;
  const app = Fastify(airlockServerOptions(logger, options.limits));
  app.register(airlockApi, api);
  return app;
};
