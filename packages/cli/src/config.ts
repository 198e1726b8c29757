import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { CliError, EXIT } from "./errors.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Where the command line keeps its sign-in: `$XDG_CONFIG_HOME/airlock`, or `~/.config/airlock`. */
export const configDir = (env: Env = process.env): string =>
  env.XDG_CONFIG_HOME ? join(env.XDG_CONFIG_HOME, "airlock") : join(homedir(), ".config", "airlock");

export const DEFAULT_SERVER = "http://127.0.0.1:8080";

/** The server's URL without trailing slashes; a URL that is not http(s) is a usage error. */
export const normaliseServer = (raw: string): string => {
  const url = URL.parse(raw);
  if (!url || !/^https?:$/.test(url.protocol)) {
    throw new CliError(`the server must be an http(s) URL, not "${raw}"`, EXIT.usage);
  }
  return raw.replace(/\/+$/, "");
};

/** A development sign-in: tokens are minted on each call with the server's development secret. */
const DevCredential = z.object({
  kind: z.literal("dev"),
  user: z.string(),
  name: z.string().optional(),
  email: z.string().optional(),
  roles: z.array(z.string()),
  /** Only when it is not the documented development secret. */
  secret: z.string().optional(),
  apiAudience: z.string().optional(),
  /** Workspace id → its clientId, where they differ. */
  audiences: z.record(z.string(), z.string()).default({}),
});

/** An Entra ID sign-in: tokens come from MSAL's cache (a file beside this one). */
const EntraCredential = z.object({
  kind: z.literal("entra"),
  tenant: z.string(),
  clientId: z.string(),
  authority: z.string(),
  apiAudience: z.string(),
  homeAccountId: z.string(),
  username: z.string(),
  audiences: z.record(z.string(), z.string()).default({}),
});

export const Credential = z.discriminatedUnion("kind", [DevCredential, EntraCredential]);
export type Credential = z.infer<typeof Credential>;
export type DevCredential = z.infer<typeof DevCredential>;
export type EntraCredential = z.infer<typeof EntraCredential>;

const Store = z.object({
  /** The server of the last sign-in, used when neither --server nor AIRLOCK_URL names one. */
  current: z.string().optional(),
  servers: z.record(z.string(), Credential).default({}),
});
type Store = z.infer<typeof Store>;

const CREDENTIALS = "credentials.json";

/**
 * Creates the config directory readable by its owner only (0700), tightening one that exists:
 * it holds tokens.
 */
export const ensureConfigDir = async (env: Env = process.env): Promise<string> => {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return dir;
};

/** Writes a file readable and writable by its owner only (0600), whole or not at all. */
export const writePrivateFile = async (path: string, text: string): Promise<void> => {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
};

const readStore = async (env: Env): Promise<Store> => {
  const text = await readFile(join(configDir(env), CREDENTIALS), "utf8").catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  });
  if (text === undefined) return { servers: {} };
  const parsed = Store.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new CliError(
      `${join(configDir(env), CREDENTIALS)} is not a sign-in this version reads; run \`airlock logout\` and sign in again`,
      EXIT.auth,
    );
  }
  return parsed.data;
};

const writeStore = async (env: Env, store: Store): Promise<void> => {
  const dir = await ensureConfigDir(env);
  await writePrivateFile(join(dir, CREDENTIALS), `${JSON.stringify(store, null, 2)}\n`);
};

/** Which server a command talks to: --server, then AIRLOCK_URL, then the last sign-in's, then the default. */
export const resolveServer = async (option: string | undefined, env: Env = process.env): Promise<string> => {
  if (option) return normaliseServer(option);
  if (env.AIRLOCK_URL) return normaliseServer(env.AIRLOCK_URL);
  const store = await readStore(env);
  return store.current ?? DEFAULT_SERVER;
};

export const loadCredential = async (
  server: string,
  env: Env = process.env,
): Promise<Credential | undefined> => (await readStore(env)).servers[server];

export const saveCredential = async (server: string, credential: Credential, env: Env = process.env) => {
  const store = await readStore(env);
  await writeStore(env, { current: server, servers: { ...store.servers, [server]: credential } });
};

/** Forgets the sign-in for `server`; answers whether there was one. */
export const removeCredential = async (server: string, env: Env = process.env): Promise<boolean> => {
  const store = await readStore(env);
  if (!(server in store.servers)) return false;
  const { [server]: _removed, ...rest } = store.servers;
  await writeStore(env, {
    ...(store.current && store.current !== server ? { current: store.current } : {}),
    servers: rest,
  });
  return true;
};
