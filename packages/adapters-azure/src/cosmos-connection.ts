import { type Container, type ContainerRequest, CosmosClient, type CosmosClientOptions } from "@azure/cosmos";
import { statusOf } from "./errors.js";

/** A ready client, or what it takes to make one on first use. */
export type CosmosConnection =
  | { readonly client: CosmosClient }
  | {
      readonly endpoint: string;
      readonly key: string;
      /** Anything else the client needs (an https agent, `connectionPolicy` for an emulator, …). */
      readonly clientOptions?: Omit<CosmosClientOptions, "endpoint" | "key">;
    };

/** The system properties Cosmos adds to every document; never part of our domain objects. */
export type CosmosSystemFields = {
  readonly _rid?: string;
  readonly _self?: string;
  readonly _ts?: number;
  readonly _attachments?: string;
  readonly _etag?: string;
};

/** Removes Cosmos' system properties from a stored document. */
export const stripSystemFields = <T extends CosmosSystemFields>(
  document: T,
): Omit<T, keyof CosmosSystemFields> => {
  const { _rid, _self, _ts, _attachments, _etag, ...rest } = document;
  return rest;
};

const existing = async <T>(create: () => Promise<T>, found: () => T): Promise<T> => {
  try {
    return await create();
  } catch (error) {
    if (statusOf(error) === 409) return found();
    throw error;
  }
};

/**
 * The container, created with its database on first use and remembered. A failed attempt is
 * forgotten, so the next call tries again instead of repeating a stale failure.
 */
export const lazyContainer = (
  connection: CosmosConnection,
  databaseId: string,
  definition: ContainerRequest & { readonly id: string },
): (() => Promise<Container>) => {
  let pending: Promise<Container> | undefined;
  return () => {
    pending ??= (async () => {
      const client =
        "client" in connection
          ? connection.client
          : new CosmosClient({
              ...connection.clientOptions,
              endpoint: connection.endpoint,
              key: connection.key,
            });
      // createIfNotExists reads, then creates: another process may create in between and make
      // ours a 409, which only means the resource now exists.
      const { database } = await existing(
        () => client.databases.createIfNotExists({ id: databaseId }),
        () => ({ database: client.database(databaseId) }),
      );
      const { container } = await existing(
        () => database.containers.createIfNotExists(definition),
        () => ({ container: database.container(definition.id) }),
      );
      return container;
    })().then(
      (container) => container,
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
};
