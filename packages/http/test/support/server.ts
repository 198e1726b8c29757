import type { Writable } from "node:stream";
import {
  createManualClock,
  createMemoryPorts,
  createSequentialIds,
  type ManualClock,
  type MemoryPorts,
  type SequentialIds,
} from "@airlock/adapters-memory";
import {
  type Airlock,
  type AirlockOptions,
  type AirlockPorts,
  createAirlock,
  DEFAULT_POLICY,
  type Workspace,
} from "@airlock/core";
import { type AuthConfig, buildServer, type LimitOptions, mintDevToken } from "@airlock/http";
import type { FastifyInstance } from "fastify";

export const TEST_SECRET = "http-test-secret-0123456789abcdef";
export const API_AUDIENCE = "airlock-api";

export interface TokenRequest {
  readonly user: string;
  readonly roles: readonly string[];
  /** Audience: this workspace's id (the clientId by default); omitted, the API audience. */
  readonly workspace?: string;
  readonly audience?: string | readonly string[];
  readonly ttlSeconds?: number;
  /** Milliseconds; defaults to the server clock's now. */
  readonly now?: number;
}

export interface TestServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly airlock: Airlock;
  readonly ports: MemoryPorts<ManualClock, SequentialIds>;
  token(request: TokenRequest): Promise<string>;
  /** Waits for the processing that commands started inline. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly workspaces?: readonly Workspace[];
  readonly airlock?: AirlockOptions;
  readonly auth?: AuthConfig;
  readonly blobEndpoint?: "embedded" | "storage";
  readonly publicBaseUrl?: string;
  readonly logStream?: Writable;
  readonly limits?: LimitOptions;
  /** What the engine is given instead of the memory ports (a slower repository, say); `ports` stays the memory ones. */
  readonly decoratePorts?: (ports: MemoryPorts<ManualClock, SequentialIds>) => AirlockPorts;
}

/** A server on 127.0.0.1 with memory ports, reached over a real socket. */
export const startTestServer = async (options: TestServerOptions = {}): Promise<TestServer> => {
  const ports = createMemoryPorts({
    clock: createManualClock(),
    ids: createSequentialIds(),
    workspaces: options.workspaces ?? [],
  });
  const airlock = createAirlock(options.decoratePorts ? options.decoratePorts(ports) : ports, {
    processing: "inline",
    ...options.airlock,
  });
  const app = buildServer({
    airlock,
    workspaces: ports.workspaces,
    clock: ports.clock,
    auth: options.auth ?? { mode: "development", secret: TEST_SECRET },
    blobEndpoint: options.blobEndpoint ?? "embedded",
    ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    logger: options.logStream ? { level: "info", stream: options.logStream } : false,
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    url,
    app,
    airlock,
    ports,
    token: (request) =>
      mintDevToken({
        secret: TEST_SECRET,
        userId: request.user,
        roles: request.roles,
        audience: request.audience ?? request.workspace ?? API_AUDIENCE,
        now: request.now ?? ports.clock.now(),
        ...(request.ttlSeconds === undefined ? {} : { ttlSeconds: request.ttlSeconds }),
      }),
    idle: () => airlock.processor.idle(),
    close: async () => {
      await app.close();
      await airlock.processor.idle();
    },
  };
};

export interface ApiAnswer<T = unknown> {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Headers;
  readonly body: T;
}

/** One HTTP call; JSON answers are parsed, anything else comes back as text. */
export const call = async <T = Record<string, unknown>>(
  url: string,
  init: {
    readonly method?: string;
    readonly token?: string;
    readonly json?: unknown;
    readonly body?: BodyInit;
    readonly headers?: Record<string, string>;
  } = {},
): Promise<ApiAnswer<T>> => {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body = init.body;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const contentType = response.headers.get("content-type") ?? "";
  const text = await response.text();
  const parsed = contentType.includes("json") && text !== "" ? JSON.parse(text) : text;
  return { status: response.status, contentType, headers: response.headers, body: parsed as T };
};

export const workspace = (
  id: string,
  overrides: Omit<Partial<Workspace>, "policy"> & { policy?: Partial<Workspace["policy"]> } = {},
): Workspace => ({
  id,
  displayName: `Workspace ${id}`,
  clientId: overrides.clientId ?? id,
  members: overrides.members ?? [
    { id: "alice", name: "Alice", email: "alice@example.org", roles: ["WorkspaceResearcher"] },
    { id: "rita", name: "Rita", email: "rita@example.org", roles: ["WorkspaceResearcher"] },
    { id: "bob", name: "Bob", email: "bob@example.org", roles: ["AirlockManager"] },
    { id: "mona", name: "Mona", email: "mona@example.org", roles: ["AirlockManager"] },
    { id: "olivia", name: "Olivia", email: "olivia@example.org", roles: ["WorkspaceOwner"] },
  ],
  policy: {
    ...DEFAULT_POLICY,
    maxFiles: 1,
    maxFileSize: 1024 * 1024,
    ...overrides.policy,
  },
});
