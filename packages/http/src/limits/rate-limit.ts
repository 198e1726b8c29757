import fastifyRateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { RateLimits } from "./settings.js";

/** The error the rate limiter throws; the plugin's error handler answers it as problem+json. */
export const RATE_LIMITED = "AIRLOCK_RATE_LIMITED";

export interface RateLimitKeys {
  /** The verified subject of the request's bearer token, when the token was verified before. */
  readonly principalOf: (request: FastifyRequest) => string | undefined;
  /** The link a `/blob` call goes through (request id and signature), when its signature is valid. */
  readonly linkOf: (request: FastifyRequest) => string | undefined;
  /** Paths no limit applies to (the platform's probes). */
  readonly exempt: (request: FastifyRequest) => boolean;
}

/**
 * Counts every request of `app`'s routes against one caller: the link for `/blob` calls, else the
 * token's subject, else the client address. It runs before any route's own hooks (authentication
 * included), so a flood of bad tokens is counted too.
 *
 * The subject is taken only from a token the verifier already accepted: an unverified subject
 * would let a caller pick a new bucket for every request. A token's first call is therefore
 * counted against its address, and its later calls against its subject.
 */
export const registerRateLimit = async (
  app: FastifyInstance,
  limits: RateLimits,
  keys: RateLimitKeys,
): Promise<void> => {
  await app.register(fastifyRateLimit, { global: false });
  const keyOf = (request: FastifyRequest) => {
    const link = keys.linkOf(request);
    if (link !== undefined) return `link:${link}`;
    const principal = keys.principalOf(request);
    return principal === undefined ? `address:${request.ip}` : `principal:${principal}`;
  };
  app.addHook(
    "onRequest",
    app.rateLimit({
      timeWindow: limits.windowMs,
      keyGenerator: keyOf,
      max: (_request, key) =>
        key.startsWith("link:")
          ? limits.perLink
          : key.startsWith("principal:")
            ? limits.perPrincipal
            : limits.perAddress,
      allowList: (request) => keys.exempt(request),
      // Retry-After (seconds) and the x-ratelimit-* headers are set before this is thrown.
      errorResponseBuilder: (_request, context) =>
        Object.assign(new Error(`too many requests; try again in ${context.after}`), {
          statusCode: context.statusCode,
          code: RATE_LIMITED,
        }),
    }),
  );
};
