import type { Notification, Notifier, NotifierError } from "@airlock/core";
import { checkPortalUrl, emailRecipients, notificationEmail, unavailable } from "@airlock/core";
import { type EmailAddress, EmailClient, type EmailMessage } from "@azure/communication-email";
import { okAsync, type ResultAsync } from "neverthrow";
import type { Logger } from "pino";
import {
  checkRetryPolicy,
  DEFAULT_RETRY,
  describeFailure,
  isTransientFailure,
  type RetryPolicy,
  retrying,
} from "./retry.js";

export interface AcsEmailNotifierOptions {
  /** `endpoint=https://{resource}.communication.azure.com/;accesskey={base64 key}` */
  readonly connectionString: string;
  /** The verified sender address, e.g. `DoNotReply@{domain}.azurecomm.net`. */
  readonly sender: string;
  /** Allows an `http://` endpoint (local tests only). */
  readonly allowInsecureConnection?: boolean;
  /** The portal's base URL: emails then link to `{portalUrl}/workspaces/{ws}/requests/{id}`. */
  readonly portalUrl?: string;
  readonly retry?: RetryPolicy;
  /** Wait between polls of the send operation when the service names none. Default: the SDK's (2 s). */
  readonly pollIntervalMs?: number;
  /** Told about each retry and skipped recipient (ids only, never addresses or content). */
  readonly logger?: Pick<Logger, "warn">;
}

/** Thrown inside an attempt when ACS accepted the email but reported the send as failed. */
const SEND_FAILED = "EmailSendFailed";

const isRestError = (error: unknown): boolean => error instanceof Error && error.name === "RestError";

const sendFailed = (cause: unknown): Error => {
  const error = new Error(`ACS reported the send as failed: ${describeFailure(cause)}`, { cause });
  error.name = SEND_FAILED;
  return error;
};

const endpointOf = (connectionString: string): URL => {
  const endpoint = connectionString
    .split(";")
    .map((part) => part.trim())
    .find((part) => part.toLowerCase().startsWith("endpoint="));
  if (endpoint === undefined || !/accesskey=/i.test(connectionString)) {
    throw new Error("ACS connection string needs endpoint=… and accesskey=…");
  }
  return new URL(endpoint.slice("endpoint=".length));
};

/** Each address once, in the order given; people without an address cannot be emailed. */
const recipientsOf = (notification: Notification): EmailAddress[] =>
  emailRecipients(notification).map(({ address, name }) => ({ address, displayName: name }));

/**
 * Sends one email per notification through Azure Communication Services, every recipient in `to`.
 *
 * `beginSend` starts a long-running operation that is polled until ACS reports it `Succeeded`. A
 * throttled, failing or unreachable service, and a send ACS reports `Failed`, are retried with
 * backoff; afterwards the answer is `Unavailable` (the engine logs it and never holds a transition
 * back). A poll that fails after ACS accepted the email also leads to a new send: the email may go
 * out twice, which the port allows (delivery is at least once), rather than not at all.
 * The SDK's own retries are off (`maxRetries: 0`) so that `retry` alone says how many calls are made.
 */
export const createAcsEmailNotifier = (options: AcsEmailNotifierOptions) => {
  const endpoint = endpointOf(options.connectionString);
  if (endpoint.protocol !== "https:" && !(endpoint.protocol === "http:" && options.allowInsecureConnection)) {
    throw new Error(
      `ACS endpoint must be https (got ${endpoint.protocol}); allowInsecureConnection is for local tests`,
    );
  }
  if (options.sender.trim() === "") throw new Error("sender must be an email address");
  if (options.portalUrl !== undefined) checkPortalUrl(options.portalUrl);
  const policy = checkRetryPolicy(options.retry ?? DEFAULT_RETRY);
  let client: EmailClient | undefined;
  const clientOf = () => {
    client ??= new EmailClient(options.connectionString, {
      allowInsecureConnection: options.allowInsecureConnection ?? false,
      retryOptions: { maxRetries: 0 },
    });
    return client;
  };

  const notify = (notification: Notification): ResultAsync<void, NotifierError> => {
    const to = recipientsOf(notification);
    if (to.length < notification.recipients.length) {
      options.logger?.warn(
        { notificationId: notification.id, skipped: notification.recipients.length - to.length },
        "recipients without an email address or listed twice are not emailed",
      );
    }
    if (to.length === 0) return okAsync(undefined);
    const content = notificationEmail(
      notification,
      options.portalUrl === undefined ? {} : { portalUrl: options.portalUrl },
    );
    const message: EmailMessage = {
      senderAddress: options.sender,
      recipients: { to },
      content: { subject: content.subject, plainText: content.plainText, html: content.html },
      // No tracking pixel or rewritten links in mail about research data, whatever the resource's setting.
      disableUserEngagementTracking: true,
    };

    const attempt = async (_attempt: number, abortSignal: AbortSignal) => {
      const poller = await clientOf().beginSend(message, {
        abortSignal,
        ...(options.pollIntervalMs === undefined ? {} : { updateIntervalInMs: options.pollIntervalMs }),
      });
      try {
        await poller.pollUntilDone({ abortSignal });
      } catch (error) {
        // A poll that got no answer or an error answer says nothing about the email: rethrown as is.
        if (abortSignal.aborted || isRestError(error)) throw error;
        throw sendFailed(error);
      }
    };

    return retrying(policy, attempt, {
      isTransient: (error) =>
        (error instanceof Error && error.name === SEND_FAILED) || isTransientFailure(error),
      onRetry: ({ cause, attempt, delayMs }) =>
        options.logger?.warn(
          { notificationId: notification.id, attempt, delayMs, error: describeFailure(cause) },
          "email notification failed, retrying",
        ),
    }).mapErr((failure) =>
      unavailable(
        `email notification ${notification.id} failed after ${failure.attempts} attempt(s): ${describeFailure(failure.cause)}`,
        failure.cause,
      ),
    );
  };

  return { notify } satisfies Notifier;
};
