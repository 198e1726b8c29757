import type { Socket } from "node:net";
import { Readable } from "node:stream";
import type { Airlock, AirlockError, BlobOperation } from "@airlock/core";
import { linkCallAction } from "@airlock/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { attachment } from "../blob/content-disposition.js";
import { enumerationResults } from "../blob/enumeration.js";
import { linkKey } from "../blob/link-key.js";
import type { LinkGrant, LinkSigner } from "../blob/link-token.js";
import type { ConcurrencyLimiter } from "../limits/concurrency.js";
import { cutForSlowness } from "../limits/transfer-rate.js";
import { problem, sendAirlockError, sendProblem } from "../problem.js";
import {
  BlobParams as BlobParamsSchema,
  ContainerListQuery,
  ContainerParams,
  LinkQuery,
  NoContent,
  problemResponses,
  rawContent,
  UploadedFileSchema,
} from "../schemas.js";

export interface BlobRoutesDeps {
  readonly airlock: Airlock;
  readonly signer: LinkSigner;
  readonly now: () => number;
  readonly baseUrl: (request: FastifyRequest) => string;
  /** Uploads in progress, per link. */
  /** Uploads in progress per link. */
  readonly uploads: ConcurrencyLimiter;
  /** Uploads in progress per person: a link's holder, over all their links. */
  readonly uploadsPerPerson: ConcurrencyLimiter;
}

/** Seconds a caller refused for too many uploads at once waits before trying again. */
const UPLOAD_RETRY_AFTER_SECONDS = 5;

/**
 * The body stopped before its end: the client closed the connection, it stalled past the idle
 * timeout, or it was slower than the minimum transfer rate. That is the client's doing, not a
 * backing service's, and is logged as such; nobody is left to read the answer.
 */
const uploadCut = (request: FastifyRequest, reply: FastifyReply, requestId: string, socket: Socket) => {
  const slow = cutForSlowness(request);
  request.log.info(
    { requestId, bytesRead: socket.bytesRead },
    slow
      ? "upload cut: its body was slower than the minimum transfer rate"
      : "upload ended early: the client closed the connection or let it go idle",
  );
  return sendProblem(request, reply, problem("RequestTimeout", "the upload's body did not arrive in full"));
};

type BlobParams = { readonly requestId: string; readonly name: string };

const emptyBody: AsyncIterable<Uint8Array> = {
  async *[Symbol.asyncIterator]() {},
};

/** The service checks a file name as a value; to the caller it is the `name` in the path. */
const asPathName = (error: AirlockError): AirlockError =>
  error.kind === "InvalidInput"
    ? { ...error, issues: error.issues.map((issue) => ({ ...issue, path: issue.path || "name" })) }
    : error;

/** Authorised by the link's query string, not by a bearer token. */
const linkRoute = (operationId: string, summary: string) => ({
  tags: ["links"],
  security: [],
  operationId,
  summary,
  description:
    "Authorised by the link's query string (the token `GET …/link` hands out), not by a bearer token; the request's current status decides whether the call may happen now.",
});

/**
 * With `blobEndpoint: "embedded"`, the API's stand-in for an Azure container SAS URL:
 * `{containerUrl}` with `/{name}` appended uploads (PUT, `x-ms-blob-type: BlockBlob`), downloads
 * (GET) and deletes (DELETE); `restype=container&comp=list` lists. The token says what the link was issued for; the
 * service asks the request's current status whether the call may happen now.
 */
export const registerBlobRoutes = (blob: FastifyInstance, deps: BlobRoutesDeps): void => {
  // Uploads go to storage as they arrive: nothing here buffers a body or caps it below the policy.
  blob.removeAllContentTypeParsers();
  blob.addContentTypeParser("*", (_request, payload, done) => done(null, payload));

  /**
   * What the link grants and to whom, or undefined once the refusal is sent. A refused link whose
   * signature matched names its holder and its request: the refusal is recorded in that request's
   * audit trail as the holder's.
   */
  const verifiedGrant = async (
    request: FastifyRequest,
    reply: FastifyReply,
    requestId: string,
    operation: BlobOperation,
  ): Promise<LinkGrant | undefined> => {
    const grant = deps.signer.verify(
      requestId,
      request.query as Record<string, unknown>,
      operation,
      deps.now(),
    );
    if (grant.isOk()) return grant.value;
    const { holder } = grant.error;
    if (holder) {
      const recorded = await deps.airlock.recordDenial({
        subject: { id: holder.id, name: holder.id },
        workspaceId: null,
        requestId,
        action: linkCallAction(operation),
        code: grant.error.kind,
        message: grant.error.message,
      });
      // The caller is refused either way; a refusal the audit log could not take is logged instead.
      if (recorded.isErr())
        request.log.error(
          { err: { kind: recorded.error.kind, message: recorded.error.message } },
          "a link refusal was not audited",
        );
    }
    sendProblem(request, reply, problem(grant.error.kind, grant.error.message));
    return undefined;
  };

  /** Room for one more upload through `link` by `holderId`: its release, or why there is none. */
  const startUpload = (link: string, holderId: string): (() => void) | string => {
    const perLink = deps.uploads.acquire(link);
    if (perLink === undefined) {
      return `at most ${deps.uploads.max} uploads may run through one link at once; try again when one has finished`;
    }
    const perPerson = deps.uploadsPerPerson.acquire(holderId);
    if (perPerson === undefined) {
      perLink();
      return `at most ${deps.uploadsPerPerson.max} of your uploads may run at once; try again when one has finished`;
    }
    return () => {
      perPerson();
      perLink();
    };
  };

  blob.put<{ Params: BlobParams; Querystring: { readonly sig?: string } }>(
    "/blob/:requestId/:name",
    {
      schema: {
        ...linkRoute(
          "uploadFile",
          "Upload one file into a draft (Azure Put Blob, `x-ms-blob-type: BlockBlob`)",
        ),
        params: BlobParamsSchema,
        querystring: LinkQuery,
        response: { 201: UploadedFileSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { requestId, name } = request.params;
      const grant = await verifiedGrant(request, reply, requestId, "write");
      if (grant === undefined) return reply;
      if (request.headers["x-ms-blob-type"] !== "BlockBlob") {
        return sendProblem(
          request,
          reply,
          problem("InvalidInput", "only block blobs can be uploaded", {
            errors: [{ path: "x-ms-blob-type", message: "must be BlockBlob" }],
          }),
        );
      }
      const release = startUpload(linkKey(requestId, String(request.query.sig)), grant.holder.id);
      if (typeof release === "string") {
        // The body is left unread; the connection is closed with the answer.
        reply.header("retry-after", String(UPLOAD_RETRY_AFTER_SECONDS));
        return sendProblem(request, reply, problem("TooManyRequests", release));
      }
      // Held here: the request lets go of its socket once its body's stream is destroyed.
      const socket = request.raw.socket;
      try {
        const content = (request.body as AsyncIterable<Uint8Array> | undefined) ?? emptyBody;
        // A declared length is what the upload counts against the workspace's bytes in flight.
        const length = Number(request.headers["content-length"]);
        const declared = Number.isSafeInteger(length) && length >= 0 ? { declaredBytes: length } : {};
        const uploaded = await deps.airlock.writeFile(
          grant.holder,
          requestId,
          grant.stage,
          name,
          content,
          declared,
        );
        if (uploaded.isErr()) {
          if (!request.raw.complete && socket.destroyed) return uploadCut(request, reply, requestId, socket);
          return sendAirlockError(request, reply, asPathName(uploaded.error));
        }
        request.log.info({ requestId, size: uploaded.value.size }, "file uploaded through a link");
        return reply.code(201).header("x-ms-request-server-encrypted", "true").send(uploaded.value);
      } finally {
        release();
      }
    },
  );

  blob.get<{ Params: BlobParams }>(
    "/blob/:requestId/:name",
    {
      schema: {
        ...linkRoute("downloadFile", "Download one file (Azure Get Blob)"),
        params: BlobParamsSchema,
        querystring: LinkQuery,
        response: {
          200: rawContent("application/octet-stream", "The file's bytes", "binary"),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const { requestId, name } = request.params;
      const grant = await verifiedGrant(request, reply, requestId, "read");
      if (grant === undefined) return reply;
      const opened = await deps.airlock.readFile(grant.holder, requestId, grant.stage, name);
      if (opened.isErr()) return sendAirlockError(request, reply, asPathName(opened.error));
      // A download is a file to save, never a page to render, whatever its bytes look like.
      return reply
        .type("application/octet-stream")
        .header("content-disposition", attachment(name))
        .header("x-content-type-options", "nosniff")
        .header("x-ms-blob-type", "BlockBlob")
        .send(Readable.from(opened.value, { objectMode: false }));
    },
  );

  blob.delete<{ Params: BlobParams }>(
    "/blob/:requestId/:name",
    {
      schema: {
        ...linkRoute("deleteFile", "Delete one file from a draft (Azure Delete Blob)"),
        params: BlobParamsSchema,
        querystring: LinkQuery,
        response: { 202: NoContent("Deleted, or there was no such file"), ...problemResponses },
      },
    },
    async (request, reply) => {
      const { requestId, name } = request.params;
      const grant = await verifiedGrant(request, reply, requestId, "delete");
      if (grant === undefined) return reply;
      const deleted = await deps.airlock.deleteFile(grant.holder, requestId, grant.stage, name);
      if (deleted.isErr()) return sendAirlockError(request, reply, asPathName(deleted.error));
      request.log.info({ requestId }, "file deleted through a link");
      return reply.code(202).send();
    },
  );

  blob.get<{ Params: { readonly requestId: string }; Querystring: Record<string, string | undefined> }>(
    "/blob/:requestId",
    {
      schema: {
        ...linkRoute(
          "listFiles",
          "List the container's files (Azure List Blobs: restype=container&comp=list)",
        ),
        params: ContainerParams,
        querystring: ContainerListQuery,
        response: {
          200: rawContent("application/xml", "Azure's EnumerationResults: each file's name and size"),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const { requestId } = request.params;
      const grant = await verifiedGrant(request, reply, requestId, "list");
      if (grant === undefined) return reply;
      if (request.query.restype !== "container" || request.query.comp !== "list") {
        return sendProblem(
          request,
          reply,
          problem("InvalidInput", "a container supports only listing", {
            errors: [{ path: "comp", message: "use restype=container&comp=list" }],
          }),
        );
      }
      const listed = await deps.airlock.listFiles(grant.holder, requestId, grant.stage);
      if (listed.isErr()) return sendAirlockError(request, reply, listed.error);
      return reply
        .type("application/xml")
        .send(enumerationResults(`${deps.baseUrl(request)}/blob/`, requestId, listed.value));
    },
  );
};
