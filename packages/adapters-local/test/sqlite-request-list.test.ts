import type { DatabaseSync } from "node:sqlite";
import {
  type AirlockRequest,
  type RequestOrderBy,
  type RequestPage,
  type RequestQuery,
  type RequestStatus,
  readListPaging,
  SWEPT_STATUSES,
  statusesAccepting,
} from "@airlock/core";
import { assertOk, sampleRequest, sampleUser } from "@airlock/core/testing";
import { describe, expect, it } from "vitest";
import { createSqliteRequestRepository } from "../src/index.js";
import { listStatement } from "../src/sqlite-request-repository.js";
import { temporaryDatabases } from "./support.js";

const databases = temporaryDatabases();

const planOf = (db: DatabaseSync, query: RequestQuery) => {
  const statement = listStatement(query, readListPaging(query)._unsafeUnwrap());
  if (statement === null) throw new Error("the query matches nothing");
  return (db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.values) as { detail: string }[])
    .map((row) => row.detail)
    .join("; ");
};

const continuationAt = (query: RequestQuery, key: number) =>
  Buffer.from(
    JSON.stringify([query.orderBy ?? "createdWhen", query.ascending ?? false, key, "some-id"]),
  ).toString("base64url");

describe("SQLite list pages seek their index", () => {
  const db = databases.freshDatabase();
  // The lists the airlock makes: a workspace's list filtered by status (the API), its list by
  // update time, the review queue across workspaces, the processor's sweep, the open-draft count.
  const single: RequestQuery[] = [
    { workspaceIds: ["ws-a"], statuses: ["in_review"] },
    { workspaceIds: ["ws-a"], orderBy: "updatedWhen" },
    { statuses: ["in_review"], orderBy: "updatedWhen", ascending: false },
    { statuses: ["submitted"], orderBy: "createdWhen", ascending: true },
    { workspaceIds: ["ws-a"], creator: "rita", statuses: statusesAccepting("SUBMIT").slice(0, 1) },
  ];
  const merged: RequestQuery[] = [
    { statuses: SWEPT_STATUSES, orderBy: "createdWhen", ascending: true, pageSize: 100 },
    { workspaceIds: ["ws-a", "ws-b", "ws-c"], statuses: statusesAccepting("REVIEW") },
  ];

  it("one workspace and one status, or one status, read their page from an index, in order, with no sort", () => {
    for (const query of single) {
      for (const paged of [query, { ...query, continuation: continuationAt(query, 1_700_000_000) }]) {
        const plan = planOf(db, paged);
        expect(plan).toMatch(/SEARCH requests USING (COVERING )?INDEX requests_by_/);
        expect(plan).not.toMatch(/SCAN requests|TEMP B-TREE/);
      }
    }
  });

  it("several statuses or workspaces are one seek each, merged, never a scan of the table", () => {
    for (const query of merged) {
      for (const paged of [query, { ...query, continuation: continuationAt(query, 1_700_000_000) }]) {
        const plan = planOf(db, paged);
        const seeks = plan.match(/SEARCH requests USING INDEX requests_by_\w+ \([^)]*status=\?/g) ?? [];
        const combinations = (query.workspaceIds?.length ?? 1) * (query.statuses?.length ?? 1);
        expect(seeks).toHaveLength(combinations);
        expect(plan).toMatch(/MERGE \(UNION ALL\)/);
        expect(plan).not.toMatch(/SCAN requests/);
      }
    }
  });

  it("a continuation is part of each seek's range, so a late page reads no more than the first", () => {
    const query: RequestQuery = { statuses: ["in_review"], orderBy: "updatedWhen" };
    const plan = planOf(db, { ...query, continuation: continuationAt(query, 1_700_000_000) });
    expect(plan).toMatch(/status=\? AND \(updated_when,id\)<\(\?,\?\)/);
  });
});

describe("SQLite list pages", () => {
  it("answer what a full sort would, across pages, for seeks merged, past the most seeks, and repeated values", async () => {
    const repository = createSqliteRequestRepository(databases.freshDatabase());
    let seed = 5;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
    const workspaces = Array.from({ length: 40 }, () => crypto.randomUUID());
    const users = [sampleUser(), sampleUser(), sampleUser()];
    const statuses: RequestStatus[] = ["draft", "submitted", "in_review", "approved", "rejected"];
    const stored: AirlockRequest[] = [];
    for (let index = 0; index < 1_200; index++) {
      const request = sampleRequest({
        workspaceId: pick(workspaces),
        createdBy: pick(users),
        type: pick(["import", "export"] as const),
        status: pick(statuses),
        title: `title ${Math.floor(random() * 30)}`,
        createdWhen: Math.floor(random() * 200),
        updatedWhen: Math.floor(random() * 200),
      });
      stored.push(assertOk(await repository.create(request), "create"));
    }

    const queries: RequestQuery[] = [
      { statuses: ["submitted", "in_review", "approved"] },
      { workspaceIds: workspaces.slice(0, 5), statuses: ["in_review", "draft"] },
      { workspaceIds: workspaces.slice(0, 3), creator: users[0]!.id, type: "export" },
      // 40 workspaces × 2 statuses: more combinations than seeks, one scan instead.
      { workspaceIds: workspaces, statuses: ["approved", "rejected"] },
      { workspaceIds: [workspaces[1]!, workspaces[1]!], statuses: ["draft", "draft", "in_review"] },
      { workspaceIds: [] },
      { statuses: [] },
    ];
    const orders: RequestOrderBy[] = ["createdWhen", "updatedWhen", "title"];
    for (const query of queries) {
      for (const orderBy of orders) {
        for (const ascending of [true, false]) {
          const expected = stored
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
            })
            .map((request) => request.id);
          const seen: string[] = [];
          let continuation: string | null = null;
          do {
            const page: RequestPage = assertOk(
              await repository.list({
                ...query,
                orderBy,
                ascending,
                pageSize: 37,
                ...(continuation === null ? {} : { continuation }),
              }),
              "list",
            );
            seen.push(...page.items.map((request) => request.id));
            continuation = page.continuation;
          } while (continuation !== null);
          expect(seen).toEqual(expected);
        }
      }
    }
  });
});
