import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { act, createRequest, expectProblem, peopleOf, requestInReview, requestsUrl } from "./support/flow.js";
import {
  API_AUDIENCE,
  call,
  startTestServer,
  TEST_SECRET,
  type TestServer,
  workspace,
} from "./support/server.js";

let server: TestServer;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await server?.close();
  while (closers.length > 0) await closers.pop()?.();
});

const newRequest = { type: "import", title: "t", businessJustification: "j" };

describe("bearer tokens in development mode", () => {
  it("refuses a call without a token, with a bearer challenge", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const answer = await call(requestsUrl(server, "ws1"));
    expectProblem(answer, 401, "Unauthorized");
    expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("refuses a malformed token, one signed with another secret, and one without exp", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    expectProblem(await call(requestsUrl(server, "ws1"), { token: "not-a-jwt" }), 401, "Unauthorized");

    const forged = await new SignJWT({ oid: "alice", roles: ["WorkspaceResearcher"] })
      .setProtectedHeader({ alg: "HS256" })
      .setAudience("ws1")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("some-other-secret-of-enough-length"));
    expectProblem(await call(requestsUrl(server, "ws1"), { token: forged }), 401, "Unauthorized");

    const endless = await new SignJWT({ oid: "alice", roles: ["WorkspaceResearcher"] })
      .setProtectedHeader({ alg: "HS256" })
      .setAudience("ws1")
      .sign(new TextEncoder().encode(TEST_SECRET));
    expectProblem(await call(requestsUrl(server, "ws1"), { token: endless }), 401, "Unauthorized");
  });

  it("accepts a token expired within the clock tolerance and refuses one expired beyond it", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const now = server.ports.clock.now();
    const justExpired = await server.token({
      user: "alice",
      roles: ["WorkspaceResearcher"],
      workspace: "ws1",
      ttlSeconds: 60,
      now: now - 90_000,
    });
    expect((await call(requestsUrl(server, "ws1"), { token: justExpired })).status).toBe(200);
    const expired = await server.token({
      user: "alice",
      roles: ["WorkspaceResearcher"],
      workspace: "ws1",
      ttlSeconds: 60,
      now: now - 121_000,
    });
    expectProblem(await call(requestsUrl(server, "ws1"), { token: expired }), 401, "Unauthorized");
  });

  it("accepts an audience given as an array", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const token = await server.token({
      user: "alice",
      roles: ["WorkspaceResearcher"],
      audience: ["other", "ws1"],
    });
    expect((await call(requestsUrl(server, "ws1"), { token })).status).toBe(200);
  });
});

describe("the order of checks", () => {
  it("an invalid token is 401 even for an unknown workspace", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    expectProblem(await call(requestsUrl(server, "nowhere"), { token: "garbage" }), 401, "Unauthorized");
  });

  it("an unknown workspace is 404 before the audience is looked at", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const token = await server.token({ user: "alice", roles: ["WorkspaceResearcher"], workspace: "ws1" });
    expectProblem(await call(requestsUrl(server, "nowhere"), { token }), 404, "NotFound");
  });

  it("a token for another workspace is 401", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1"), workspace("ws2")] });
    const token = await server.token({ user: "alice", roles: ["WorkspaceResearcher"], workspace: "ws2" });
    expectProblem(
      await call(requestsUrl(server, "ws1"), { method: "POST", token, json: newRequest }),
      401,
      "Unauthorized",
    );
  });

  it("the audience is the workspace's clientId when it has one", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1", { clientId: "app-registration-1" })] });
    const byId = await server.token({ user: "alice", roles: ["WorkspaceResearcher"], workspace: "ws1" });
    expectProblem(await call(requestsUrl(server, "ws1"), { token: byId }), 401, "Unauthorized");
    const byClientId = await server.token({
      user: "alice",
      roles: ["WorkspaceResearcher"],
      audience: "app-registration-1",
    });
    expect((await call(requestsUrl(server, "ws1"), { token: byClientId })).status).toBe(200);
  });

  it("a missing role is 403 before an unknown request is 404, and before an invalid body is 422", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const people = await peopleOf(server, "ws1");
    expectProblem(await act(server, "ws1", "no-such-request", "review", people.alice, {}), 403, "Forbidden");
    expectProblem(
      await call(requestsUrl(server, "ws1"), { method: "POST", token: people.bob, json: {} }),
      403,
      "Forbidden",
    );
    const malformed = await call(requestsUrl(server, "ws1"), {
      method: "POST",
      token: people.bob,
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expectProblem(malformed, 403, "Forbidden");
  });

  it("an unknown request is 404 before an invalid body is 422, which comes before ownership and status", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const people = await peopleOf(server, "ws1");
    expectProblem(
      await act(server, "ws1", "no-such-request", "review", people.bob, { approval: "yes" }),
      404,
      "NotFound",
    );
    const draft = await createRequest(server, "ws1", people.alice);
    expectProblem(
      await act(server, "ws1", draft, "review", people.bob, { approval: "yes" }),
      422,
      "InvalidInput",
    );
    expectProblem(
      await act(server, "ws1", draft, "review", people.bob, { approval: true, decisionExplanation: "x" }),
      400,
      "IllegalTransition",
    );
    expectProblem(await act(server, "ws1", draft, "submit", people.rita), 403, "Forbidden");
  });

  it("a request of another workspace is 404", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1"), workspace("ws2")] });
    const id = await createRequest(server, "ws1", (await peopleOf(server, "ws1")).alice);
    const other = await peopleOf(server, "ws2");
    expectProblem(await call(`${requestsUrl(server, "ws2")}/${id}`, { token: other.alice }), 404, "NotFound");
    expectProblem(await act(server, "ws2", id, "cancel", other.alice), 404, "NotFound");
  });
});

describe("TRE-wide tokens on workspace routes", () => {
  it("a TREAdmin may read the audit trail and cancel, but not create, submit or get a link", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const people = await peopleOf(server, "ws1");
    const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
    const id = await requestInReview(server, "ws1", people);

    expect((await call(`${requestsUrl(server, "ws1")}/${id}/audit`, { token: admin })).status).toBe(200);
    expectProblem(
      await call(requestsUrl(server, "ws1"), { method: "POST", token: admin, json: newRequest }),
      401,
      "Unauthorized",
    );
    expectProblem(
      await call(`${requestsUrl(server, "ws1")}/${id}/link`, { token: admin }),
      401,
      "Unauthorized",
    );
    expectProblem(await act(server, "ws1", id, "submit", admin), 401, "Unauthorized");

    const cancelled = await act(server, "ws1", id, "cancel", admin);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.airlockRequest.status).toBe("cancelled");
  });

  it("a workspace-audience token claiming TREAdmin acts with its workspace roles only", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const people = await peopleOf(server, "ws1");
    const id = await requestInReview(server, "ws1", people);
    // A workspace's app registration may define any role; TREAdmin there means nothing.
    const claimed = await server.token({
      user: "rita",
      roles: ["WorkspaceResearcher", "TREAdmin"],
      workspace: "ws1",
    });

    expectProblem(
      await call(`${requestsUrl(server, "ws1")}/${id}/audit`, { token: claimed }),
      403,
      "Forbidden",
    );
    expectProblem(await act(server, "ws1", id, "cancel", claimed), 403, "Forbidden");
    const still = await call<{ airlockRequest: { status: string } }>(`${requestsUrl(server, "ws1")}/${id}`, {
      token: people.alice,
    });
    expect(still.body.airlockRequest.status).toBe("in_review");
    // Without any workspace role, it is no caller of the workspace at all.
    const onlyAdmin = await server.token({ user: "mallory", roles: ["TREAdmin"], workspace: "ws1" });
    const audit = await call(`${requestsUrl(server, "ws1")}/${id}/audit`, { token: onlyAdmin });
    expect(audit.status).toBeGreaterThanOrEqual(401);
    expect(audit.status).toBeLessThan(500);
    expect(audit.status).not.toBe(200);
  });

  it("a TREUser token is not accepted on workspace routes", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const user = await server.token({ user: "alice", roles: ["TREUser"] });
    expectProblem(await call(requestsUrl(server, "ws1"), { token: user }), 401, "Unauthorized");
  });

  it("a workspace token is not accepted on TRE-wide routes", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const scoped = await server.token({ user: "alice", roles: ["WorkspaceResearcher"], workspace: "ws1" });
    expectProblem(await call(`${server.url}/api/requests`, { token: scoped }), 401, "Unauthorized");
  });
});

describe("Entra ID mode", () => {
  const startJwks = async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "key-1", alg: "RS256", use: "sig" };
    const jwks: Server = createServer((_request, response) => {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => jwks.close(() => resolve())));
    return { privateKey, uri: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/keys` };
  };

  const issuer = "https://login.microsoftonline.com/tenant-id/v2.0";

  it("verifies tokens against the issuer's key set and checks the issuer", async () => {
    const keys = await startJwks();
    server = await startTestServer({
      workspaces: [workspace("ws1")],
      auth: { mode: "entra", issuer, jwksUri: keys.uri, apiAudience: "api://airlock" },
      publicBaseUrl: "https://airlock.example.org",
    });
    const sign = (claims: Record<string, unknown>, tokenIssuer: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "key-1" })
        .setIssuer(tokenIssuer)
        .setAudience("ws1")
        .setIssuedAt(Math.floor(server.ports.clock.now() / 1000))
        .setExpirationTime(Math.floor(server.ports.clock.now() / 1000) + 600)
        .sign(keys.privateKey);
    const claims = {
      oid: "0f8c-alice",
      name: "Alice",
      preferred_username: "alice@tenant.example",
      roles: ["WorkspaceResearcher"],
    };

    const created = await call<{ airlockRequest: { createdBy: { id: string; email: string } } }>(
      requestsUrl(server, "ws1"),
      {
        method: "POST",
        token: await sign(claims, issuer),
        json: newRequest,
      },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.airlockRequest.createdBy).toMatchObject({
      id: "0f8c-alice",
      email: "alice@tenant.example",
    });

    const foreign = await sign(claims, "https://login.microsoftonline.com/other-tenant/v2.0");
    expectProblem(await call(requestsUrl(server, "ws1"), { token: foreign }), 401, "Unauthorized");
    // A development token means nothing here.
    const dev = await server.token({ user: "alice", roles: ["WorkspaceResearcher"], workspace: "ws1" });
    expectProblem(await call(requestsUrl(server, "ws1"), { token: dev }), 401, "Unauthorized");
  });

  it("answers 503 when the key set cannot be fetched", async () => {
    const keys = await startJwks();
    await closers.pop()?.();
    server = await startTestServer({
      workspaces: [workspace("ws1")],
      auth: { mode: "entra", issuer, jwksUri: keys.uri, apiAudience: API_AUDIENCE },
      publicBaseUrl: "https://airlock.example.org",
    });
    const token = await new SignJWT({ oid: "alice", roles: ["WorkspaceResearcher"] })
      .setProtectedHeader({ alg: "RS256", kid: "key-1" })
      .setIssuer(issuer)
      .setAudience("ws1")
      .setExpirationTime(Math.floor(server.ports.clock.now() / 1000) + 600)
      .sign(keys.privateKey);
    expectProblem(await call(requestsUrl(server, "ws1"), { token }), 503, "Unavailable");
  });
});
