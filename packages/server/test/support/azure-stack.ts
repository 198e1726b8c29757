/**
 * The azure profile behind a real server, on the same backends as the adapter tests: Azurite and
 * the Cosmos DB emulator by default, real Azure with AIRLOCK_TEST_MODE=live (see
 * packages/adapters-azure/test/support/backends.ts for the variables).
 */
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { Agent } from "node:https";
import type { Writable } from "node:stream";
import { createCosmosRequestRepository } from "@airlock/adapters-azure";
import type { AirlockOptions, AirlockRequest, ContainerRef, Stage, Workspace } from "@airlock/core";
import { buildServer, mintDevToken } from "@airlock/http";
import { pino } from "pino";
import {
  type BlobBackend,
  type CosmosBackend,
  startBlobBackend,
  startCosmosBackend,
} from "../../../adapters-azure/test/support/backends.js";
import { API_AUDIENCE, call, TEST_SECRET, type TokenRequest } from "../../../http/test/support/server.js";
import { createAzureProfile } from "../../src/profiles/azure.js";
import type { AzureSettings } from "../../src/profiles/azure-settings.js";
import type { Profile } from "../../src/profiles/profile.js";

/** The object id the test servers accept bearer-token deliveries to /api/events from. */
export const EVENT_GRID_PRINCIPAL = "eventgrid-delivery";

export const STAGES: readonly Stage[] = ["draft", "in_progress", "approved", "rejected", "blocked"];

export interface AzureBackends {
  readonly blob: BlobBackend;
  readonly cosmos: CosmosBackend;
  readonly live: boolean;
  stop(): Promise<void>;
}

export const startAzureBackends = async (): Promise<AzureBackends> => {
  const live = process.env.AIRLOCK_TEST_MODE === "live";
  const [blob, cosmos] = await Promise.all([startBlobBackend(), startCosmosBackend()]);
  return {
    blob,
    cosmos,
    live,
    stop: async () => {
      await Promise.all([blob.stop(), cosmos.stop()]);
    },
  };
};

/** Settings for one server on these backends: its own TRE id and Cosmos containers, so runs never mix. */
export const azureSettingsFor = (
  backends: AzureBackends,
  overrides: Partial<Pick<AzureSettings, "scanner" | "eventsKey" | "eventsPrincipals">> = {},
): AzureSettings => {
  const { connection } = backends.cosmos;
  if ("client" in connection) throw new Error("the test backends give an endpoint and a key");
  return {
    storage: {
      layout: "single-account-prefixes",
      treId: `t${randomBytes(3).toString("hex")}`,
      connectionString: backends.blob.connectionString,
    },
    cosmos: {
      endpoint: connection.endpoint,
      key: connection.key,
      database: backends.cosmos.databaseId,
      containers: {
        requests: backends.cosmos.containerId("requests"),
        audit: backends.cosmos.containerId("audit"),
        workspaces: backends.cosmos.containerId("workspaces"),
      },
      emulator: !backends.live,
    },
    scanner: overrides.scanner ?? "defender",
    ...(overrides.eventsKey === undefined ? {} : { eventsKey: overrides.eventsKey }),
    ...(overrides.eventsPrincipals === undefined ? {} : { eventsPrincipals: overrides.eventsPrincipals }),
  };
};

export interface AzureTestServer {
  readonly url: string;
  readonly app: ReturnType<typeof buildServer>;
  readonly profile: Profile;
  readonly settings: AzureSettings;
  readonly eventsKey: string;
  token(request: TokenRequest): Promise<string>;
  idle(): Promise<void>;
  /** The blob's URL in the request's in-progress container, as Azurite (or Azure) names it: no SAS. */
  blobUrlIn(requestId: string, stage: Stage, name: string): Promise<string>;
  /** The files of the request in each stage that holds any. */
  placement(requestId: string): Promise<Partial<Record<Stage, readonly string[]>>>;
  request(requestId: string): Promise<AirlockRequest>;
  close(): Promise<void>;
}

export interface AzureTestServerOptions {
  readonly workspaces?: readonly Workspace[];
  /** Event Grid, ACS Email, the portal URL: what the settings add to the storage and Cosmos DB. */
  readonly services?: Pick<AzureSettings, "eventGrid" | "email" | "portalUrl">;
  readonly scanner?: AzureSettings["scanner"];
  readonly airlock?: AirlockOptions;
  readonly logStream?: Writable;
}

export const startAzureTestServer = async (
  backends: AzureBackends,
  options: AzureTestServerOptions = {},
): Promise<AzureTestServer> => {
  const eventsKey = randomBytes(24).toString("base64url");
  const settings: AzureSettings = {
    ...azureSettingsFor(backends, {
      scanner: options.scanner ?? "defender",
      eventsKey,
      eventsPrincipals: [EVENT_GRID_PRINCIPAL],
    }),
    ...options.services,
  };
  const logger = options.logStream ? pino({ level: "info" }, options.logStream) : pino({ enabled: false });
  const profile = createAzureProfile({
    settings,
    logger,
    ...(options.airlock ? { airlock: options.airlock } : {}),
  });
  await profile.prepare();
  for (const workspace of options.workspaces ?? []) {
    (await profile.ports.workspaces.put(workspace))._unsafeUnwrap();
  }
  const app = buildServer({
    airlock: profile.airlock,
    workspaces: profile.ports.workspaces,
    auth: { mode: "development", secret: TEST_SECRET },
    blobEndpoint: profile.blobEndpoint,
    ...(profile.scanEvents ? { scanEvents: profile.scanEvents } : {}),
    logger: options.logStream ? { level: "info", stream: options.logStream } : false,
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const { storage } = profile.ports;
  const { cosmos } = settings;
  // The test reads what the server stored through its own client, as an operator would.
  const agent = new Agent({ rejectUnauthorized: false });
  const repository = createCosmosRequestRepository({
    endpoint: cosmos.endpoint,
    key: cosmos.key ?? "",
    ...(cosmos.emulator
      ? { clientOptions: { agent, connectionPolicy: { enableEndpointDiscovery: false } } }
      : {}),
    databaseId: cosmos.database,
    containerId: cosmos.containers.requests,
  });

  const request = async (requestId: string) => (await repository.get(requestId))._unsafeUnwrap();
  const refOf = async (requestId: string): Promise<ContainerRef> => {
    const found = await request(requestId);
    return { requestId, workspaceId: found.workspaceId, type: found.type };
  };

  return {
    url,
    app,
    profile,
    settings,
    eventsKey,
    token: (token) =>
      mintDevToken({
        secret: TEST_SECRET,
        userId: token.user,
        roles: token.roles,
        audience: token.audience ?? token.workspace ?? API_AUDIENCE,
        ...(token.ttlSeconds === undefined ? {} : { ttlSeconds: token.ttlSeconds }),
      }),
    idle: () => profile.airlock.processor.idle(),
    blobUrlIn: async (requestId, stage, name) => {
      const link = await storage.link(await refOf(requestId), stage, ["read"], new Date(Date.now() + 60_000));
      const container = link._unsafeUnwrap().containerUrl.split("?", 1)[0] ?? "";
      return `${container}/${name}`;
    },
    placement: async (requestId) => {
      const ref = await refOf(requestId);
      const found: Partial<Record<Stage, readonly string[]>> = {};
      for (const stage of STAGES) {
        const files = (await storage.listFiles(ref, stage))._unsafeUnwrap();
        if (files.length > 0) found[stage] = files.map((file) => file.name);
      }
      return found;
    },
    request,
    close: async () => {
      await app.close();
      await profile.airlock.processor.idle();
      if (backends.live) {
        // Real accounts keep what a test leaves: delete every stage container of every request.
        let continuation: string | undefined;
        do {
          const page = (
            await repository.list({ pageSize: 100, ...(continuation ? { continuation } : {}) })
          )._unsafeUnwrap();
          for (const item of page.items) {
            for (const stage of STAGES) await storage.deleteContainer(await refOf(item.id), stage);
          }
          continuation = page.continuation ?? undefined;
        } while (continuation);
      }
      await profile.close();
      agent.destroy();
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Defender for Storage's scan results, as Event Grid delivers them

export type ScanResultType = "No threats found" | "Malicious" | "Error" | "Not Scanned";

const scanData = (blobUri: string, result: ScanResultType, malware: readonly string[]) => ({
  correlationId: randomUUID(),
  blobUri,
  eTag: "0x8DC0000000000000",
  scanFinishedTimeUtc: new Date().toISOString(),
  scanResultType: result,
  scanResultDetails: result === "Malicious" ? { malwareNamesFound: malware, sha256: "00".repeat(32) } : null,
});

/** One result in the Event Grid schema (Defender's default). */
export const eventGridScanResult = (
  blobUri: string,
  result: ScanResultType = "No threats found",
  malware: readonly string[] = ["EICAR-Test-File"],
) => ({
  id: randomUUID(),
  topic:
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.EventGrid/systemTopics/defender",
  subject: `storageAccounts/account/containers/container/blobs/${blobUri.split("/").at(-1)}`,
  eventType: "Microsoft.Security.MalwareScanningResult",
  eventTime: new Date().toISOString(),
  dataVersion: "1.0",
  metadataVersion: "1",
  data: scanData(blobUri, result, malware),
});

/** One result in the CloudEvents 1.0 schema. */
export const cloudEventScanResult = (
  blobUri: string,
  result: ScanResultType = "No threats found",
  malware: readonly string[] = ["EICAR-Test-File"],
) => ({
  specversion: "1.0",
  id: randomUUID(),
  source: "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Security/malwareScanning",
  type: "Microsoft.Security.MalwareScanningResult",
  time: new Date().toISOString(),
  subject: `blobs/${blobUri.split("/").at(-1)}`,
  datacontenttype: "application/json",
  data: scanData(blobUri, result, malware),
});

export const postEvents = (
  server: Pick<AzureTestServer, "url" | "eventsKey">,
  body: unknown,
  options: { readonly code?: string | null; readonly contentType?: string; readonly token?: string } = {},
) => {
  const code = options.code === undefined ? server.eventsKey : options.code;
  return call<Record<string, unknown>>(
    `${server.url}/api/events${code === null ? "" : `?code=${encodeURIComponent(code)}`}`,
    {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "content-type": options.contentType ?? "application/json" },
      ...(options.token ? { token: options.token } : {}),
    },
  );
};

/** Audit keys and a checkpoint container of their own, as settings and as the variables that name them. */
export const auditSecretsFor = (settings: AzureSettings) => {
  const { privateKey } = generateKeyPairSync("ed25519");
  const chainKey = randomBytes(32).toString("base64");
  const signingKey = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const checkpointsContainer = `auditcp${randomBytes(5).toString("hex")}`;
  return {
    settings: {
      ...settings,
      audit: { chainKey: { value: chainKey }, signingKey: { value: signingKey }, checkpointsContainer },
    } satisfies AzureSettings,
    env: {
      AIRLOCK_AUDIT_CHAIN_KEY: chainKey,
      AIRLOCK_AUDIT_SIGNING_KEY: signingKey,
      AIRLOCK_AUDIT_CHECKPOINTS_CONTAINER: checkpointsContainer,
    },
  };
};
