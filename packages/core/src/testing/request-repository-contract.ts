import type { UserRef } from "../model/actor.js";
import type { AirlockRequest, RequestStatus } from "../model/request.js";
import type { RequestPage, RequestQuery, RequestRepository } from "../ports/request-repository.js";
import { assert, assertEqual, assertErr, assertNotEqual, assertOk } from "./assert.js";
import { type ContractOptions, type ContractRunner, defineContract, fresh } from "./contract.js";
import { SAMPLE_EPOCH_SECONDS, sampleRequest, sampleUser } from "./fixtures.js";

type NewRequest = Omit<AirlockRequest, "etag">;

const withoutEtag = ({ etag: _etag, ...rest }: AirlockRequest): NewRequest => rest;

const createAll = async (repository: RequestRepository, requests: readonly NewRequest[]) => {
  const created: AirlockRequest[] = [];
  // One at a time: some backends assign etags or timestamps in arrival order.
  for (const request of requests)
    created.push(assertOk(await repository.create(request), `create ${request.id}`));
  return created;
};

/** Every page of a query, following continuations; fails if a page repeats forever. */
const listAll = async (repository: RequestRepository, query: RequestQuery) => {
  const pages: (readonly AirlockRequest[])[] = [];
  let continuation: string | null = null;
  do {
    const page: RequestPage = assertOk(
      await repository.list(continuation === null ? query : { ...query, continuation }),
      `list page ${pages.length + 1}`,
    );
    pages.push(page.items);
    continuation = page.continuation;
    assert(pages.length <= 1000, "list never answered a null continuation");
  } while (continuation !== null);
  return pages;
};

const ids = (requests: readonly Pick<AirlockRequest, "id">[]) => requests.map((request) => request.id);

const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/** The order the port promises: by the key, ties by id, both in the chosen direction. */
const expectedOrder = (
  requests: readonly NewRequest[],
  key: "createdWhen" | "updatedWhen",
  ascending: boolean,
): string[] =>
  [...requests]
    .sort((a, b) => {
      const order = compare(a[key], b[key]) || compare(a.id, b.id);
      return ascending ? order : -order;
    })
    .map((request) => request.id);

/** Every review-cycle field filled in, optional ones too, as a request in its second turn holds them. */
const reviewCycleSample = (requester: UserRef, reviewer: UserRef): Partial<NewRequest> => {
  const at = SAMPLE_EPOCH_SECONDS;
  const file = { name: "table.csv", size: 12, sha256: "b".repeat(64) };
  return {
    status: "changes_requested",
    dataStage: "draft",
    turn: 2,
    files: [
      { ...file, state: "active", description: "Counts by region", controls: "Rounded to 5" },
      { name: "figure.png", size: 3, sha256: "c".repeat(64), state: "withdrawn" },
    ],
    previousFiles: [{ ...file, state: "active" }],
    fileContext: [{ name: "table.csv", description: "Counts by region", controls: "Rounded to 5" }],
    reviews: [
      {
        id: crypto.randomUUID(),
        reviewer,
        reviewDecision: "approved",
        decisionExplanation: "fine",
        dateCreated: at,
        turn: 1,
      },
    ],
    votes: [{ reviewer, file: "table.csv", vote: "request_changes", turn: 1, dateCreated: at }],
    comments: [
      {
        id: crypto.randomUUID(),
        author: reviewer,
        text: "Round the counts",
        file: "table.csv",
        visibility: "everyone",
        turn: 1,
        dateCreated: at,
      },
      {
        id: crypto.randomUUID(),
        author: requester,
        text: "Done",
        visibility: "everyone",
        turn: 2,
        dateCreated: at,
      },
    ],
    fileDecisions: [{ file: "table.csv", turn: 1, decision: "changes_requested" }],
  };
};

/**
 * For repositories that keep a request as a document (JSON in SQLite, Cosmos DB): documents stored
 * before the review cycle's fields existed read with their defaults (`storedRequest`). `make`
 * answers the repository; `create` stores the old document as it is.
 */
export function storedDocumentContract(
  t: ContractRunner,
  make: () => Promise<RequestRepository> | RequestRepository,
  options?: ContractOptions,
): void {
  defineContract(t, "RequestRepository stored documents", options, (test) => {
    test("a request stored before the review cycle existed reads with its defaults", async () => {
      const repository = await fresh(make);
      const {
        turn: _turn,
        votes: _votes,
        comments: _comments,
        fileDecisions: _decisions,
        fileContext: _context,
        previousFiles: _previous,
        ...current
      } = sampleRequest({ status: "in_review", dataStage: "in_progress" });
      const reviewer = sampleUser();
      const old = {
        ...current,
        files: [{ name: "old.csv", size: 3, sha256: "a".repeat(64) }],
        reviews: [
          {
            id: crypto.randomUUID(),
            reviewer,
            reviewDecision: "approved",
            decisionExplanation: "ok",
            dateCreated: SAMPLE_EPOCH_SECONDS,
          },
        ],
      };
      assertOk(await repository.create(old as unknown as NewRequest), "create an old document");
      const read = assertOk(await repository.get(old.id), "get");
      const expected = {
        turn: 0,
        votes: [],
        comments: [],
        fileDecisions: [],
        fileContext: [],
        previousFiles: [],
        files: [{ name: "old.csv", size: 3, sha256: "a".repeat(64), state: "active" }],
        reviews: [{ ...old.reviews[0], turn: 0 }],
      };
      for (const [key, value] of Object.entries(expected)) {
        assertEqual(read[key as keyof AirlockRequest], value, `${key} of an old document`);
      }
      const listed = assertOk(await repository.list({ workspaceIds: [old.workspaceId] }), "list").items;
      assertEqual(listed[0]?.turn, 0, "turn of an old document listed");
      const updated = assertOk(await repository.update({ ...read, turn: 1 }), "update an old document");
      assertEqual(updated.turn, 1, "turn after an update");
    });
  });
}

/**
 * The `RequestRepository` contract (see its JSDoc). Every test takes a fresh repository from `make`
 * and works in random workspaces, so a shared backend may hold other data.
 */
export function requestRepositoryContract(
  t: ContractRunner,
  make: () => Promise<RequestRepository> | RequestRepository,
  options?: ContractOptions,
): void {
  defineContract(t, "RequestRepository contract", options, (test) => {
    test("create stores the request and get answers it with an etag", async () => {
      const repository = await fresh(make);
      const request = sampleRequest();
      const created = assertOk(await repository.create(request), "create");
      assert(typeof created.etag === "string" && created.etag.length > 0, "create answers a non-empty etag");
      assertEqual(withoutEtag(created), request, "create answers what was given");
      const read = assertOk(await repository.get(request.id), "get");
      assertEqual(read, created, "get answers what create answered");
    });

    test("the review cycle's fields round-trip through create and update", async () => {
      const repository = await fresh(make);
      const requester = sampleUser();
      const reviewer = sampleUser();
      const request = sampleRequest({ ...reviewCycleSample(requester, reviewer), createdBy: requester });
      const created = assertOk(await repository.create(request), "create");
      assertEqual(withoutEtag(created), request, "create answers the review cycle as given");
      assertEqual(assertOk(await repository.get(request.id), "get"), created, "get after create");
      const next: AirlockRequest = {
        ...created,
        turn: 3,
        votes: [],
        files: created.files.map((file) => ({ ...file, state: "withdrawn" as const })),
      };
      const updated = assertOk(await repository.update(next), "update");
      assertEqual(withoutEtag(updated), withoutEtag(next), "update answers the stored request");
      assertEqual(assertOk(await repository.get(request.id), "get"), updated, "get after update");
    });

    test("a second create of the same id is a Conflict and keeps the first", async () => {
      const repository = await fresh(make);
      const first = sampleRequest();
      const created = assertOk(await repository.create(first), "first create");
      assertErr(
        await repository.create({ ...first, title: "A different title" }),
        "Conflict",
        "second create",
      );
      assertEqual(assertOk(await repository.get(first.id), "get"), created, "stored request");
    });

    test("get of an unknown id is NotFound", async () => {
      const repository = await fresh(make);
      assertErr(await repository.get(crypto.randomUUID()), "NotFound", "get");
    });

    test("update with the etag that was read replaces the request and changes the etag", async () => {
      const repository = await fresh(make);
      const created = assertOk(await repository.create(sampleRequest()), "create");
      const changed: AirlockRequest = {
        ...created,
        status: "submitted",
        updatedWhen: created.updatedWhen + 60,
        files: [{ name: "cohort.csv", size: 12, sha256: "a".repeat(64), state: "active" }],
      };
      const updated = assertOk(await repository.update(changed), "update");
      assertNotEqual(updated.etag, created.etag, "etag after update");
      assertEqual(withoutEtag(updated), withoutEtag(changed), "update answers the stored request");
      assertEqual(assertOk(await repository.get(created.id), "get"), updated, "get after update");
      const again = assertOk(await repository.update({ ...updated, status: "in_review" }), "second update");
      assertNotEqual(again.etag, updated.etag, "etag after a second update");
    });

    test("update with a stale etag is a Conflict and changes nothing", async () => {
      const repository = await fresh(make);
      const created = assertOk(await repository.create(sampleRequest()), "create");
      const current = assertOk(await repository.update({ ...created, status: "submitted" }), "first update");
      assertErr(
        await repository.update({ ...created, status: "cancelled" }),
        "Conflict",
        "update with the old etag",
      );
      assertEqual(assertOk(await repository.get(created.id), "get"), current, "stored request");
    });

    test("update of an unknown request is NotFound", async () => {
      const repository = await fresh(make);
      const created = assertOk(await repository.create(sampleRequest()), "create");
      assertErr(
        await repository.update({ ...created, id: crypto.randomUUID() }),
        "NotFound",
        "update of a request never created",
      );
    });

    test("of two concurrent updates from the same read exactly one wins", async () => {
      const repository = await fresh(make);
      const created = assertOk(await repository.create(sampleRequest()), "create");
      const read = assertOk(await repository.get(created.id), "get");
      const results = await Promise.all([
        repository.update({ ...read, status: "submitted" }),
        repository.update({ ...read, status: "cancelled" }),
      ]);
      const winners = results.filter((result) => result.isOk());
      assertEqual(winners.length, 1, "number of updates that succeeded");
      const loser = results.find((result) => result.isErr());
      assert(loser !== undefined, "one update failed");
      assertErr(loser, "Conflict", "the losing update");
      const winner = assertOk(winners[0]!, "the winning update");
      assertEqual(assertOk(await repository.get(created.id), "get"), winner, "stored request is the winner");
    });

    test("list filters by workspace", async () => {
      const repository = await fresh(make);
      const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
      const requests = [
        sampleRequest({ workspaceId: a }),
        sampleRequest({ workspaceId: a }),
        sampleRequest({ workspaceId: b }),
        sampleRequest({ workspaceId: c }),
      ];
      await createAll(repository, requests);
      const onlyA = (await listAll(repository, { workspaceIds: [a] })).flat();
      assertEqual(ids(onlyA).sort(), ids(requests.slice(0, 2)).sort(), "requests of one workspace");
      const aAndB = (await listAll(repository, { workspaceIds: [a, b] })).flat();
      assertEqual(ids(aAndB).sort(), ids(requests.slice(0, 3)).sort(), "requests of two workspaces");
    });

    test("list without workspaces searches every workspace", async () => {
      const repository = await fresh(make);
      const creator = sampleUser();
      const requests = [sampleRequest({ createdBy: creator }), sampleRequest({ createdBy: creator })];
      assertNotEqual(requests[0]!.workspaceId, requests[1]!.workspaceId, "workspaces of the samples");
      await createAll(repository, requests);
      const found = (await listAll(repository, { creator: creator.id })).flat();
      assertEqual(ids(found).sort(), ids(requests).sort(), "requests of one creator across workspaces");
    });

    test("list filters by creator", async () => {
      const repository = await fresh(make);
      const workspaceId = crypto.randomUUID();
      const rita = sampleUser();
      const requests = [
        sampleRequest({ workspaceId, createdBy: rita }),
        sampleRequest({ workspaceId }),
        sampleRequest({ workspaceId, createdBy: rita, updatedBy: sampleUser() }),
      ];
      await createAll(repository, requests);
      const found = (await listAll(repository, { workspaceIds: [workspaceId], creator: rita.id })).flat();
      assertEqual(
        ids(found).sort(),
        [requests[0]!.id, requests[2]!.id].sort(),
        "requests created by one user",
      );
    });

    test("list filters by type", async () => {
      const repository = await fresh(make);
      const workspaceId = crypto.randomUUID();
      const requests = [
        sampleRequest({ workspaceId, type: "import" }),
        sampleRequest({ workspaceId, type: "export" }),
        sampleRequest({ workspaceId, type: "export" }),
      ];
      await createAll(repository, requests);
      const exports = (await listAll(repository, { workspaceIds: [workspaceId], type: "export" })).flat();
      assertEqual(ids(exports).sort(), ids(requests.slice(1)).sort(), "export requests");
      const imports = (await listAll(repository, { workspaceIds: [workspaceId], type: "import" })).flat();
      assertEqual(ids(imports), [requests[0]!.id], "import requests");
    });

    test("list filters by statuses", async () => {
      const repository = await fresh(make);
      const workspaceId = crypto.randomUUID();
      const statuses: RequestStatus[] = ["draft", "submitted", "in_review", "approved", "in_review"];
      const requests = statuses.map((status) => sampleRequest({ workspaceId, status }));
      await createAll(repository, requests);
      const inReview = (
        await listAll(repository, { workspaceIds: [workspaceId], statuses: ["in_review"] })
      ).flat();
      assertEqual(ids(inReview).sort(), [requests[2]!.id, requests[4]!.id].sort(), "requests in review");
      const some = (
        await listAll(repository, {
          workspaceIds: [workspaceId],
          statuses: ["draft", "approved", "cancelled"],
        })
      ).flat();
      assertEqual(
        ids(some).sort(),
        [requests[0]!.id, requests[3]!.id].sort(),
        "requests in any of three statuses",
      );
    });

    test("list combines its filters", async () => {
      const repository = await fresh(make);
      const workspaceId = crypto.randomUUID();
      const rita = sampleUser();
      const match = sampleRequest({ workspaceId, createdBy: rita, type: "export", status: "submitted" });
      const requests = [
        match,
        sampleRequest({ workspaceId, createdBy: rita, type: "import", status: "submitted" }),
        sampleRequest({ workspaceId, createdBy: rita, type: "export", status: "draft" }),
        sampleRequest({ workspaceId, type: "export", status: "submitted" }),
        sampleRequest({ createdBy: rita, type: "export", status: "submitted" }),
      ];
      await createAll(repository, requests);
      const found = (
        await listAll(repository, {
          workspaceIds: [workspaceId],
          creator: rita.id,
          type: "export",
          statuses: ["submitted"],
        })
      ).flat();
      assertEqual(ids(found), [match.id], "the one request matching every filter");
    });

    test("list orders by createdWhen, newest first by default, ties by id", async () => {
      const repository = await fresh(make);
      const workspaceId = crypto.randomUUID();
      const requests = [30, 10, 20, 10, 30, 10].map((createdWhen) =>
        sampleRequest({ workspaceId, createdWhen }),
      );
      await createAll(repository, requests);
      const found = (await listAll(repository, { workspaceIds: [workspaceId] })).flat();
      assertEqual(ids(found), expectedOrder(requests, "createdWhen", false), "default order");
      const explicit = (
        await listAll(repository, { workspaceIds: [workspaceId], orderBy: "createdWhen", ascending: false })
      ).flat();
      assertEqual(ids(explicit), expectedOrder(requests, "createdWhen", false), "createdWhen descending");
    });

    test("list orders by createdWhen ascending, ties by id", async () => {
      const repository = await fresh(make);
      const workspaceId = crypto.randomUUID();
      const requests = [30, 10, 20, 10, 30, 10].map((createdWhen) =>
        sampleRequest({ workspaceId, createdWhen }),
      );
      await createAll(repository, requests);
      const found = (
        await listAll(repository, { workspaceIds: [workspaceId], orderBy: "createdWhen", ascending: true })
      ).flat();
      assertEqual(ids(found), expectedOrder(requests, "createdWhen", true), "createdWhen ascending");
    });

    test("list orders by updatedWhen in both directions, ties by id", async () => {
      const repository = await fresh(make);
      const workspaceId = crypto.randomUUID();
      const requests = [5, 50, 5, 500, 50].map((updatedWhen, index) =>
        sampleRequest({ workspaceId, createdWhen: index, updatedWhen }),
      );
      await createAll(repository, requests);
      for (const ascending of [true, false]) {
        const found = (
          await listAll(repository, { workspaceIds: [workspaceId], orderBy: "updatedWhen", ascending })
        ).flat();
        assertEqual(
          ids(found),
          expectedOrder(requests, "updatedWhen", ascending),
          `updatedWhen ${ascending ? "ascending" : "descending"}`,
        );
      }
    });

    test("paging returns every request exactly once and ends with a null continuation", async () => {
      const repository = await fresh(make);
      const workspaceId = crypto.randomUUID();
      const requests = [1, 2, 2, 2, 3, 4, 4].map((createdWhen) =>
        sampleRequest({ workspaceId, createdWhen }),
      );
      await createAll(repository, requests);
      for (const ascending of [true, false]) {
        const pages = await listAll(repository, { workspaceIds: [workspaceId], pageSize: 3, ascending });
        assertEqual(
          pages.map((page) => page.length),
          [3, 3, 1],
          "page sizes",
        );
        assertEqual(
          ids(pages.flat()),
          expectedOrder(requests, "createdWhen", ascending),
          "requests across pages",
        );
      }
    });

    test("a page that ends exactly at the last request has a null continuation", async () => {
      const repository = await fresh(make);
      const workspaceId = crypto.randomUUID();
      const requests = [1, 2, 3, 4].map((createdWhen) => sampleRequest({ workspaceId, createdWhen }));
      await createAll(repository, requests);
      const pages = await listAll(repository, { workspaceIds: [workspaceId], pageSize: 2 });
      assertEqual(
        pages.map((page) => page.length),
        [2, 2],
        "page sizes",
      );
      const all = assertOk(
        await repository.list({ workspaceIds: [workspaceId], pageSize: 4 }),
        "list of one page",
      );
      assertEqual(all.continuation, null, "continuation of a page holding everything");
      const none = assertOk(
        await repository.list({ workspaceIds: [crypto.randomUUID()] }),
        "list of nothing",
      );
      assertEqual(none, { items: [], continuation: null }, "list matching nothing");
    });

    test("a continuation that list did not answer is InvalidInput", async () => {
      const repository = await fresh(make);
      const workspaceId = crypto.randomUUID();
      await createAll(repository, [sampleRequest({ workspaceId }), sampleRequest({ workspaceId })]);
      for (const continuation of ["garbage", "%%%not-a-token%%%", "eyJub3QiOiJ5b3VycyJ9"]) {
        assertErr(
          await repository.list({ workspaceIds: [workspaceId], pageSize: 1, continuation }),
          "InvalidInput",
          `list with continuation ${JSON.stringify(continuation)}`,
        );
      }
    });

    test("answers share nothing mutable: changing a returned or passed request changes nothing stored", async () => {
      const repository = await fresh(make);
      const workspaceId = crypto.randomUUID();
      const request = sampleRequest({ workspaceId });
      // A deep snapshot, so an adapter that shares nested objects with its callers cannot hide it.
      const original = JSON.parse(JSON.stringify(request)) as NewRequest;
      // Answers are copies: a caller may change them (nothing throws), and no change reaches the store.
      const mutate = (answer: NewRequest) => {
        (answer as { title: string }).title = "changed by a caller";
        (answer.history as unknown[]).push({ mutated: true });
        (answer.createdBy as { name: string }).name = "Mallory";
      };
      const created = assertOk(await repository.create(request), "create");
      mutate(request);
      mutate(created);
      mutate(assertOk(await repository.get(original.id), "get"));
      for (const item of assertOk(await repository.list({ workspaceIds: [workspaceId] }), "list").items)
        mutate(item);
      const stored = assertOk(await repository.get(original.id), "get after changes");
      assertEqual(withoutEtag(stored), original, "stored request");
    });

    test("an update copies what it is given: changing it afterwards changes nothing stored", async () => {
      const repository = await fresh(make);
      const created = assertOk(await repository.create(sampleRequest()), "create");
      const history = [...created.history];
      const next = { ...created, title: "updated", history };
      const updated = assertOk(await repository.update(next), "update");
      const snapshot = JSON.parse(JSON.stringify(updated)) as AirlockRequest;
      history.length = 0;
      (next as { title: string }).title = "changed by a caller";
      const stored = assertOk(await repository.get(created.id), "get after changes");
      assertEqual(stored, snapshot, "stored request");
    });
  });
}
