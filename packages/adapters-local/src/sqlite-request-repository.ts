import { randomUUID } from "node:crypto";
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import {
  type AirlockRequest,
  conflict,
  encodeRequestCursor,
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

const placeholders = (count: number) => Array.from({ length: count }, () => "?").join(", ");

const answer = <T>(what: string, work: () => Result<T, RepositoryError>) =>
  new ResultAsync<T, RepositoryError>(Promise.resolve(sqliteCall(what, work)));

/**
 * A `RequestRepository` in the `requests` table of a database from `openAirlockDatabase`. Each
 * request is stored as JSON beside indexed copies of the fields lists filter and order by; every
 * write gets a new random etag and an update is one conditional `UPDATE ... WHERE etag = ?`, so it
 * holds across connections and processes. Lists page by seek (the last sort key and id), never by
 * offset, so a late page costs what the first does; continuation tokens are opaque and checked.
 */
export const createSqliteRequestRepository = (db: DatabaseSync): RequestRepository => {
  const list = (query: RequestQuery): Result<RequestPage, RepositoryError> => {
    const paging = readListPaging(query);
    if (paging.isErr()) return err(paging.error);
    const { pageSize, orderBy, ascending, after } = paging.value;
    const { column } = ORDER_COLUMNS[orderBy];

    const where: string[] = [];
    const values: SQLInputValue[] = [];
    const within = (name: string, allowed: readonly string[]) => {
      where.push(`${name} IN (SELECT value FROM json_each(?))`);
      values.push(JSON.stringify(allowed));
    };
    if (query.workspaceIds !== undefined) within("workspace_id", query.workspaceIds);
    if (query.statuses !== undefined) within("status", query.statuses);
    if (query.creator !== undefined) {
      where.push("creator = ?");
      values.push(query.creator);
    }
    if (query.type !== undefined) {
      where.push("type = ?");
      values.push(query.type);
    }
    if (after !== null) {
      where.push(`(${column}, id) ${ascending ? ">" : "<"} (?, ?)`);
      values.push(after.key, after.id);
    }
    const direction = ascending ? "ASC" : "DESC";
    // One row more than the page tells whether another page follows.
    const rows = db
      .prepare(
        `SELECT body FROM requests ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY ${column} ${direction}, id ${direction} LIMIT ?`,
      )
      .all(...values, pageSize + 1) as unknown as RequestRow[];
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
