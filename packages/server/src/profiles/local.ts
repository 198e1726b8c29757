import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import {
  createFileAuditCheckpoints,
  createFileStorage,
  createOutboxDelivery,
  createOutboxEventPublisher,
  createOutboxNotifier,
  createSqliteAuditLog,
  createSqliteRequestRepository,
  createSqliteWorkspaceRegistry,
  DATABASE_FILE,
  FILES_DIR,
  openAirlockDatabase,
} from "@airlock/adapters-local";
import { createRandomIds, systemClock } from "@airlock/adapters-memory";
import { createAirlock, type Workspace } from "@airlock/core";
import { inProcessGates } from "@airlock/gates";
import type { Logger } from "pino";
import { loadWritingAuditKeys } from "./audit-sealing.js";
import { dataDirAuditKeyFiles, dataDirLinkSecret } from "./data-dir-secrets.js";
import type { LocalSettings } from "./local-settings.js";
import type { Profile } from "./profile.js";
import { logScannerCheck, scannerOf } from "./scanner-settings.js";

/** How often, and after how long without a write, partial uploads left by clients that went away are removed. */
const INCOMING_SWEEP_MS = 3_600_000;

export interface LocalProfileOptions {
  readonly settings: LocalSettings;
  readonly logger: Logger;
  /** Registered at start when the registry does not hold them yet (a development server's demo). */
  readonly workspaces?: readonly Workspace[];
}

/** The local profile, with its database at hand for operators' tools and tests. */
export interface LocalProfile extends Profile {
  readonly database: DatabaseSync;
  readonly dataDir: string;
}

/**
 * The local profile: records in SQLite (`{dataDir}/airlock.db`), files on the filesystem
 * (`{dataDir}/files`), the link secret and, unless configured, the audit keys in the data
 * directory. Everything survives a restart; links handed out before one still work after it.
 */
export const createLocalProfile = async (options: LocalProfileOptions): Promise<LocalProfile> => {
  const { settings, logger } = options;
  const { dataDir } = settings;
  // Owner only: the directory holds the link secret and, by default, the audit keys.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const database = openAirlockDatabase(join(dataDir, DATABASE_FILE), { synchronous: settings.synchronous });
  const linkSecret = await dataDirLinkSecret(dataDir);
  const keyFiles = settings.auditKeys ?? (await dataDirAuditKeyFiles(dataDir));
  const auditKeys = loadWritingAuditKeys(
    "chainKeyFile" in keyFiles
      ? {
          chainKey: { file: keyFiles.chainKeyFile },
          signingKey: { file: keyFiles.signingKeyFile },
          checkpointsContainer: "",
        }
      : { ...keyFiles, checkpointsContainer: "" },
  );

  const storage = createFileStorage({ root: join(dataDir, FILES_DIR) });
  const malware = scannerOf(settings.scanner, storage);
  const ports = {
    repository: createSqliteRequestRepository(database),
    storage,
    ...(malware.scanner === undefined ? {} : { scanner: malware.scanner }),
    // Kept in the database the moment they are handed over, then delivered from there.
    notifier: createOutboxNotifier(database),
    events: createOutboxEventPublisher(database, { destinations: settings.webhooks }),
    audit: createSqliteAuditLog(database, {
      keys: auditKeys.keys,
      checkpoints: createFileAuditCheckpoints({ dir: settings.checkpointsDir }),
    }),
    workspaces: createSqliteWorkspaceRegistry(database),
    clock: systemClock,
    ids: createRandomIds(),
  };
  const delivery = createOutboxDelivery({
    db: database,
    webhooks: settings.webhooks.map((url) => ({ url })),
    ...(settings.smtp
      ? {
          smtp: {
            transport: settings.smtp.url,
            from: settings.smtp.from,
            ...(settings.portalUrl ? { portalUrl: settings.portalUrl } : {}),
          },
        }
      : {}),
    logger,
  });
  let sweeper: NodeJS.Timeout | undefined;
  // The gates a workspace policy may list run in process, reading the files from disk.
  const airlock = createAirlock(
    { ...ports, gates: inProcessGates() },
    {
      processing: "inline",
      onBackgroundError: (error) =>
        logger.warn({ background: error }, "background step failed; the processor retries it"),
    },
  );

  return {
    name: "local",
    airlock,
    ports,
    database,
    dataDir,
    linkSecret,
    blobEndpoint: "embedded",
    banner: [
      `Data             ${dataDir} (requests, files, audit log and link secret survive a restart)`,
      `Audit seals      ${settings.checkpointsDir}`,
      malware.banner,
      `Durability       SQLite synchronous=${settings.synchronous}: ${settings.synchronous === "FULL" ? "an answered write survives a power loss" : "an answered write survives a crash of this process, not a power loss"}`,
      settings.webhooks.length > 0
        ? `Events           CloudEvents to ${settings.webhooks.map((url) => new URL(url).origin).join(", ")} (kept until delivered)`
        : "Events           kept in the outbox, sent nowhere (set AIRLOCK_WEBHOOK_URLS)",
      settings.smtp
        ? `Email            through ${new URL(settings.smtp.url).host} from ${settings.smtp.from} (kept until sent)`
        : "Email            kept in the outbox, unsent (set AIRLOCK_SMTP_URL and AIRLOCK_SMTP_FROM)",
      ...(settings.auditKeys === undefined
        ? [
            `Audit keys       kept in ${dataDir} (set AIRLOCK_AUDIT_CHAIN_KEY and AIRLOCK_AUDIT_SIGNING_KEY to keep them elsewhere)`,
          ]
        : []),
    ],
    prepare: async () => {
      for (const workspace of options.workspaces ?? []) {
        const found = await ports.workspaces.get(workspace.id);
        if (found.isOk()) continue;
        const put = await ports.workspaces.put(workspace);
        if (put.isErr()) throw new Error(`registering workspace ${workspace.id}: ${put.error.message}`);
      }
      // Nothing is in flight before the server listens: whatever the incoming folders hold is what
      // a previous process left when it stopped in the middle of an upload.
      const removed = await storage.sweepIncoming({ abandonedAfterMs: 0 });
      if (removed > 0) logger.info({ removed }, "partial uploads of a previous process removed");
      sweeper = setInterval(() => {
        storage.sweepIncoming({ abandonedAfterMs: INCOMING_SWEEP_MS }).then(
          (count) => count > 0 && logger.info({ removed: count }, "abandoned partial uploads removed"),
          (error: unknown) => logger.warn({ err: error }, "sweeping abandoned uploads failed"),
        );
      }, INCOMING_SWEEP_MS);
      sweeper.unref();
      delivery.start();
      await logScannerCheck(malware, logger);
    },
    close: async () => {
      clearInterval(sweeper);
      await delivery.stop();
      database.close();
    },
  };
};
