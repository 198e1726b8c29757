import { storageContract } from "@airlock/core/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type BlobBackend, startBlobBackend } from "./support/backends.js";

let backend: BlobBackend;
beforeAll(async () => {
  backend = await startBlobBackend();
});
afterAll(async () => {
  await backend?.stop();
});

storageContract({ describe, it }, () => backend.storage());
