import type { Credential } from "../config.js";
import { CliError, EXIT } from "../errors.js";
import { DEFAULT_API_AUDIENCE, mintDevToken } from "./dev-token.js";

/** Which audience a route needs: the API's own (TRE-wide routes) or a workspace's. */
export type Audience =
  | { readonly kind: "api" }
  | { readonly kind: "workspace"; readonly workspaceId: string };

export const API: Audience = { kind: "api" };
export const workspaceAudience = (workspaceId: string): Audience => ({ kind: "workspace", workspaceId });

const WORKSPACE_ROLES = new Set(["WorkspaceResearcher", "WorkspaceOwner", "AirlockManager"]);

/** The audience string for a route: a workspace's clientId defaults to its id. */
export const audienceOf = (credential: Credential, audience: Audience): string => {
  const api = credential.apiAudience ?? DEFAULT_API_AUDIENCE;
  if (audience.kind === "api") return api;
  // A TRE admin without workspace roles reaches the routes that admit TREAdmin with the API's audience.
  if (credential.kind === "dev" && !credential.roles.some((role) => WORKSPACE_ROLES.has(role))) return api;
  return credential.audiences[audience.workspaceId] ?? audience.workspaceId;
};

export type TokenSource = (audience: Audience) => Promise<string>;

/** Where the API client gets its bearer tokens from, for the signed-in credential. */
export const tokenSource =
  (credential: Credential | undefined): TokenSource =>
  async (audience) => {
    if (!credential)
      throw new CliError("not signed in: run `airlock login` (or `airlock login --dev …`)", EXIT.auth);
    const target = audienceOf(credential, audience);
    if (credential.kind === "dev") return mintDevToken(credential, target);
    const { entraToken } = await import("./entra.js");
    return entraToken(credential, target);
  };
