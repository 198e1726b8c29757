import type { Workspace, WorkspaceDirectoryError, WorkspaceRegistry } from "@airlock/core";
import { notFound } from "@airlock/core";
import type { Container } from "@azure/cosmos";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import {
  type CosmosConnection,
  type CosmosSystemFields,
  lazyContainer,
  stripSystemFields,
} from "./cosmos-connection.js";
import { toWorkspaceDirectoryError } from "./errors.js";

export type CosmosWorkspaceRegistryOptions = CosmosConnection & {
  readonly databaseId: string;
  /** Default `workspaces`. */
  readonly containerId?: string;
};

type StoredWorkspace = Workspace & CosmosSystemFields;

const toWorkspace = (stored: StoredWorkspace): Workspace => stripSystemFields(stored);

/** `WorkspaceRegistry` on Cosmos DB: one document per workspace, partitioned by its own `/id`. */
/** A workspace registry that can also be asked to create its container up front. */
export interface CosmosWorkspaceRegistry extends WorkspaceRegistry {
  /** Creates the database and container when missing; every other method calls it first. */
  ensure(): ResultAsync<void, WorkspaceDirectoryError>;
}

export const createCosmosWorkspaceRegistry = (
  options: CosmosWorkspaceRegistryOptions,
): CosmosWorkspaceRegistry => {
  const container = lazyContainer(options, options.databaseId, {
    id: options.containerId ?? "workspaces",
    partitionKey: { paths: ["/id"] },
  });

  const run = <T>(what: string, body: (c: Container) => Promise<Result<T, WorkspaceDirectoryError>>) =>
    new ResultAsync(
      container()
        .then(body)
        .catch((error: unknown) => err<T, WorkspaceDirectoryError>(toWorkspaceDirectoryError(error, what))),
    );

  const registry = {
    get: (workspaceId: string) =>
      run(`get workspace ${workspaceId}`, async (c) => {
        // A point read answers 404 as a response, not as an error.
        const { resource } = await c.item(workspaceId, workspaceId).read<StoredWorkspace>();
        return resource === undefined
          ? err(notFound(`workspace ${workspaceId} not found`))
          : ok(toWorkspace(resource));
      }),

    list: () =>
      run("list workspaces", async (c) => {
        const { resources } = await c.items
          .query<StoredWorkspace>("SELECT * FROM c ORDER BY c.id ASC")
          .fetchAll();
        return ok(resources.map(toWorkspace));
      }),

    put: (workspace: Workspace) =>
      run(`put workspace ${workspace.id}`, async (c) => {
        const { resource } = await c.items.upsert<Workspace>(workspace);
        if (resource === undefined) throw new Error("Cosmos answered an upsert without the document");
        return ok(toWorkspace(resource));
      }),

    ensure: (): ResultAsync<void, WorkspaceDirectoryError> =>
      run("ensure workspaces container", async () => ok(undefined)),
  } satisfies CosmosWorkspaceRegistry;

  return registry;
};
