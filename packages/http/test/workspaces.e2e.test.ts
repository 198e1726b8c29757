import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createRequest, expectProblem, linkOf, peopleOf, putBlob } from "./support/flow.js";
import { API_AUDIENCE, call, startTestServer, type TestServer, workspace } from "./support/server.js";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

const members = [
  { id: "alice", name: "Alice", email: "alice@example.org", roles: ["WorkspaceResearcher" as const] },
];

describe("registering workspaces", () => {
  it("a TREAdmin registers a workspace with core's policy defaults, then replaces it", async () => {
    server = await startTestServer();
    const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
    const url = `${server.url}/api/workspaces/ws9`;

    const created = await call(url, { method: "PUT", token: admin, json: { displayName: "Nine", members } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: "ws9",
      displayName: "Nine",
      clientId: "ws9",
      airlock: {
        enabled: true,
        scanning: true,
        requiredApprovals: 1,
        maxFiles: 1,
        maxFileSize: 1024 ** 3,
        maxOpenDrafts: 10,
        maxBytesInFlight: 4 * 1024 ** 3,
        requireFileContext: false,
        independentReview: false,
        gates: [],
      },
      members,
    });

    const replaced = await call(url, {
      method: "PUT",
      token: admin,
      json: { displayName: "Nine", clientId: "app-9", airlock: { requiredApprovals: 2 }, members },
    });
    expect(replaced.status).toBe(200);
    const read = await call(url, { token: admin });
    expect(read.body).toMatchObject({ clientId: "app-9", airlock: { requiredApprovals: 2, maxFiles: 1 } });
  });

  it("refuses a second workspace with a client id another one has (409), and changes nothing", async () => {
    server = await startTestServer();
    const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
    const put = (id: string, json: Record<string, unknown>) =>
      call(`${server.url}/api/workspaces/${id}`, { method: "PUT", token: admin, json: { members, ...json } });
    expect((await put("wsa", { displayName: "A", clientId: "app-shared" })).status).toBe(201);
    const second = await put("wsb", { displayName: "B", clientId: "app-shared" });
    expectProblem(second, 409, "Conflict");
    expect((second.body as { detail: string }).detail).toContain("wsa");
    expectProblem(await call(`${server.url}/api/workspaces/wsb`, { token: admin }), 404, "NotFound");
    // A default client id is the workspace's id: it may not be another's client id either.
    expectProblem(await put("app-shared", { displayName: "C" }), 409, "Conflict");
    // Replacing a workspace keeps its own client id.
    expect((await put("wsa", { displayName: "A again", clientId: "app-shared" })).status).toBe(200);
  });

  it("refuses the API's own audience as a workspace id or client id (422)", async () => {
    server = await startTestServer();
    const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
    for (const [id, clientId] of [
      [API_AUDIENCE, undefined],
      ["wsz", API_AUDIENCE],
      ["airlock-api", undefined],
      ["wsy", "Airlock-API"],
    ] as const) {
      const answer = await call(`${server.url}/api/workspaces/${id}`, {
        method: "PUT",
        token: admin,
        json: { displayName: "Reserved", members, ...(clientId ? { clientId } : {}) },
      });
      expectProblem(answer, 422, "InvalidInput");
      expectProblem(await call(`${server.url}/api/workspaces/${id}`, { token: admin }), 404, "NotFound");
    }
  });

  it("needs TREAdmin on the API audience", async () => {
    server = await startTestServer();
    const url = `${server.url}/api/workspaces/ws9`;
    const json = { displayName: "Nine", members };
    const user = await server.token({ user: "alice", roles: ["TREUser"] });
    expectProblem(await call(url, { method: "PUT", token: user, json }), 403, "Forbidden");
    const scoped = await server.token({ user: "alice", roles: ["TREAdmin"], workspace: "ws9" });
    expectProblem(await call(url, { method: "PUT", token: scoped, json }), 401, "Unauthorized");
    expectProblem(await call(url, { token: user }), 403, "Forbidden");
  });

  it("refuses an invalid registration or workspace id with 422 and an unknown workspace with 404", async () => {
    server = await startTestServer();
    const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
    const invalid = await call(`${server.url}/api/workspaces/ws9`, {
      method: "PUT",
      token: admin,
      json: {
        displayName: "Nine",
        airlock: { maxFiles: 0 },
        members: [{ ...members[0], roles: ["Janitor"] }],
      },
    });
    expectProblem(invalid, 422, "InvalidInput");
    expect((invalid.body.errors as { path: string }[]).map((issue) => issue.path).sort()).toEqual([
      "airlock.maxFiles",
      "members.0.roles.0",
    ]);
    const badId = await call(`${server.url}/api/workspaces/${encodeURIComponent("bad id")}`, {
      method: "PUT",
      token: admin,
      json: { displayName: "Nine", members },
    });
    expectProblem(badId, 422, "InvalidInput");
    expectProblem(await call(`${server.url}/api/workspaces/ws9`, { token: admin }), 404, "NotFound");
  });
});

describe("the workspaces a caller works in", () => {
  it("lists the workspaces whose members list names the caller, with their clientId; all for a TREAdmin", async () => {
    server = await startTestServer({
      workspaces: [workspace("ws1", { clientId: "app-ws1" }), workspace("ws2", { members })],
    });
    const list = (token: string) => call(`${server.url}/api/workspaces`, { token });
    const bob = await list(await server.token({ user: "bob", roles: ["TREUser"] }));
    expect(bob.status).toBe(200);
    expect(bob.body).toEqual({
      workspaces: [
        { id: "ws1", displayName: "Workspace ws1", clientId: "app-ws1", roles: ["AirlockManager"] },
      ],
    });
    const alice = await list(await server.token({ user: "alice", roles: ["TREUser"] }));
    expect((alice.body.workspaces as { id: string }[]).map((entry) => entry.id)).toEqual(["ws1", "ws2"]);
    const admin = await list(await server.token({ user: "root", roles: ["TREAdmin"] }));
    expect(admin.body.workspaces).toHaveLength(2);
    // A workspace's token is not for TRE-wide routes.
    expectProblem(
      await list(await server.token({ user: "alice", roles: ["WorkspaceResearcher"], workspace: "app-ws1" })),
      401,
      "Unauthorized",
    );
    expectProblem(await call(`${server.url}/api/workspaces`), 401, "Unauthorized");
  });
});

describe("a workspace's upload rules", () => {
  it("answers its members what the policy asks of files; others are refused", async () => {
    server = await startTestServer({
      workspaces: [
        workspace("ws1", {
          policy: {
            maxFiles: 3,
            gates: [
              { type: "size", maxRequestBytes: 2048 },
              { type: "file-type", allow: ["csv", "txt"] },
            ],
          },
        }),
      ],
    });
    const url = `${server.url}/api/workspaces/ws1/upload-rules`;
    const rita = await call(url, {
      token: await server.token({ user: "rita", roles: ["WorkspaceResearcher"], workspace: "ws1" }),
    });
    expect(rita.status).toBe(200);
    expect(rita.body).toEqual({
      maxFiles: 3,
      maxFileSize: 1024 * 1024,
      maxRequestBytes: 2048,
      allowedExtensions: ["csv", "txt"],
      requireFileContext: false,
    });
    const stranger = await server.token({ user: "stranger", roles: ["TREUser"], workspace: "ws1" });
    expectProblem(await call(url, { token: stranger }), 403, "Forbidden");
    const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
    expectProblem(await call(url, { token: admin }), 401, "Unauthorized");
  });
});

describe("health and readiness", () => {
  it("/health answers while /ready reports a backing service that is down", async () => {
    server = await startTestServer();
    expect((await call(`${server.url}/health`)).status).toBe(200);
    expect((await call(`${server.url}/ready`)).status).toBe(200);
    server.ports.workspaces.failNext("list");
    expectProblem(await call(`${server.url}/ready`), 503, "Unavailable");
    expect((await call(`${server.url}/health`)).status).toBe(200);
  });
});

describe("the API description", () => {
  it("serves an OpenAPI document with upstream's paths and core's schemas, and a docs page", async () => {
    server = await startTestServer();
    const document = await call<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    }>(`${server.url}/api/openapi.json`);
    expect(document.status).toBe(200);
    expect(document.body.openapi).toMatch(/^3\.1/);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining([
        "/api/workspaces/{ws}/requests",
        "/api/workspaces/{ws}/requests/{id}",
        "/api/workspaces/{ws}/requests/{id}/link",
        "/api/workspaces/{ws}/requests/{id}/review",
        "/api/requests",
        "/api/workspaces/{ws}",
      ]),
    );
    expect(Object.keys(document.body.components.schemas)).toEqual(
      expect.arrayContaining(["AirlockRequest", "RequestView", "Problem", "NewRequestInput"]),
    );
    const docs = await fetch(`${server.url}/api/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });
});

describe("logging", () => {
  it("never writes a bearer token or a link signature", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    server = await startTestServer({ workspaces: [workspace("ws1")], logStream: sink });
    const people = await peopleOf(server, "ws1");
    const id = await createRequest(server, "ws1", people.alice);
    const link = await linkOf(server, "ws1", id, people.alice);
    await putBlob(link, "data.csv", "secret content");
    const signature = new URL(link).searchParams.get("sig") ?? "";

    const log = lines.join("");
    expect(log).toContain(`/blob/${id}/data.csv`);
    expect(log).toContain("[REDACTED]");
    expect(log).not.toContain(signature);
    expect(log).not.toContain(people.alice);
    expect(log).not.toContain("secret content");
  });
});
