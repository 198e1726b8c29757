import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import type { CosmosClientOptions } from "@azure/cosmos";
import type { CosmosConnection } from "../cosmos-connection.js";

/** Azurite's single account and its published key (not a secret: it is in Microsoft's docs). */
export const AZURITE_ACCOUNT_NAME = "devstoreaccount1";
export const AZURITE_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/** The Cosmos DB emulator's published key; the in-process server accepts any key. */
export const COSMOS_EMULATOR_KEY =
  "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

export interface AzuriteEmulator {
  readonly connectionString: string;
  readonly accountName: string;
  readonly accountKey: string;
  readonly blobEndpoint: string;
  stop(): Promise<void>;
}

export interface CosmosEmulator {
  readonly endpoint: string;
  readonly key: string;
  /** What a `CosmosClient` needs besides endpoint and key: the self-signed certificate, no discovery. */
  readonly clientOptions: Omit<CosmosClientOptions, "endpoint" | "key">;
  /** Ready to pass to the Cosmos adapters. */
  readonly connection: CosmosConnection;
  stop(): Promise<void>;
}

const LISTENING = /listens on (https?:\/\/[^\s]+)/;

/** The `azurite-blob` entry point, found through the installed package's own `bin` map. */
const azuriteBlobMain = (): string => {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve("azurite/package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { bin?: Record<string, string> };
  const bin = manifest.bin?.["azurite-blob"];
  if (bin === undefined) throw new Error("the installed azurite has no azurite-blob entry point");
  return join(dirname(manifestPath), bin);
};

/**
 * Starts Azurite's blob service as a child process on a free loopback port, in memory. The child
 * is killed by `stop()` or, failing that, when this process exits.
 */
export const startAzurite = async (
  options: { readonly timeoutMs?: number } = {},
): Promise<AzuriteEmulator> => {
  const child = spawn(
    process.execPath,
    [
      azuriteBlobMain(),
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      "0",
      "--inMemoryPersistence",
      "--silent",
      "--loose",
      "--skipApiVersionCheck",
      "--disableTelemetry",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Azurite did not start within ${options.timeoutMs ?? 30_000} ms:\n${output}`));
    }, options.timeoutMs ?? 30_000);
    const onData = (data: Buffer) => {
      output += data.toString("utf8");
      const match = LISTENING.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/+$/, ""));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code ?? signal}) before listening:\n${output}`));
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  }).catch(async (error: unknown) => {
    process.off("exit", killOnExit);
    throw error;
  });
  // Keep draining its output so a full pipe never blocks the child.
  child.stdout.removeAllListeners("data").resume();
  child.stderr.removeAllListeners("data").resume();

  const blobEndpoint = `${url}/${AZURITE_ACCOUNT_NAME}`;
  return {
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    stop: async () => {
      process.off("exit", killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const forced = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(forced);
    },
  };
};

/** Starts the in-process Cosmos DB server (`@vercel/cosmosdb-server`) over HTTPS on a free loopback port. */
export const startCosmosEmulator = async (): Promise<CosmosEmulator> => {
  // Loaded on demand: it is a development dependency, and importing this module must not need it.
  const { createHttpsServer } = await import("@vercel/cosmosdb-server");
  // Keep-alive: without it the server answers `Connection: close`, and every call pays a TLS handshake.
  const server = createHttpsServer({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `https://127.0.0.1:${port}`;
  const agent = new Agent({ rejectUnauthorized: false, keepAlive: true });
  const clientOptions = { agent, connectionPolicy: { enableEndpointDiscovery: false } };
  return {
    endpoint,
    key: COSMOS_EMULATOR_KEY,
    clientOptions,
    connection: { endpoint, key: COSMOS_EMULATOR_KEY, clientOptions },
    stop: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
};
