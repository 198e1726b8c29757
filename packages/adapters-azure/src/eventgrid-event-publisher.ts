import type { AirlockEvent, EventPublisher, EventPublisherError } from "@airlock/core";
import { unavailable } from "@airlock/core";
import type { KeyCredential, TokenCredential } from "@azure/core-auth";
import { EventGridPublisherClient, type SendCloudEventInput } from "@azure/eventgrid";
import { okAsync, type ResultAsync } from "neverthrow";
import type { Logger } from "pino";
import { checkRetryPolicy, DEFAULT_RETRY, describeFailure, type RetryPolicy, retrying } from "./retry.js";

export interface EventGridPublisherOptions {
  /** The topic's endpoint, e.g. `https://{topic}.{region}-1.eventgrid.azure.net/api/events`. */
  readonly endpoint: string;
  /** An access key of the topic (`AzureKeyCredential`), or an Entra ID identity with the "EventGrid Data Sender" role. */
  readonly credential: KeyCredential | TokenCredential;
  /** Allows an `http://` endpoint (local tests only; an Entra ID token is never sent over http). */
  readonly allowInsecureConnection?: boolean;
  readonly retry?: RetryPolicy;
  /** Told about each retry (never the events themselves). */
  readonly logger?: Pick<Logger, "warn">;
}

/** Our event is already a CloudEvents 1.0 envelope: the SDK takes the same fields, `time` as a Date. */
export const toCloudEventInput = (event: AirlockEvent): SendCloudEventInput<AirlockEvent["data"]> => ({
  id: event.id,
  source: event.source,
  type: event.type,
  subject: event.subject,
  time: new Date(event.time),
  datacontenttype: event.datacontenttype,
  data: event.data,
});

/**
 * Publishes to an Event Grid topic in the CloudEvents 1.0 schema, one batch per `publish` so the
 * order given is the order sent.
 *
 * The SDK's own retry policy is switched off (`maxRetries: 0`): with both active, every one of our
 * attempts would hide up to four of the SDK's, so the number of calls and the time before
 * `Unavailable` would no longer be what `retry` says. Ours also covers a call that never answers
 * (`attemptTimeoutMs`).
 */
export const createEventGridPublisher = (options: EventGridPublisherOptions) => {
  const endpoint = new URL(options.endpoint);
  if (endpoint.protocol !== "https:" && !(endpoint.protocol === "http:" && options.allowInsecureConnection)) {
    throw new Error(
      `Event Grid endpoint must be https (got ${endpoint.protocol}); allowInsecureConnection is for local tests`,
    );
  }
  const policy = checkRetryPolicy(options.retry ?? DEFAULT_RETRY);
  let client: EventGridPublisherClient<"CloudEvent"> | undefined;
  const clientOf = () => {
    client ??= new EventGridPublisherClient(options.endpoint, "CloudEvent", options.credential, {
      allowInsecureConnection: options.allowInsecureConnection ?? false,
      retryOptions: { maxRetries: 0 },
    });
    return client;
  };

  const publish = (events: readonly AirlockEvent[]): ResultAsync<void, EventPublisherError> => {
    if (events.length === 0) return okAsync(undefined);
    const batch = events.map(toCloudEventInput);
    return retrying(policy, (_attempt, abortSignal) => clientOf().send(batch, { abortSignal }), {
      onRetry: ({ cause, attempt, delayMs }) =>
        options.logger?.warn(
          { attempt, delayMs, events: events.length, error: describeFailure(cause) },
          "event grid publish failed, retrying",
        ),
    }).mapErr((failure) =>
      unavailable(
        `Event Grid publish failed after ${failure.attempts} attempt(s): ${describeFailure(failure.cause)}`,
        failure.cause,
      ),
    );
  };

  return { publish } satisfies EventPublisher;
};
