import { Readable } from "node:stream";
import type { Airlock, AirlockError, AirlockStorage, BlobOperation, Stage } from "@airlock/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { enumerationResults } from "../blob/enumeration.js";
import type { LinkSigner } from "../blob/link-token.js";
import { problem, sendAirlockError, sendProblem } from "../problem.js";

export interface BlobRoutesDeps {
  readonly airlock: Airlock;
  readonly storage: AirlockStorage;
  readonly signer: LinkSigner;
  readonly now: () => number;
  readonly baseUrl: (request: FastifyRequest) => string;
}

type BlobParams = { readonly requestId: string; readonly name: string };

/** The service validates the name as a value; to the caller it is the `name` in the path. */
const asPathName = (error: AirlockError): AirlockError =>
  error.kind === "InvalidInput"
    ? { ...error, issues: error.issues.map((issue) => ({ ...issue, path: issue.path || "name" })) }
    : error;

const emptyBody: AsyncIterable<Uint8Array> = {
  async *[Symbol.asyncIterator]() {},
};

const tags = ["links"];
const summary = (text: string) => ({
  tags,
  summary: text,
  description: "Authorised by the link's query string, not a bearer token.",
});

/**
 * The embedded profile's stand-in for an Azure container SAS URL: `{containerUrl}` with
 * `/{name}` appended uploads (PUT, `x-ms-blob-type: BlockBlob`), downloads (GET) and deletes
 * (DELETE); `restype=container&comp=list` lists. The token says what the link was issued for; the
 * request's current status decides whether the call may happen now.
 */
export const registerBlobRoutes = (blob: FastifyInstance, deps: BlobRoutesDeps): void => {
  // Uploads go to storage as they arrive: nothing here buffers a body or caps it below the policy.
  blob.removeAllContentTypeParsers();
  blob.addContentTypeParser("*", (_request, payload, done) => done(null, payload));

  /** The stage the link's token was issued for, once the token checks out for `operation`. */
  const grantedStage = (
    request: FastifyRequest,
    reply: FastifyReply,
    requestId: string,
    operation: BlobOperation,
  ): Stage | undefined => {
    const grant = deps.signer.verify(
      requestId,
      request.query as Record<string, unknown>,
      operation,
      deps.now(),
    );
    if (grant.isErr()) {
      sendProblem(request, reply, problem(grant.error.kind, grant.error.message));
      return undefined;
    }
    return grant.value.stage;
  };

  blob.put<{ Params: BlobParams }>(
    "/blob/:requestId/:name",
    { schema: summary("Upload one file into a draft (Azure Put Blob)") },
    async (request, reply) => {
      const { requestId, name } = request.params;
      // The service decides by the request's status whether the link may write now.
      if (grantedStage(request, reply, requestId, "write") === undefined) return reply;
      if (request.headers["x-ms-blob-type"] !== "BlockBlob") {
        return sendProblem(
          request,
          reply,
          problem("InvalidInput", "only block blobs can be uploaded", {
            errors: [{ path: "x-ms-blob-type", message: "must be BlockBlob" }],
          }),
        );
      }
      const content = (request.body as AsyncIterable<Uint8Array> | undefined) ?? emptyBody;
      const uploaded = await deps.airlock.upload(requestId, name, content);
      if (uploaded.isErr()) return sendAirlockError(request, reply, asPathName(uploaded.error));
      request.log.info({ requestId, size: uploaded.value.size }, "file uploaded through a link");
      return reply.code(201).header("x-ms-request-server-encrypted", "true").send(uploaded.value);
    },
  );

  blob.get<{ Params: BlobParams }>(
    "/blob/:requestId/:name",
    { schema: summary("Download one file (Azure Get Blob)") },
    async (request, reply) => {
      const { requestId, name } = request.params;
      const stage = grantedStage(request, reply, requestId, "read");
      if (stage === undefined) return reply;
      const opened = await deps.airlock.readFile(requestId, stage, name);
      if (opened.isErr()) return sendAirlockError(request, reply, asPathName(opened.error));
      return reply
        .type("application/octet-stream")
        .header("x-ms-blob-type", "BlockBlob")
        .send(Readable.from(opened.value, { objectMode: false }));
    },
  );

  blob.delete<{ Params: BlobParams }>(
    "/blob/:requestId/:name",
    { schema: summary("Delete one file from a draft (Azure Delete Blob)") },
    async (request, reply) => {
      const { requestId, name } = request.params;
      const stage = grantedStage(request, reply, requestId, "delete");
      if (stage === undefined) return reply;
      const deleted = await deps.airlock.deleteFile(requestId, stage, name);
      if (deleted.isErr()) return sendAirlockError(request, reply, asPathName(deleted.error));
      request.log.info({ requestId }, "file deleted through a link");
      return reply.code(202).send();
    },
  );

  blob.get<{ Params: { readonly requestId: string }; Querystring: Record<string, string | undefined> }>(
    "/blob/:requestId",
    { schema: summary("List the container's files (Azure List Blobs: restype=container&comp=list)") },
    async (request, reply) => {
      const { requestId } = request.params;
      const stage = grantedStage(request, reply, requestId, "list");
      if (stage === undefined) return reply;
      const listed = await deps.airlock.listFiles(requestId, stage);
      if (listed.isErr()) return sendAirlockError(request, reply, listed.error);
      if (request.query.restype !== "container" || request.query.comp !== "list") {
        return sendProblem(
          request,
          reply,
          problem("InvalidInput", "a container supports only listing", {
            errors: [{ path: "comp", message: "use restype=container&comp=list" }],
          }),
        );
      }
      return reply
        .type("application/xml")
        .send(enumerationResults(`${deps.baseUrl(request)}/blob/`, requestId, listed.value));
    },
  );
};
