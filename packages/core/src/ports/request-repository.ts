import type { ResultAsync } from "neverthrow";
import type { AirlockRequest, RequestStatus, RequestType } from "../model/request.js";
import type { Conflict, InvalidInput, NotFound, Unavailable } from "./errors.js";

export type RepositoryError = NotFound | Conflict | Unavailable | InvalidInput;

export type RequestOrderBy = "createdWhen" | "updatedWhen" | "status" | "type" | "title";

export interface RequestQuery {
  /** Omit to search every workspace (the processor's sweep, cross-workspace review queues). */
  readonly workspaceIds?: readonly string[];
  readonly creator?: string;
  readonly type?: RequestType;
  readonly statuses?: readonly RequestStatus[];
  /** Default `createdWhen`; ties are broken by `id` so paging is stable. */
  readonly orderBy?: RequestOrderBy;
  /** Default false (newest first). */
  readonly ascending?: boolean;
  /** 1–100, default 25. */
  readonly pageSize?: number;
  /** The `continuation` of the previous page, as returned; anything else is `InvalidInput`. */
  readonly continuation?: string;
}

export interface RequestPage {
  readonly items: readonly AirlockRequest[];
  /** Pass back to get the next page; `null` on the last page. */
  readonly continuation: string | null;
}

/**
 * Stores airlock requests.
 *
 * - `create` stores a new request and sets its `etag`; a second `create` of the same id is `Conflict`.
 * - `get` finds a request by id in any workspace; absent is `NotFound`.
 * - `update` replaces the stored request only when the stored `etag` equals `request.etag` (the one
 *   that was read); otherwise `Conflict` and nothing changes. It answers the stored request with a
 *   new `etag`. An absent request is `NotFound`.
 * - `list` filters, orders (ties by id) and pages; every request matching at the first call and not
 *   changed since is returned exactly once across the pages.
 * - Answers are copies that share nothing with the store: a caller may change them freely. Likewise
 *   a request passed in is copied: changing it afterwards never changes what is stored.
 */
export interface RequestRepository {
  create(request: Omit<AirlockRequest, "etag">): ResultAsync<AirlockRequest, RepositoryError>;
  get(id: string): ResultAsync<AirlockRequest, RepositoryError>;
  update(request: AirlockRequest): ResultAsync<AirlockRequest, RepositoryError>;
  list(query: RequestQuery): ResultAsync<RequestPage, RepositoryError>;
}
