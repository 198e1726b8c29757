import { parseStorageConnectionString } from "@airlock/adapters-azure";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import { type ClamdSettings, SCANNER_VARIABLES, scannerChoiceFromEnv } from "./scanner-settings.js";

/**
 * The azure profile's settings, read from the environment once at start. Every variable is
 * described in `AZURE_VARIABLES` (and the adapters-azure README); a missing or invalid one stops
 * the server with a message naming it.
 */
export interface AzureSettings {
  readonly storage:
    | {
        /** Every stage is its own storage account, named by upstream's convention (production). */
        readonly layout: "accounts";
        readonly treId: string;
        /** `core.windows.net`, or another cloud's suffix: accounts are `https://{name}.blob.{suffix}`. */
        readonly endpointSuffix: string;
      }
    | {
        /** Every stage is a container prefix in one account (Azurite, small deployments). */
        readonly layout: "single-account-prefixes";
        readonly treId: string;
        /** An account-key connection string; without it, `accountUrl` and the managed identity. */
        readonly connectionString?: string;
        readonly accountUrl?: string;
      };
  readonly cosmos: {
    readonly endpoint: string;
    /** The account key; without it, the managed identity (Cosmos DB Built-in Data Contributor). */
    readonly key?: string;
    readonly database: string;
    readonly containers: { readonly requests: string; readonly audit: string; readonly workspaces: string };
    /** The emulator: its self-signed certificate is accepted and endpoint discovery is off. */
    readonly emulator: boolean;
  };
  /** Absent: events stay in the process (memory publisher). */
  readonly eventGrid?: { readonly endpoint: string; readonly key?: string };
  /** Absent: notifications stay in the process (memory notifier). */
  readonly email?: { readonly connectionString: string; readonly sender: string };
  readonly portalUrl?: string;
  /** The `?code=` of Defender's Event Grid subscription to `/api/events`. */
  readonly eventsKey?: string;
  /** Object ids of the service principals that may deliver to `/api/events` with a bearer token. */
  readonly eventsPrincipals?: readonly string[];
  /**
   * `defender` in production, or `clamav` (clamd at `clamd`); `local` reads blobs itself and finds
   * the EICAR test string.
   */
  readonly scanner: "defender" | "local" | "clamav";
  /** Where clamd listens, with `scanner: "clamav"`. */
  readonly clamd?: ClamdSettings;
  /** The audit log's keys and checkpoint store; absent: keys made for this process (development only). */
  readonly audit?: AuditSettings;
}

/** Where the audit log's keys and checkpoints come from (see docs/events-and-notifications.md). */
export interface AuditSettings {
  /** The chain key, base64 (at least 32 bytes), or a file holding it. Absent: made for this process. */
  readonly chainKey?: { readonly value: string } | { readonly file: string };
  /** The Ed25519 private key (PKCS#8 PEM) signing checkpoints, or a file holding it. */
  readonly signingKey?: { readonly value: string } | { readonly file: string };
  /** The Ed25519 public key (SPKI PEM) checking checkpoints, where only verifying (verify-audit). */
  readonly verifyKey?: { readonly value: string } | { readonly file: string };
  /** The checkpoint container's account; absent: the storage account of the single-account layout. */
  readonly checkpointsConnectionString?: string;
  readonly checkpointsAccountUrl?: string;
  readonly checkpointsContainer: string;
}

/** Each variable of the azure profile and what it means, for the README and `--help`-like messages. */
export const AZURE_VARIABLES: Readonly<Record<string, string>> = {
  AIRLOCK_PROFILE: '"azure" selects this profile ("memory", the default, keeps everything in the process)',
  AIRLOCK_TRE_ID: "the TRE id that ends the core storage account names (1–11 lowercase letters or digits)",
  AIRLOCK_STORAGE_LAYOUT:
    '"accounts" (default: one storage account per stage, upstream\'s names) or "single-account-prefixes"',
  AIRLOCK_STORAGE_ENDPOINT_SUFFIX: 'accounts layout: the blob endpoint suffix (default "core.windows.net")',
  AIRLOCK_STORAGE_CONNECTION_STRING:
    "single-account layout: the account's connection string (account key); else the managed identity",
  AIRLOCK_STORAGE_ACCOUNT_URL:
    "single-account layout with the managed identity: https://{account}.blob.{suffix}",
  AIRLOCK_COSMOS_ENDPOINT: "the Cosmos DB (NoSQL) account endpoint",
  AIRLOCK_COSMOS_KEY: "its account key; without it, the managed identity",
  AIRLOCK_COSMOS_DATABASE: 'the database (default "airlock")',
  AIRLOCK_COSMOS_REQUESTS_CONTAINER: 'default "requests" (partition key /workspaceId)',
  AIRLOCK_COSMOS_AUDIT_CONTAINER: 'default "audit" (partition key /stream)',
  AIRLOCK_COSMOS_WORKSPACES_CONTAINER: 'default "workspaces" (partition key /id)',
  AIRLOCK_COSMOS_EMULATOR: '"true" for the Cosmos emulator (self-signed certificate); refused in production',
  AIRLOCK_EVENTGRID_ENDPOINT:
    "the Event Grid topic endpoint (https://{topic}.{region}-1.eventgrid.azure.net/api/events)",
  AIRLOCK_EVENTGRID_KEY: "the topic's access key; without it, the managed identity (EventGrid Data Sender)",
  AIRLOCK_ACS_CONNECTION_STRING: "Azure Communication Services: endpoint=https://…;accesskey=…",
  AIRLOCK_ACS_SENDER: "the verified sender address, e.g. DoNotReply@{domain}.azurecomm.net",
  AIRLOCK_PORTAL_URL: "the portal's base URL, linked from notification emails",
  AIRLOCK_EVENTS_KEY:
    "the shared secret Defender's Event Grid subscription sends as ?code= (at least 32 characters)",
  AIRLOCK_SCANNER:
    '"defender" (default), "clamav" (clamd at AIRLOCK_CLAMD_URL reads each blob) or "local" (an EICAR-only stand-in for emulators; refused in production)',
  ...SCANNER_VARIABLES,
  AZURE_CLIENT_ID: "the user-assigned managed identity to use, when there are several",
  AIRLOCK_AUDIT_CHAIN_KEY:
    "the audit chain's HMAC key, base64, at least 32 bytes (or AIRLOCK_AUDIT_CHAIN_KEY_FILE); required in production",
  AIRLOCK_AUDIT_CHAIN_KEY_FILE: "a file holding the audit chain key (base64)",
  AIRLOCK_AUDIT_SIGNING_KEY:
    "the Ed25519 private key (PKCS#8 PEM) signing audit checkpoints (or AIRLOCK_AUDIT_SIGNING_KEY_FILE); required in production",
  AIRLOCK_AUDIT_SIGNING_KEY_FILE: "a file holding the checkpoint signing key (PEM)",
  AIRLOCK_AUDIT_VERIFY_KEY: "verify-audit without the signing key: the Ed25519 public key (SPKI PEM)",
  AIRLOCK_AUDIT_VERIFY_KEY_FILE: "a file holding the checkpoint public key (PEM)",
  AIRLOCK_AUDIT_CHECKPOINTS_CONNECTION_STRING:
    "the storage account of audit checkpoints (account key); default: staudit{treId} with the managed identity in the accounts layout, the data's account in the single-account layout",
  AIRLOCK_AUDIT_CHECKPOINTS_ACCOUNT_URL:
    "that account with the managed identity: https://{account}.blob.{suffix}",
  AIRLOCK_AUDIT_CHECKPOINTS_CONTAINER: 'the container of audit checkpoints (default "audit-checkpoints")',
};

type Env = Readonly<Record<string, string | undefined>>;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** https, or http to this machine (local stand-ins in tests): nothing else leaves in clear text. */
const isSecureUrl = (value: string) => {
  const url = new URL(value);
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
};
const SECURE = "must be an https URL (http only to a loopback address)";
const secureUrl = z.url().refine(isSecureUrl, SECURE);

/** The `endpoint=` of an ACS connection string. */
const acsEndpointOf = (connectionString: string) => /(?:^|;)\s*endpoint=([^;]+)/i.exec(connectionString)?.[1];

const optional = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const flag = optional(z.enum(["true", "false"])).transform((value) => value === "true");

const storageConnectionString = z.string().refine((value) => {
  try {
    parseStorageConnectionString(value);
    return true;
  } catch (_malformed) {
    return false;
  }
}, "must hold AccountName and AccountKey");

const EnvSchema = z.object({
  AIRLOCK_TRE_ID: z.string().regex(/^[a-z0-9]{1,11}$/, "must be 1–11 lowercase letters or digits"),
  AIRLOCK_STORAGE_LAYOUT: optional(z.enum(["accounts", "single-account-prefixes"])),
  AIRLOCK_STORAGE_ENDPOINT_SUFFIX: optional(z.string().regex(/^[a-z0-9.-]+$/, "must be a DNS suffix")),
  AIRLOCK_STORAGE_CONNECTION_STRING: optional(storageConnectionString),
  AIRLOCK_STORAGE_ACCOUNT_URL: optional(
    secureUrl.refine(
      (value) => /^[a-z0-9]{3,24}\.blob\./.test(new URL(value).hostname),
      "must be https://{account}.blob.{suffix}",
    ),
  ),
  AIRLOCK_COSMOS_ENDPOINT: secureUrl,
  AIRLOCK_COSMOS_KEY: optional(z.string()),
  AIRLOCK_COSMOS_DATABASE: optional(z.string().min(1).max(255)),
  AIRLOCK_COSMOS_REQUESTS_CONTAINER: optional(z.string().min(1).max(255)),
  AIRLOCK_COSMOS_AUDIT_CONTAINER: optional(z.string().min(1).max(255)),
  AIRLOCK_COSMOS_WORKSPACES_CONTAINER: optional(z.string().min(1).max(255)),
  AIRLOCK_COSMOS_EMULATOR: flag,
  AIRLOCK_AUDIT_CHAIN_KEY: optional(z.string().min(1)),
  AIRLOCK_AUDIT_CHAIN_KEY_FILE: optional(z.string().min(1)),
  AIRLOCK_AUDIT_SIGNING_KEY: optional(z.string().min(1)),
  AIRLOCK_AUDIT_SIGNING_KEY_FILE: optional(z.string().min(1)),
  AIRLOCK_AUDIT_VERIFY_KEY: optional(z.string().min(1)),
  AIRLOCK_AUDIT_VERIFY_KEY_FILE: optional(z.string().min(1)),
  AIRLOCK_AUDIT_CHECKPOINTS_CONNECTION_STRING: optional(storageConnectionString),
  AIRLOCK_AUDIT_CHECKPOINTS_ACCOUNT_URL: optional(secureUrl),
  AIRLOCK_AUDIT_CHECKPOINTS_CONTAINER: optional(
    z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "must be a valid container name"),
  ),
  AIRLOCK_EVENTGRID_ENDPOINT: optional(secureUrl),
  AIRLOCK_EVENTGRID_KEY: optional(z.string()),
  AIRLOCK_ACS_CONNECTION_STRING: optional(
    z
      .string()
      .regex(/accesskey=/i, "needs accesskey=…")
      .refine((value) => {
        const endpoint = acsEndpointOf(value);
        return endpoint !== undefined && URL.canParse(endpoint) && isSecureUrl(endpoint);
      }, `needs endpoint=… that ${SECURE}`),
  ),
  AIRLOCK_ACS_SENDER: optional(z.email()),
  AIRLOCK_PORTAL_URL: optional(z.url()),
  AIRLOCK_EVENTS_KEY: optional(z.string().min(32, "must hold at least 32 characters")),
  AIRLOCK_EVENTS_PRINCIPALS: optional(
    z
      .string()
      .transform((value) =>
        value
          .split(",")
          .map((id) => id.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "must be object ids")).min(1)),
  ),
  AIRLOCK_SCANNER: optional(z.enum(["defender", "local", "clamav"])),
});

/**
 * The azure profile's settings from the environment, or every problem at once: one line per
 * variable, so an operator fixes them in one go.
 */
export const azureSettingsFromEnv = (env: Env): Result<AzureSettings, string> => {
  const parsed = EnvSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? "");
      const value = env[name];
      problems.push(
        value === undefined || value === ""
          ? `${name} is missing: ${AZURE_VARIABLES[name] ?? issue.message}`
          : `${name}: ${issue.message}`,
      );
    }
    return err(problems.join("\n"));
  }
  const v = parsed.data;
  const production = env.NODE_ENV === "production";
  const layout = v.AIRLOCK_STORAGE_LAYOUT ?? "accounts";
  if (layout === "single-account-prefixes") {
    if (v.AIRLOCK_STORAGE_CONNECTION_STRING === undefined && v.AIRLOCK_STORAGE_ACCOUNT_URL === undefined) {
      problems.push(
        "AIRLOCK_STORAGE_CONNECTION_STRING or AIRLOCK_STORAGE_ACCOUNT_URL is missing: the single-account layout needs its account",
      );
    }
  } else if (
    v.AIRLOCK_STORAGE_CONNECTION_STRING !== undefined ||
    v.AIRLOCK_STORAGE_ACCOUNT_URL !== undefined
  ) {
    problems.push(
      "AIRLOCK_STORAGE_CONNECTION_STRING and AIRLOCK_STORAGE_ACCOUNT_URL are for AIRLOCK_STORAGE_LAYOUT=single-account-prefixes; the accounts layout uses the managed identity",
    );
  }
  if ((v.AIRLOCK_ACS_CONNECTION_STRING === undefined) !== (v.AIRLOCK_ACS_SENDER === undefined)) {
    problems.push("AIRLOCK_ACS_CONNECTION_STRING and AIRLOCK_ACS_SENDER go together: set both or neither");
  }
  if (v.AIRLOCK_EVENTGRID_KEY !== undefined && v.AIRLOCK_EVENTGRID_ENDPOINT === undefined) {
    problems.push("AIRLOCK_EVENTGRID_ENDPOINT is missing: AIRLOCK_EVENTGRID_KEY is set without it");
  }
  if (
    (v.AIRLOCK_SCANNER ?? "defender") === "defender" &&
    v.AIRLOCK_EVENTS_KEY === undefined &&
    v.AIRLOCK_EVENTS_PRINCIPALS === undefined
  ) {
    problems.push(
      "AIRLOCK_EVENTS_KEY (or AIRLOCK_EVENTS_PRINCIPALS) is missing: Defender's verdicts reach the API only through POST /api/events",
    );
  }
  if (production && v.AIRLOCK_COSMOS_EMULATOR) {
    problems.push("AIRLOCK_COSMOS_EMULATOR=true is refused when NODE_ENV=production");
  }
  const clamd = v.AIRLOCK_SCANNER === "clamav" ? scannerChoiceFromEnv(env) : undefined;
  if (clamd?.isErr()) problems.push(...clamd.error);
  if (clamd?.isOk() && clamd.value.kind !== "clamd") {
    problems.push("AIRLOCK_CLAMD_URL is missing: AIRLOCK_SCANNER=clamav scans with the clamd it names");
  }
  if (production && v.AIRLOCK_SCANNER === "local") {
    problems.push("AIRLOCK_SCANNER=local (an EICAR-only stand-in) is refused when NODE_ENV=production");
  }
  const secret = (value: string | undefined, file: string | undefined) =>
    value !== undefined ? { value } : file !== undefined ? { file } : undefined;
  const chainKey = secret(v.AIRLOCK_AUDIT_CHAIN_KEY, v.AIRLOCK_AUDIT_CHAIN_KEY_FILE);
  const signingKey = secret(v.AIRLOCK_AUDIT_SIGNING_KEY, v.AIRLOCK_AUDIT_SIGNING_KEY_FILE);
  const verifyKey = secret(v.AIRLOCK_AUDIT_VERIFY_KEY, v.AIRLOCK_AUDIT_VERIFY_KEY_FILE);
  if (production && (chainKey === undefined || signingKey === undefined)) {
    problems.push(
      "AIRLOCK_AUDIT_CHAIN_KEY and AIRLOCK_AUDIT_SIGNING_KEY (or their _FILE forms) are required when NODE_ENV=production: keys made at start would not verify the log after a restart",
    );
  }
  if (problems.length > 0) return err(problems.join("\n"));

  const audit: AuditSettings = {
    ...(chainKey === undefined ? {} : { chainKey }),
    ...(signingKey === undefined ? {} : { signingKey }),
    ...(verifyKey === undefined ? {} : { verifyKey }),
    ...(v.AIRLOCK_AUDIT_CHECKPOINTS_CONNECTION_STRING === undefined
      ? {}
      : { checkpointsConnectionString: v.AIRLOCK_AUDIT_CHECKPOINTS_CONNECTION_STRING }),
    ...(v.AIRLOCK_AUDIT_CHECKPOINTS_ACCOUNT_URL === undefined
      ? {}
      : { checkpointsAccountUrl: v.AIRLOCK_AUDIT_CHECKPOINTS_ACCOUNT_URL }),
    checkpointsContainer: v.AIRLOCK_AUDIT_CHECKPOINTS_CONTAINER ?? "audit-checkpoints",
  };

  return ok({
    audit,
    storage:
      layout === "accounts"
        ? {
            layout,
            treId: v.AIRLOCK_TRE_ID,
            endpointSuffix: v.AIRLOCK_STORAGE_ENDPOINT_SUFFIX ?? "core.windows.net",
          }
        : {
            layout,
            treId: v.AIRLOCK_TRE_ID,
            ...(v.AIRLOCK_STORAGE_CONNECTION_STRING === undefined
              ? {}
              : { connectionString: v.AIRLOCK_STORAGE_CONNECTION_STRING }),
            ...(v.AIRLOCK_STORAGE_ACCOUNT_URL === undefined
              ? {}
              : { accountUrl: v.AIRLOCK_STORAGE_ACCOUNT_URL }),
          },
    cosmos: {
      endpoint: v.AIRLOCK_COSMOS_ENDPOINT,
      ...(v.AIRLOCK_COSMOS_KEY === undefined ? {} : { key: v.AIRLOCK_COSMOS_KEY }),
      database: v.AIRLOCK_COSMOS_DATABASE ?? "airlock",
      containers: {
        requests: v.AIRLOCK_COSMOS_REQUESTS_CONTAINER ?? "requests",
        audit: v.AIRLOCK_COSMOS_AUDIT_CONTAINER ?? "audit",
        workspaces: v.AIRLOCK_COSMOS_WORKSPACES_CONTAINER ?? "workspaces",
      },
      emulator: v.AIRLOCK_COSMOS_EMULATOR,
    },
    ...(v.AIRLOCK_EVENTGRID_ENDPOINT === undefined
      ? {}
      : {
          eventGrid: {
            endpoint: v.AIRLOCK_EVENTGRID_ENDPOINT,
            ...(v.AIRLOCK_EVENTGRID_KEY === undefined ? {} : { key: v.AIRLOCK_EVENTGRID_KEY }),
          },
        }),
    ...(v.AIRLOCK_ACS_CONNECTION_STRING === undefined || v.AIRLOCK_ACS_SENDER === undefined
      ? {}
      : { email: { connectionString: v.AIRLOCK_ACS_CONNECTION_STRING, sender: v.AIRLOCK_ACS_SENDER } }),
    ...(v.AIRLOCK_PORTAL_URL === undefined ? {} : { portalUrl: v.AIRLOCK_PORTAL_URL }),
    ...(v.AIRLOCK_EVENTS_KEY === undefined ? {} : { eventsKey: v.AIRLOCK_EVENTS_KEY }),
    ...(v.AIRLOCK_EVENTS_PRINCIPALS === undefined ? {} : { eventsPrincipals: v.AIRLOCK_EVENTS_PRINCIPALS }),
    scanner: v.AIRLOCK_SCANNER ?? "defender",
    ...(clamd?.isOk() && clamd.value.kind === "clamd" ? { clamd: clamd.value.clamd } : {}),
  });
};
