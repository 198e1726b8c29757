import { Agent } from "node:https";
import {
  accountsByConvention,
  type BlobCredential,
  type CosmosConnection,
  createAcsEmailNotifier,
  createBlobAuditCheckpoints,
  createBlobStorage,
  createCosmosAuditLog,
  createCosmosRequestRepository,
  createCosmosWorkspaceRegistry,
  createDefenderMalwareScanner,
  createEventGridPublisher,
  parseStorageConnectionString,
  type StorageAccount,
} from "@airlock/adapters-azure";
import {
  createMemoryEventPublisher,
  createMemoryNotifier,
  createMemoryScanner,
  createRandomIds,
} from "@airlock/adapters-memory";
import {
  type AirlockOptions,
  type AirlockStorage,
  type Clock,
  createAirlock,
  type EventPublisher,
  type IdGenerator,
  type MalwareScanner,
  type Notifier,
} from "@airlock/core";
import { createClamdScanner, inProcessGates } from "@airlock/gates";
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import type { Logger } from "pino";
import { loadWritingAuditKeys } from "./audit-sealing.js";
import { checkpointContainer } from "./azure-audit-checkpoints.js";
import type { AzureSettings } from "./azure-settings.js";
import { createScanBlobLocator } from "./blob-locator.js";
import { defenderScanEvents } from "./defender-scan-events.js";
import type { Profile } from "./profile.js";

type CosmosClientOptions = NonNullable<
  Extract<CosmosConnection, { readonly endpoint: string }>["clientOptions"]
>;

export interface AzureProfileOptions {
  readonly settings: AzureSettings;
  readonly logger: Logger;
  /**
   * The identity for every service given no key. Default: `DefaultAzureCredential` (the managed
   * identity in Azure, `AZURE_CLIENT_ID` choosing among several), created only when needed.
   */
  readonly credential?: TokenCredential;
  /** Engine options; `processing` defaults to inline. */
  readonly airlock?: AirlockOptions;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  /** How often an asynchronous blob copy (over 256 MiB) is polled. Default the adapter's (2 s). */
  readonly copyPollIntervalMs?: number;
}

/**
 * The scanner the settings name: Defender answers through `/api/events`; ClamAV and the local
 * stand-in read the blobs themselves.
 */
const scannerFor = (settings: AzureSettings, storage: AirlockStorage): MalwareScanner => {
  if (settings.scanner === "clamav" && settings.clamd !== undefined) {
    return createClamdScanner({
      storage,
      address: settings.clamd.url,
      streamMaxBytes: settings.clamd.streamMaxBytes,
    });
  }
  return settings.scanner === "local" ? createMemoryScanner({ storage }) : createDefenderMalwareScanner();
};

/** Account names from a host-named blob endpoint, `https://{account}.blob.{suffix}`. */
const accountOfUrl = (accountUrl: string): StorageAccount => {
  const url = new URL(accountUrl);
  return { accountName: url.hostname.split(".")[0] ?? "", blobEndpoint: url.origin };
};

/**
 * Every port on Azure: Blob Storage (links are its SAS URLs), Cosmos DB for requests, audit and
 * workspaces, Event Grid and ACS Email when configured, Defender (or the local stand-in) scanning.
 * Building it does no I/O: clients connect on first use, `prepare()` creates what is missing.
 */
export const createAzureProfile = (options: AzureProfileOptions): Profile => {
  const { settings, logger } = options;
  let identity: TokenCredential | undefined = options.credential;
  const credential = (): TokenCredential => {
    identity ??= new DefaultAzureCredential();
    return identity;
  };
  const banner: string[] = [];
  const agents: Agent[] = [];

  const { storage: storageSettings } = settings;
  const accounts = accountsByConvention({
    treId: storageSettings.treId,
    ...(storageSettings.layout === "accounts"
      ? { blobEndpoint: (name: string) => `https://${name}.blob.${storageSettings.endpointSuffix}` }
      : {}),
  });
  const common = {
    accounts,
    logger: logger.child({ port: "storage" }),
    ...(options.copyPollIntervalMs === undefined ? {} : { copyPollIntervalMs: options.copyPollIntervalMs }),
  };
  let storage: AirlockStorage;
  let singleAccount: string | undefined;
  if (storageSettings.layout === "accounts") {
    storage = createBlobStorage({ ...common, layout: "accounts", credential: credential() });
    banner.push(
      `Storage          one account per stage (stalimex${storageSettings.treId}, …), managed identity, user-delegation SAS`,
    );
  } else {
    let account: StorageAccount;
    let blobCredential: BlobCredential;
    if (storageSettings.connectionString !== undefined) {
      const parsed = parseStorageConnectionString(storageSettings.connectionString);
      account = parsed.account;
      blobCredential = parsed.credential;
    } else {
      account = accountOfUrl(storageSettings.accountUrl ?? "");
      blobCredential = credential();
    }
    singleAccount = account.accountName;
    storage = createBlobStorage({
      ...common,
      layout: "single-account-prefixes",
      account,
      credential: blobCredential,
    });
    banner.push(`Storage          ${account.blobEndpoint} (one account, stage prefixes)`);
  }

  const { cosmos } = settings;
  const clientOptions: CosmosClientOptions = {};
  if (cosmos.emulator) {
    // The emulator's certificate is self-signed, and it cannot answer endpoint discovery.
    const agent = new Agent({ rejectUnauthorized: false, keepAlive: true });
    agents.push(agent);
    Object.assign(clientOptions, { agent, connectionPolicy: { enableEndpointDiscovery: false } });
  }
  if (cosmos.key === undefined) Object.assign(clientOptions, { aadCredentials: credential() });
  // An empty key makes the SDK sign with the identity (`aadCredentials`) instead.
  const connection: CosmosConnection = { endpoint: cosmos.endpoint, key: cosmos.key ?? "", clientOptions };
  const repository = createCosmosRequestRepository({
    ...connection,
    databaseId: cosmos.database,
    containerId: cosmos.containers.requests,
  });
  const auditKeys = loadWritingAuditKeys(settings.audit);
  const checkpointsAt = checkpointContainer(settings, credential);
  const checkpoints = createBlobAuditCheckpoints({ container: checkpointsAt.container });
  const audit = createCosmosAuditLog({
    ...connection,
    databaseId: cosmos.database,
    containerId: cosmos.containers.audit,
    sealing: { keys: auditKeys.keys, checkpoints },
  });
  banner.push(`Audit checkpoints ${checkpointsAt.where}`);
  if (auditKeys.generated) {
    banner.push(
      "Audit keys       MADE FOR THIS PROCESS: the audit log will not verify after a restart (set AIRLOCK_AUDIT_CHAIN_KEY and AIRLOCK_AUDIT_SIGNING_KEY)",
    );
  }
  const workspaces = createCosmosWorkspaceRegistry({
    ...connection,
    databaseId: cosmos.database,
    containerId: cosmos.containers.workspaces,
  });
  banner.push(
    `Cosmos DB        ${cosmos.endpoint} database ${cosmos.database}${cosmos.emulator ? " (emulator)" : ""}${cosmos.key === undefined ? ", managed identity" : ""}`,
  );

  const loopback = (endpoint: string) => new URL(endpoint).protocol === "http:";
  let events: EventPublisher;
  if (settings.eventGrid === undefined) {
    events = createMemoryEventPublisher();
    banner.push("Event Grid       not configured: events stay in this process (memory publisher)");
  } else {
    const { endpoint, key } = settings.eventGrid;
    events = createEventGridPublisher({
      endpoint,
      credential: key === undefined ? credential() : { key },
      allowInsecureConnection: loopback(endpoint),
      logger,
    });
    banner.push(`Event Grid       ${new URL(endpoint).host}`);
  }

  let notifier: Notifier;
  if (settings.email === undefined) {
    notifier = createMemoryNotifier();
    banner.push("Email            not configured: notifications stay in this process (memory notifier)");
  } else {
    const endpoint = /endpoint=([^;]+)/i.exec(settings.email.connectionString)?.[1] ?? "";
    notifier = createAcsEmailNotifier({
      connectionString: settings.email.connectionString,
      sender: settings.email.sender,
      allowInsecureConnection: endpoint.startsWith("http:"),
      ...(settings.portalUrl === undefined ? {} : { portalUrl: settings.portalUrl }),
      logger,
    });
    banner.push(`Email            Azure Communication Services, from ${settings.email.sender}`);
  }

  const scanner = scannerFor(settings, storage);
  banner.push(
    settings.scanner === "local"
      ? "Scanner          LOCAL STAND-IN: reads each file and flags only the EICAR test string (Defender does not run here)"
      : settings.scanner === "clamav"
        ? `Scanner          ClamAV at ${settings.clamd?.url} reads each blob (files over ${settings.clamd?.streamMaxBytes} bytes are blocked unscanned)`
        : "Scanner          Microsoft Defender for Storage; verdicts arrive at POST /api/events",
  );

  const airlock = createAirlock(
    {
      repository,
      storage,
      scanner,
      notifier,
      events,
      audit,
      workspaces,
      clock: options.clock ?? { now: () => Date.now() },
      ids: options.ids ?? createRandomIds(),
      // The gates a workspace policy may list run in process, on the blob streams; Defender's
      // verdict is asked for once they pass.
      gates: inProcessGates(),
    },
    {
      processing: "inline",
      onBackgroundError: (error) =>
        logger.warn({ background: error }, "background step failed; the processor retries it"),
      ...options.airlock,
    },
  );

  const containers = createScanBlobLocator(
    singleAccount === undefined
      ? { layout: "accounts", accounts, requests: repository }
      : { layout: "single-account-prefixes", accountName: singleAccount, accounts, requests: repository },
  );

  return {
    name: "azure",
    airlock,
    ports: { storage, workspaces, ...(options.clock === undefined ? {} : { clock: options.clock }) },
    blobEndpoint: "storage",
    scanEvents: defenderScanEvents({
      containers,
      ...(settings.eventsKey === undefined ? {} : { key: settings.eventsKey }),
      ...(settings.eventsPrincipals === undefined ? {} : { principals: settings.eventsPrincipals }),
    }),
    banner,
    prepare: async () => {
      for (const ensured of [
        await repository.ensure(),
        await audit.ensure(),
        await workspaces.ensure(),
        await checkpoints.ensure(),
      ]) {
        if (ensured.isErr()) throw new Error(`Cosmos DB is not ready: ${ensured.error.message}`);
      }
    },
    close: async () => {
      for (const agent of agents) agent.destroy();
    },
  };
};
