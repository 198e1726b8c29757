import type { Command } from "commander";
import { DEFAULT_API_AUDIENCE, DEV_SECRET_DEFAULT } from "../auth/dev-token.js";
import { type Credential, removeCredential, saveCredential } from "../config.js";
import { contextOf } from "../context.js";
import { CliError, EXIT } from "../errors.js";
import { collect, withExamples } from "./examples.js";

const TRE_ROLES = ["WorkspaceResearcher", "WorkspaceOwner", "AirlockManager", "TREUser", "TREAdmin"];

/** `W=CLIENT` pairs: the audience (clientId) of each workspace whose clientId is not its id. */
const audiences = (pairs: readonly string[]): Record<string, string> =>
  Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf("=");
      if (at <= 0 || at === pair.length - 1) {
        throw new CliError(`--audience takes WORKSPACE=CLIENT_ID, not "${pair}"`, EXIT.usage);
      }
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );

const describeCredential = (server: string, credential: Credential) =>
  credential.kind === "dev"
    ? `${credential.user} (${credential.roles.join(", ") || "no roles"}) on ${server}, development tokens`
    : `${credential.username} on ${server}, Entra ID tenant ${credential.tenant}`;

interface LoginOptions {
  dev?: boolean;
  user?: string;
  name?: string;
  email?: string;
  role: string[];
  tenant?: string;
  clientId?: string;
  authority?: string;
  apiAudience?: string;
  audience: string[];
}

export const registerSession = (program: Command) => {
  withExamples(
    program
      .command("login")
      .description("sign in to the server: Entra ID device code, or development tokens with --dev")
      .option("--dev", "development tokens (a server with AIRLOCK_AUTH_MODE=development)")
      .option("--user <id>", "with --dev: the user id")
      .option("--name <name>", "with --dev: the display name")
      .option("--email <email>", "with --dev: the e-mail address")
      .option("--role <role>", `with --dev: a role, repeatable (${TRE_ROLES.join(", ")})`, collect, [])
      .option("--tenant <id>", "Entra ID tenant (or AIRLOCK_TENANT_ID)")
      .option("--client-id <id>", "this command line's Entra ID application (or AIRLOCK_CLIENT_ID)")
      .option(
        "--authority <url>",
        "Entra ID authority for a sovereign cloud (or AIRLOCK_AUTHORITY; default https://login.microsoftonline.com/TENANT)",
      )
      .option("--api-audience <aud>", "the API's audience (or AIRLOCK_API_AUDIENCE)")
      .option("--audience <ws=clientId>", "a workspace whose clientId is not its id, repeatable", collect, [])
      .action(async (options: LoginOptions, command: Command) => {
        const context = await contextOf(command);
        const apiAudience = options.apiAudience ?? process.env.AIRLOCK_API_AUDIENCE;
        let credential: Credential;
        if (options.dev) {
          if (!options.user) throw new CliError("login --dev needs --user", EXIT.usage);
          const unknown = options.role.filter((role) => !TRE_ROLES.includes(role));
          if (unknown.length > 0) {
            throw new CliError(`unknown role ${unknown.join(", ")}: use ${TRE_ROLES.join(", ")}`, EXIT.usage);
          }
          const secret = process.env.AIRLOCK_DEV_SECRET;
          credential = {
            kind: "dev",
            user: options.user,
            ...(options.name ? { name: options.name } : {}),
            ...(options.email ? { email: options.email } : {}),
            roles: options.role,
            ...(secret && secret !== DEV_SECRET_DEFAULT ? { secret } : {}),
            ...(apiAudience && apiAudience !== DEFAULT_API_AUDIENCE ? { apiAudience } : {}),
            audiences: audiences(options.audience),
          };
        } else {
          const tenant = options.tenant ?? process.env.AIRLOCK_TENANT_ID;
          const clientId = options.clientId ?? process.env.AIRLOCK_CLIENT_ID;
          if (!tenant || !clientId || !apiAudience) {
            throw new CliError(
              "Entra ID sign-in needs --tenant, --client-id and --api-audience (or AIRLOCK_TENANT_ID, AIRLOCK_CLIENT_ID, AIRLOCK_API_AUDIENCE); for a development server use `airlock login --dev --user ID --role ROLE`",
              EXIT.usage,
            );
          }
          const { loginWithDeviceCode } = await import("../auth/entra.js");
          const authority = options.authority ?? process.env.AIRLOCK_AUTHORITY;
          credential = await loginWithDeviceCode({
            tenant,
            clientId,
            ...(authority ? { authority } : {}),
            apiAudience,
            audiences: audiences(options.audience),
            say: (message) => context.out.note(message),
          });
        }
        await saveCredential(context.server, credential);
        context.out.result(
          { server: context.server, ...publicView(credential) },
          () => `Signed in as ${describeCredential(context.server, credential)}`,
        );
      }),
    [
      "airlock login --dev --user alice --role WorkspaceResearcher",
      "airlock login --dev --user bob --role AirlockManager --server http://127.0.0.1:8080",
      "airlock login --tenant contoso.onmicrosoft.com --client-id 11111111-… --api-audience api://airlock",
    ],
  );

  withExamples(
    program
      .command("logout")
      .description("forget the sign-in for the server")
      .action(async (_options: unknown, command: Command) => {
        const context = await contextOf(command);
        if (context.credential?.kind === "entra") {
          const { forgetEntraAccount } = await import("../auth/entra.js");
          await forgetEntraAccount(context.credential);
        }
        const removed = await removeCredential(context.server);
        context.out.result({ server: context.server, signedOut: removed }, () =>
          removed ? `Signed out of ${context.server}` : `Not signed in to ${context.server}`,
        );
      }),
    ["airlock logout", "airlock logout --server https://airlock.example.org"],
  );

  withExamples(
    program
      .command("whoami")
      .description("who you are signed in as, on which server")
      .action(async (_options: unknown, command: Command) => {
        const context = await contextOf(command);
        if (!context.credential) {
          throw new CliError(`not signed in to ${context.server}: run \`airlock login\``, EXIT.auth);
        }
        const credential = context.credential;
        context.out.result({ server: context.server, ...publicView(credential) }, () =>
          describeCredential(context.server, credential),
        );
      }),
    ["airlock whoami", "airlock whoami --json"],
  );
};

/** A credential without anything secret, for output. */
const publicView = (credential: Credential) =>
  credential.kind === "dev"
    ? { kind: "dev", user: credential.user, roles: credential.roles }
    : { kind: "entra", user: credential.username, tenant: credential.tenant };
