/**
 * A workspace as `GET /api/workspaces` lists it: only its clientId matters for sign-in. The list is
 * read here with fetch rather than the API client, whose token source this module serves.
 */
interface ListedWorkspace {
  readonly id: string;
  readonly clientId: string;
}

const isListed = (value: unknown): value is ListedWorkspace =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as ListedWorkspace).id === "string" &&
  typeof (value as ListedWorkspace).clientId === "string";

/**
 * The clientId of each workspace (its app registration, the audience of its tokens), from the
 * workspaces the signed-in person is a member of (`GET /api/workspaces`, with a token for the API).
 * A workspace the list does not name (or a list that cannot be read) is taken to be registered
 * under its own id: the API then answers that workspace's calls with its own problem.
 */
export const workspaceClientIds = (apiToken: () => Promise<string>) => {
  let listing: Promise<ReadonlyMap<string, string>> | undefined;
  const list = async (): Promise<ReadonlyMap<string, string>> => {
    const response = await fetch("/api/workspaces", {
      headers: { authorization: `Bearer ${await apiToken()}`, accept: "application/json" },
    });
    if (!response.ok) throw new Error(`GET /api/workspaces answered ${response.status}`);
    const body = (await response.json()) as { workspaces?: unknown };
    const workspaces = Array.isArray(body.workspaces) ? body.workspaces.filter(isListed) : [];
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
