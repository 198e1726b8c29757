import { Readable } from "node:stream";
import {
  type Airlock,
  type AirlockError,
  type AirlockRequest,
  type AirlockStorage,
  type BlobOperation,
  type ContainerRef,
  FileName,
  type Stage,
  type StorageError,
} from "@airlock/core";
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

interface Admitted {
  readonly request: AirlockRequest;
  readonly stage: Stage;
}

type BlobParams = { readonly requestId: string; readonly name: string };

const refOf = (request: AirlockRequest): ContainerRef => ({
  requestId: request.id,
  workspaceId: request.workspaceId,
  type: request.type,
});

/** A storage failure as the API reports it; the service does the same for its own storage calls. */
const fromStorageError = (error: StorageError): AirlockError => {
  switch (error.kind) {
    case "NotFound":
      return { kind: "NotFound", message: error.message };
    case "InvalidInput":
      return { kind: "InvalidInput", message: error.message, issues: [] };
    case "TooLarge":
      return { kind: "TooLarge", message: error.message, limit: error.limit };
    case "Unavailable":
      return { kind: "Unavailable", message: error.message, cause: error.cause };
  }
};

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

  const admit = async (
    request: FastifyRequest,
    reply: FastifyReply,
    requestId: string,
    operation: BlobOperation,
  ): Promise<Admitted | undefined> => {
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
    const authorized = await deps.airlock.authorizeBlobCall(requestId, grant.value.stage, operation);
    if (authorized.isErr()) {
      sendAirlockError(request, reply, authorized.error);
      return undefined;
    }
    return { request: authorized.value, stage: grant.value.stage };
  };

  const validName = (request: FastifyRequest, reply: FastifyReply, name: string): boolean => {
    const parsed = FileName.safeParse(name);
    if (parsed.success) return true;
    sendProblem(
      request,
      reply,
      problem("InvalidInput", "the file name is not valid", {
        errors: parsed.error.issues.map((issue: { message: string }) => ({
          path: "name",
          message: issue.message,
        })),
      }),
    );
    return false;
  };

  blob.put<{ Params: BlobParams }>(
    "/blob/:requestId/:name",
    { schema: summary("Upload one file into a draft (Azure Put Blob)") },
    async (request, reply) => {
      const { requestId, name } = request.params;
      const admitted = await admit(request, reply, requestId, "write");
      if (!admitted) return reply;
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
      if (uploaded.isErr()) {
        const error = uploaded.error;
        // The service validates the name as a value; to the caller it is the `name` in the path.
        return sendAirlockError(
          request,
          reply,
          error.kind === "InvalidInput"
            ? { ...error, issues: error.issues.map((issue) => ({ ...issue, path: issue.path || "name" })) }
            : error,
        );
      }
      request.log.info({ requestId, size: uploaded.value.size }, "file uploaded through a link");
      return reply.code(201).header("x-ms-request-server-encrypted", "true").send(uploaded.value);
    },
  );

  blob.get<{ Params: BlobParams }>(
    "/blob/:requestId/:name",
    { schema: summary("Download one file (Azure Get Blob)") },
    async (request, reply) => {
      const { requestId, name } = request.params;
      const admitted = await admit(request, reply, requestId, "read");
      if (!admitted || !validName(request, reply, name)) return reply;
      const opened = await deps.storage.openRead(refOf(admitted.request), admitted.stage, name);
      if (opened.isErr()) return sendAirlockError(request, reply, fromStorageError(opened.error));
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
      const admitted = await admit(request, reply, requestId, "delete");
      if (!admitted || !validName(request, reply, name)) return reply;
      const deleted = await deps.storage.deleteFile(refOf(admitted.request), admitted.stage, name);
      if (deleted.isErr()) return sendAirlockError(request, reply, fromStorageError(deleted.error));
      request.log.info({ requestId }, "file deleted through a link");
      return reply.code(202).send();
    },
  );

  blob.get<{ Params: { readonly requestId: string }; Querystring: Record<string, string | undefined> }>(
    "/blob/:requestId",
    { schema: summary("List the container's files (Azure List Blobs: restype=container&comp=list)") },
    async (request, reply) => {
      const { requestId } = request.params;
      const admitted = await admit(request, reply, requestId, "list");
      if (!admitted) return reply;
      if (request.query.restype !== "container" || request.query.comp !== "list") {
        return sendProblem(
          request,
          reply,
          problem("InvalidInput", "a container supports only listing", {
            errors: [{ path: "comp", message: "use restype=container&comp=list" }],
          }),
        );
      }
      const listed = await deps.storage.listFiles(refOf(admitted.request), admitted.stage);
      if (listed.isErr()) return sendAirlockError(request, reply, fromStorageError(listed.error));
      return reply
        .type("application/xml")
        .send(enumerationResults(`${deps.baseUrl(request)}/blob/`, requestId, listed.value));
    },
  );
};
