import type { AuditLogError, RepositoryError, StorageError, WorkspaceDirectoryError } from "@airlock/core";
import { conflict, invalidInput, notFound, tooLarge, unavailable } from "@airlock/core";

/**
 * What an Azure SDK failure means, whichever SDK threw it. Read structurally because
 * `@azure/storage-blob` and `@azure/cosmos` may each carry their own copy of `RestError`, and
 * Cosmos answers its own `ErrorResponse` (`code` is the HTTP status there).
 */
export type AzureFailure = "NotFound" | "Conflict" | "TooLarge" | "InvalidName" | "Unavailable";

const NOT_FOUND_CODES = new Set(["BlobNotFound", "ContainerNotFound", "ResourceNotFound", "NotFound"]);
const CONFLICT_CODES = new Set([
  "ConditionNotMet",
  "BlobAlreadyExists",
  "ContainerAlreadyExists",
  "TargetConditionNotMet",
]);
const TOO_LARGE_CODES = new Set(["RequestBodyTooLarge", "BlockCountExceedsLimit"]);
const INVALID_NAME_CODES = new Set(["InvalidResourceName", "OutOfRangeInput", "InvalidUri"]);

const field = (error: unknown, name: string): unknown =>
  typeof error === "object" && error !== null ? (error as Record<string, unknown>)[name] : undefined;

/** The HTTP status of an SDK error, when the service answered at all. */
export const statusOf = (error: unknown): number | undefined => {
  const status = field(error, "statusCode");
  if (typeof status === "number") return status;
  const code = field(error, "code");
  return typeof code === "number" ? code : undefined;
};

/** The service's error code (`BlobNotFound`, …) or the transport's (`ECONNREFUSED`, …). */
export const errorCodeOf = (error: unknown): string | undefined => {
  const code = field(error, "code");
  if (typeof code === "string") return code;
  const details = field(error, "details");
  const detailCode = field(details, "errorCode");
  return typeof detailCode === "string" ? detailCode : undefined;
};

export const classifyAzureError = (error: unknown): AzureFailure => {
  const status = statusOf(error);
  const code = errorCodeOf(error);
  if (code !== undefined) {
    if (NOT_FOUND_CODES.has(code)) return "NotFound";
    if (CONFLICT_CODES.has(code)) return "Conflict";
    if (TOO_LARGE_CODES.has(code)) return "TooLarge";
    if (INVALID_NAME_CODES.has(code)) return "InvalidName";
  }
  switch (status) {
    // A 400 that names no code answers a request without a body (a read, a HEAD): the service
    // could not even address the blob, as with a name that resolves outside its container
    // ("../x"). Repeating the call cannot help, so it is not a service being unavailable.
    case 400:
      return code === undefined ? "InvalidName" : "Unavailable";
    case 404:
      return "NotFound";
    case 409:
    case 412:
      return "Conflict";
    case 413:
      return "TooLarge";
    default:
      // 429, 5xx, timeouts, refused connections, and anything we do not recognise: the caller may
      // retry, and `cause` keeps the original for the logs.
      return "Unavailable";
  }
};

export const describe = (context: string, error: unknown): string => {
  const message = field(error, "message");
  const status = statusOf(error);
  const code = errorCodeOf(error);
  const tags = [status, code].filter((tag) => tag !== undefined).join(" ");
  const first = typeof message === "string" ? (message.split("\n")[0] ?? "") : String(error);
  return `${context}: ${tags ? `[${tags}] ` : ""}${first}`.slice(0, 500);
};

/**
 * Storage has no `Conflict` kind: a 409/412 from Blob storage (a container being deleted, a
 * source changed during a copy) is a transient state of the service, so it is `Unavailable`.
 */
export const toStorageError = (error: unknown, context: string, limit = 0): StorageError => {
  const message = describe(context, error);
  switch (classifyAzureError(error)) {
    case "NotFound":
      return notFound(message);
    case "TooLarge":
      return tooLarge(message, limit);
    case "InvalidName":
      return invalidInput(message);
    default:
      return unavailable(message, error);
  }
};

export const toRepositoryError = (error: unknown, context: string): RepositoryError => {
  const message = describe(context, error);
  switch (classifyAzureError(error)) {
    case "NotFound":
      return notFound(message);
    case "Conflict":
      return conflict(message);
    default:
      return unavailable(message, error);
  }
};

export const toAuditLogError = (error: unknown, context: string): AuditLogError =>
  unavailable(describe(context, error), error);

export const toWorkspaceDirectoryError = (error: unknown, context: string): WorkspaceDirectoryError =>
  classifyAzureError(error) === "NotFound"
    ? notFound(describe(context, error))
    : unavailable(describe(context, error), error);
