import { resolve } from "node:path";
import { CHECKPOINTS_DIR } from "@airlock/adapters-local";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import { SCANNER_VARIABLES, type ScannerChoice, scannerChoiceFromEnv } from "./scanner-settings.js";

/** The local profile's settings: one directory holds everything that must survive a restart. */
export interface LocalSettings {
  /** Absolute path of the data directory. */
  readonly dataDir: string;
  /** SQLite's `synchronous`: `FULL` (default) survives a power loss, `NORMAL` a process crash. */
  readonly synchronous: "FULL" | "NORMAL";
  /** Configured audit keys; absent: keys made at the first start and kept in the data directory. */
  readonly auditKeys?: {
    readonly chainKey: { readonly value: string } | { readonly file: string };
    readonly signingKey: { readonly value: string } | { readonly file: string };
  };
  /** Where signed audit checkpoints are kept. Default `{dataDir}/audit-checkpoints`. */
  readonly checkpointsDir: string;
  /** Endpoints every event is delivered to (CloudEvents over HTTP). */
  readonly webhooks: readonly string[];
  /** Notification email over SMTP; absent: notifications are kept in the outbox, unsent. */
  readonly smtp?: { readonly url: string; readonly from: string };
  /** The portal's base URL, linked from notification emails. */
  readonly portalUrl?: string;
  /** The malware scanner: ClamAV, the EICAR-only stand-in (not in production), or none. */
  readonly scanner: ScannerChoice;
}

/** Each variable of the local profile and what it means. */
export const LOCAL_VARIABLES: Readonly<Record<string, string>> = {
  AIRLOCK_PROFILE: '"local" (the default) keeps everything in one data directory on this machine',
  AIRLOCK_DATA_DIR: 'the data directory (default ".airlock-data", relative to the working directory)',
  AIRLOCK_SQLITE_SYNCHRONOUS:
    '"FULL" (default: an answered write survives a power loss) or "NORMAL" (faster; survives a crash of the process)',
  AIRLOCK_AUDIT_CHAIN_KEY:
    "the audit chain's HMAC key, base64, at least 32 bytes (or AIRLOCK_AUDIT_CHAIN_KEY_FILE); default: made at the first start and kept in the data directory; required in production",
  AIRLOCK_AUDIT_SIGNING_KEY:
    "the Ed25519 private key (PKCS#8 PEM) signing audit checkpoints (or AIRLOCK_AUDIT_SIGNING_KEY_FILE); same default",
  AIRLOCK_AUDIT_CHECKPOINTS_DIR:
    "where signed audit checkpoints are kept (default {data dir}/audit-checkpoints); production puts them out of reach of the database's writers",
  AIRLOCK_WEBHOOK_URLS:
    "comma-separated URLs every event is delivered to as a CloudEvent (https, or http to this machine)",
  AIRLOCK_SMTP_URL: "the SMTP server notifications are sent through: smtp://user:pass@host:587 or smtps://…",
  AIRLOCK_SMTP_FROM: "the sender address of notification emails",
  AIRLOCK_PORTAL_URL: "the portal's base URL, linked from notification emails",
  ...SCANNER_VARIABLES,
};

type Env = Readonly<Record<string, string | undefined>>;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

const optional = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

/** https, or http to this machine: events leave the machine encrypted or not at all. */
const webhookUrl = z.url().refine((value) => {
  const url = new URL(value);
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
}, "must be https URLs (http only to a loopback address)");

const EnvSchema = z.object({
  AIRLOCK_DATA_DIR: optional(z.string().min(1)),
  AIRLOCK_SQLITE_SYNCHRONOUS: optional(z.enum(["FULL", "NORMAL"])),
  AIRLOCK_AUDIT_CHAIN_KEY: optional(z.string().min(1)),
  AIRLOCK_AUDIT_CHAIN_KEY_FILE: optional(z.string().min(1)),
  AIRLOCK_AUDIT_SIGNING_KEY: optional(z.string().min(1)),
  AIRLOCK_AUDIT_SIGNING_KEY_FILE: optional(z.string().min(1)),
  AIRLOCK_AUDIT_CHECKPOINTS_DIR: optional(z.string().min(1)),
  AIRLOCK_WEBHOOK_URLS: optional(
    z
      .string()
      .transform((value) =>
        value
          .split(",")
          .map((url) => url.trim())
          .filter(Boolean),
      )
      .pipe(z.array(webhookUrl)),
  ),
  AIRLOCK_SMTP_URL: optional(
    z.url().refine((value) => /^smtps?:$/.test(new URL(value).protocol), "must be smtp:// or smtps://"),
  ),
  AIRLOCK_SMTP_FROM: optional(z.email()),
  AIRLOCK_PORTAL_URL: optional(z.url()),
});

/**
 * The local profile's settings from the environment, relative paths resolved against `cwd`, or
 * every problem at once, one line per variable.
 */
export const localSettingsFromEnv = (env: Env, cwd: string): Result<LocalSettings, string> => {
  const parsed = EnvSchema.safeParse(env);
  const scanner = scannerChoiceFromEnv(env);
  if (!parsed.success || scanner.isErr()) {
    return err(
      [
        ...(parsed.error?.issues ?? []).map((issue) => `${String(issue.path[0] ?? "")}: ${issue.message}`),
        ...(scanner.isErr() ? scanner.error : []),
      ].join("\n"),
    );
  }
  const v = parsed.data;
  const problems: string[] = [];
  const secret = (value: string | undefined, file: string | undefined) =>
    value !== undefined ? { value } : file !== undefined ? { file: resolve(cwd, file) } : undefined;
  const chainKey = secret(v.AIRLOCK_AUDIT_CHAIN_KEY, v.AIRLOCK_AUDIT_CHAIN_KEY_FILE);
  const signingKey = secret(v.AIRLOCK_AUDIT_SIGNING_KEY, v.AIRLOCK_AUDIT_SIGNING_KEY_FILE);
  if ((chainKey === undefined) !== (signingKey === undefined)) {
    problems.push(
      "AIRLOCK_AUDIT_CHAIN_KEY and AIRLOCK_AUDIT_SIGNING_KEY (or their _FILE forms) go together: set both, or neither to keep keys in the data directory",
    );
  }
  if (env.NODE_ENV === "production" && chainKey === undefined) {
    problems.push(
      "AIRLOCK_AUDIT_CHAIN_KEY and AIRLOCK_AUDIT_SIGNING_KEY (or their _FILE forms) are required when NODE_ENV=production: keys kept beside the data they seal would let whoever can rewrite the data rewrite its seals too",
    );
  }
  if ((v.AIRLOCK_SMTP_URL === undefined) !== (v.AIRLOCK_SMTP_FROM === undefined)) {
    problems.push("AIRLOCK_SMTP_URL and AIRLOCK_SMTP_FROM go together: set both or neither");
  }
  if (problems.length > 0) return err(problems.join("\n"));

  const dataDir = resolve(cwd, v.AIRLOCK_DATA_DIR ?? ".airlock-data");
  return ok({
    dataDir,
    synchronous: v.AIRLOCK_SQLITE_SYNCHRONOUS ?? "FULL",
    ...(chainKey !== undefined && signingKey !== undefined ? { auditKeys: { chainKey, signingKey } } : {}),
    checkpointsDir: resolve(cwd, v.AIRLOCK_AUDIT_CHECKPOINTS_DIR ?? resolve(dataDir, CHECKPOINTS_DIR)),
    webhooks: v.AIRLOCK_WEBHOOK_URLS ?? [],
    ...(v.AIRLOCK_SMTP_URL !== undefined && v.AIRLOCK_SMTP_FROM !== undefined
      ? { smtp: { url: v.AIRLOCK_SMTP_URL, from: v.AIRLOCK_SMTP_FROM } }
      : {}),
    ...(v.AIRLOCK_PORTAL_URL === undefined ? {} : { portalUrl: v.AIRLOCK_PORTAL_URL }),
    scanner: scanner.value,
  });
};
