import { createMemoryPorts } from "@airlock/adapters-memory";
import { createAirlock } from "@airlock/core";
import { airlockApi, mintDevToken } from "@airlock/http";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { blobUrl, expectProblem, putBlob } from "./support/flow.js";
import { call, TEST_SECRET, workspace } from "./support/server.js";

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An embedder's own Fastify app, with a route of its own and the API registered under `/airlock`. */
const embedded = async () => {
  const ports = createMemoryPorts({ workspaces: [workspace("ws1")] });
  const airlock = createAirlock(ports, { processing: "inline" });
  app = Fastify({ logger: false });
  app.post("/echo", async (request) => ({ echoed: request.body }));
  app.register(airlockApi, {
    prefix: "/airlock",
    airlock,
    workspaces: ports.workspaces,
    clock: ports.clock,
    auth: { mode: "development", secret: TEST_SECRET },
    blobEndpoint: "embedded",
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const alice = await mintDevToken({
    secret: TEST_SECRET,
    userId: "alice",
    roles: ["WorkspaceResearcher"],
    audience: "ws1",
    now: ports.clock.now(),
  });
  return { url, alice };
};

describe("the API registered as a plugin in an embedder's Fastify app", () => {
  it("serves a whole draft under its prefix, links included", async () => {
    const { url, alice } = await embedded();
    const requests = `${url}/airlock/api/workspaces/ws1/requests`;
    const created = await call<{ airlockRequest: { id: string } }>(requests, {
      method: "POST",
      token: alice,
      json: { type: "import", title: "Embedded", businessJustification: "Inside another app" },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.airlockRequest.id;
    const link = await call<{ containerUrl: string }>(`${requests}/${id}/link`, { token: alice });
    expect(link.body.containerUrl.startsWith(`${url}/airlock/blob/${id}?`)).toBe(true);
    expect((await putBlob(link.body.containerUrl, "data.csv", "a,b\n")).status).toBe(201);
    const back = await call(blobUrl(link.body.containerUrl, "data.csv"));
    expect(back.body).toBe("a,b\n");
    const document = await call<{ paths: Record<string, unknown> }>(`${url}/airlock/api/openapi.json`);
    expect(Object.keys(document.body.paths)).toContain("/airlock/api/workspaces/{ws}/requests");
  });

  it("keeps its error handling to itself: the embedder's routes answer as they did", async () => {
    const { url } = await embedded();
    const echoed = await call(`${url}/echo`, { method: "POST", json: { hello: "world" } });
    expect(echoed.body).toEqual({ echoed: { hello: "world" } });
    // Fastify's own answers outside the prefix; problem+json inside it.
    const broken = await call(`${url}/echo`, {
      method: "POST",
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(broken.status).toBe(400);
    expect(broken.contentType).toMatch(/^application\/json/);
    expect((await call(`${url}/elsewhere`)).contentType).toMatch(/^application\/json/);
    expectProblem(await call(`${url}/airlock/api/nowhere`), 404, "NotFound");
    expectProblem(await call(`${url}/airlock/api/workspaces/ws1/requests`), 401, "Unauthorized");
  });
});
