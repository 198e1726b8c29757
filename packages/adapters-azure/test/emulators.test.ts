import { CosmosClient } from "@azure/cosmos";
import { BlobServiceClient } from "@azure/storage-blob";
import { describe, expect, it } from "vitest";
import { startAzurite, startCosmosEmulator } from "../src/testing/emulators.js";

const refuses = async (url: string) => {
  const error = await fetch(url).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  return error !== undefined;
};

describe("emulator helpers", () => {
  it("Azurite serves its connection string until stopped, then its port is closed", async () => {
    const azurite = await startAzurite();
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const container = service.getContainerClient(`probe-${crypto.randomUUID()}`);
    await container.create();
    expect(await container.exists()).toBe(true);
    expect(azurite.blobEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    await azurite.stop();
    expect(await refuses(azurite.blobEndpoint)).toBe(true);
    await azurite.stop();
  });

  it("the Cosmos emulator serves its endpoint until stopped, then its port is closed", async () => {
    const cosmos = await startCosmosEmulator();
    const client = new CosmosClient({ ...cosmos.clientOptions, endpoint: cosmos.endpoint, key: cosmos.key });
    const { database } = await client.databases.createIfNotExists({ id: "probe" });
    expect((await database.read()).resource?.id).toBe("probe");
    await cosmos.stop();
    expect(await refuses(cosmos.endpoint.replace("https:", "http:"))).toBe(true);
  });
});
