import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryPorts } from "@airlock/adapters-memory";
import { createAirlock, DEFAULT_POLICY, type Workspace } from "@airlock/core";
import { type AuthConfig, buildServer, DEV_SECRET_DEFAULT } from "@airlock/http";
import type { FastifyInstance } from "fastify";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { consoleSettingFromEnv, registerConsole } from "../src/console.js";

const WORKSPACE: Workspace = {
  id: "ws1",
  displayName: "Workspace one",
  // Not the id: the token endpoint must look the audience up.
  clientId: "app-ws1",
  policy: DEFAULT_POLICY,
  members: [],
};
const DEVELOPMENT: AuthConfig = { mode: "development", secret: DEV_SECRET_DEFAULT };
const ENTRA: AuthConfig = {
  mode: "entra",
  issuer: "https://login.microsoftonline.com/tenant/v2.0",
  jwksUri: "https://login.microsoftonline.com/tenant/discovery/v2.0/keys",
  apiAudience: "api://airlock",
};
const ENTRA_CONSOLE = {
  clientId: "console-app",
  authority: "https://login.microsoftonline.com/tenant",
  apiScope: "api://airlock/user_impersonation",
  workspaceScope: "api://{clientId}/user_impersonation",
};
const PAGE = `<!doctype html><html><head><meta name="airlock-style-nonce" content="" /></head><body><div id="root"></div><script type="module" src="/assets/index-Ab12Cd.js"></script></body></html>`;
const HTML = { accept: "text/html,application/xhtml+xml" };

let root: string;
let app: FastifyInstance | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "airlock-console-"));
  await mkdir(join(root, "assets"));
  await writeFile(join(root, "index.html"), PAGE);
  await writeFile(join(root, "assets", "index-Ab12Cd.js"), "console.log('console');\n");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const start = async (auth: AuthConfig = DEVELOPMENT) => {
  const ports = createMemoryPorts({ workspaces: [WORKSPACE] });
  app = buildServer({
    airlock: createAirlock(ports, { processing: "inline" }),
    workspaces: ports.workspaces,
    auth,
    blobEndpoint: "embedded",
    ...(auth.mode === "entra" ? { publicBaseUrl: "https://airlock.example.org" } : {}),
    logger: false,
  });
  await registerConsole(app, {
    root,
    auth,
    workspaces: ports.workspaces,
    ...(auth.mode === "entra" ? { entra: ENTRA_CONSOLE } : {}),
  });
  await app.ready();
  return app;
};

const nonceOf = (csp: string) => /style-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1];

describe("the web console's page", () => {
  it("is served at / with a strict CSP whose style nonce is the one written into the page, and no cache", async () => {
    const server = await start();
    const answer = await server.inject({ url: "/", headers: HTML });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["content-type"]).toMatch(/^text\/html/);
    expect(answer.headers["cache-control"]).toBe("no-cache");
    const csp = String(answer.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const nonce = nonceOf(csp);
    expect(nonce).toMatch(/^[A-Za-z0-9+/=]{20,}$/);
    expect(answer.body).toContain(`<meta name="airlock-style-nonce" content="${nonce}" />`);
    expect(answer.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("gets a new nonce on every answer", async () => {
    const server = await start();
    const first = await server.inject({ url: "/", headers: HTML });
    const second = await server.inject({ url: "/", headers: HTML });
    expect(nonceOf(String(first.headers["content-security-policy"]))).not.toBe(
      nonceOf(String(second.headers["content-security-policy"])),
    );
  });

  it("answers the console's own routes when a browser navigates to them", async () => {
    const server = await start();
    for (const url of ["/sign-in", "/workspaces/ws1", "/workspaces/ws1/requests/r-1?x=1"]) {
      const answer = await server.inject({ url, headers: HTML });
      expect(answer.statusCode, url).toBe(200);
      expect(answer.body, url).toContain('id="root"');
    }
  });

  it("never shadows the API: its paths keep their own answers and problem+json 404s", async () => {
    const server = await start();
    for (const url of ["/api/nowhere", "/api/workspaces/ws1/nothing", "/blob", "/health/x", "/ready/x"]) {
      const answer = await server.inject({ url, headers: HTML });
      expect(answer.statusCode, url).toBe(404);
      expect(answer.headers["content-type"], url).toMatch(/^application\/problem\+json/);
      expect(answer.body, url).not.toContain('id="root"');
    }
    const health = await server.inject({ url: "/health", headers: HTML });
    expect(health.json()).toEqual({ status: "ok" });
    const list = await server.inject({ url: "/api/workspaces/ws1/requests", headers: HTML });
    expect(list.statusCode).toBe(401);
  });

  it("is not what a non-browser caller gets for an unknown path", async () => {
    const server = await start();
    const answer = await server.inject({ url: "/somewhere", headers: { accept: "application/json" } });
    expect(answer.statusCode).toBe(404);
    expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
  });
});

describe("the web console's assets", () => {
  it("are cached for a year as immutable: their names carry their content's hash", async () => {
    const server = await start();
    const answer = await server.inject({ url: "/assets/index-Ab12Cd.js" });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["content-type"]).toMatch(/javascript/);
    expect(answer.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(answer.headers["content-security-policy"]).toContain("script-src 'self'");
  });

  it("answer 404 for a file that is not there", async () => {
    const server = await start();
    const answer = await server.inject({ url: "/assets/missing.js" });
    expect(answer.statusCode).toBe(404);
  });
});

describe("the console's settings", () => {
  it("say development mode, with no secret in them", async () => {
    const server = await start();
    const answer = await server.inject({ url: "/console/config.json" });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(answer.json()).toEqual({ authMode: "development", apiAudience: "airlock-api" });
    expect(answer.body).not.toContain(DEV_SECRET_DEFAULT);
  });

  it("let the page call the storage origins links point at, when configured", async () => {
    const ports = createMemoryPorts({ workspaces: [WORKSPACE] });
    app = buildServer({
      airlock: createAirlock(ports, { processing: "inline" }),
      workspaces: ports.workspaces,
      auth: DEVELOPMENT,
      blobEndpoint: "embedded",
      logger: false,
    });
    await registerConsole(app, {
      root,
      auth: DEVELOPMENT,
      workspaces: ports.workspaces,
      connectSources: ["https://a.blob.core.windows.net"],
    });
    const page = await app.inject({ url: "/", headers: HTML });
    expect(String(page.headers["content-security-policy"])).toContain(
      "connect-src 'self' https://a.blob.core.windows.net;",
    );
  });

  it("carry the Entra app registration, and the page may call the login authority", async () => {
    const server = await start(ENTRA);
    const config = await server.inject({ url: "/console/config.json" });
    expect(config.json()).toEqual({ authMode: "entra", apiAudience: "api://airlock", ...ENTRA_CONSOLE });
    const page = await server.inject({ url: "/", headers: HTML });
    expect(String(page.headers["content-security-policy"])).toContain(
      "connect-src 'self' https://login.microsoftonline.com;",
    );
  });

  it("come from the environment: on by default, off on request, Entra settings required in entra mode", () => {
    expect(consoleSettingFromEnv({}, DEVELOPMENT)).toMatchObject({
      setting: { serve: true, required: false },
    });
    expect(consoleSettingFromEnv({ AIRLOCK_CONSOLE: "on" }, DEVELOPMENT)).toMatchObject({
      setting: { serve: true, required: true },
    });
    expect(consoleSettingFromEnv({ AIRLOCK_CONSOLE: "off" }, DEVELOPMENT)).toEqual({
      setting: { serve: false },
    });
    expect(consoleSettingFromEnv({ AIRLOCK_CONSOLE: "maybe" }, DEVELOPMENT)).toHaveProperty("problem");
    expect(
      consoleSettingFromEnv(
        { AIRLOCK_CONSOLE_CONNECT_SRC: "https://a.blob.core.windows.net https://b.blob.core.windows.net" },
        DEVELOPMENT,
      ),
    ).toMatchObject({
      setting: { connectSources: ["https://a.blob.core.windows.net", "https://b.blob.core.windows.net"] },
    });
    expect(
      consoleSettingFromEnv({ AIRLOCK_CONSOLE_CONNECT_SRC: "*; script-src *" }, DEVELOPMENT),
    ).toHaveProperty("problem");
    expect(consoleSettingFromEnv({}, ENTRA)).toHaveProperty("problem");
    expect(
      consoleSettingFromEnv(
        { AIRLOCK_CONSOLE_CLIENT_ID: "console-app", AIRLOCK_CONSOLE_AUTHORITY: ENTRA_CONSOLE.authority },
        ENTRA,
      ),
    ).toMatchObject({ setting: { serve: true, entra: ENTRA_CONSOLE } });
  });

  it("tell MSAL to treat the authority as a plain OpenID provider only when asked", () => {
    const env = {
      AIRLOCK_CONSOLE_CLIENT_ID: "console-app",
      AIRLOCK_CONSOLE_AUTHORITY: ENTRA_CONSOLE.authority,
    };
    const entra = consoleSettingFromEnv(env, ENTRA);
    expect(entra).toMatchObject({ setting: { entra: ENTRA_CONSOLE } });
    expect(entra).not.toHaveProperty("setting.entra.protocolMode");
    expect(consoleSettingFromEnv({ ...env, AIRLOCK_CONSOLE_PROTOCOL_MODE: "OIDC" }, ENTRA)).toMatchObject({
      setting: { entra: { ...ENTRA_CONSOLE, protocolMode: "OIDC" } },
    });
    expect(consoleSettingFromEnv({ ...env, AIRLOCK_CONSOLE_PROTOCOL_MODE: "saml" }, ENTRA)).toEqual({
      problem: 'AIRLOCK_CONSOLE_PROTOCOL_MODE must be "entra" or "oidc", not "saml"',
    });
  });
});

describe("the development token endpoint", () => {
  it("mints a token for a workspace's audience (its clientId) that the API accepts", async () => {
    const server = await start();
    const answer = await server.inject({
      method: "POST",
      url: "/console/dev-token",
      payload: { userId: "alice", name: "Alice", roles: ["WorkspaceResearcher"], workspace: "ws1" },
    });
    expect(answer.statusCode).toBe(200);
    const { token, expiresIn } = answer.json() as { token: string; expiresIn: number };
    expect(expiresIn).toBe(3600);
    expect(decodeJwt(token)).toMatchObject({ aud: "app-ws1", oid: "alice", roles: ["WorkspaceResearcher"] });
    const list = await server.inject({
      url: "/api/workspaces/ws1/requests",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(list.statusCode).toBe(200);
  });

  it("mints a token for the API audience when no workspace is named", async () => {
    const server = await start();
    const answer = await server.inject({
      method: "POST",
      url: "/console/dev-token",
      payload: { userId: "admin", roles: ["TREAdmin"] },
    });
    expect(decodeJwt((answer.json() as { token: string }).token).aud).toBe("airlock-api");
  });

  it("refuses an unknown workspace with 404 and a malformed sign-in with 422", async () => {
    const server = await start();
    const unknown = await server.inject({
      method: "POST",
      url: "/console/dev-token",
      payload: { userId: "alice", roles: ["WorkspaceResearcher"], workspace: "nope" },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const malformed = await server.inject({
      method: "POST",
      url: "/console/dev-token",
      payload: { userId: "a b", roles: ["Wizard"] },
    });
    expect(malformed.statusCode).toBe(422);
    expect((malformed.json() as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(["userId", "roles.0"]),
    );
  });

  it("does not exist with Entra authentication", async () => {
    const server = await start(ENTRA);
    const answer = await server.inject({
      method: "POST",
      url: "/console/dev-token",
      payload: { userId: "alice", roles: ["WorkspaceResearcher"] },
    });
    expect(answer.statusCode).toBe(404);
  });
});
