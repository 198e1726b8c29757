import type { Airlock, Clock, LinkView, WorkspaceRegistry } from "@airlock/core";
import fastifyHelmet from "@fastify/helmet";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
} from "fastify-type-provider-zod";
import { type AuthConfig, apiAudienceOf, refuseAuthConfig } from "./auth/config.js";
import { createGuard } from "./auth/guard.js";
import { bearerToken, createTokenVerifier } from "./auth/verifier.js";
import { linkKey } from "./blob/link-key.js";
import { createLinkSigner } from "./blob/link-token.js";
import { createConcurrencyLimiter } from "./limits/concurrency.js";
import { RATE_LIMITED, registerRateLimit } from "./limits/rate-limit.js";
import { type LimitOptions, limitsOf } from "./limits/settings.js";
import { watchTransferRate } from "./limits/transfer-rate.js";
import { type Problem, problem, sendProblem } from "./problem.js";
import { registerAuditRoutes } from "./routes/audit.js";
import { registerBlobRoutes } from "./routes/blob.js";
import { registerEventRoutes, type ScanEventsOptions } from "./routes/events.js";
import { registerHealthRoutes } from "./routes/health.js";
import { registerRequestRoutes } from "./routes/requests.js";
import { MALFORMED_JSON } from "./routes/respond.js";
import { registerReviewCycleRoutes } from "./routes/review-cycle.js";
import { registerWorkspaceRoutes } from "./routes/workspaces.js";
import { isDocumentedOnly, openApiRegistry, withoutUnusedSchemas } from "./schemas.js";

/** JSON bodies are small commands; files travel through links, never through the JSON API. */
export const JSON_BODY_LIMIT = 64 * 1024;

export interface AirlockApiOptions {
  /** The engine: `createAirlock(ports, options)` from `@airlock/core`. */
  readonly airlock: Airlock;
  /** Who belongs to which workspace (tokens, readiness), and where TRE admins register workspaces. */
  readonly workspaces: WorkspaceRegistry;
  readonly auth: AuthConfig;
  /** The clock links and tokens are checked against; the system clock when absent. */
  readonly clock?: Clock;
  /**
   * The origin (and any path a proxy adds) clients reach the server at. Links add the plugin's own
   * prefix after it. Required for `blobEndpoint: "embedded"` unless authentication is in
   * development mode: only then may a request's own Host header make a link.
   */
  readonly publicBaseUrl?: string;
  /**
   * `embedded`: links point at this API's `/blob` endpoint, signed with `linkSecret`.
   * `storage`: links are the storage port's own URLs (an Azure SAS), answered as they are.
   */
  readonly blobEndpoint: "embedded" | "storage";
  /** Signs embedded links; a random secret per process when absent (links then end with the process). */
  readonly linkSecret?: string | Uint8Array;
  /**
   * `POST /api/events`: a scanning service's results (Defender for Storage through Event Grid).
   * Absent, the route does not exist (a scanner that answers by itself needs none).
   */
  readonly scanEvents?: ScanEventsOptions;
  /**
   * Timeouts, the minimum transfer rate, concurrent uploads per link and rate limits; each absent
   * one takes its default (`DEFAULT_LIMITS`). `buildServer` also applies the connection limits.
   */
  readonly limits?: LimitOptions;
}

/** Throws what makes the options unusable (development tokens in production), before anything listens. */
export const checkApiOptions = (options: AirlockApiOptions): void => {
  const refusal = refuseAuthConfig(options.auth, process.env.NODE_ENV);
  if (refusal) throw new Error(refusal);
  if (options.blobEndpoint === "embedded" && !options.publicBaseUrl && options.auth.mode !== "development") {
    throw new Error(
      "the embedded link endpoint needs publicBaseUrl (the URL clients reach the server at): without it links would be built from each request's Host header, which a client chooses",
    );
  }
  limitsOf(options.limits);
};

/** The docs page's own paths; its page carries Swagger UI's CSP instead of the API's. */
const DOCS_PREFIX = "/api/docs";

/** For answers that are data, never a page: nothing may load, nothing may frame them. */
const API_CSP = { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } };

const patternOf = (url: string) =>
  new RegExp(
    `^${url
      .split("/")
      .map((segment) =>
        segment.startsWith(":")
          ? "[^/]+"
          : segment === "*"
            ? ".*"
            : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/")}/?$`,
  );

const pathOf = (request: FastifyRequest) => request.url.split("?", 1)[0] ?? "/";

const errorProblem = (error: FastifyError, request: FastifyRequest): Problem => {
  if (hasZodFastifySchemaValidationErrors(error)) {
    return problem("InvalidInput", `the ${error.validationContext ?? "input"} is not valid`, {
      errors: error.validation.map((issue) => ({
        path: issue.instancePath.replace(/^\//, "").replaceAll("/", "."),
        message: issue.message ?? "is not valid",
      })),
    });
  }
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return problem("BodyTooLarge", `a JSON body may hold at most ${JSON_BODY_LIMIT} bytes`);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return problem("UnsupportedMediaType", "this route takes application/json");
    case RATE_LIMITED:
      return problem("TooManyRequests", error.message);
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return problem("BadRequest", error.message);
  request.log.error({ err: error }, "unexpected error");
  return problem("Internal", "the server failed to answer; the error is logged under this request's id");
};

/**
 * The Airlock API as a Fastify plugin: upstream's routes, problem+json errors, the OpenAPI document
 * and its docs page, bearer-token authentication and, with `blobEndpoint: "embedded"`, the links'
 * blob endpoint. `app.register(airlockApi, options)`.
 *
 * It is encapsulated (no `fastify-plugin`): its validator, serializer, error and not-found
 * handlers, content-type parsers and request decorations apply to its own routes only, so the
 * embedder's routes keep theirs. Unknown paths under its prefix answer problem+json.
 */
export const airlockApi: FastifyPluginAsync<AirlockApiOptions> = async (app, options) => {
  checkApiOptions(options);
  const limits = limitsOf(options.limits);
  const now = () => options.clock?.now() ?? Date.now();
  const publicBaseUrl = options.publicBaseUrl?.replace(/\/+$/, "");
  // Registered under a prefix, the API's own paths (and its links) start with it. Without a public
  // URL (development authentication only, see checkApiOptions) the request's own host is used.
  const baseUrl = (request: FastifyRequest) =>
    `${publicBaseUrl ?? `${request.protocol}://${request.host}`}${app.prefix}`;

  app.setValidatorCompiler((route) =>
    isDocumentedOnly(route.schema)
      ? (data: unknown) => ({ value: data })
      : validatorCompiler(route as Parameters<typeof validatorCompiler>[0]),
  );
  // Answers are checked against their schemas, and keys a schema does not name are left out.
  app.setSerializerCompiler(serializerCompiler);

  if (options.auth.mode === "development") {
    app.log.warn(
      "DEVELOPMENT AUTHENTICATION: tokens are HS256 with a shared secret (AIRLOCK_DEV_SECRET); anyone holding it can act as anyone. Use AIRLOCK_AUTH_MODE=entra outside a laptop.",
    );
  }

  // A callback hook: an async one would cost every request a promise for one header.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
  // An answer sent before its request's body arrived (a refusal) closes the connection: Node would
  // otherwise keep reading the body, with no timeout, for as long as the client takes to send it.
  app.addHook("onSend", (request, reply, _payload, done) => {
    if (!request.raw.complete) reply.header("connection", "close");
    done();
  });

  // Every route's path and methods, so a known path with the wrong method answers 405, not 404.
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  app.addHook("onRoute", (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== "HEAD");
    if (methods.length > 0) routes.push({ pattern: patternOf(route.url), methods });
  });

  app.setErrorHandler((error: FastifyError, request, reply) =>
    sendProblem(request, reply, errorProblem(error, request)),
  );

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(request);
    const allowed = [
      ...new Set(routes.filter((route) => route.pattern.test(path)).flatMap((route) => route.methods)),
    ];
    if (allowed.length > 0) {
      reply.header("allow", allowed.join(", "));
      return sendProblem(
        request,
        reply,
        problem("MethodNotAllowed", `${request.method} is not allowed here`),
      );
    }
    return sendProblem(request, reply, problem("NotFound", `no route for ${request.method} ${path}`));
  });

  // Security headers on every answer (HSTS, nosniff, no framing, no referrer, …). The docs page
  // carries Swagger UI's own CSP (staticCSP below), which lets its scripts and styles load.
  await app.register(fastifyHelmet, { contentSecurityPolicy: API_CSP });

  const verify = createTokenVerifier(options.auth, now);
  const guard = createGuard({
    verify,
    workspaces: options.workspaces,
    apiAudience: apiAudienceOf(options.auth),
    denials: options.airlock,
  });
  guard.decorate(app);
  const signer = options.blobEndpoint === "embedded" ? createLinkSigner(options.linkSecret) : undefined;

  /** The link a `/blob` call goes through, when its signature is valid for that request id. */
  const linkOf = (request: FastifyRequest): string | undefined => {
    const { requestId } = request.params as { requestId?: string };
    const query = request.query as Record<string, unknown>;
    if (!signer || requestId === undefined || typeof query.sig !== "string") return undefined;
    // A valid signature without this access is still that link (Forbidden comes after the signature check).
    const grant = signer.verify(requestId, query, "read", now());
    return grant.isOk() || grant.error.kind === "Forbidden" ? linkKey(requestId, query.sig) : undefined;
  };

  if (limits.rateLimit) {
    await registerRateLimit(app, limits.rateLimit, {
      linkOf,
      principalOf: (request) => {
        const token = bearerToken(request.headers.authorization);
        return token ? verify.known(token)?.id : undefined;
      },
      // The platform's probes, and the scanning service's deliveries: a large import's verdicts
      // arrive in bursts from a few addresses, and the route checks its key before anything else.
      exempt: (request) => {
        const tags = request.routeOptions.schema?.tags;
        return tags?.includes("health") === true || tags?.includes("events") === true;
      },
    });
  }
  app.addHook("onRequest", watchTransferRate(limits.minUploadBytesPerSecond, limits.uploadRateWindowMs));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Airlock API",
        version: "0.1.0",
        description:
          "Moves data across a Trusted Research Environment workspace's boundary: requests, review, links. Errors are RFC 9457 problem+json whose `code` is stable.",
        license: { name: "MIT", identifier: "MIT" },
      },
      tags: [
        {
          name: "requests",
          description: "Airlock requests: create, submit, review, and their links",
        },
        {
          name: "audit",
          description:
            "Audit trails of requests, workspaces and the TRE, a page at a time, and their verification",
        },
        { name: "workspaces", description: "The workspace directory, for TRE admins" },
        ...(options.blobEndpoint === "embedded"
          ? [{ name: "links", description: "Files through a link, as through an Azure container SAS URL" }]
          : []),
        ...(options.scanEvents
          ? [
              {
                name: "events",
                description: "A scanning service's malware verdicts, as its delivery service sends them",
              },
            ]
          : []),
        { name: "health", description: "Probes for the platform that runs the server" },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
          ...(options.scanEvents ? { eventsKey: { type: "apiKey", in: "query", name: "code" } } : {}),
        },
      },
    },
    transform: createJsonSchemaTransform({ schemaRegistry: openApiRegistry, skipList: [] }),
    transformObject: (document) =>
      withoutUnusedSchemas(createJsonSchemaTransformObject({ schemaRegistry: openApiRegistry })(document)),
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: true });

  const containerUrl = (request: FastifyRequest, requestId: string, link: LinkView): string =>
    signer
      ? `${baseUrl(request)}/blob/${encodeURIComponent(requestId)}?${signer.sign({
          requestId,
          stage: link.stage,
          access: link.access,
          expiresAt: link.expiresAt,
          holder: link.holder,
        })}`
      : link.containerUrl;

  await app.register(async (api) => {
    api.removeAllContentTypeParsers();
    const parseJson = api.getDefaultJsonParser("error", "error");
    api.addContentTypeParser(
      "application/json",
      { parseAs: "string", bodyLimit: JSON_BODY_LIMIT },
      (request, body, done) => {
        const text = body as string;
        if (text.trim() === "") return done(null, undefined);
        // A body that is not JSON still goes to the service (see MALFORMED_JSON), so the error
        // is not lost: it becomes the 422 the caller receives once the other checks passed.
        parseJson(request, text, (error, parsed) => done(null, error ? MALFORMED_JSON : parsed));
      },
    );
    registerRequestRoutes(api, { airlock: options.airlock, guard, containerUrl });
    registerReviewCycleRoutes(api, { airlock: options.airlock, guard });
    registerAuditRoutes(api, { airlock: options.airlock, guard });
    registerWorkspaceRoutes(api, {
      airlock: options.airlock,
      guard,
      workspaces: options.workspaces,
      apiAudience: apiAudienceOf(options.auth),
      gateTypes: options.airlock.gateTypes,
    });
    registerHealthRoutes(api, { workspaces: options.workspaces });
    // The server is where this document was asked for (or the public URL): paths carry any prefix.
    api.get("/api/openapi.json", { schema: { hide: true } }, async (request) => ({
      ...app.swagger(),
      servers: [{ url: publicBaseUrl ?? `${request.protocol}://${request.host}` }],
    }));
  });

  const { scanEvents } = options;
  if (scanEvents) {
    await app.register(async (events) =>
      registerEventRoutes(events, {
        ...scanEvents,
        airlock: options.airlock,
        bearer: guard.api({}),
        callerOf: guard.actorOf,
      }),
    );
  }

  if (signer) {
    await app.register(async (blob) =>
      registerBlobRoutes(blob, {
        airlock: options.airlock,
        signer,
        now,
        baseUrl,
        problemOf: errorProblem,
        uploads: createConcurrencyLimiter(limits.uploadsPerLink),
        uploadsPerPerson: createConcurrencyLimiter(limits.uploadsPerPerson),
      }),
    );
  }
};
