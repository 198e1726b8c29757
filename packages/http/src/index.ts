// The public surface of @airlock/http. Named exports only.

export type { AuthConfig } from "./auth/config.js";
export {
  ALLOW_DEVELOPMENT_IN_PRODUCTION,
  authConfigFromEnv,
  DEFAULT_API_AUDIENCE,
  DEV_ISSUER,
  DEV_SECRET_DEFAULT,
  MAX_CLOCK_TOLERANCE_SECONDS,
} from "./auth/config.js";
export type { DevTokenInput } from "./auth/dev-token.js";
export { mintDevToken } from "./auth/dev-token.js";
export type { TokenError, TokenIdentity, TokenVerifier } from "./auth/verifier.js";
export { createTokenVerifier } from "./auth/verifier.js";
export type { LinkGrant, LinkSigner, LinkTokenError } from "./blob/link-token.js";
export { createLinkSigner } from "./blob/link-token.js";
export type { ConcurrencyLimiter } from "./limits/concurrency.js";
export { createConcurrencyLimiter } from "./limits/concurrency.js";
export type { LimitOptions, Limits, RateLimits } from "./limits/settings.js";
export { DEFAULT_LIMITS, DEFAULT_RATE_LIMITS, limitsOf } from "./limits/settings.js";
export type { AirlockApiOptions } from "./plugin.js";
export { airlockApi, JSON_BODY_LIMIT } from "./plugin.js";
export type { FieldIssue, Problem, ProblemCode, TransportCode } from "./problem.js";
export { problem, problemFromAirlockError, sendProblem, statusOf } from "./problem.js";
export type { BlobLocation, ScanBlobLocator, ScanEvent, ScanEventsOptions } from "./routes/events.js";
export type { AirlockLogger, ServerOptions } from "./server.js";
export { airlockServerOptions, buildServer, redactUrl } from "./server.js";
