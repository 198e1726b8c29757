import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from "fastify";
import type { DestinationStream, LoggerOptions } from "pino";
import { clientErrorHandler } from "./client-error.js";
import { type AirlockApiOptions, airlockApi, checkApiOptions, JSON_BODY_LIMIT } from "./plugin.js";
import { problem, sendProblem } from "./problem.js";

export type AirlockLogger = (LoggerOptions & { readonly stream?: DestinationStream }) | boolean;

export interface ServerOptions extends AirlockApiOptions {
  /** pino options (and where to write), or `false` for no logging. */
  readonly logger?: AirlockLogger;
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A link's signature is a credential: it never reaches a log line. */
export const redactUrl = (url: string): string =>
  url.replace(/([?&](?:sig|token|code)=)[^&#]*/gi, "$1[REDACTED]");

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
 * room for a 255-character file name in a blob path, and problem+json for what Node's HTTP parser
 * and the router refuse before any route runs. Embedders pass them to `Fastify(...)` (their own
 * options after them win).
 */
export const airlockServerOptions = (logger?: AirlockLogger): FastifyServerOptions => ({
  logger: loggerOptions(logger),
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
});

/**
 * A Fastify instance with `airlockServerOptions` and the `airlockApi` plugin registered: the whole
 * API, ready to `listen`. Throws at once for options the plugin would refuse.
 */
export const buildServer = (options: ServerOptions): FastifyInstance => {
  checkApiOptions(options);
  const { logger, ...api } = options;
  const app = Fastify(airlockServerOptions(logger));
  app.register(airlockApi, api);
  return app;
};
