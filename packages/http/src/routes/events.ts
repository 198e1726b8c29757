import { createHash, timingSafeEqual } from "node:crypto";
import type { Actor, Airlock, AirlockError, AirlockRequest } from "@airlock/core";
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
} from "fastify";
import type { Result, ResultAsync } from "neverthrow";
import { z } from "zod";
import { type FieldIssue, problem, sendAirlockError, sendProblem } from "../problem.js";
import { HandshakeAnswerSchema, NoContent, problemResponses, ScanSummarySchema } from "../schemas.js";

/** Event Grid delivers batches of at most 1 MB. */
export const EVENT_BATCH_LIMIT = 1024 * 1024;

/** Where a request's in-progress data sits: the storage account and the container, as a blob URL names them. */
export interface BlobLocation {
  readonly accountName: string;
  readonly container: string;
}

/** Where scanned blobs belong. The storage layout decides it, so the application that wires the storage provides it. */
export interface ScanBlobLocator {
  /** Where the request's in-progress data sits; `NotFound` for a request that does not exist. */
  inProgressLocationOf(requestId: string): ResultAsync<BlobLocation, AirlockError>;
}

/** One delivered event, as the scanning service's reader understands it. */
export type ScanEvent =
  | {
      /** A verdict about one file of a request. */
      readonly kind: "verdict";
      readonly requestId: string;
      /** Where the scanned blob sits: a verdict about another stage's or account's copy is ignored. */
      readonly location: BlobLocation;
      readonly file: string;
      readonly outcome: Parameters<Airlock["recordScanResult"]>[1];
    }
  | {
      /** The delivery service asks to prove the endpoint is ours: `answer` is the 200 body. */
      readonly kind: "handshake";
      readonly answer: unknown;
    }
  | {
      /** A scan result about a blob that is no request's (why, for the log): acknowledged. */
      readonly kind: "unrelated";
      readonly reason: string;
    }
  /** Any other event: acknowledged. */
  | { readonly kind: "other" };

export interface ScanEventsOptions {
  /** The shared secret a subscription carries in its URL (`?code=`). */
  readonly key?: string;
  /**
   * Who may deliver with a bearer token for the API audience instead (Event Grid's Entra ID
   * delivery): the object ids (`oid`) of those service principals. Any other token is refused,
   * or every TRE user could post a verdict for their own request.
   */
  readonly principals?: readonly string[];
  /**
   * Reads a delivered batch (each element as JSON gave it): one event for each, or why the body is
   * not a batch of events (answered 422 with these issues, paths starting at the event's index).
   * The scanning service's format lives with its adapter; the application that wires it passes this.
   */
  readonly parse: (events: readonly unknown[]) => Result<readonly ScanEvent[], readonly FieldIssue[]>;
  /**
   * The CloudEvents webhook handshake (`OPTIONS`, `WebHook-Request-Origin`): the headers that allow
   * the sender, or null for one that is not accepted (403).
   */
  readonly handshake: (origin: string | undefined) => Readonly<Record<string, string>> | null;
  readonly locator: ScanBlobLocator;
}

export interface EventRoutesDeps extends ScanEventsOptions {
  readonly airlock: Airlock;
  /** Admits a bearer token for the API audience (the API guard), answering 401 otherwise. */
  readonly bearer: onRequestHookHandler;
  /** Who the bearer guard admitted. */
  readonly callerOf: (request: FastifyRequest) => Actor;
}

const MEDIA_TYPES = [
  "application/json",
  "application/cloudevents+json",
  "application/cloudevents-batch+json",
];

/** A verdict that lost a race with another write is read again and applied again, this many times. */
const CONFLICT_ATTEMPTS = 4;

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** Equal-length digests, so the comparison takes the same time whatever the guess. */
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

type Outcome = "applied" | "ignored" | "unknown";

/**
 * `POST /api/events`: a scanning service's results (Microsoft Defender for Storage's, delivered by
 * an Event Grid subscription, in the server's azure profile), read by the `parse` the application
 * passes, and the delivery service's handshakes. A verdict goes to `Airlock.recordScanResult` for
 * the one file it names.
 *
 * Answers are chosen for Event Grid's retries: whatever retrying cannot fix (an event about another
 * account or stage, a request or file we do not know, an event that is not a scan result) is
 * acknowledged with 200 and logged; a backing service that fails answers 503 so the batch comes
 * again (applying a verdict twice changes nothing). A body that is not events is the sender's
 * mistake: 400 or 422, never 5xx.
 */
export const registerEventRoutes = (app: FastifyInstance, deps: EventRoutesDeps): void => {
  const { airlock, locator } = deps;
  const tags = ["events"];
  // The subscription's key in the query string, or a bearer token of an allowed principal.
  const security = [{ eventsKey: [] }, { bearerAuth: [] }];

  const principals = new Set(deps.principals ?? []);
  const authenticate: onRequestHookHandler = async function authenticateEvents(request, reply) {
    const code = (request.query as { code?: unknown }).code;
    if (code === undefined) {
      const refused = await deps.bearer.call(this, request, reply, () => {});
      if (refused !== undefined || reply.sent) return refused;
      if (principals.has(deps.callerOf(request).id)) return undefined;
      return sendProblem(request, reply, problem("Forbidden", "this identity may not deliver scan results"));
    }
    const expected = deps.key;
    if (typeof code !== "string" || expected === undefined || !sameSecret(code, expected)) {
      return sendProblem(request, reply, problem("Unauthorized", "the subscription key is not valid"));
    }
    return undefined;
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    MEDIA_TYPES,
    { parseAs: "string", bodyLimit: EVENT_BATCH_LIMIT },
    (_request, body, done) => done(null, body),
  );
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return sendProblem(
        request,
        reply,
        problem("BodyTooLarge", `an event batch may hold at most ${EVENT_BATCH_LIMIT} bytes`),
      );
    }
    if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return sendProblem(
        request,
        reply,
        problem("UnsupportedMediaType", `events are taken as ${MEDIA_TYPES.join(", ")}`),
      );
    }
    throw error;
  });

  /** Applies one verdict, reading the request again when another write got there first. */
  const record = async (
    requestId: string,
    outcome: Parameters<Airlock["recordScanResult"]>[1],
    file: string,
  ): Promise<
    | { readonly ok: true; readonly request: AirlockRequest }
    | { readonly ok: false; readonly error: AirlockError }
  > => {
    for (let attempt = 1; ; attempt++) {
      const result = await airlock.recordScanResult(requestId, outcome, file);
      if (result.isOk()) return { ok: true, request: result.value };
      if (result.error.kind !== "Conflict" || attempt >= CONFLICT_ATTEMPTS)
        return { ok: false, error: result.error };
    }
  };

  /** One verdict: `applied`, `ignored`, `unknown`, or the failure to answer 503 with. */
  const handle = async (
    request: FastifyRequest,
    event: Extract<ScanEvent, { kind: "verdict" }>,
  ): Promise<Outcome | AirlockError> => {
    const { requestId, location: scanned, file, outcome } = event;
    const { accountName, container } = scanned;
    const location = await locator.inProgressLocationOf(requestId);
    if (location.isErr()) {
      if (location.error.kind === "NotFound") {
        request.log.warn(
          { requestId, accountName, container },
          "scan result for an unknown request: acknowledged",
        );
        return "unknown";
      }
      return location.error;
    }
    if (location.value.accountName !== accountName || location.value.container !== container) {
      // The scanner may scan other accounts (and other stages) that send to the same endpoint.
      request.log.info(
        { requestId, accountName, container, expected: location.value },
        "scan result about another stage or account: ignored",
      );
      return "ignored";
    }
    const recorded = await record(requestId, outcome, file);
    if (recorded.ok) {
      request.log.info(
        { requestId, verdict: outcome.verdict, status: recorded.request.status },
        "scan result recorded",
      );
      return "applied";
    }
    const { error } = recorded;
    switch (error.kind) {
      case "NotFound":
        request.log.warn(
          { requestId, reason: error.message },
          "scan result for an unknown request or file: acknowledged",
        );
        return "unknown";
      case "Unavailable":
      case "Conflict":
        return error;
      default:
        // Retrying cannot change the answer: say so in the log, and stop Event Grid retrying.
        request.log.error(
          { requestId, error: { kind: error.kind, message: error.message } },
          "scan result refused",
        );
        return "ignored";
    }
  };

  const refuseBody = (
    request: FastifyRequest,
    reply: FastifyReply,
    detail: string,
    errors?: readonly FieldIssue[],
  ) => sendProblem(request, reply, problem("InvalidInput", detail, errors ? { errors } : {}));

  app.options(
    "/api/events",
    {
      onRequest: authenticate,
      schema: {
        tags,
        security,
        operationId: "allowScanResultsSender",
        summary: "CloudEvents webhook handshake (WebHook-Request-Origin)",
        response: {
          200: NoContent("The sender is accepted: WebHook-Allowed-Origin and WebHook-Allowed-Rate say so"),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const origin = request.headers["webhook-request-origin"];
      const allowed = deps.handshake(typeof origin === "string" ? origin : undefined);
      if (allowed === null) {
        return sendProblem(
          request,
          reply,
          problem("Forbidden", "the WebHook-Request-Origin is not an accepted sender"),
        );
      }
      return reply.code(200).headers(allowed).send();
    },
  );

  app.post(
    "/api/events",
    {
      onRequest: authenticate,
      schema: {
        tags,
        security,
        operationId: "postScanResults",
        summary:
          "Malware scanning results (Defender for Storage through Event Grid, in either schema); `?code=` or a bearer token",
        response: { 200: z.union([ScanSummarySchema, HandshakeAnswerSchema]), ...problemResponses },
      },
    },
    async (request, reply) => {
      const text = typeof request.body === "string" ? request.body : "";
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (_notJson) {
        return sendProblem(request, reply, problem("BadRequest", "the body is not JSON"));
      }
      const events = Array.isArray(body) ? body : [body];
      if (events.length === 0) return refuseBody(request, reply, "the body holds no event");
      const parsed = deps.parse(events);
      if (parsed.isErr()) {
        return refuseBody(request, reply, "the body is not a batch of events", parsed.error);
      }

      const handshake = parsed.value.find((event) => event.kind === "handshake");
      if (handshake !== undefined) {
        request.log.info("subscription validation answered");
        return reply.code(200).send(handshake.answer);
      }

      const summary = { received: events.length, applied: 0, ignored: 0, unknown: 0 };
      for (const event of parsed.value) {
        if (event.kind !== "verdict") {
          if (event.kind === "unrelated") {
            request.log.info(
              { reason: event.reason },
              "scan result about a blob that is no request's: ignored",
            );
          }
          summary.ignored += 1;
          continue;
        }
        const outcome = await handle(request, event);
        if (typeof outcome !== "string") {
          // The whole batch comes again; what was applied already is not applied twice.
          return sendAirlockError(request, reply, {
            kind: "Unavailable",
            message: outcome.message,
            cause: outcome.kind === "Unavailable" ? outcome.cause : outcome,
          });
        }
        summary[outcome] += 1;
      }
      return reply.code(200).send(summary);
    },
  );
};
