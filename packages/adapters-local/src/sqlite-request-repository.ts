import { randomUUID } from "node:crypto";
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import {
  type AirlockRequest,
  conflict,
  encodeRequestCursor,
  type ListPaging,
  notFound,
  type RepositoryError,
  type RequestOrderBy,
  type RequestPage,
  type RequestQuery,
  type RequestRepository,
  readListPaging,
  storedRequest,
} from "@airlock/core";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { sqliteCall } from "./sqlite-errors.js";

/** Each order's column (indexed together with id) and the type of its values. */
const ORDER_COLUMNS: Readonly<Record<RequestOrderBy, { column: string; type: "string" | "number" }>> = {
  createdWhen: { column: "created_when", type: "number" },
  updatedWhen: { column: "updated_when", type: "number" },
  status: { column: "status", type: "string" },
  type: { column: "type", type: "string" },
  title: { column: "title", type: "string" },
};

interface RequestRow {
  readonly body: string;
}

/** A body stored before a field existed reads with the field's default. */
const parseRequest = (row: RequestRow): AirlockRequest => storedRequest(JSON.parse(row.body) as object);

/** The values of the indexed columns, in the order of the insert's and update's placeholders. */
const columnValues = (request: AirlockRequest): SQLInputValue[] => [
  request.workspaceId,
  request.createdBy.id,
  request.type,
  request.status,
  request.title,
  request.createdWhen,
  request.updatedWhen,
  request.etag,
  JSON.stringify(request),
];

/** A filter that allows a set of values of one column: workspaces or statuses. */
interface SetFilter {
  readonly column: "workspace_id" | "status";
  readonly allowed: readonly string[];
}

interface Condition {
  readonly sql: string;
  readonly values: readonly SQLInputValue[];
}

export interface Statement {
  readonly sql: string;
  readonly values: readonly SQLInputValue[];
}

const whereOf = (conditions: readonly Condition[]): Condition => ({
  sql: conditions.length > 0 ? `WHERE ${conditions.map((condition) => condition.sql).join(" AND ")}` : "",
  values: conditions.flatMap((condition) => condition.values),
});

/**
 * Past this many combinations of the set filters' values, a list is one scan instead of one seek
 * per combination (a reviewer of many workspaces, say): each seek reads up to a page, so many
 * small ones cost more than the scan they avoid.
 */
const MAX_SEEKS = 32;

/**
 * Every combination of one value from each set filter (one workspace and one status), each a seek
 * in its own index; null when there are more than `MAX_SEEKS`.
 */
const streamsOf = (sets: readonly SetFilter[]) => {
  let streams: { column: SetFilter["column"]; value: string }[][] = [[]];
  for (const set of sets) {
    const values = [...new Set(set.allowed)];
    if (streams.length * values.length > MAX_SEEKS) return null;
    streams = streams.flatMap((stream) => values.map((value) => [...stream, { column: set.column, value }]));
  }
  return streams;
};

const placeholders = (count: number) => Array.from({ length: count }, () => "?").join(", ");

const answer = <T>(what: string, work: () => Result<T, RepositoryError>) =>
  new ResultAsync<T, RepositoryError>(Promise.resolve(sqliteCall(what, work)));

/**
 * The SELECT that reads one page of `query` (a page and one more row, which tells whether another
 * page follows), or null when the query can match nothing (an empty set of workspaces or statuses).
 */
export const listStatement = (query: RequestQuery, paging: ListPaging): Statement | null => {
  const { pageSize, orderBy, ascending, after } = paging;
  const { column } = ORDER_COLUMNS[orderBy];
  const sets: SetFilter[] = [];
  if (query.workspaceIds !== undefined) sets.push({ column: "workspace_id", allowed: query.workspaceIds });
  if (query.statuses !== undefined) sets.push({ column: "status", allowed: query.statuses });
  if (sets.some((set) => set.allowed.length === 0)) return null;

  const shared: Condition[] = [];
  if (query.creator !== undefined) shared.push({ sql: "creator = ?", values: [query.creator] });
  if (query.type !== undefined) shared.push({ sql: "type = ?", values: [query.type] });
  if (after !== null) {
    shared.push({ sql: `(${column}, id) ${ascending ? ">" : "<"} (?, ?)`, values: [after.key, after.id] });
  }
  const direction = ascending ? "ASC" : "DESC";
  const order = `ORDER BY ${column} ${direction}, id ${direction}`;
  const limit = pageSize + 1;
  const streams = streamsOf(sets);
  if (streams === null) {
    // Too many combinations to seek each: one scan, the sets read as JSON arrays.
    const { sql, values } = whereOf([
      ...sets.map((set) => ({
        sql: `${set.column} IN (SELECT value FROM json_each(?))`,
        values: [JSON.stringify(set.allowed)],
      })),
      ...shared,
    ]);
    return { sql: `SELECT body FROM requests ${sql} ${order} LIMIT ?`, values: [...values, limit] };
  }
  const parts = streams.map((stream) =>
    whereOf([
      ...stream.map(({ column: name, value }) => ({ sql: `${name} = ?`, values: [value] })),
      ...shared,
    ]),
  );
  const [only] = parts;
  if (parts.length === 1 && only !== undefined) {
    return { sql: `SELECT body FROM requests ${only.sql} ${order} LIMIT ?`, values: [...only.values, limit] };
  }
  // Each combination of one workspace and one status is its own seek in an index that starts with
  // them, reading at most a page and one row; only those rows are sorted again, never every
  // matching row of the table.
  const seeks = parts.map(
    (part) =>
      `SELECT body, k, id FROM (SELECT body, ${column} AS k, id FROM requests ${part.sql} ${order} LIMIT ?)`,
  );
  return {
    sql: `${seeks.join(" UNION ALL ")} ORDER BY k ${direction}, id ${direction} LIMIT ?`,
    values: [...parts.flatMap((part) => [...part.values, limit]), limit],
  };
};

/**
 * A `RequestRepository` in the `requests` table of a database from `openAirlockDatabase`. Each
 * request is stored as JSON beside indexed copies of the fields lists filter and order by; every
 * write gets a new random etag and an update is one conditional `UPDATE ... WHERE etag = ?`, so it
 * holds across connections and processes. Lists page by seek (the last sort key and id), never by
 * offset, so a late page costs what the first does; continuation tokens are opaque and checked. A
 * list filtered by one status, or one workspace and one status, reads its page from an index that
 * starts with them (see `listStatement`).
 */
export const createSqliteRequestRepository = (db: DatabaseSync): RequestRepository => {
  const list = (query: RequestQuery): Result<RequestPage, RepositoryError> => {
    const paging = readListPaging(query);
    if (paging.isErr()) return err(paging.error);
    const { pageSize, orderBy, ascending } = paging.value;
    const statement = listStatement(query, paging.value);
    if (statement === null) return ok({ items: [], continuation: null });
    const rows = db.prepare(statement.sql).all(...statement.values) as unknown as RequestRow[];
    const items = rows.slice(0, pageSize).map(parseRequest);
    const last = items.at(-1);
    return ok({
      items,
      continuation:
        rows.length > pageSize && last !== undefined
          ? encodeRequestCursor({ orderBy, ascending, key: last[orderBy], id: last.id })
          : null,
    });
  };

  return {
    create: (request) =>
      answer("store a request", () => {
        const stored: AirlockRequest = { ...request, etag: randomUUID() };
        const inserted = db
          .prepare(
            `INSERT INTO requests (id, workspace_id, creator, type, status, title, created_when, updated_when, etag, body)
             VALUES (${placeholders(10)}) ON CONFLICT (id) DO NOTHING`,
          )
          .run(stored.id, ...columnValues(stored));
        if (Number(inserted.changes) === 0) return err(conflict(`request ${request.id} already exists`));
        return ok(JSON.parse(JSON.stringify(stored)) as AirlockRequest);
      }),
    get: (id) =>
      answer("read a request", () => {
        const row = db.prepare("SELECT body FROM requests WHERE id = ?").get(id) as RequestRow | undefined;
        return row ? ok(parseRequest(row)) : err(notFound(`request ${id} not found`));
      }),
    update: (request) =>
      answer("update a request", () => {
        const stored: AirlockRequest = { ...request, etag: randomUUID() };
        const updated = db
          .prepare(
            `UPDATE requests SET workspace_id = ?, creator = ?, type = ?, status = ?, title = ?,
               created_when = ?, updated_when = ?, etag = ?, body = ?
             WHERE id = ? AND etag = ?`,
          )
          .run(...columnValues(stored), request.id, request.etag);
        if (Number(updated.changes) === 1) return ok(JSON.parse(JSON.stringify(stored)) as AirlockRequest);
        const exists = db.prepare("SELECT 1 FROM requests WHERE id = ?").get(request.id);
        return exists === undefined
          ? err(notFound(`request ${request.id} not found`))
          : err(conflict(`request ${request.id} changed since it was read (etag ${request.etag})`));
      }),
    list: (query) => answer("list requests", () => list(query)),
  };
};
