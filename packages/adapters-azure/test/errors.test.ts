import { createServer } from "node:net";
import { CosmosClient, ErrorResponse } from "@azure/cosmos";
import { BlobServiceClient, RestError, StorageSharedKeyCredential } from "@azure/storage-blob";
import { describe, expect, it } from "vitest";
import {
  classifyAzureError,
  toAuditLogError,
  toRepositoryError,
  toStorageError,
  toWorkspaceDirectoryError,
} from "../src/errors.js";
import { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME, COSMOS_EMULATOR_KEY } from "../src/testing/emulators.js";

const restError = (statusCode: number, code: string) =>
  new RestError(`service said ${code}`, { statusCode, code });

const cosmosError = (code: number) => {
  const error = new ErrorResponse(`cosmos said ${code}`);
  error.code = code;
  return error;
};

/** A loopback port nothing listens on. */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
};

const caught = async (run: () => Promise<unknown>): Promise<unknown> => {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
};

describe("mapping Blob storage errors", () => {
  it("a missing blob or container is NotFound", () => {
    expect(toStorageError(restError(404, "BlobNotFound"), "read").kind).toBe("NotFound");
    expect(toStorageError(restError(404, "ContainerNotFound"), "list").kind).toBe("NotFound");
    expect(toStorageError(new RestError("gone", { statusCode: 404 }), "read").kind).toBe("NotFound");
  });

  it("a body over the service's limit is TooLarge with the limit we were given", () => {
    expect(toStorageError(restError(413, "RequestBodyTooLarge"), "upload", 1024)).toMatchObject({
      kind: "TooLarge",
      limit: 1024,
    });
  });

  it("an invalid resource name is InvalidInput", () => {
    expect(toStorageError(restError(400, "InvalidResourceName"), "provision").kind).toBe("InvalidInput");
  });

  it("a 400 about a blob's name is InvalidInput, never Unavailable", () => {
    expect(toStorageError(restError(400, "InvalidUri"), "read").kind).toBe("InvalidInput");
    // Reads and HEADs carry no body, so the service's 400 names no code.
    expect(toStorageError(new RestError("", { statusCode: 400 }), "describe").kind).toBe("InvalidInput");
    // A 400 with another code is a request of ours that storage did not take: logged, not blamed on input.
    expect(toStorageError(restError(400, "InvalidBlockList"), "upload").kind).toBe("Unavailable");
  });

  it("a conflict in storage is Unavailable, since storage has no Conflict kind", () => {
    const error = restError(409, "ContainerBeingDeleted");
    expect(toStorageError(error, "provision")).toMatchObject({ kind: "Unavailable", cause: error });
  });

  it("throttling and server errors are Unavailable and keep their cause", () => {
    for (const error of [
      restError(503, "ServerBusy"),
      restError(500, "InternalError"),
      restError(429, "TooManyRequests"),
    ]) {
      const mapped = toStorageError(error, "upload");
      expect(mapped).toMatchObject({ kind: "Unavailable", cause: error });
      expect(mapped.message).toContain("upload");
    }
  });

  it("a refused connection from the real SDK is Unavailable", async () => {
    const port = await closedPort();
    const service = new BlobServiceClient(
      `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`,
      new StorageSharedKeyCredential(AZURITE_ACCOUNT_NAME, AZURITE_ACCOUNT_KEY),
      { retryOptions: { maxTries: 1 } },
    );
    const error = await caught(() => service.getContainerClient("probe").getProperties());
    expect(classifyAzureError(error)).toBe("Unavailable");
    expect(toStorageError(error, "provision")).toMatchObject({ kind: "Unavailable", cause: error });
  });

  it("something that is not an SDK error at all is Unavailable with its cause", () => {
    const error = new TypeError("undefined is not a function");
    expect(toStorageError(error, "move")).toMatchObject({ kind: "Unavailable", cause: error });
    expect(toStorageError("a string", "move").kind).toBe("Unavailable");
  });
});

describe("mapping Cosmos DB errors", () => {
  it("a duplicate id (409) and a failed precondition (412) are Conflict", () => {
    expect(toRepositoryError(cosmosError(409), "create").kind).toBe("Conflict");
    expect(toRepositoryError(cosmosError(412), "update").kind).toBe("Conflict");
  });

  it("a missing document is NotFound", () => {
    expect(toRepositoryError(cosmosError(404), "update").kind).toBe("NotFound");
  });

  it("throttling (429), timeouts and server errors are Unavailable with their cause", () => {
    for (const code of [429, 408, 500, 503]) {
      const error = cosmosError(code);
      expect(toRepositoryError(error, "list")).toMatchObject({ kind: "Unavailable", cause: error });
    }
  });

  it("a bad query (400) is Unavailable: it is our bug, not the caller's input", () => {
    expect(toRepositoryError(cosmosError(400), "list").kind).toBe("Unavailable");
  });

  it("the audit log answers every failure as Unavailable", () => {
    for (const error of [cosmosError(409), cosmosError(404), new Error("boom")]) {
      expect(toAuditLogError(error, "append")).toMatchObject({ kind: "Unavailable", cause: error });
    }
  });

  it("the workspace directory answers 404 as NotFound and the rest as Unavailable", () => {
    expect(toWorkspaceDirectoryError(cosmosError(404), "get").kind).toBe("NotFound");
    expect(toWorkspaceDirectoryError(cosmosError(409), "put").kind).toBe("Unavailable");
  });

  it("a refused connection from the real Cosmos SDK is Unavailable", async () => {
    const port = await closedPort();
    const client = new CosmosClient({
      endpoint: `https://127.0.0.1:${port}`,
      key: COSMOS_EMULATOR_KEY,
      connectionPolicy: {
        enableEndpointDiscovery: false,
        retryOptions: {
          maxRetryAttemptCount: 0,
          fixedRetryIntervalInMilliseconds: 0,
          maxWaitTimeInSeconds: 1,
        },
      },
    });
    const error = await caught(() => client.database("airlock").read());
    expect(toRepositoryError(error, "get")).toMatchObject({ kind: "Unavailable", cause: error });
  });
});
