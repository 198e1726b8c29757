import type { AirlockRequest, RequestOrderBy, RequestPage, RequestQuery, RequestStatus } from "@airlock/core";
import { assertOk, sampleRequest, sampleUser } from "@airlock/core/testing";
import { describe, expect, it } from "vitest";
import { createMemoryRequestRepository, INJECTED_FAULT } from "../src/index.js";

describe("memory request repository", () => {
  it("gives every write a larger etag than the one before", async () => {
    const repository = createMemoryRequestRepository();
    const a = assertOk(await repository.create(sampleRequest()), "create a");
    const b = assertOk(await repository.create(sampleRequest()), "create b");
    const a2 = assertOk(await repository.update({ ...a, status: "submitted" }), "update a");
    expect([a.etag, b.etag, a2.etag].map(Number)).toEqual([1, 2, 3]);
  });

  it("inspect answers copies of every stored request, in creation order", async () => {
    const repository = createMemoryRequestRepository();
    const first = assertOk(await repository.create(sampleRequest()), "create");
    const second = assertOk(await repository.create(sampleRequest()), "create");
    const inspected = repository.inspect();
    expect(inspected).toEqual([first, second]);
    (inspected[0] as { title: string }).title = "changed";
    (first.history as unknown[]).push({});
    expect(repository.inspect()[0]).toEqual({ ...first, history: first.history.slice(0, -1) });
  });

  it("failNext makes the next calls of one method Unavailable without doing anything", async () => {
    const repository = createMemoryRequestRepository();
    const created = assertOk(await repository.create(sampleRequest()), "create");
    repository.failNext("update", 2);
    for (let attempt = 0; attempt < 2; attempt++) {
      const failed = await repository.update({ ...created, status: "submitted" });
      expect(failed._unsafeUnwrapErr()).toEqual({ kind: "Unavailable", message: INJECTED_FAULT });
    }
    expect(assertOk(await repository.get(created.id), "get")).toEqual(created);
    expect((await repository.update({ ...created, status: "submitted" })).isOk()).toBe(true);
  });

  it("a new failNext count replaces the pending one, so 0 heals at once", async () => {
    const repository = createMemoryRequestRepository();
    const request = sampleRequest();
    repository.failNext("create", 100);
    expect((await repository.create(request)).isErr()).toBe(true);
    repository.failNext("create", 0);
    expect((await repository.create(request)).isOk()).toBe(true);
  });

  it("an injected fault in create stores nothing and other methods keep working", async () => {
    const repository = createMemoryRequestRepository();
    const request = sampleRequest();
    repository.failNext("create");
    expect((await repository.create(request))._unsafeUnwrapErr().kind).toBe("Unavailable");
    expect((await repository.get(request.id))._unsafeUnwrapErr().kind).toBe("NotFound");
    expect((await repository.create(request)).isOk()).toBe(true);
  });

  it("refuses a page size outside 1 to 100", async () => {
    const repository = createMemoryRequestRepository();
    for (const pageSize of [0, 101, 2.5]) {
      expect((await repository.list({ pageSize }))._unsafeUnwrapErr().kind).toBe("InvalidInput");
    }
    expect((await repository.list({ pageSize: 100 })).isOk()).toBe(true);
  });

  it("pages 25 requests at a time by default", async () => {
    const repository = createMemoryRequestRepository();
    const workspaceId = crypto.randomUUID();
    for (let index = 0; index < 26; index++) await repository.create(sampleRequest({ workspaceId }));
    const page = assertOk(await repository.list({ workspaceIds: [workspaceId] }), "list");
    expect(page.items).toHaveLength(25);
    expect(page.continuation).not.toBeNull();
  });

  it("refuses a continuation used with another order than the one that answered it", async () => {
    const repository = createMemoryRequestRepository();
    const workspaceId = crypto.randomUUID();
    for (let index = 0; index < 3; index++) await repository.create(sampleRequest({ workspaceId }));
    const first = assertOk(await repository.list({ workspaceIds: [workspaceId], pageSize: 1 }), "list");
    const continuation = first.continuation ?? "";
    const other = await repository.list({
      workspaceIds: [workspaceId],
      pageSize: 1,
      ascending: true,
      continuation,
    });
    expect(other._unsafeUnwrapErr().kind).toBe("InvalidInput");
    const byTitle = await repository.list({
      workspaceIds: [workspaceId],
      pageSize: 1,
      orderBy: "title",
      continuation,
    });
    expect(byTitle._unsafeUnwrapErr().kind).toBe("InvalidInput");
  });

  it("orders by title, status and type too, ties by id", async () => {
    const repository = createMemoryRequestRepository();
    const workspaceId = crypto.randomUUID();
    const requests = [
      sampleRequest({ workspaceId, title: "b", status: "submitted", type: "import" }),
      sampleRequest({ workspaceId, title: "a", status: "draft", type: "export" }),
      sampleRequest({ workspaceId, title: "c", status: "approved", type: "import" }),
    ];
    for (const request of requests) await repository.create(request);
    const titles = assertOk(
      await repository.list({ workspaceIds: [workspaceId], orderBy: "title", ascending: true }),
      "",
    );
    expect(titles.items.map((request) => request.title)).toEqual(["a", "b", "c"]);
    const statuses = assertOk(await repository.list({ workspaceIds: [workspaceId], orderBy: "status" }), "");
    expect(statuses.items.map((request) => request.status)).toEqual(["submitted", "draft", "approved"]);
    const types = assertOk(
      await repository.list({ workspaceIds: [workspaceId], orderBy: "type", ascending: true }),
      "",
    );
    const imports = [requests[0]!.id, requests[2]!.id].sort();
    expect(types.items.map((request) => request.id)).toEqual([requests[1]!.id, ...imports]);
  });

  it("a filter on values never stored matches nothing, and beside a stored value asks for that one alone", async () => {
    const repository = createMemoryRequestRepository();
    const workspaceId = crypto.randomUUID();
    const created = assertOk(
      await repository.create(sampleRequest({ workspaceId, type: "import" })),
      "create",
    );
    const nothing = { items: [], continuation: null };
    expect(assertOk(await repository.list({ workspaceIds: [crypto.randomUUID()] }), "")).toEqual(nothing);
    expect(assertOk(await repository.list({ creator: "nobody" }), "")).toEqual(nothing);
    expect(assertOk(await repository.list({ type: "export" }), "")).toEqual(nothing);
    expect(assertOk(await repository.list({ statuses: [] }), "")).toEqual(nothing);
    const mixed = assertOk(
      await repository.list({
        workspaceIds: [crypto.randomUUID(), workspaceId],
        statuses: ["approved", created.status],
      }),
      "",
    );
    expect(mixed).toEqual({ items: [created], continuation: null });
  });

  it("a request changed between pages is not answered twice", async () => {
    const repository = createMemoryRequestRepository();
    const workspaceId = crypto.randomUUID();
    const created = [];
    for (const updatedWhen of [1, 2, 3, 4]) {
      created.push(assertOk(await repository.create(sampleRequest({ workspaceId, updatedWhen })), "create"));
    }
    const query = {
      workspaceIds: [workspaceId],
      orderBy: "updatedWhen",
      ascending: true,
      pageSize: 2,
    } as const;
    const first = assertOk(await repository.list(query), "first page");
    // The first request moves past the cursor; paging by offset would now skip an unchanged request.
    assertOk(await repository.update({ ...created[0]!, updatedWhen: 10 }), "update");
    const second = assertOk(
      await repository.list({ ...query, continuation: first.continuation ?? "" }),
      "page 2",
    );
    const seen = [...first.items, ...second.items].map((request) => request.id);
    for (const unchanged of created.slice(1))
      expect(seen.filter((id) => id === unchanged.id)).toHaveLength(1);
  });

  it("pages thousands of requests, changed after they were stored, in every order and direction as a full sort would, with every filter", async () => {
    const repository = createMemoryRequestRepository();
    let seed = 11;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
    const workspaces = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const users = [sampleUser(), sampleUser(), sampleUser(), sampleUser()];
    const statuses: RequestStatus[] = ["draft", "submitted", "in_review", "approved", "rejected"];
    const stored = new Map<string, AirlockRequest>();
    for (let index = 0; index < 2_500; index++) {
      const request = sampleRequest({
        workspaceId: pick(workspaces),
        createdBy: pick(users),
        type: pick(["import", "export"] as const),
        status: pick(statuses),
        title: `title ${Math.floor(random() * 40)}`,
        createdWhen: Math.floor(random() * 300),
        updatedWhen: Math.floor(random() * 300),
      });
      const created = assertOk(await repository.create(request), "create");
      stored.set(created.id, created);
    }
    // Every other request changes: its place moves in every order.
    const changeSome = async (keepType: boolean) => {
      for (const request of [...stored.values()].filter(() => random() < 0.5)) {
        const changed = {
          ...request,
          status: pick(statuses),
          title: random() < 0.5 ? request.title : `title ${Math.floor(random() * 40)}`,
          type: keepType ? request.type : pick(["import", "export"] as const),
          updatedWhen: request.updatedWhen + Math.floor(random() * 300),
        };
        stored.set(request.id, assertOk(await repository.update(changed), "update"));
      }
    };
    await changeSome(true);
    const queries: RequestQuery[] = [
      {},
      { workspaceIds: [workspaces[0]!] },
      { workspaceIds: [workspaces[0]!, workspaces[2]!], statuses: ["in_review", "submitted"] },
      { creator: users[1]!.id, type: "export" },
      { statuses: ["rejected"], workspaceIds: [workspaces[1]!], creator: users[3]!.id },
      { workspaceIds: [crypto.randomUUID()] },
    ];
    const orders: RequestOrderBy[] = ["createdWhen", "updatedWhen", "status", "type", "title"];
    const everyListAsAFullSortWould = async () => {
      for (const query of queries) {
        for (const orderBy of orders) {
          for (const ascending of [true, false]) {
            const expected = [...stored.values()]
              .filter(
                (request) =>
                  (query.workspaceIds === undefined || query.workspaceIds.includes(request.workspaceId)) &&
                  (query.creator === undefined || request.createdBy.id === query.creator) &&
                  (query.type === undefined || request.type === query.type) &&
                  (query.statuses === undefined || query.statuses.includes(request.status)),
              )
              .sort((a, b) => {
                const order =
                  (a[orderBy] < b[orderBy] ? -1 : a[orderBy] > b[orderBy] ? 1 : 0) ||
                  (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
                return ascending ? order : -order;
              });
            const seen: AirlockRequest[] = [];
            let continuation: string | null = null;
            do {
              const page: RequestPage = assertOk(
                await repository.list({
                  ...query,
                  orderBy,
                  ascending,
                  pageSize: 97,
                  ...(continuation === null ? {} : { continuation }),
                }),
                "list",
              );
              expect(page.items.length === 97 || page.continuation === null).toBe(true);
              seen.push(...page.items);
              continuation = page.continuation;
            } while (continuation !== null);
            expect(seen).toEqual(expected);
          }
        }
      }
    };
    // The first round builds the indexes of the orders asked for the first time; the second checks
    // they were kept right through the writes in between, new requests included.
    await everyListAsAFullSortWould();
    await changeSome(false);
    for (let index = 0; index < 300; index++) {
      const created = assertOk(
        await repository.create(
          sampleRequest({
            workspaceId: pick(workspaces),
            createdBy: pick(users),
            status: pick(statuses),
            title: `title ${Math.floor(random() * 40)}`,
            createdWhen: Math.floor(random() * 300),
            updatedWhen: Math.floor(random() * 300),
          }),
        ),
        "create",
      );
      stored.set(created.id, created);
    }
    await everyListAsAFullSortWould();
  });
});
