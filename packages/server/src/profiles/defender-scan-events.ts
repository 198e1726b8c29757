import {
  isSubscriptionValidation,
  MALWARE_SCANNING_RESULT,
  parseDefenderScanResult,
  SUBSCRIPTION_VALIDATION,
  validationResponse,
  webhookHandshake,
} from "@airlock/adapters-azure";
import type { FieldIssue, ScanEvent, ScanEventsOptions } from "@airlock/http";
import { err, ok } from "neverthrow";
import { z } from "zod";
import type { RequestContainers } from "./blob-locator.js";

export interface DefenderScanEventsOptions {
  /** The storage layout's containers: which request a scanned blob belongs to, and where it should sit. */
  readonly containers: RequestContainers;
  /** The `?code=` of Defender's Event Grid subscription. */
  readonly key?: string;
  /** Object ids of the service principals that may deliver with a bearer token. */
  readonly principals?: readonly string[];
  /** Senders allowed by the CloudEvents webhook handshake. Default: Event Grid's origins. */
  readonly allowedOrigins?: readonly string[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The event's type, read from the field its schema (Event Grid or CloudEvents) uses. */
const typeOf = (event: Json): unknown => ("specversion" in event ? event.type : event.eventType);

const ScanResultData = z.object({
  // The shape only: a blob in a container that is no request's is acknowledged and ignored later.
  blobUri: z.string().regex(/^https?:\/\/[^/?#]+\/[^?#]+\/[^?#]+$/i, "is not a blob URL"),
  scanResultType: z.string().trim().min(1),
});

const ValidationData = z.object({ validationCode: z.string().min(1) });

/** Why each event of the batch cannot be read; empty when every one can. */
const issuesOf = (events: readonly unknown[]): FieldIssue[] =>
  events.flatMap((event, index): FieldIssue[] => {
    if (!isObject(event)) return [{ path: String(index), message: "is not an event object" }];
    const type = typeOf(event);
    const field = "specversion" in event ? "type" : "eventType";
    if (typeof type !== "string" || type === "") {
      return [{ path: `${index}.${field}`, message: "is missing" }];
    }
    const schema =
      type === MALWARE_SCANNING_RESULT
        ? ScanResultData
        : type === SUBSCRIPTION_VALIDATION
          ? ValidationData
          : null;
    if (schema === null) return [];
    const parsed = schema.safeParse(event.data);
    return parsed.success
      ? []
      : parsed.error.issues.map((issue) => ({
          path: [String(index), "data", ...issue.path.map(String)].join("."),
          message: issue.message,
        }));
  });

/**
 * `POST /api/events` for Microsoft Defender for Storage: its malware scanning results and Event
 * Grid's handshakes, in the Event Grid or the CloudEvents schema, read with the Azure adapters.
 */
export const defenderScanEvents = (options: DefenderScanEventsOptions): ScanEventsOptions => {
  const { containers } = options;
  const eventOf = (event: unknown): ScanEvent => {
    if (isSubscriptionValidation(event)) return { kind: "handshake", answer: validationResponse(event) };
    if (!isObject(event) || typeOf(event) !== MALWARE_SCANNING_RESULT) return { kind: "other" };
    const parsed = parseDefenderScanResult(event, { containerToRequestId: containers.containerToRequestId });
    if (parsed.isErr()) return { kind: "unrelated", reason: parsed.error.message };
    const { requestId, accountName, container, blobName, outcome } = parsed.value;
    return { kind: "verdict", requestId, location: { accountName, container }, file: blobName, outcome };
  };
  return {
    ...(options.key === undefined ? {} : { key: options.key }),
    ...(options.principals === undefined ? {} : { principals: options.principals }),
    parse: (events) => {
      const issues = issuesOf(events);
      return issues.length > 0 ? err(issues) : ok(events.map(eventOf));
    },
    handshake: (origin) => webhookHandshake(origin, options.allowedOrigins),
    locator: containers,
  };
};
