/** What the server tells the console at start (`GET /console/config.json`): never an inline script. */
export type ConsoleConfig =
  | { readonly authMode: "development"; readonly apiAudience: string }
  | {
      readonly authMode: "entra";
      readonly apiAudience: string;
      readonly clientId: string;
      readonly authority: string;
      /** The scope asked for TRE-wide routes, e.g. `api://airlock-api/user_impersonation`. */
      readonly apiScope: string;
      /** The scope of a workspace's routes, with `{clientId}` standing for the workspace's clientId. */
      readonly workspaceScope: string;
      /**
       * How MSAL talks to the authority: absent (or `AAD`) for Entra ID; `OIDC` for a standard
       * OpenID provider that is not Microsoft's (a test's own provider).
       */
      readonly protocolMode?: "AAD" | "OIDC";
    };

export const loadConfig = async (): Promise<ConsoleConfig> => {
  const response = await fetch("/console/config.json", { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`the console's settings could not be read (HTTP ${response.status})`);
  return (await response.json()) as ConsoleConfig;
};
