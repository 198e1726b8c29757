import { stat } from "node:fs/promises";
import { join } from "node:path";
import { buildServer } from "@airlock/http";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryProfile } from "../../server/src/profiles/memory.js";
import { runCli, userEnv } from "./support/cli.js";
import { type FakeEntra, startFakeEntra } from "./support/fake-entra.js";
import { ok } from "./support/fixtures.js";
import { TEST_WORKSPACE } from "./support/server.js";

const API_AUDIENCE = "api://airlock-tests";
let entra: FakeEntra;
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  entra = await startFakeEntra({
    oid: "alice",
    name: "Alice Researcher",
    email: "alice@example.org",
    roles: ["WorkspaceResearcher"],
  });
  // The memory profile with the API's entra mode, checking tokens against the stand-in's keys.
  const profile = createMemoryProfile({ logger: pino({ enabled: false }), workspaces: [TEST_WORKSPACE] });
  const app = buildServer({
    airlock: profile.airlock,
    workspaces: profile.ports.workspaces,
    auth: { mode: "entra", issuer: entra.issuer, jwksUri: entra.jwksUri, apiAudience: API_AUDIENCE },
    blobEndpoint: "embedded",
    publicBaseUrl: "http://127.0.0.1",
    logger: false,
  });
  url = await app.listen({ host: "127.0.0.1", port: 0 });
  close = async () => {
    await app.close();
    await entra.close();
  };
});
afterAll(async () => {
  await close?.();
});

describe("signing in with Entra ID's device code flow", () => {
  it("prints the device code, caches the tokens privately, and gets each workspace's token on first use", async () => {
    const env: Record<string, string> = { ...(await userEnv(url)), NODE_EXTRA_CA_CERTS: entra.caFile };
    const login = await runCli(
      [
        "login",
        "--tenant",
        entra.tenant,
        "--client-id",
        "airlock-cli-app",
        "--api-audience",
        API_AUDIENCE,
        "--authority",
        entra.authority,
        "--json",
      ],
      env,
    );
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain("enter the code FAKE-CODE");
    expect(JSON.parse(login.stdout)).toEqual({
      server: url,
      kind: "entra",
      user: "alice@example.org",
      tenant: entra.tenant,
    });
    const dir = join(env.XDG_CONFIG_HOME ?? "", "airlock");
    expect((await stat(join(dir, "msal-cache.json"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "credentials.json"))).mode & 0o777).toBe(0o600);
    expect(entra.scopes.map((scope) => scope.split(" ").find((s) => s.endsWith("/.default")))).toEqual([
      `${API_AUDIENCE}/.default`,
    ]);

    // A workspace route: MSAL gets a token for the workspace's clientId silently, the API admits it.
    const created = await ok(
      ["new", "export", "-w", TEST_WORKSPACE.id, "--title", "From Entra", "--why", "device code"],
      env,
    );
    expect(created.airlockRequest.createdBy).toMatchObject({ id: "alice", email: "alice@example.org" });
    expect(entra.scopes.at(-1)?.split(" ")).toContain(`${TEST_WORKSPACE.clientId}/.default`);
    // A TRE-wide route takes the API's token cached at sign-in: Entra is not asked again.
    const asked = entra.scopes.length;
    expect(await ok<{ airlockRequests: unknown[] }>(["queue"], env)).toEqual({ airlockRequests: [] });
    expect(entra.scopes).toHaveLength(asked);
    expect(await ok(["whoami"], env)).toMatchObject({ kind: "entra", user: "alice@example.org" });

    expect(await ok(["logout"], env)).toEqual({ server: url, signedOut: true });
    expect(
      (await runCli(["new", "export", "-w", TEST_WORKSPACE.id, "--title", "t", "--why", "w"], env)).code,
    ).toBe(3);
  });
});
