import { retryAfterMs } from "./outbox-backoff.js";

/** What one try at a row came to. */
export type SendOutcome =
  | { readonly delivered: true }
  | {
      readonly delivered: false;
      /** Short and safe to store and log: a status or error code, never a body or a header. */
      readonly error: string;
      /** `warn` for what usually passes (throttling, an outage), `error` for what needs a person. */
      readonly level: "warn" | "error";
      readonly retryAfterMs?: number;
    };

export interface WebhookEndpoint {
  /** Where events are POSTed (http or https). */
  readonly url: string;
  /** Sent with every request to this endpoint, e.g. `Authorization`. Never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Ask the endpoint first whether it accepts events (the CloudEvents webhook handshake: OPTIONS
   * with `WebHook-Request-Origin`, answered with `WebHook-Allowed-Origin`). Default true; turn off
   * only for a receiver you run that does not implement the handshake.
   */
  readonly abuseProtection?: boolean;
}

export const CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8";

const failure = (error: string, level: "warn" | "error", retryAfter?: number): SendOutcome =>
  retryAfter === undefined
    ? { delivered: false, error, level }
    : { delivered: false, error, level, retryAfterMs: retryAfter };

/** A fetch that failed before any answer: the error's name and code, nothing from the wire. */
const networkFailure = (error: unknown): SendOutcome => {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return failure("no answer before the timeout", "warn");
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code =
    typeof cause?.code === "string" ? cause.code : error instanceof Error ? error.name : "unknown error";
  return failure(`could not reach the endpoint (${code})`, "warn");
};

/** 429 and 5xx pass with time; anything else not 2xx needs someone to look (but is still retried). */
const statusFailure = (response: Response, now: number): SendOutcome => {
  const status = response.status;
  const transient = status === 429 || status >= 500;
  const retryAfter = retryAfterMs(response.headers.get("retry-after"), now);
  const what =
    status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
  return failure(what, transient ? "warn" : "error", retryAfter);
};

/** Reads nothing of the answer's body, but frees the connection. */
const discardBody = async (response: Response) => {
  await response.body?.cancel().catch(() => undefined);
};

export interface WebhookSenderOptions {
  /** The DNS name this airlock sends as (`WebHook-Request-Origin` and `Origin`). */
  readonly origin: string;
  readonly timeoutMs: number;
  readonly now: () => number;
}

/**
 * Sends CloudEvents to webhooks in the HTTP binding's structured mode: one event per POST, the
 * event JSON as the body, `Content-Type: application/cloudevents+json; charset=utf-8`. Before the
 * first event to an endpoint it asks the endpoint's permission (the CloudEvents webhook abuse
 * protection); a yes is remembered while the process runs. Redirects are never followed: the
 * permission is for the URL asked.
 */
export const createWebhookSender = (options: WebhookSenderOptions) => {
  const allowed = new Set<string>();

  const request = (
    endpoint: WebhookEndpoint,
    init: { method: string; headers: Record<string, string>; body?: string },
  ) => {
    // The endpoint's own headers first; the protocol's headers win over a same-named one.
    const headers = new Headers(endpoint.headers);
    for (const [name, value] of Object.entries(init.headers)) headers.set(name, value);
    return fetch(endpoint.url, {
      method: init.method,
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  };

  /** Undefined when the endpoint agreed; the failure otherwise. */
  const askPermission = async (endpoint: WebhookEndpoint): Promise<SendOutcome | undefined> => {
    let response: Response;
    try {
      response = await request(endpoint, {
        method: "OPTIONS",
        headers: { "WebHook-Request-Origin": options.origin },
      });
    } catch (error) {
      return networkFailure(error);
    }
    await discardBody(response);
    const answer = response.headers.get("webhook-allowed-origin")?.trim();
    if (answer === "*" || answer === options.origin) return undefined;
    if (response.status === 429 || response.status >= 500) return statusFailure(response, options.now());
    return failure(
      `the endpoint did not allow delivery from ${options.origin} (OPTIONS answered HTTP ${response.status}${answer === undefined ? " without WebHook-Allowed-Origin" : ` allowing ${JSON.stringify(answer)}`})`,
      "error",
    );
  };

  return {
    send: async (endpoint: WebhookEndpoint, destination: string, event: string): Promise<SendOutcome> => {
      if ((endpoint.abuseProtection ?? true) && !allowed.has(destination)) {
        const refusal = await askPermission(endpoint);
        if (refusal !== undefined) return refusal;
        allowed.add(destination);
      }
      let response: Response;
      try {
        response = await request(endpoint, {
          method: "POST",
          headers: { "Content-Type": CLOUDEVENTS_CONTENT_TYPE, Origin: options.origin },
          body: event,
        });
      } catch (error) {
        return networkFailure(error);
      }
      await discardBody(response);
      return response.ok ? { delivered: true } : statusFailure(response, options.now());
    },
  };
};
