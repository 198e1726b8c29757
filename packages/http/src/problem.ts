import type { AirlockError, AirlockErrorKind } from "@airlock/core";
import type { FastifyReply, FastifyRequest } from "fastify";

/** Codes the transport adds to the domain's error kinds. */
export type TransportCode =
  | "Unauthorized"
  | "BodyTooLarge"
  | "UnsupportedMediaType"
  | "MethodNotAllowed"
  | "BadRequest"
  | "HeadersTooLarge"
  | "RequestTimeout"
  | "TooManyRequests"
  | "Internal";

export type ProblemCode = AirlockErrorKind | TransportCode;

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** An RFC 9457 problem document; `code` is the stable thing clients branch on. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ProblemCode;
  readonly instance?: string;
  readonly errors?: readonly FieldIssue[];
}

const STATUS_AND_TITLE: Readonly<Record<ProblemCode, readonly [number, string]>> = {
  NotFound: [404, "Not found"],
  Forbidden: [403, "Forbidden"],
  IllegalTransition: [400, "Not allowed in this status"],
  PolicyViolation: [400, "Refused by the workspace policy"],
  NoLink: [400, "No link in this status"],
  AirlockDisabled: [405, "Airlock disabled for this workspace"],
  InvalidInput: [422, "Invalid input"],
  Conflict: [409, "Conflicting change"],
  InvalidFile: [400, "File not accepted"],
  QuotaExceeded: [409, "Quota exceeded"],
  Busy: [429, "Too much in flight"],
  TooLarge: [413, "File too large"],
  Unavailable: [503, "Service unavailable"],
  Unauthorized: [401, "Unauthorized"],
  BodyTooLarge: [413, "Body too large"],
  UnsupportedMediaType: [415, "Unsupported media type"],
  MethodNotAllowed: [405, "Method not allowed"],
  BadRequest: [400, "Bad request"],
  HeadersTooLarge: [431, "Request header fields too large"],
  RequestTimeout: [408, "Request timeout"],
  TooManyRequests: [429, "Too many requests"],
  Internal: [500, "Internal server error"],
};

export const statusOf = (code: ProblemCode): number =>
  (STATUS_AND_TITLE[code] as readonly [number, string])[0];

/** A URN names the problem type without promising that a page exists there. */
const typeOf = (code: ProblemCode) => `urn:airlock:problem:${code}`;

export const problem = (
  code: ProblemCode,
  detail: string,
  extra: { readonly errors?: readonly FieldIssue[] } = {},
): Problem => {
  const [status, title] = STATUS_AND_TITLE[code] as readonly [number, string];
  return {
    type: typeOf(code),
    title,
    status,
    detail,
    code,
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
};

/**
 * A domain error as problem+json. An `Unavailable` error's message may describe a backing
 * service's internals, so only a generic detail leaves the server (the caller logs the rest).
 */
export const problemFromAirlockError = (error: AirlockError): Problem => {
  switch (error.kind) {
    case "InvalidInput":
    case "InvalidFile":
      return problem(error.kind, error.message, { errors: error.issues });
    case "Unavailable":
      return problem("Unavailable", "a backing service is unavailable; try again later");
    default:
      return problem(error.kind, error.message);
  }
};

/** The path only: a link's query string carries its signature and must not be echoed. */
export const instanceOf = (request: FastifyRequest): string => request.url.split("?", 1)[0] ?? "/";

/** Answers with the reply it was given, so a handler can `return` it whatever its route's types. */
export const sendProblem = <R extends FastifyReply>(request: FastifyRequest, reply: R, body: Problem): R => {
  if (body.status === 401) reply.header("www-authenticate", 'Bearer error="invalid_token"');
  reply
    .code(body.status)
    .type("application/problem+json")
    .send({ ...body, instance: instanceOf(request) });
  return reply;
};

/** Sends a domain error, logging what the client is not told. */
/** Seconds a caller refused because its workspace has too much in flight waits before trying again. */
const BUSY_RETRY_AFTER_SECONDS = 5;

export const sendAirlockError = <R extends FastifyReply>(
  request: FastifyRequest,
  reply: R,
  error: AirlockError,
): R => {
  if (error.kind === "Unavailable") {
    request.log.error(
      { err: { kind: error.kind, message: error.message, cause: describeCause(error.cause) } },
      "backing service unavailable",
    );
  }
  // Uploads in flight finish within seconds to minutes; a client that honours Retry-After waits a little.
  if (error.kind === "Busy") reply.header("retry-after", String(BUSY_RETRY_AFTER_SECONDS));
  return sendProblem(request, reply, problemFromAirlockError(error));
};

export const describeCause = (cause: unknown): string | undefined => {
  if (cause === undefined) return undefined;
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  if (typeof cause === "object" && cause !== null && "message" in cause) return String(cause.message);
  return String(cause);
};
