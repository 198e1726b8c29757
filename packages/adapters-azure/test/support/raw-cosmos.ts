import { type Container, CosmosClient } from "@azure/cosmos";
import type { CosmosBackend } from "./backends.js";

/** The raw container, to change the store behind an adapter's back as an intruder would. */
export const rawCosmosContainer = (backend: CosmosBackend, containerId: string): Container => {
  const { connection } = backend;
  const client =
    "client" in connection
      ? connection.client
      : new CosmosClient({ ...connection.clientOptions, ...connection });
  return client.database(backend.databaseId).container(containerId);
};

/** The id the Cosmos audit log gives an entry (streams in these tests need no escaping). */
export const storedEntryId = (stream: string, seq: number) => `${stream}:${seq.toString().padStart(12, "0")}`;
