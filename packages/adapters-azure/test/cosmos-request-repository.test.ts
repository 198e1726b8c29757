import { Agent } from "node:https";
import { createServer } from "node:net";
import type { RequestPage, RequestQuery } from "@airlock/core";
import { assertErr, assertOk, sampleRequest } from "@airlock/core/testing";
import { CosmosClient } from "@azure/cosmos";
import { createHttpsServer } from "@vercel/cosmosdb-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CosmosConnection } from "../src/cosmos-connection.js";
import { createCosmosRequestRepository } from "../src/cosmos-request-repository.js";
import { COSMOS_EMULATOR_KEY } from "../src/testing/emulators.js";
import { type CosmosBackend, startCosmosBackend } from "./support/backends.js";

let backend: CosmosBackend;
beforeAll(async () => {
  backend = await startCosmosBackend();
});
afterAll(async () => {
  await backend?.stop();
});

const repositoryOn = (containerId: string) =>
  createCosmosRequestRepository({ ...backend.connection, databaseId: backend.databaseId, containerId });

const clientOf = (connection: CosmosConnection) =>
  "client" in connection
    ? connection.client
    : new CosmosClient({ ...connection.clientOptions, ...connection });

const listIds = async (repository: ReturnType<typeof repositoryOn>, query: RequestQuery) => {
  const pages: string[][] = [];
  let continuation: string | null = null;
  do {
    const page: RequestPage = assertOk(
      await repository.list(continuation === null ? query : { ...query, continuation }),
      "list",
    );
    pages.push(page.items.map((item) => item.id));
    continuation = page.continuation;
  } while (continuation !== null && pages.length < 100);
  return pages;
};

describe("Cosmos request repository", () => {
  it("of two repositories racing 20 updates on one request, exactly one wins each round", async () => {
    const containerId = backend.containerId("requests");
    const [first, second] = [repositoryOn(containerId), repositoryOn(containerId)];
    let current = assertOk(await first.create(sampleRequest()), "create");
    for (let round = 0; round < 20; round++) {
      const read = assertOk(await second.get(current.id), `read in round ${round}`);
      const results = await Promise.all([
        first.update({ ...read, statusMessage: `first won round ${round}` }),
        second.update({ ...read, statusMessage: `second won round ${round}` }),
      ]);
      const winners = results.filter((result) => result.isOk());
      expect(winners, `winners of round ${round}`).toHaveLength(1);
      for (const result of results) if (result.isErr()) expect(result.error.kind).toBe("Conflict");
      const winner = assertOk(winners[0]!, "winner");
      current = assertOk(await first.get(current.id), "stored");
      expect(current).toEqual(winner);
    }
  });

  it("stores the request without its etag and answers it without Cosmos' system fields", async () => {
    const containerId = backend.containerId("requests");
    const repository = repositoryOn(containerId);
    const request = sampleRequest();
    const created = assertOk(await repository.create(request), "create");
    const { resource } = await clientOf(backend.connection)
      .database(backend.databaseId)
      .container(containerId)
      .item(request.id, request.workspaceId)
      .read<Record<string, unknown>>();
    expect(resource).toBeDefined();
    expect(resource).not.toHaveProperty("etag");
    expect(resource?._etag).toBe(created.etag);
    expect(Object.keys(created).filter((key) => key.startsWith("_"))).toEqual([]);
  });

  it("an id used in one workspace cannot be created in another", async () => {
    const repository = repositoryOn(backend.containerId("requests"));
    const request = sampleRequest();
    assertOk(await repository.create(request), "create");
    assertErr(
      await repository.create({ ...request, workspaceId: crypto.randomUUID() }),
      "Conflict",
      "create in another workspace",
    );
  });

  it("orders by status and by title, ties by id, across pages", async () => {
    const repository = repositoryOn(backend.containerId("requests"));
    const workspaceId = crypto.randomUUID();
    const requests = (
      [
        ["submitted", "Beta"],
        ["draft", "Alpha"],
        ["submitted", "Alpha"],
        ["approved", "Beta"],
        ["draft", "Alpha"],
      ] as const
    ).map(([status, title]) => sampleRequest({ workspaceId, status, title }));
    for (const request of requests) assertOk(await repository.create(request), "create");
    const expected = (key: "status" | "title", ascending: boolean) =>
      [...requests]
        .sort((a, b) => {
          const order = a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
          return ascending ? order : -order;
        })
        .map((request) => request.id);
    for (const orderBy of ["status", "title"] as const) {
      for (const ascending of [true, false]) {
        const pages = await listIds(repository, {
          workspaceIds: [workspaceId],
          orderBy,
          ascending,
          pageSize: 2,
        });
        expect(pages.flat(), `${orderBy} ${ascending ? "ascending" : "descending"}`).toEqual(
          expected(orderBy, ascending),
        );
      }
    }
  });

  it("paging answers every earlier request once even when new ones arrive between pages", async () => {
    const repository = repositoryOn(backend.containerId("requests"));
    const workspaceId = crypto.randomUUID();
    const requests = [10, 20, 30, 40, 50].map((createdWhen) => sampleRequest({ workspaceId, createdWhen }));
    for (const request of requests) assertOk(await repository.create(request), "create");
    const query: RequestQuery = { workspaceIds: [workspaceId], pageSize: 2 };
    const first = assertOk(await repository.list(query), "first page");
    // Newest first: one arrival sorts before the cursor, one after it.
    assertOk(await repository.create(sampleRequest({ workspaceId, createdWhen: 60 })), "newer arrival");
    assertOk(await repository.create(sampleRequest({ workspaceId, createdWhen: 5 })), "older arrival");
    const seen = first.items.map((item) => item.id);
    let continuation = first.continuation;
    while (continuation !== null) {
      const page = assertOk(await repository.list({ ...query, continuation }), "next page");
      seen.push(...page.items.map((item) => item.id));
      continuation = page.continuation;
    }
    const original = new Set(requests.map((request) => request.id));
    expect(seen.filter((id) => original.has(id))).toEqual(
      [...requests].reverse().map((request) => request.id),
    );
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("a continuation of another query, order or direction is InvalidInput", async () => {
    const repository = repositoryOn(backend.containerId("requests"));
    const workspaceId = crypto.randomUUID();
    for (const createdWhen of [1, 2, 3]) {
      assertOk(await repository.create(sampleRequest({ workspaceId, createdWhen })), "create");
    }
    const query: RequestQuery = { workspaceIds: [workspaceId], pageSize: 1 };
    const { continuation } = assertOk(await repository.list(query), "first page");
    expect(continuation).not.toBeNull();
    for (const other of [
      { ...query, statuses: ["draft"] as const },
      { ...query, workspaceIds: [crypto.randomUUID()] },
      { ...query, orderBy: "updatedWhen" as const },
      { ...query, ascending: true },
    ]) {
      assertErr(
        await repository.list({ ...other, continuation: continuation! }),
        "InvalidInput",
        "foreign cursor",
      );
    }
    assertOk(
      await repository.list({ ...query, pageSize: 2, continuation: continuation! }),
      "same query, new size",
    );
  });

  it("a page size outside 1–100 is InvalidInput", async () => {
    const repository = repositoryOn(backend.containerId("requests"));
    for (const pageSize of [0, 101, 2.5]) {
      assertErr(await repository.list({ pageSize }), "InvalidInput", `pageSize ${pageSize}`);
    }
  });

  it("an empty list of workspaces or statuses matches nothing", async () => {
    const repository = repositoryOn(backend.containerId("requests"));
    assertOk(await repository.create(sampleRequest()), "create");
    expect(assertOk(await repository.list({ workspaceIds: [] }), "no workspaces").items).toEqual([]);
    expect(assertOk(await repository.list({ statuses: [] }), "no statuses").items).toEqual([]);
    expect(assertOk(await repository.list({}), "everything").items).toHaveLength(1);
  });

  it("ensure creates the container once, and a second instance finds it", async () => {
    const containerId = backend.containerId("requests");
    assertOk(await repositoryOn(containerId).ensure(), "ensure");
    assertOk(await repositoryOn(containerId).ensure(), "ensure again");
    const { resource } = await clientOf(backend.connection)
      .database(backend.databaseId)
      .container(containerId)
      .read();
    expect(resource?.partitionKey?.paths).toEqual(["/workspaceId"]);
  });

  it("two instances creating one new container at the same moment both succeed", async () => {
    const containerId = backend.containerId("requests");
    const results = await Promise.all([
      repositoryOn(containerId).ensure(),
      repositoryOn(containerId).ensure(),
    ]);
    for (const result of results) assertOk(result, "ensure");
  });
});

describe("Cosmos request repository without a reachable service", () => {
  it("answers Unavailable, and connects once the service is up", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const repository = createCosmosRequestRepository({
      endpoint: `https://127.0.0.1:${port}`,
      key: COSMOS_EMULATOR_KEY,
      clientOptions: {
        agent: new Agent({ rejectUnauthorized: false }),
        connectionPolicy: {
          enableEndpointDiscovery: false,
          retryOptions: {
            maxRetryAttemptCount: 0,
            fixedRetryIntervalInMilliseconds: 0,
            maxWaitTimeInSeconds: 1,
          },
        },
      },
      databaseId: "airlock",
    });
    assertErr(await repository.get("anything"), "Unavailable", "get while down");

    const server = createHttpsServer();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      assertErr(await repository.get("anything"), "NotFound", "get once up");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
