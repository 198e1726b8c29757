import type { FastifyReply, FastifyRequest } from "fastify";
import type { Problem } from "../problem.js";

/**
 * Blob clients (the Azure SDKs, AzCopy, Storage Explorer) send `x-ms-version` with every call and
 * read an error as Azure writes it: XML `<Error>` and `x-ms-error-code`. Other callers (curl, a
 * browser, the API's own clients) get problem+json like the rest of the API.
 */
export const speaksBlob = (request: FastifyRequest): boolean => request.headers["x-ms-version"] !== undefined;

/** The service version answered to a Blob client: the one it asked for. */
export const BLOB_SERVICE_VERSION = "2025-01-05";

/** Headers every Blob answer carries: Azure's request id and the service version. */
export const blobHeaders = (request: FastifyRequest, reply: FastifyReply): void => {
  const version = request.headers["x-ms-version"];
  reply
    .header("x-ms-request-id", request.id)
    .header("x-ms-version", typeof version === "string" ? version : BLOB_SERVICE_VERSION);
};

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);

/** An Azure error code, and the status Azure answers it with, for a problem's code. */
const blobErrorOf = (problem: Problem): readonly [number, string] => {
  switch (problem.code) {
    case "Unauthorized":
      return [403, "AuthenticationFailed"];
    case "Forbidden":
      return [403, "AuthorizationPermissionMismatch"];
    case "NotFound":
      return [404, "BlobNotFound"];
    case "TooLarge":
    case "BodyTooLarge":
      return [413, "RequestBodyTooLarge"];
    case "InvalidInput":
    case "BadRequest":
      return [400, "InvalidInput"];
    case "Busy":
    case "TooManyRequests":
    case "Unavailable":
      // Blob clients retry 503 ServerBusy after a pause: what a caller should do here.
      return [503, "ServerBusy"];
    case "RequestTimeout":
      return [408, "OperationTimedOut"];
    default:
      return [problem.status, problem.code];
  }
};

/**
 * Sends `problem` as a Blob client reads it: Azure's status and error code for it (or `code` when
 * the call has a more precise one, such as InvalidBlockList), in `<Error>` and `x-ms-error-code`.
 */
export const sendBlobError = <R extends FastifyReply>(
  request: FastifyRequest,
  reply: R,
  problem: Problem,
  code?: readonly [number, string],
): R => {
  const [status, errorCode] = code ?? blobErrorOf(problem);
  blobHeaders(request, reply);
  reply
    .code(status)
    .header("x-ms-error-code", errorCode)
    .type("application/xml")
    .send(
      '<?xml version="1.0" encoding="utf-8"?>' +
        `<Error><Code>${escapeXml(errorCode)}</Code><Message>${escapeXml(
          `${problem.detail}\nRequestId:${request.id}\nTime:${new Date().toISOString()}`,
        )}</Message></Error>`,
    );
  return reply;
};
