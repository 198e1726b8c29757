import { createApiClient } from "../api/client";

/**
 * The clientId of each workspace (its app registration, the audience of its tokens), from the
 * workspaces the signed-in person is a member of (`GET /api/workspaces`, with a token for the API).
 * A workspace the list does not name (or a list that cannot be read) is taken to be registered
 * under its own id: the API then answers that workspace's calls with its own problem.
 */
export const workspaceClientIds = (apiToken: () => Promise<string>) => {
  // Only the TRE-wide list is asked for here, so every call takes the API's token.
  const api = createApiClient(() => apiToken());
  let listing: Promise<ReadonlyMap<string, string>> | undefined;
  const list = async (): Promise<ReadonlyMap<string, string>> => {
    const { workspaces } = await api.myWorkspaces();
    return new Map(workspaces.map((workspace) => [workspace.id, workspace.clientId]));
  };
  return async (workspace: string): Promise<string> => {
    listing ??= list().catch((error: unknown) => {
      // Not remembered: the next workspace call asks again.
      listing = undefined;
      throw error;
    });
    try {
      return (await listing).get(workspace) ?? workspace;
    } catch {
      return workspace;
    }
  };
};
