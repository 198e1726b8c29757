import type { RequestType, Stage } from "@airlock/core";
import { StorageSharedKeyCredential } from "@azure/storage-blob";

/** One storage account: its name and the URL of its blob service (no trailing slash). */
export interface StorageAccount {
  readonly accountName: string;
  readonly blobEndpoint: string;
}

/**
 * Says which storage account holds a request's data in a stage. This is the explicit map: a
 * deployment whose accounts do not follow the naming convention writes its own resolver.
 */
export type StorageAccountResolver = (type: RequestType, stage: Stage, workspaceId: string) => StorageAccount;

/** Whether an account serves the whole TRE (`core`) or one workspace. */
export type AccountScope = "core" | "workspace";

/**
 * Upstream Azure TRE's account per stage. Core accounts are named `{prefix}{treId}`, workspace
 * accounts `{prefix}{workspaceSuffix}`: the data inside a workspace's boundary (import approved,
 * every export stage but approved) sits in that workspace's own accounts.
 */
export const STAGE_ACCOUNTS: Readonly<
  Record<RequestType, Readonly<Record<Stage, { readonly prefix: string; readonly scope: AccountScope }>>>
> = {
  import: {
    draft: { prefix: "stalimex", scope: "core" },
    in_progress: { prefix: "stalimip", scope: "core" },
    approved: { prefix: "stalimappws", scope: "workspace" },
    rejected: { prefix: "stalimrej", scope: "core" },
    blocked: { prefix: "stalimblocked", scope: "core" },
  },
  export: {
    draft: { prefix: "stalexintws", scope: "workspace" },
    in_progress: { prefix: "stalexipws", scope: "workspace" },
    approved: { prefix: "stalexapp", scope: "core" },
    rejected: { prefix: "stalexrejws", scope: "workspace" },
    blocked: { prefix: "stalexblockedws", scope: "workspace" },
  },
};

export interface NamingConventionOptions {
  /** The TRE id that suffixes the core accounts (lowercase letters and digits). */
  readonly treId: string;
  /**
   * The suffix of a workspace's accounts. Default: the last 4 letters or digits of the workspace
   * id, lowercased, as upstream's short workspace id. Override it when those can collide.
   */
  readonly workspaceSuffix?: (workspaceId: string) => string;
  /** The blob service URL of an account. Default `https://{name}.blob.core.windows.net`. */
  readonly blobEndpoint?: (accountName: string) => string;
}

export const defaultWorkspaceSuffix = (workspaceId: string): string =>
  workspaceId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(-4);

/** Resolves accounts by upstream's naming convention (see `STAGE_ACCOUNTS`). */
export const accountsByConvention = (options: NamingConventionOptions): StorageAccountResolver => {
  const suffix = options.workspaceSuffix ?? defaultWorkspaceSuffix;
  const endpoint = options.blobEndpoint ?? ((name: string) => `https://${name}.blob.core.windows.net`);
  return (type, stage, workspaceId) => {
    const { prefix, scope } = STAGE_ACCOUNTS[type][stage];
    const accountName = `${prefix}${scope === "core" ? options.treId : suffix(workspaceId)}`;
    return { accountName, blobEndpoint: endpoint(accountName) };
  };
};

/** Azure's rule for storage account names. */
export const isValidAccountName = (name: string): boolean => /^[a-z0-9]{3,24}$/.test(name);

/** Azure's rule for container names: 3–63 of a-z, 0-9 and single inner hyphens. */
export const isValidContainerName = (name: string): boolean =>
  name.length >= 3 && name.length <= 63 && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(name);

export interface ParsedConnectionString {
  readonly account: StorageAccount;
  readonly credential: StorageSharedKeyCredential;
}

/**
 * Reads an account-key connection string (`AccountName`, `AccountKey`, and `BlobEndpoint` or
 * `DefaultEndpointsProtocol` + `EndpointSuffix`), as Azurite and the portal give them.
 * Throws on a malformed string: it is configuration, read once at start-up.
 */
export const parseStorageConnectionString = (connectionString: string): ParsedConnectionString => {
  const fields = new Map<string, string>();
  for (const part of connectionString.split(";")) {
    const at = part.indexOf("=");
    if (at > 0) fields.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  const accountName = fields.get("accountname");
  const accountKey = fields.get("accountkey");
  if (!accountName || !accountKey) {
    throw new Error("storage connection string needs AccountName and AccountKey");
  }
  const protocol = fields.get("defaultendpointsprotocol") ?? "https";
  const suffix = fields.get("endpointsuffix") ?? "core.windows.net";
  const blobEndpoint = (fields.get("blobendpoint") ?? `${protocol}://${accountName}.blob.${suffix}`).replace(
    /\/+$/,
    "",
  );
  return {
    account: { accountName, blobEndpoint },
    credential: new StorageSharedKeyCredential(accountName, accountKey),
  };
};
