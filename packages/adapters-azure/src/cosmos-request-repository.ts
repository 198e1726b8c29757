import { createHash } from "node:crypto";
import type {
  AirlockRequest,
  RepositoryError,
  RequestOrderBy,
  RequestPage,
  RequestQuery,
  RequestRepository,
} from "@airlock/core";
import { conflict, invalidInput, notFound, storedRequest } from "@airlock/core";
import type { CompositePath, Container, SqlParameter } from "@azure/cosmos";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import {
  type CosmosConnection,
  type CosmosSystemFields,
  lazyContainer,
  stripSystemFields,
} from "./cosmos-connection.js";
import { toRepositoryError } from "./errors.js";

export type CosmosRequestRepositoryOptions = CosmosConnection & {
  readonly databaseId: string;
  /** Default `requests`. */
  readonly containerId?: string;
};

type StoredRequest = Omit<AirlockRequest, "etag"> & CosmosSystemFields;

/** The fields a list may be ordered by, and the JSON type each holds (checked in a cursor). */
const ORDER_FIELDS: Readonly<Record<RequestOrderBy, "number" | "string">> = {
  createdWhen: "number",
  updatedWhen: "number",
  status: "string",
  type: "string",
  title: "string",
};

const isOrderBy = (value: string): value is RequestOrderBy => Object.hasOwn(ORDER_FIELDS, value);

/** Cosmos serves `ORDER BY field, id` only from a composite index declaring that exact pair. */
const COMPOSITE_INDEXES: CompositePath[][] = Object.keys(ORDER_FIELDS).flatMap((field) =>
  (["ascending", "descending"] as const).map((order) => [
    { path: `/${field}`, order },
    { path: "/id", order },
  ]),
);

interface Cursor {
  readonly v: 1;
  /** Which query the cursor belongs to: a cursor from another query is refused. */
  readonly q: string;
  /** The order value and id of the last item answered. */
  readonly after: readonly [string | number, string];
}

const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString("base64url");

const decodeCursor = (
  token: string,
  queryHash: string,
  valueType: "number" | "string",
): Cursor | undefined => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch (error) {
    // Any token we did not issue is the caller's mistake; nothing to report beyond "invalid".
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { v, q, after } = parsed as Partial<Record<keyof Cursor, unknown>>;
  if (v !== 1 || q !== queryHash || !Array.isArray(after) || after.length !== 2) return undefined;
  const [value, id] = after as unknown[];
  if (typeof value !== valueType || typeof id !== "string") return undefined;
  return { v, q, after: [value as string | number, id] };
};

const toDomain = (document: StoredRequest & { readonly etag?: unknown }): AirlockRequest => {
  const { etag: _stale, ...rest } = stripSystemFields(document);
  // A document stored before a field existed reads with the field's default.
  return storedRequest({ ...rest, etag: document._etag ?? "" });
};

const toDocument = (request: AirlockRequest | Omit<AirlockRequest, "etag">): Omit<AirlockRequest, "etag"> => {
  const { etag: _ours, ...document } = request as AirlockRequest;
  return document;
};

/**
 * `RequestRepository` on Cosmos DB (NoSQL API), partitioned by `/workspaceId`. The domain `etag`
 * is the document's `_etag`; updates are conditional on it.
 *
 * Paging is keyset paging: the continuation carries the last item's order value and id, and the
 * next page asks for what sorts after it (`ORDER BY field, id` from a composite index). Unlike a
 * Cosmos continuation token it stays valid across restarts and emulators, and every item that
 * still matches and has not changed is answered exactly once.
 */
/** A request repository that can also be asked to create its container up front. */
export interface CosmosRequestRepository extends RequestRepository {
  /** Creates the database and container when missing; every other method calls it first. */
  ensure(): ResultAsync<void, RepositoryError>;
}

export const createCosmosRequestRepository = (
  options: CosmosRequestRepositoryOptions,
): CosmosRequestRepository => {
  const container = lazyContainer(options, options.databaseId, {
    id: options.containerId ?? "requests",
    partitionKey: { paths: ["/workspaceId"] },
    indexingPolicy: { compositeIndexes: COMPOSITE_INDEXES },
  });

  const run = <T>(what: string, body: (c: Container) => Promise<Result<T, RepositoryError>>) =>
    new ResultAsync(
      container()
        .then(body)
        .catch((error: unknown) => err<T, RepositoryError>(toRepositoryError(error, what))),
    );

  const findById = async (c: Container, id: string): Promise<StoredRequest | undefined> => {
    const { resources } = await c.items
      .query<StoredRequest>({
        query: "SELECT * FROM c WHERE c.id = @id",
        parameters: [{ name: "@id", value: id }],
      })
      .fetchAll();
    return resources[0];
  };

  const list = (query: RequestQuery): ResultAsync<RequestPage, RepositoryError> =>
    run("list requests", async (c) => {
      const pageSize = query.pageSize ?? 25;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
        return err(invalidInput("pageSize must be an integer from 1 to 100"));
      }
      const orderBy = query.orderBy ?? "createdWhen";
      if (!isOrderBy(orderBy)) return err(invalidInput(`cannot order by "${String(orderBy)}"`));
      const ascending = query.ascending ?? false;
      const filter = {
        workspaceIds: query.workspaceIds === undefined ? null : [...query.workspaceIds].sort(),
        creator: query.creator ?? null,
        type: query.type ?? null,
        statuses: query.statuses === undefined ? null : [...query.statuses].sort(),
        orderBy,
        ascending,
      };
      const queryHash = createHash("sha256").update(JSON.stringify(filter)).digest("base64url").slice(0, 22);
      const cursor =
        query.continuation === undefined
          ? undefined
          : decodeCursor(query.continuation, queryHash, ORDER_FIELDS[orderBy]);
      if (query.continuation !== undefined && cursor === undefined) {
        return err(invalidInput("continuation does not belong to this query"));
      }
      if (filter.workspaceIds?.length === 0 || filter.statuses?.length === 0) {
        return ok({ items: [], continuation: null });
      }

      const where: string[] = [];
      const parameters: SqlParameter[] = [];
      if (filter.workspaceIds !== null) {
        if (filter.workspaceIds.length === 1) {
          where.push("c.workspaceId = @workspaceId");
          parameters.push({ name: "@workspaceId", value: filter.workspaceIds[0] ?? "" });
        } else {
          where.push("ARRAY_CONTAINS(@workspaceIds, c.workspaceId)");
          parameters.push({ name: "@workspaceIds", value: filter.workspaceIds });
        }
      }
      if (filter.creator !== null) {
        where.push("c.createdBy.id = @creator");
        parameters.push({ name: "@creator", value: filter.creator });
      }
      if (filter.type !== null) {
        where.push("c.type = @type");
        parameters.push({ name: "@type", value: filter.type });
      }
      if (filter.statuses !== null) {
        where.push("ARRAY_CONTAINS(@statuses, c.status)");
        parameters.push({ name: "@statuses", value: filter.statuses });
      }
      const field = `c.${orderBy}`;
      if (cursor !== undefined) {
        const after = ascending ? ">" : "<";
        where.push(`(${field} ${after} @afterValue OR (${field} = @afterValue AND c.id ${after} @afterId))`);
        parameters.push(
          { name: "@afterValue", value: cursor.after[0] },
          { name: "@afterId", value: cursor.after[1] },
        );
      }
      const direction = ascending ? "ASC" : "DESC";
      // One more than a page tells whether another page follows without a second round trip.
      const text = `SELECT TOP ${pageSize + 1} * FROM c${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${field} ${direction}, c.id ${direction}`;
      const { resources } = await c.items
        .query<StoredRequest>({ query: text, parameters }, { maxItemCount: pageSize + 1 })
        .fetchAll();
      const items = resources.slice(0, pageSize).map(toDomain);
      const last = items.at(-1);
      const continuation =
        resources.length > pageSize && last !== undefined
          ? encodeCursor({ v: 1, q: queryHash, after: [last[orderBy], last.id] })
          : null;
      return ok({ items, continuation });
    });

  const repository = {
    create: (request) =>
      run(`create request ${request.id}`, async (c) => {
        // Cosmos ids are unique per partition only; request ids must be unique everywhere. Ids are
        // uuids, so this read only guards against a caller reusing one in another workspace.
        if ((await findById(c, request.id)) !== undefined) {
          return err(conflict(`request ${request.id} already exists`));
        }
        const { resource } = await c.items.create<Omit<AirlockRequest, "etag">>(toDocument(request));
        if (resource === undefined) throw new Error("Cosmos answered a create without the document");
        return ok(toDomain(resource));
      }),

    get: (id) =>
      run(`get request ${id}`, async (c) => {
        const found = await findById(c, id);
        return found === undefined ? err(notFound(`request ${id} not found`)) : ok(toDomain(found));
      }),

    update: (request) =>
      run(`update request ${request.id}`, async (c) => {
        const { resource } = await c
          .item(request.id, request.workspaceId)
          .replace<Omit<AirlockRequest, "etag">>(toDocument(request), {
            accessCondition: { type: "IfMatch", condition: request.etag },
          });
        if (resource === undefined) throw new Error("Cosmos answered a replace without the document");
        return ok(toDomain(resource));
      }),

    list,

    ensure: (): ResultAsync<void, RepositoryError> =>
      run("ensure requests container", async () => ok(undefined)),
  } satisfies CosmosRequestRepository;

  return repository;
};
