import { requestRepositoryContract, storedDocumentContract } from "@airlock/core/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createCosmosRequestRepository } from "../src/cosmos-request-repository.js";
import { type CosmosBackend, startCosmosBackend } from "./support/backends.js";

let backend: CosmosBackend;
beforeAll(async () => {
  backend = await startCosmosBackend();
});
afterAll(async () => {
  await backend?.stop();
});

const repository = () =>
  createCosmosRequestRepository({
    ...backend.connection,
    databaseId: backend.databaseId,
    containerId: backend.containerId("requests"),
  });

requestRepositoryContract({ describe, it }, repository);
storedDocumentContract({ describe, it }, repository);
