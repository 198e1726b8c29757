import {
  type AirlockRequest,
  conflict,
  encodeRequestCursor,
  notFound,
  type RepositoryError,
  type RequestPage,
  type RequestQuery,
  type RequestRepository,
  type RequestSortValue,
  readListPaging,
} from "@airlock/core";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { copyOf } from "./copy.js";
import { createFaults } from "./faults.js";

export type RequestRepositoryMethod = keyof RequestRepository;

const compareValues = (a: RequestSortValue, b: RequestSortValue) => (a < b ? -1 : a > b ? 1 : 0);

export interface MemoryRequestRepository extends RequestRepository {
  /** A copy of every stored request, in creation order. */
  inspect(): readonly AirlockRequest[];
  /** The next `count` calls of `method` (default 1) answer `Unavailable` ("injected fault") and change nothing; a new count replaces the pending one, so 0 heals. */
  failNext(method: RequestRepositoryMethod, count?: number): void;
}

const matches = (request: AirlockRequest, query: RequestQuery) =>
  (query.workspaceIds === undefined || query.workspaceIds.includes(request.workspaceId)) &&
  (query.creator === undefined || request.createdBy.id === query.creator) &&
  (query.type === undefined || request.type === query.type) &&
  (query.statuses === undefined || query.statuses.includes(request.status));

/**
 * A `RequestRepository` in memory. Etags are a counter, so each write's etag is new; continuation
 * tokens are opaque (base64url of the last sort key and id) and checked before use.
 */
export const createMemoryRequestRepository = (): MemoryRequestRepository => {
  const requests = new Map<string, AirlockRequest>();
  const faults = createFaults<RequestRepositoryMethod>();
  let writes = 0;
  const nextEtag = () => String(++writes);
  // What goes in and what comes out are copies: no caller shares an object with the store.
  const keep = (request: AirlockRequest): AirlockRequest => {
    requests.set(request.id, copyOf(request));
    return copyOf(request);
  };
  // Every call does its work at once, in one turn of the event loop: the check-then-write of
  // `update` cannot interleave with another call, which is what an etag condition guarantees.
  const answer = <T>(method: RequestRepositoryMethod, work: () => Result<T, RepositoryError>) => {
    const fault = faults.take(method);
    return new ResultAsync<T, RepositoryError>(Promise.resolve(fault ? err(fault) : work()));
  };

  const list = (query: RequestQuery): Result<RequestPage, RepositoryError> => {
    const paging = readListPaging(query);
    if (paging.isErr()) return err(paging.error);
    const { pageSize, orderBy, ascending, after } = paging.value;
    const position = (a: { key: RequestSortValue; id: string }, b: { key: RequestSortValue; id: string }) => {
      const order = compareValues(a.key, b.key) || compareValues(a.id, b.id);
      return ascending ? order : -order;
    };
    const keyed = (request: AirlockRequest) => ({ key: request[orderBy], id: request.id, request });
    let sorted = [...requests.values()]
      .filter((request) => matches(request, query))
      .map(keyed)
      .sort(position);
    if (after !== null) sorted = sorted.filter((item) => position(item, after) > 0);
    const page = sorted.slice(0, pageSize);
    const last = page.at(-1);
    return ok({
      items: page.map((item) => copyOf(item.request)),
      continuation:
        sorted.length > pageSize && last !== undefined
          ? encodeRequestCursor({ orderBy, ascending, key: last.key, id: last.id })
          : null,
    });
  };

  const repository = {
    create: (request) =>
      answer("create", () => {
        if (requests.has(request.id)) return err(conflict(`request ${request.id} already exists`));
        const stored = keep({ ...request, etag: nextEtag() });
        return ok(stored);
      }),
    get: (id) =>
      answer("get", () => {
        const stored = requests.get(id);
        return stored ? ok(copyOf(stored)) : err(notFound(`request ${id} not found`));
      }),
    update: (request) =>
      answer("update", () => {
        const stored = requests.get(request.id);
        if (!stored) return err(notFound(`request ${request.id} not found`));
        if (stored.etag !== request.etag) {
          return err(conflict(`request ${request.id} changed since it was read (etag ${request.etag})`));
        }
        const updated = keep({ ...request, etag: nextEtag() });
        return ok(updated);
      }),
    list: (query) => answer("list", () => list(query)),
    inspect: () => [...requests.values()].map((request) => copyOf(request)),
    failNext: (method, count) => faults.failNext(method, count),
  } satisfies MemoryRequestRepository;
  return repository;
};
