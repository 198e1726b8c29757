import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type ICachePlugin,
  InteractionRequiredAuthError,
  PublicClientApplication,
  type TokenCacheContext,
} from "@azure/msal-node";
import { configDir, type EntraCredential, ensureConfigDir, writePrivateFile } from "../config.js";
import { CliError, EXIT } from "../errors.js";

type Env = Readonly<Record<string, string | undefined>>;

const CACHE_FILE = "msal-cache.json";

/** MSAL's token cache kept in the config directory, readable by its owner only. */
export const fileCache = (env: Env): ICachePlugin => ({
  beforeCacheAccess: async (context: TokenCacheContext) => {
    const text = await readFile(join(configDir(env), CACHE_FILE), "utf8").catch(() => undefined);
    if (text !== undefined) context.tokenCache.deserialize(text);
  },
  afterCacheAccess: async (context: TokenCacheContext) => {
    if (!context.cacheHasChanged) return;
    const dir = await ensureConfigDir(env);
    await writePrivateFile(join(dir, CACHE_FILE), context.tokenCache.serialize());
  },
});

/**
 * The scope that yields a token whose audience is `audience` (an application's client id or
 * application id URI): the `.default` scope of that resource.
 */
export const scopeFor = (audience: string): string => `${audience.replace(/\/+$/, "")}/.default`;

/** Entra ID's public cloud; sovereign clouds and test stand-ins are named with --authority. */
export const PUBLIC_CLOUD = "https://login.microsoftonline.com";

const application = (authority: string, clientId: string, env: Env) =>
  new PublicClientApplication({
    auth: {
      clientId,
      authority,
      // An authority host other than the public cloud's is trusted as named, without asking the
      // public cloud's instance discovery about it.
      ...(new URL(authority).origin === PUBLIC_CLOUD ? {} : { knownAuthorities: [new URL(authority).host] }),
    },
    cache: { cachePlugin: fileCache(env) },
  });

export interface EntraLogin {
  readonly tenant: string;
  /** The authority URL; default the public cloud's, `https://login.microsoftonline.com/{tenant}`. */
  readonly authority?: string;
  readonly clientId: string;
  readonly apiAudience: string;
  readonly audiences: Readonly<Record<string, string>>;
  /** Where the device code's instructions go (never stdout when it carries JSON). */
  readonly say: (message: string) => void;
}

/** Signs in with the device code flow: the user opens a page, types a code, and MSAL caches the tokens. */
export const loginWithDeviceCode = async (
  input: EntraLogin,
  env: Env = process.env,
): Promise<EntraCredential> => {
  const authority = input.authority?.replace(/\/+$/, "") ?? `${PUBLIC_CLOUD}/${input.tenant}`;
  const app = application(authority, input.clientId, env);
  const result = await app.acquireTokenByDeviceCode({
    scopes: [scopeFor(input.apiAudience)],
    deviceCodeCallback: (response) => input.say(response.message),
  });
  if (!result?.account) throw new CliError("Entra ID answered without an account", EXIT.auth);
  return {
    kind: "entra",
    tenant: input.tenant,
    clientId: input.clientId,
    authority,
    apiAudience: input.apiAudience,
    homeAccountId: result.account.homeAccountId,
    username: result.account.username,
    audiences: { ...input.audiences },
  };
};

/** A token for `audience` from the cache, refreshed by MSAL when it has expired. */
export const entraToken = async (credential: EntraCredential, audience: string, env: Env = process.env) => {
  const app = application(credential.authority, credential.clientId, env);
  const account = await app.getTokenCache().getAccountByHomeId(credential.homeAccountId);
  if (!account) throw new CliError("the Entra ID sign-in has expired: run `airlock login`", EXIT.auth);
  try {
    const result = await app.acquireTokenSilent({ account, scopes: [scopeFor(audience)] });
    return result.accessToken;
  } catch (error) {
    if (error instanceof InteractionRequiredAuthError) {
      throw new CliError(
        `Entra ID needs you to sign in again for ${audience}: run \`airlock login\``,
        EXIT.auth,
      );
    }
    throw error;
  }
};

/** Removes the account from MSAL's cache. */
export const forgetEntraAccount = async (credential: EntraCredential, env: Env = process.env) => {
  const app = application(credential.authority, credential.clientId, env);
  const cache = app.getTokenCache();
  const account = await cache.getAccountByHomeId(credential.homeAccountId);
  if (account) await cache.removeAccount(account);
};
