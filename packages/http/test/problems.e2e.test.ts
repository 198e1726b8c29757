import { createMemoryPorts } from "@airlock/adapters-memory";
import { type Airlock, createAirlock } from "@airlock/core";
import { buildServer, JSON_BODY_LIMIT, mintDevToken } from "@airlock/http";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { expectProblem, peopleOf, requestsUrl } from "./support/flow.js";
import { call, startTestServer, TEST_SECRET, type TestServer, workspace } from "./support/server.js";

let server: TestServer | undefined;
let bare: FastifyInstance | undefined;
afterEach(async () => {
  await server?.close();
  await bare?.close();
  server = undefined;
  bare = undefined;
});

const start = async () => {
  const started = await startTestServer({ workspaces: [workspace("ws1")] });
  server = started;
  return { server: started, people: await peopleOf(started, "ws1") };
};

describe("problem+json answers", () => {
  it("carry type, title, status, detail, code and the path as instance", async () => {
    const { server, people } = await start();
    const answer = await call(`${requestsUrl(server, "ws1")}/missing-request`, { token: people.alice });
    expectProblem(answer, 404, "NotFound");
    expect(answer.body).toEqual({
      type: "urn:airlock:problem:NotFound",
      title: "Not found",
      status: 404,
      detail: expect.any(String),
      code: "NotFound",
      instance: "/api/workspaces/ws1/requests/missing-request",
    });
  });

  it("an unknown route is 404 and a known path with another method is 405 with Allow", async () => {
    const { server, people } = await start();
    expectProblem(await call(`${server.url}/api/nothing-here`), 404, "NotFound");
    const wrongMethod = await call(requestsUrl(server, "ws1"), { method: "DELETE", token: people.alice });
    expectProblem(wrongMethod, 405, "MethodNotAllowed");
    expect(wrongMethod.headers.get("allow")?.split(", ").sort()).toEqual(["GET", "POST"]);
  });

  it("a URL that cannot be decoded is 400 and an overlong path segment 422, both as problems", async () => {
    const { server, people } = await start();
    expectProblem(
      await call(`${server.url}/api/workspaces/%zz/requests`, { token: people.alice }),
      400,
      "BadRequest",
    );
    const long = await call(`${requestsUrl(server, "ws1")}/${"x".repeat(2000)}`, { token: people.alice });
    expectProblem(long, 422, "InvalidInput");
  });

  it("an invalid body is 422 with the fields at fault", async () => {
    const { server, people } = await start();
    const answer = await call(requestsUrl(server, "ws1"), {
      method: "POST",
      token: people.alice,
      json: { type: "sideways", title: "", businessJustification: "ok" },
    });
    expectProblem(answer, 422, "InvalidInput");
    const paths = (answer.body.errors as { path: string }[]).map((issue) => issue.path).sort();
    expect(paths).toEqual(["title", "type"]);
  });

  it("a body that is not JSON is 422, and so is a missing body", async () => {
    const { server, people } = await start();
    const malformed = await call(requestsUrl(server, "ws1"), {
      method: "POST",
      token: people.alice,
      body: '{"type": "import",',
      headers: { "content-type": "application/json" },
    });
    expectProblem(malformed, 422, "InvalidInput");
    expect(malformed.body.detail).toMatch(/not valid JSON/);
    expectProblem(
      await call(requestsUrl(server, "ws1"), { method: "POST", token: people.alice }),
      422,
      "InvalidInput",
    );
  });

  it("a JSON body over 64 KiB is 413", async () => {
    const { server, people } = await start();
    const answer = await call(requestsUrl(server, "ws1"), {
      method: "POST",
      token: people.alice,
      json: { type: "import", title: "t", businessJustification: "x".repeat(JSON_BODY_LIMIT) },
    });
    expectProblem(answer, 413, "BodyTooLarge");
  });

  it("a body in another media type is 415", async () => {
    const { server, people } = await start();
    const answer = await call(requestsUrl(server, "ws1"), {
      method: "POST",
      token: people.alice,
      body: "type=import",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expectProblem(answer, 415, "UnsupportedMediaType");
  });

  it("a query parameter out of its set is 422", async () => {
    const { server } = await start();
    const token = await server.token({ user: "alice", roles: ["TREUser"] });
    const answer = await call(`${server.url}/api/requests?airlock_manager=maybe`, { token });
    expectProblem(answer, 422, "InvalidInput");
    expect(answer.body.errors).toEqual([expect.objectContaining({ path: "airlock_manager" })]);
  });

  it("a backing service that fails is 503 without its internals", async () => {
    const { server, people } = await start();
    server.ports.workspaces.failNext("get");
    const answer = await call(requestsUrl(server, "ws1"), { token: people.alice });
    expectProblem(answer, 503, "Unavailable");
    expect(answer.body.detail).not.toMatch(/injected/i);
  });

  it("an unexpected exception is 500 and leaks nothing", async () => {
    const ports = createMemoryPorts({ workspaces: [workspace("ws1")] });
    const real = createAirlock(ports);
    const broken: Airlock = {
      ...real,
      get: () => {
        throw new Error("connection string AccountKey=secret-value");
      },
    };
    bare = buildServer({
      airlock: broken,
      workspaces: ports.workspaces,
      clock: ports.clock,
      auth: { mode: "development", secret: TEST_SECRET },
      blobEndpoint: "embedded",
      logger: false,
    });
    const url = await bare.listen({ host: "127.0.0.1", port: 0 });
    const token = await mintDevToken({
      secret: TEST_SECRET,
      userId: "alice",
      roles: ["WorkspaceResearcher"],
      audience: "ws1",
      now: ports.clock.now(),
    });
    const answer = await call(`${url}/api/workspaces/ws1/requests/any`, { token });
    expectProblem(answer, 500, "Internal");
    expect(JSON.stringify(answer.body)).not.toMatch(/secret|AccountKey/);
  });

  it("echoes a caller's request id and makes one up otherwise", async () => {
    const { server } = await start();
    const given = await call(`${server.url}/health`, { headers: { "x-request-id": "trace-123" } });
    expect(given.headers.get("x-request-id")).toBe("trace-123");
    const made = await call(`${server.url}/health`, { headers: { "x-request-id": "bad id\twith tab" } });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
