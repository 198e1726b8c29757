import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// Local stand-ins for Event Grid and Azure Communication Services Email. Neither has an emulator,
// so these servers accept only what the real services accept on the wire (path, api-version,
// authentication, content type, body shape) and answer as they do. The real SDKs talk to them;
// whatever the servers refuse is recorded, so a test can show that nothing was refused.

/** How the next requests fail: an HTTP status, a dropped connection, or no answer at all. */
export type Failure = number | "reset" | "hang";

export interface Refusal {
  readonly status: number;
  readonly reason: string;
}

const readBody = async (request: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const answer = (
  response: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
) => {
  const text = body === undefined ? "" : JSON.stringify(body);
  response.writeHead(status, {
    ...(body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  response.end(text);
};

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
};

const stop = (server: Server) =>
  new Promise<void>((resolve, reject) => {
    server.closeAllConnections();
    server.close((error) => (error ? reject(error) : resolve()));
  });

/** A queue of failures to play before answering normally; `undefined` entries let a request through. */
const failures = () => {
  const queue: (Failure | undefined)[] = [];
  return {
    add(failure: Failure, times: number, skip = 0) {
      for (let i = 0; i < skip; i++) queue.push(undefined);
      for (let i = 0; i < times; i++) queue.push(failure);
    },
    next: () => queue.shift(),
  };
};

/** Plays a failure; answers true when the request was dealt with. */
const play = (failure: Failure | undefined, request: IncomingMessage, response: ServerResponse): boolean => {
  if (failure === undefined) return false;
  if (failure === "reset") request.socket.destroy();
  else if (failure === "hang") {
    // Left open: the client must give up by itself; `close` drops it.
  } else answer(response, failure, { error: { code: "Injected", message: `injected ${failure}` } });
  return true;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

// ---------------------------------------------------------------------------------------------
// Event Grid

export interface EventGridCheckingServer {
  /** The topic endpoint to give the publisher (http, so `allowInsecureConnection: true`). */
  readonly endpoint: string;
  /** The topic's access key the server expects in `aeg-sas-key`. */
  readonly key: string;
  /** How many requests reached the server, whatever it answered. */
  requestCount(): number;
  /** Every CloudEvent of every batch the server accepted, in the order received. */
  accepted(): readonly Record<string, unknown>[];
  /** The batches accepted, one array per request. */
  batches(): readonly (readonly Record<string, unknown>[])[];
  /** Requests refused because they were not what Event Grid accepts (wrong key, content type, body). */
  refusals(): readonly Refusal[];
  /** The next `times` requests fail this way (after they were checked). */
  failNext(failure: Failure, times: number): void;
  close(): Promise<void>;
}

const EVENT_GRID_PATH = "/api/events";
const CLOUD_EVENTS_BATCH = "application/cloudevents-batch+json; charset=utf-8";

/** Why a CloudEvents batch would be refused by Event Grid, or null when it is acceptable. */
const cloudEventProblem = (body: unknown): string | null => {
  if (!Array.isArray(body) || body.length === 0) return "body is not a non-empty JSON array";
  for (const [index, event] of body.entries()) {
    if (!isObject(event)) return `event ${index} is not an object`;
    if (event.specversion !== "1.0") return `event ${index}: specversion is not "1.0"`;
    for (const field of ["id", "source", "type"] as const) {
      if (typeof event[field] !== "string" || event[field] === "")
        return `event ${index}: ${field} is missing`;
    }
    if (
      event.time !== undefined &&
      (typeof event.time !== "string" || Number.isNaN(Date.parse(event.time)))
    ) {
      return `event ${index}: time is not a timestamp`;
    }
    if ("data" in event && "data_base64" in event) return `event ${index}: both data and data_base64`;
  }
  return null;
};

export const startEventGridServer = async (): Promise<EventGridCheckingServer> => {
  const key = randomBytes(32).toString("base64");
  const batches: Record<string, unknown>[][] = [];
  const refused: Refusal[] = [];
  const pending = failures();
  let requests = 0;

  const refuse = (response: ServerResponse, status: number, reason: string) => {
    refused.push({ status, reason });
    answer(response, status, { error: { code: "BadRequest", message: reason } });
  };

  const server = createServer(async (request, response) => {
    requests++;
    const body = await readBody(request);
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method !== "POST" || url.pathname !== EVENT_GRID_PATH) {
      return refuse(response, 404, `${request.method} ${url.pathname} is not the topic endpoint`);
    }
    if (url.searchParams.get("api-version") !== "2018-01-01") {
      return refuse(response, 400, `api-version ${url.searchParams.get("api-version")} is not 2018-01-01`);
    }
    const given = request.headers["aeg-sas-key"];
    if (typeof given !== "string" || given !== key)
      return refuse(response, 401, "aeg-sas-key does not match");
    if (request.headers["content-type"] !== CLOUD_EVENTS_BATCH) {
      return refuse(
        response,
        415,
        `content-type ${request.headers["content-type"]} is not ${CLOUD_EVENTS_BATCH}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch (error) {
      return refuse(response, 400, `body is not JSON: ${String(error)}`);
    }
    const problem = cloudEventProblem(parsed);
    if (problem !== null) return refuse(response, 400, problem);
    if (play(pending.next(), request, response)) return;
    batches.push(parsed as Record<string, unknown>[]);
    answer(response, 200);
  });
  const port = await listen(server);

  return {
    endpoint: `http://127.0.0.1:${port}${EVENT_GRID_PATH}`,
    key,
    requestCount: () => requests,
    accepted: () => batches.flat(),
    batches: () => batches,
    refusals: () => refused,
    failNext: (failure, times) => pending.add(failure, times),
    close: () => stop(server),
  };
};

// ---------------------------------------------------------------------------------------------
// Azure Communication Services Email

/** One email the server accepted, with how its send operation ended so far. */
export interface AcsEmail {
  readonly operationId: string;
  readonly message: {
    readonly senderAddress: string;
    readonly content: { readonly subject: string; readonly plainText?: string; readonly html?: string };
    readonly recipients: {
      readonly to: readonly { readonly address: string; readonly displayName?: string }[];
    };
    readonly headers?: Record<string, string>;
    readonly userEngagementTrackingDisabled?: boolean;
  };
  status: "Running" | "Succeeded" | "Failed";
}

export interface AcsCheckingServer {
  /** `endpoint=http://127.0.0.1:{port}/;accesskey={key}` */
  readonly connectionString: string;
  /** A connection string to the same server with another key, which the server refuses. */
  readonly wrongKeyConnectionString: string;
  /** How many requests reached the server (sends and polls). */
  requestCount(): number;
  /** How many `POST /emails:send` reached the server. */
  sendCount(): number;
  /** Every email accepted, in order, with its operation's status. */
  emails(): readonly AcsEmail[];
  /** The emails whose send operation succeeded. */
  delivered(): readonly AcsEmail[];
  /** Requests refused because they were not what ACS accepts (signature, date, body). */
  refusals(): readonly Refusal[];
  /** The next `times` send requests fail this way (after they were checked). */
  failNextSends(failure: Failure, times: number): void;
  /** After `skip` polls answered normally, the next `times` status polls fail this way. */
  failNextPolls(failure: Failure, times: number, skip?: number): void;
  /** The next `times` accepted emails end with status `Failed`. */
  failNextOperations(times: number): void;
  close(): Promise<void>;
}

const ACS_API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
const DATE_SKEW_MS = 15 * 60 * 1000;

const sha256Base64 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("base64");

/**
 * Checks ACS's HMAC-SHA256 request signature as the service does: the body hash, the date, and the
 * signature over "VERB\n{path?query}\n{x-ms-date};{host};{x-ms-content-sha256}".
 */
const signatureProblem = (request: IncomingMessage, body: Buffer, key: Buffer): string | null => {
  const date = request.headers["x-ms-date"];
  const contentHash = request.headers["x-ms-content-sha256"];
  const host = request.headers.host;
  const authorization = request.headers.authorization;
  if (typeof date !== "string" || typeof contentHash !== "string" || typeof host !== "string") {
    return "x-ms-date, x-ms-content-sha256 or host is missing";
  }
  if (Math.abs(Date.now() - Date.parse(date)) > DATE_SKEW_MS || Number.isNaN(Date.parse(date))) {
    return "x-ms-date is not within 15 minutes";
  }
  if (contentHash !== sha256Base64(body)) return "x-ms-content-sha256 is not the body's sha256";
  const prefix = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=";
  if (typeof authorization !== "string" || !authorization.startsWith(prefix)) {
    return "Authorization is not an HMAC-SHA256 signature over x-ms-date;host;x-ms-content-sha256";
  }
  const stringToSign = `${request.method}\n${request.url}\n${date};${host};${contentHash}`;
  const expected = createHmac("sha256", key).update(stringToSign, "utf8").digest();
  const given = Buffer.from(authorization.slice(prefix.length), "base64");
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? null
    : "signature does not match";
};

const emailProblem = (body: unknown): string | null => {
  if (!isObject(body)) return "body is not a JSON object";
  if (typeof body.senderAddress !== "string" || !body.senderAddress.includes("@"))
    return "senderAddress is missing";
  const { content, recipients } = body;
  if (!isObject(content) || typeof content.subject !== "string" || content.subject === "") {
    return "content.subject is missing";
  }
  if (typeof content.plainText !== "string" && typeof content.html !== "string") return "content has no body";
  if (!isObject(recipients) || !Array.isArray(recipients.to) || recipients.to.length === 0) {
    return "recipients.to is empty";
  }
  for (const to of recipients.to) {
    if (!isObject(to) || typeof to.address !== "string" || !to.address.includes("@"))
      return "a recipient has no address";
  }
  return null;
};

export const startAcsEmailServer = async (): Promise<AcsCheckingServer> => {
  const key = randomBytes(32);
  const emails: AcsEmail[] = [];
  const polls = new Map<string, number>();
  const refused: Refusal[] = [];
  const sendFailures = failures();
  const pollFailures = failures();
  let operationsToFail = 0;
  let requests = 0;
  let sends = 0;

  const refuse = (response: ServerResponse, status: number, code: string, reason: string) => {
    refused.push({ status, reason });
    answer(response, status, { error: { code, message: reason } });
  };

  const server = createServer(async (request, response) => {
    requests++;
    const body = await readBody(request);
    const url = new URL(request.url ?? "/", "http://localhost");
    const problem = signatureProblem(request, body, key);
    if (problem !== null) return refuse(response, 401, "Denied", problem);
    if (!ACS_API_VERSION.test(url.searchParams.get("api-version") ?? "")) {
      return refuse(response, 400, "InvalidApiVersion", "api-version is missing");
    }

    if (request.method === "POST" && url.pathname === "/emails:send") {
      sends++;
      if (request.headers["content-type"]?.split(";")[0] !== "application/json") {
        return refuse(response, 415, "UnsupportedMediaType", "content-type is not application/json");
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch (error) {
        return refuse(response, 400, "BadRequest", `body is not JSON: ${String(error)}`);
      }
      const invalid = emailProblem(parsed);
      if (invalid !== null) return refuse(response, 400, "BadRequest", invalid);
      if (play(sendFailures.next(), request, response)) return;
      const given = request.headers["operation-id"];
      const operationId = typeof given === "string" && given !== "" ? given : randomUUID();
      emails.push({ operationId, message: parsed as AcsEmail["message"], status: "Running" });
      const location = `http://${request.headers.host}/emails/operations/${operationId}?api-version=${url.searchParams.get("api-version")}`;
      return answer(
        response,
        202,
        { id: operationId, status: "Running" },
        { "operation-location": location, "operation-id": operationId },
      );
    }

    const operation = /^\/emails\/operations\/([^/]+)$/.exec(url.pathname);
    if (request.method === "GET" && operation?.[1] !== undefined) {
      const email = emails.find((candidate) => candidate.operationId === operation[1]);
      if (email === undefined) return refuse(response, 404, "NotFound", "no such operation");
      if (play(pollFailures.next(), request, response)) return;
      const seen = (polls.get(email.operationId) ?? 0) + 1;
      polls.set(email.operationId, seen);
      // Running on the first poll, finished on the next: the SDK must poll until done.
      if (email.status === "Running" && seen >= 2) {
        email.status = operationsToFail > 0 ? "Failed" : "Succeeded";
        if (email.status === "Failed") operationsToFail--;
      }
      return answer(response, 200, {
        id: email.operationId,
        status: email.status,
        ...(email.status === "Failed"
          ? { error: { code: "EmailDroppedAllRecipientsSuppressed", message: "Message was not sent." } }
          : {}),
      });
    }

    return refuse(
      response,
      404,
      "NotFound",
      `${request.method} ${url.pathname} is not an ACS Email operation`,
    );
  });
  const port = await listen(server);
  const endpoint = `http://127.0.0.1:${port}/`;

  return {
    connectionString: `endpoint=${endpoint};accesskey=${key.toString("base64")}`,
    wrongKeyConnectionString: `endpoint=${endpoint};accesskey=${randomBytes(32).toString("base64")}`,
    requestCount: () => requests,
    sendCount: () => sends,
    emails: () => emails,
    delivered: () => emails.filter((email) => email.status === "Succeeded"),
    refusals: () => refused,
    failNextSends: (failure, times) => sendFailures.add(failure, times),
    failNextPolls: (failure, times, skip = 0) => pollFailures.add(failure, times, skip),
    failNextOperations: (times) => {
      operationsToFail += times;
    },
    close: () => stop(server),
  };
};
