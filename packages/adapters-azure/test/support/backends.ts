/**
 * The Azure services the adapter tests run against.
 *
 * By default (AIRLOCK_TEST_MODE unset) each test file starts its own emulators: Azurite's blob
 * service as a child process and the in-process Cosmos DB server, both on random loopback ports,
 * stopped when the file ends. Nothing is ever skipped.
 *
 * AIRLOCK_TEST_MODE=live runs the same tests against real Azure, read from:
 *   AZURE_STORAGE_CONNECTION_STRING  account-key connection string of a storage account. Tests use
 *                                    the "single-account-prefixes" layout in it and delete the
 *                                    containers they created when the file ends.
 *   COSMOS_ENDPOINT, COSMOS_KEY      a Cosmos DB (NoSQL) account.
 *   COSMOS_DATABASE                  optional, default "airlock-test". Tests create one container
 *                                    per test in it and delete them when the file ends.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { CosmosClient } from "@azure/cosmos";
import { BlobServiceClient } from "@azure/storage-blob";
import { type BlobStorageCommonOptions, createBlobStorage } from "../../src/blob-storage.js";
import type { CosmosConnection } from "../../src/cosmos-connection.js";
import { statusOf } from "../../src/errors.js";
import { accountsByConvention, parseStorageConnectionString } from "../../src/storage-accounts.js";
import { startAzurite, startCosmosEmulator } from "../../src/testing/emulators.js";

const live = process.env.AIRLOCK_TEST_MODE === "live";

const required = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`AIRLOCK_TEST_MODE=live needs ${name}`);
  return value;
};

export interface BlobBackend {
  readonly connectionString: string;
  /** This file's run tag: a container named `{name}{tag}-{anything}` is deleted when the file ends (live mode). */
  readonly tag: string;
  /** A fresh adapter; its containers carry this file's run tag, so runs never collide. */
  storage(overrides?: Partial<BlobStorageCommonOptions>): ReturnType<typeof createBlobStorage>;
  stop(): Promise<void>;
}

export const startBlobBackend = async (): Promise<BlobBackend> => {
  const emulator = live ? undefined : await startAzurite();
  const connectionString = emulator?.connectionString ?? required("AZURE_STORAGE_CONNECTION_STRING");
  // Lowercase letters and digits, so `stalexblockedws{tag}-{uuid}` stays a valid container name.
  const tag = `t${randomBytes(3).toString("hex")}`;
  const { account, credential } = parseStorageConnectionString(connectionString);
  return {
    connectionString,
    tag,
    storage: (overrides = {}) =>
      createBlobStorage({
        accounts: accountsByConvention({ treId: tag, workspaceSuffix: () => tag }),
        ...overrides,
        layout: "single-account-prefixes",
        account,
        credential,
      }),
    stop: async () => {
      if (emulator !== undefined) return emulator.stop();
      const service = BlobServiceClient.fromConnectionString(connectionString);
      for await (const container of service.listContainers()) {
        if (container.name.includes(`${tag}-`)) await service.deleteContainer(container.name);
      }
    },
  };
};

export interface CosmosBackend {
  readonly connection: CosmosConnection;
  readonly databaseId: string;
  /** A container id no other test uses, so list queries see only their own test's documents. */
  containerId(kind: string): string;
  stop(): Promise<void>;
}

export const startCosmosBackend = async (): Promise<CosmosBackend> => {
  const emulator = live ? undefined : await startCosmosEmulator();
  const connection: CosmosConnection = emulator?.connection ?? {
    endpoint: required("COSMOS_ENDPOINT"),
    key: required("COSMOS_KEY"),
  };
  const databaseId = emulator === undefined ? (process.env.COSMOS_DATABASE ?? "airlock-test") : "airlock";
  const created: string[] = [];
  return {
    connection,
    databaseId,
    containerId: (kind) => {
      const id = `${kind}-${randomUUID()}`;
      created.push(id);
      return id;
    },
    stop: async () => {
      if (emulator !== undefined) return emulator.stop();
      const client = "client" in connection ? connection.client : new CosmosClient(connection);
      for (const id of created) {
        try {
          await client.database(databaseId).container(id).delete();
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
        }
      }
    },
  };
};
