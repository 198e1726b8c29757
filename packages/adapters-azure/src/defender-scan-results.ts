import type { InvalidInput } from "@airlock/core";
import { Id, invalidInput } from "@airlock/core";
import { err, ok, type Result } from "neverthrow";
import { isValidAccountName, isValidContainerName } from "./storage-accounts.js";

// Microsoft Defender for Storage reports each scanned blob as an Event Grid event, in the Event
// Grid schema (`eventType`, `eventTime`, `data`) or the CloudEvents 1.0 schema (`specversion`,
// `type`, `time`, `data`), whichever the subscription chose. `data` is the same in both:
//   { correlationId, blobUri, eTag, scanFinishedTimeUtc, scanResultType,
//     scanResultDetails: { malwareNamesFound?: string[], sha256? } }
// `scanResultType` is "No threats found", "Malicious", "Error", "Not Scanned", … and `blobUri`
// names the blob without percent-encoding its name.

export const MALWARE_SCANNING_RESULT = "Microsoft.Security.MalwareScanningResult";
export const SUBSCRIPTION_VALIDATION = "Microsoft.EventGrid.SubscriptionValidationEvent";
/** The only result that means clean. Any other (an error, not scanned, a new kind) blocks: fail closed. */
export const NO_THREATS_FOUND = "No threats found";

const DETAIL_MAX = 500;

export type DefenderVerdict =
  | { readonly verdict: "clean" }
  | { readonly verdict: "threat"; readonly detail: string };

export interface DefenderScanResult {
  readonly requestId: string;
  readonly blobName: string;
  readonly accountName: string;
  /** The container as named in the blob URL (with its prefix, in single-account layouts). */
  readonly container: string;
  readonly outcome: DefenderVerdict;
}

export interface DefenderScanResultOptions {
  /**
   * The request id a container name stands for, or undefined when the container is not a
   * request's. Default: the container name itself (one container per request, named by its id).
   */
  readonly containerToRequestId?: (container: string) => string | undefined;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The event's type, read from the field its schema uses. */
const eventTypeOf = (event: Json): unknown => ("specversion" in event ? event.type : event.eventType);

/** Containers named `{prefix}-{requestId}`, as single-account layouts name them. */
export const requestIdAfterPrefix =
  (prefix: string) =>
  (container: string): string | undefined =>
    container.startsWith(`${prefix}-`) ? container.slice(prefix.length + 1) : undefined;

// Defender does not percent-encode blob names, so a name may hold a `%` that is not an escape.
const decodeLeniently = (text: string): string => {
  if (!/%[0-9A-Fa-f]{2}/.test(text)) return text;
  try {
    return decodeURIComponent(text);
  } catch (_notAnEscape) {
    // A lone `%` next to real escapes: the text is taken as written.
    return text;
  }
};

/**
 * Splits a blob URL into account, container and blob name. Accepts Azure's host-named accounts
 * (`https://{account}.blob.core.windows.net/{container}/{blob}`, any cloud's suffix) and the
 * emulator's path-named ones (`http://127.0.0.1:10000/{account}/{container}/{blob}`).
 */
export const parseBlobUri = (
  blobUri: string,
): Result<
  { readonly accountName: string; readonly container: string; readonly blobName: string },
  InvalidInput
> => {
  const match = /^https?:\/\/([^/?#]+)\/(.+)$/i.exec(blobUri);
  if (match === null) return err(invalidInput("blobUri is not an http(s) URL with a path"));
  const host = (match[1] ?? "").toLowerCase();
  let path = match[2] ?? "";
  const hostNamed = /^([a-z0-9]+)\.blob\./.exec(host);
  let accountName: string;
  if (hostNamed?.[1] !== undefined) {
    accountName = hostNamed[1];
  } else {
    const slash = path.indexOf("/");
    if (slash <= 0) return err(invalidInput("blobUri names no account"));
    accountName = path.slice(0, slash);
    path = path.slice(slash + 1);
  }
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1)
    return err(invalidInput("blobUri names no container and blob"));
  const container = decodeLeniently(path.slice(0, slash));
  const blobName = decodeLeniently(path.slice(slash + 1));
  if (!isValidAccountName(accountName)) return err(invalidInput("blobUri names an invalid storage account"));
  if (!isValidContainerName(container)) return err(invalidInput("blobUri names an invalid container"));
  return ok({ accountName, container, blobName });
};

const oneLine = (text: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed
  text.replace(/[\u0000-\u001f\u007f\s]+/g, " ").trim();

const verdictOf = (scanResultType: string, details: unknown): DefenderVerdict => {
  if (scanResultType === NO_THREATS_FOUND) return { verdict: "clean" };
  const names =
    isObject(details) && Array.isArray(details.malwareNamesFound) ? details.malwareNamesFound : [];
  const found = names.filter((name): name is string => typeof name === "string" && name.trim() !== "");
  const detail = oneLine(found.length === 0 ? scanResultType : `${scanResultType}: ${found.join(", ")}`);
  return {
    verdict: "threat",
    detail: detail.length > DETAIL_MAX ? `${detail.slice(0, DETAIL_MAX - 1)}…` : detail,
  };
};

/**
 * Reads one Defender for Storage malware scanning result (Event Grid or CloudEvents schema). The
 * container names the request; `accountName` lets the caller check the blob sits in the stage
 * that was meant to be scanned. Anything else is `InvalidInput`.
 */
export const parseDefenderScanResult = (
  event: unknown,
  options: DefenderScanResultOptions = {},
): Result<DefenderScanResult, InvalidInput> => {
  if (!isObject(event)) return err(invalidInput("event is not an object"));
  if ("specversion" in event && event.specversion !== "1.0") {
    return err(invalidInput("only CloudEvents specversion 1.0 is understood"));
  }
  const type = eventTypeOf(event);
  if (type !== MALWARE_SCANNING_RESULT) {
    return err(invalidInput(`event type ${JSON.stringify(type)} is not ${MALWARE_SCANNING_RESULT}`));
  }
  const { data } = event;
  if (!isObject(data)) return err(invalidInput("event has no data"));
  const { scanResultType, blobUri, scanResultDetails } = data;
  if (typeof scanResultType !== "string" || scanResultType.trim() === "") {
    return err(invalidInput("data.scanResultType is missing"));
  }
  if (typeof blobUri !== "string") return err(invalidInput("data.blobUri is missing"));
  return parseBlobUri(blobUri).andThen(({ accountName, container, blobName }) => {
    const requestId = options.containerToRequestId ? options.containerToRequestId(container) : container;
    if (requestId === undefined)
      return err(invalidInput(`container ${container} is not a request's container`));
    if (!Id.safeParse(requestId).success)
      return err(invalidInput(`container ${container} names no valid request id`));
    return ok({
      requestId,
      blobName,
      accountName,
      container,
      outcome: verdictOf(scanResultType, scanResultDetails),
    });
  });
};

/** Event Grid's handshake when a subscription to our endpoint is created (Event Grid schema). */
export interface SubscriptionValidationEvent {
  readonly eventType: typeof SUBSCRIPTION_VALIDATION;
  readonly data: { readonly validationCode: string; readonly validationUrl?: string };
}

export const isSubscriptionValidation = (event: unknown): event is SubscriptionValidationEvent =>
  isObject(event) &&
  eventTypeOf(event) === SUBSCRIPTION_VALIDATION &&
  isObject(event.data) &&
  typeof event.data.validationCode === "string" &&
  event.data.validationCode !== "";

/** The body that proves to Event Grid we own the endpoint: answered with 200. */
export const validationResponse = (
  event: SubscriptionValidationEvent,
): { readonly validationResponse: string } => ({
  validationResponse: event.data.validationCode,
});

/** Event Grid's origins in the public, US Government and China clouds. */
export const EVENT_GRID_ORIGINS: readonly string[] = [
  "eventgrid.azure.net",
  "eventgrid.azure.us",
  "eventgrid.azure.cn",
];

/**
 * The CloudEvents webhook handshake (an `OPTIONS` request, CloudEvents "HTTP 1.1 Web Hooks"
 * spec §4): the headers that allow the sender named in `WebHook-Request-Origin`, or null when it is
 * not one we accept (answer 403 then, without these headers).
 */
export const webhookHandshake = (
  requestOrigin: string | undefined,
  allowedOrigins: readonly string[] = EVENT_GRID_ORIGINS,
): { readonly "WebHook-Allowed-Origin": string; readonly "WebHook-Allowed-Rate": string } | null => {
  const origin = requestOrigin?.trim();
  if (!origin) return null;
  const allowed = allowedOrigins.some((candidate) => candidate.toLowerCase() === origin.toLowerCase());
  return allowed ? { "WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*" } : null;
};
