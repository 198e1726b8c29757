import type { Socket } from "node:net";
import { Readable } from "node:stream";
import type { Airlock, AirlockError, BlobOperation, OpenedFile, StoredFile } from "@airlock/core";
import { linkCallAction } from "@airlock/core";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { blobHeaders, sendBlobError, speaksBlob } from "../blob/blob-errors.js";
import { BLOCK_LIST_MAX_BYTES, blockIdsOf } from "../blob/block-list.js";
import { attachment } from "../blob/content-disposition.js";
import { enumerationResults } from "../blob/enumeration.js";
import { linkKey } from "../blob/link-key.js";
import type { LinkGrant, LinkSigner } from "../blob/link-token.js";
import { rangeOf } from "../blob/range.js";
import type { ConcurrencyLimiter } from "../limits/concurrency.js";
import { cutForSlowness } from "../limits/transfer-rate.js";
import {
  describeCause,
  type Problem,
  problem,
  problemFromAirlockError,
  sendAirlockError,
  sendProblem,
} from "../problem.js";
import {
  BlobParams as BlobParamsSchema,
  ContainerListQuery,
  ContainerParams,
  LinkQuery,
  NoContent,
  PutFileQuery,
  problemResponses,
  rawContent,
  UploadedFileSchema,
} from "../schemas.js";

export interface BlobRoutesDeps {
  readonly airlock: Airlock;
  readonly signer: LinkSigner;
  readonly now: () => number;
  readonly baseUrl: (request: FastifyRequest) => string;
  /** The problem an error thrown on the way to a handler stands for (a rate limit, say). */
  readonly problemOf: (error: FastifyError, request: FastifyRequest) => Problem;
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
  return refuse(request, reply, problem("RequestTimeout", "the upload's body did not arrive in full"));
};

/** An Azure status and error code for a refusal a Blob client tells apart from the general one. */
type BlobCode = readonly [number, string];

/**
 * Sends a refusal as the caller reads errors: Azure's XML `<Error>` to a Blob client (`blobCode`
 * when the call has a more precise code than the problem's), problem+json to anyone else.
 */
const refuse = <R extends FastifyReply>(
  request: FastifyRequest,
  reply: R,
  body: Problem,
  blobCode?: BlobCode,
): R =>
  speaksBlob(request) ? sendBlobError(request, reply, body, blobCode) : sendProblem(request, reply, body);

/** Sends a domain error as the caller reads errors (see `refuse`), logging what the client is not told. */
const refuseWith = <R extends FastifyReply>(
  request: FastifyRequest,
  reply: R,
  error: AirlockError,
  blobCode?: (error: AirlockError) => BlobCode | undefined,
): R => {
  if (!speaksBlob(request)) return sendAirlockError(request, reply, error);
  if (error.kind === "Unavailable") {
    request.log.error(
      { err: { kind: error.kind, message: error.message, cause: describeCause(error.cause) } },
      "backing service unavailable",
    );
  }
  if (error.kind === "Busy") reply.header("retry-after", String(UPLOAD_RETRY_AFTER_SECONDS));
  return sendBlobError(request, reply, problemFromAirlockError(error), blobCode?.(error));
};

/** What Azure answers a Put Block that names a malformed block id. */
const blockIdCode = (error: AirlockError): BlobCode | undefined =>
  error.kind === "InvalidInput" && error.issues.some((issue) => issue.path.startsWith("blockid"))
    ? [400, "InvalidBlockId"]
    : undefined;

/** What Azure answers a Put Block List that names blocks it does not have. */
const blockListCode = (error: AirlockError): BlobCode | undefined =>
  error.kind === "InvalidInput" && !error.issues.some((issue) => issue.path === "name")
    ? [400, "InvalidBlockList"]
    : undefined;

/** The headers Blob clients read of a file: its length, type, etag, modification and blob type. */
const fileHeaders = (reply: FastifyReply, opened: OpenedFile): void => {
  const { file, part } = opened;
  const length = part === "whole" ? file.size : typeof part === "object" ? part.last - part.first + 1 : 0;
  reply
    .type("application/octet-stream")
    .header("content-length", String(length))
    .header("etag", file.etag)
    .header("last-modified", file.lastModified.toUTCString())
    .header("accept-ranges", "bytes")
    .header("x-ms-blob-type", "BlockBlob")
    .header("x-ms-lease-state", "available")
    .header("x-ms-lease-status", "unlocked");
  if (typeof part === "object")
    reply.header("content-range", `bytes ${part.first}-${part.last}/${file.size}`);
};

/** The etags an `If-Match` header lists (`*` included), or undefined without one. Weak etags never match. */
const etagsOf = (header: string | undefined): string[] | undefined =>
  header === undefined
    ? undefined
    : header
        .split(",")
        .map((etag) => etag.trim())
        .filter((etag) => etag !== "" && !etag.startsWith("W/"));

/** Reads a small body (a block list) whole, or undefined when it is larger than `maxBytes`. */
const readSmallBody = async (body: unknown, maxBytes: number): Promise<string | undefined> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of (body as AsyncIterable<Uint8Array> | undefined) ?? []) {
    size += chunk.length;
    if (size > maxBytes) return undefined;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString("utf8");
};

type BlobParams = { readonly requestId: string; readonly name: string };
type PutQuery = { readonly sig?: string; readonly comp?: string; readonly blockid?: string };

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
 * With `blobEndpoint: "embedded"`, the API's stand-in for an Azure container SAS URL, speaking the
 * Blob REST operations the Azure SDKs and AzCopy use: `{containerUrl}` with `/{name}` appended
 * uploads (Put Blob, or Put Block and Put Block List), reads (Get Blob with a range, Get Blob
 * Properties) and deletes; `restype=container&comp=list` lists. The token says what the link was
 * issued for; the service asks the request's current status whether the call may happen now.
 */
export const registerBlobRoutes = (blob: FastifyInstance, deps: BlobRoutesDeps): void => {
  // Uploads go to storage as they arrive: nothing here buffers a body or caps it below the policy.
  blob.removeAllContentTypeParsers();
  blob.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
  // A refusal before the handler (the rate limit) reaches a Blob client as Azure's error, too.
  blob.setErrorHandler((error: FastifyError, request, reply) =>
    refuse(request, reply, deps.problemOf(error, request)),
  );

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
    refuse(request, reply, problem(grant.error.kind, grant.error.message));
    return undefined;
  };

  /**
   * Runs an upload's work (a Put Blob or a Put Block) within the link's and the holder's
   * concurrent uploads, answering the refusal when there is no room. The body is read by `work`.
   */
  const withinUploadLimits = async (
    request: FastifyRequest<{ Querystring: { readonly sig?: string } }>,
    reply: FastifyReply,
    requestId: string,
    holderId: string,
    work: (socket: Socket) => Promise<FastifyReply>,
  ): Promise<FastifyReply> => {
    const release = startUpload(linkKey(requestId, String(request.query.sig)), holderId);
    if (typeof release === "string") {
      // The body is left unread; the connection is closed with the answer.
      reply.header("retry-after", String(UPLOAD_RETRY_AFTER_SECONDS));
      return refuse(request, reply, problem("TooManyRequests", release));
    }
    try {
      // Held here: the request lets go of its socket once its body's stream is destroyed.
      return await work(request.raw.socket);
    } finally {
      release();
    }
  };

  /** Put Block: one block of a staged upload, counted as an upload. */
  const putBlock = (
    request: FastifyRequest<{ Params: BlobParams; Querystring: PutQuery }>,
    reply: FastifyReply,
    grant: LinkGrant,
  ) => {
    const { requestId, name } = request.params;
    const length = Number(request.headers["content-length"]);
    if (request.headers["content-length"] === undefined || !Number.isSafeInteger(length) || length < 0) {
      return refuse(
        request,
        reply,
        problem("BadRequest", "a block needs its Content-Length", {
          errors: [{ path: "content-length", message: "required" }],
        }),
        [411, "MissingContentLengthHeader"],
      );
    }
    return withinUploadLimits(request, reply, requestId, grant.holder.id, async (socket) => {
      const content = (request.body as AsyncIterable<Uint8Array> | undefined) ?? emptyBody;
      const staged = await deps.airlock.stageBlock(
        grant.holder,
        requestId,
        grant.stage,
        name,
        String(request.query.blockid ?? ""),
        content,
        { size: length },
      );
      if (staged.isErr()) {
        if (!request.raw.complete && socket.destroyed) return uploadCut(request, reply, requestId, socket);
        return refuseWith(request, reply, asPathName(staged.error), blockIdCode);
      }
      blobHeaders(request, reply);
      return reply.code(201).send();
    });
  };

  /** Put Block List: the staged blocks, in the order listed, become the file. */
  const putBlockList = async (
    request: FastifyRequest<{ Params: BlobParams; Querystring: PutQuery }>,
    reply: FastifyReply,
    grant: LinkGrant,
  ) => {
    const { requestId, name } = request.params;
    const xml = await readSmallBody(request.body, BLOCK_LIST_MAX_BYTES);
    const ids = xml === undefined ? undefined : blockIdsOf(xml);
    if (ids === undefined) {
      return refuse(
        request,
        reply,
        problem("InvalidInput", "the body is not a block list of at most 8 MiB", {
          errors: [
            { path: "body", message: "expected <BlockList> with <Latest>, <Uncommitted> or <Committed> ids" },
          ],
        }),
        [400, "InvalidXmlDocument"],
      );
    }
    const committed = await deps.airlock.commitBlocks(grant.holder, requestId, grant.stage, name, ids);
    if (committed.isErr()) return refuseWith(request, reply, asPathName(committed.error), blockListCode);
    request.log.info({ requestId, size: committed.value.size }, "file committed from blocks through a link");
    return created(request, reply, committed.value);
  };

  /** A file written: 201, with the file's name and size for the API's own clients. */
  const created = (request: FastifyRequest, reply: FastifyReply, file: StoredFile) => {
    blobHeaders(request, reply);
    return reply.code(201).header("x-ms-request-server-encrypted", "true").send(file);
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

  blob.put<{ Params: BlobParams; Querystring: PutQuery }>(
    "/blob/:requestId/:name",
    {
      schema: {
        ...linkRoute(
          "uploadFile",
          "Upload one file into a draft (Azure Put Blob, `x-ms-blob-type: BlockBlob`), or one block of it (Put Block: `comp=block&blockid=…`), or commit its blocks (Put Block List: `comp=blocklist`)",
        ),
        params: BlobParamsSchema,
        querystring: PutFileQuery,
        response: { 201: UploadedFileSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { requestId, name } = request.params;
      const grant = await verifiedGrant(request, reply, requestId, "write");
      if (grant === undefined) return reply;
      const { comp } = request.query;
      if (comp === "block") return putBlock(request, reply, grant);
      if (comp === "blocklist") return putBlockList(request, reply, grant);
      if (comp !== undefined) {
        return refuse(
          request,
          reply,
          problem("InvalidInput", `comp=${String(comp)} is not supported on a file`, {
            errors: [{ path: "comp", message: "use none (Put Blob), block or blocklist" }],
          }),
          [400, "UnsupportedQueryParameter"],
        );
      }
      if (request.headers["x-ms-blob-type"] !== "BlockBlob") {
        return refuse(
          request,
          reply,
          problem("InvalidInput", "only block blobs can be uploaded", {
            errors: [{ path: "x-ms-blob-type", message: "must be BlockBlob" }],
          }),
          [400, "InvalidHeaderValue"],
        );
      }
      return withinUploadLimits(request, reply, requestId, grant.holder.id, async (socket) => {
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
          return refuseWith(request, reply, asPathName(uploaded.error));
        }
        request.log.info({ requestId, size: uploaded.value.size }, "file uploaded through a link");
        return created(request, reply, uploaded.value);
      });
    },
  );

  /** Get Blob and Get Blob Properties: the file's headers, and for a GET its bytes or a range of them. */
  const getFile = async (
    request: FastifyRequest<{ Params: BlobParams }>,
    reply: FastifyReply,
    content: boolean,
  ) => {
    const { requestId, name } = request.params;
    const grant = await verifiedGrant(request, reply, requestId, "read");
    if (grant === undefined) return reply;
    const range = content ? rangeOf(request.headers) : undefined;
    const ifMatch = etagsOf(request.headers["if-match"]);
    const opened = await deps.airlock.openFile(grant.holder, requestId, grant.stage, name, {
      ...(range ? { range } : {}),
      ...(ifMatch ? { ifMatch } : {}),
      content,
    });
    if (opened.isErr()) return refuseWith(request, reply, asPathName(opened.error));
    if (opened.value.part === "changed") {
      return refuse(
        request,
        reply,
        {
          ...problem("Conflict", "the file has changed: its etag is not the one If-Match names"),
          status: 412,
          title: "Precondition failed",
        },
        [412, "ConditionNotMet"],
      );
    }
    if (opened.value.part === "unsatisfiable") {
      reply.header("content-range", `bytes */${opened.value.file.size}`);
      return refuse(
        request,
        reply,
        {
          ...problem("BadRequest", "the range is not satisfiable"),
          status: 416,
          title: "Range not satisfiable",
        },
        [416, "InvalidRange"],
      );
    }
    blobHeaders(request, reply);
    fileHeaders(reply, opened.value);
    // A download is a file to save, never a page to render, whatever its bytes look like.
    reply
      .code(opened.value.part === "whole" ? 200 : 206)
      .header("content-disposition", attachment(name))
      .header("x-content-type-options", "nosniff");
    const bytes = opened.value.content;
    return bytes === null ? reply.send() : reply.send(Readable.from(bytes, { objectMode: false }));
  };

  blob.head<{ Params: BlobParams }>(
    "/blob/:requestId/:name",
    {
      schema: {
        ...linkRoute(
          "fileProperties",
          "One file's length, etag and last modification (Azure Get Blob Properties)",
        ),
        params: BlobParamsSchema,
        querystring: LinkQuery,
        response: { 200: NoContent("The file's properties, in the headers"), ...problemResponses },
      },
    },
    (request, reply) => getFile(request, reply, false),
  );

  blob.get<{ Params: BlobParams }>(
    "/blob/:requestId/:name",
    {
      exposeHeadRoute: false,
      schema: {
        ...linkRoute(
          "downloadFile",
          "Download one file, or the one byte range `Range` or `x-ms-range` asks for (Azure Get Blob)",
        ),
        params: BlobParamsSchema,
        querystring: LinkQuery,
        response: {
          200: rawContent("application/octet-stream", "The file's bytes", "binary"),
          206: rawContent("application/octet-stream", "The bytes of the range asked for", "binary"),
          ...problemResponses,
        },
      },
    },
    (request, reply) => getFile(request, reply, true),
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
      if (deleted.isErr()) return refuseWith(request, reply, asPathName(deleted.error));
      request.log.info({ requestId }, "file deleted through a link");
      blobHeaders(request, reply);
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
        return refuse(
          request,
          reply,
          problem("InvalidInput", "a container supports only listing", {
            errors: [{ path: "comp", message: "use restype=container&comp=list" }],
          }),
        );
      }
      const listed = await deps.airlock.listFiles(grant.holder, requestId, grant.stage);
      if (listed.isErr()) return refuseWith(request, reply, listed.error);
      blobHeaders(request, reply);
      return reply.type("application/xml").send(
        enumerationResults(
          `${deps.baseUrl(request)}/blob/`,
          requestId,
          // Names are one path segment: a prefix filters them, a delimiter never groups any.
          listed.value.filter((file) => file.name.startsWith(request.query.prefix ?? "")),
        ),
      );
    },
  );
};
