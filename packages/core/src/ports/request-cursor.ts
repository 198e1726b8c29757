import { err, ok, Result } from "neverthrow";
import { fromBase64url, toBase64url } from "../model/base64url.js";
import { type InvalidInput, invalidInput } from "./errors.js";
import type { RequestOrderBy, RequestQuery } from "./request-repository.js";

/** The value a request is ordered by: a time in seconds, or text. */
export type RequestSortValue = string | number;

/** The type of each order's values, as a cursor carries them. */
export const REQUEST_SORT_KEY_TYPES: Readonly<Record<RequestOrderBy, "string" | "number">> = {
  createdWhen: "number",
  updatedWhen: "number",
  status: "string",
  type: "string",
  title: "string",
};

/**
 * Where a page of `RequestRepository.list` ended, and for which order: the continuation adapters
 * hand out. A continuation made for another order is refused.
 */
export interface RequestCursor {
  readonly orderBy: RequestOrderBy;
  readonly ascending: boolean;
  readonly key: RequestSortValue;
  readonly id: string;
}

export const encodeRequestCursor = (cursor: RequestCursor): string =>
  toBase64url(
    new TextEncoder().encode(JSON.stringify([cursor.orderBy, cursor.ascending, cursor.key, cursor.id])),
  );

const parseJson = Result.fromThrowable(
  (text: string): unknown => JSON.parse(text),
  () => "not JSON",
);

const utf8Text = Result.fromThrowable(
  (bytes: Uint8Array): string => new TextDecoder("utf-8", { fatal: true }).decode(bytes),
  () => "not UTF-8",
);

/** The cursor a continuation holds, or null for anything an adapter did not hand out. */
export const decodeRequestCursor = (token: string): RequestCursor | null => {
  const bytes = fromBase64url(token);
  if (bytes === null) return null;
  const text = utf8Text(bytes).unwrapOr(null);
  // One text, one token: a token spelled another way (trailing bits set) is not one handed out.
  if (text === null || toBase64url(new TextEncoder().encode(text)) !== token) return null;
  const parsed = parseJson(text).unwrapOr(null);
  if (!Array.isArray(parsed) || parsed.length !== 4) return null;
  const [orderBy, ascending, key, id] = parsed as unknown[];
  if (typeof orderBy !== "string" || !Object.hasOwn(REQUEST_SORT_KEY_TYPES, orderBy)) return null;
  const order = orderBy as RequestOrderBy;
  if (
    typeof ascending !== "boolean" ||
    typeof id !== "string" ||
    typeof key !== REQUEST_SORT_KEY_TYPES[order]
  )
    return null;
  return { orderBy: order, ascending, key: key as RequestSortValue, id };
};

/** A list query's paging, checked as the port's contract says, with defaults filled in. */
export interface ListPaging {
  readonly pageSize: number;
  readonly orderBy: RequestOrderBy;
  readonly ascending: boolean;
  /** Where the previous page ended, or null for the first page. */
  readonly after: RequestCursor | null;
}

const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;

/**
 * The paging of a `RequestRepository.list` query: page size 1–100 (default 25), a known order
 * (default newest `createdWhen` first), and a continuation this same order handed out; anything
 * else is `InvalidInput`.
 */
export const readListPaging = (query: RequestQuery): Result<ListPaging, InvalidInput> => {
  const pageSize = query.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    return err(invalidInput(`pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}`));
  }
  const orderBy = query.orderBy ?? "createdWhen";
  if (!Object.hasOwn(REQUEST_SORT_KEY_TYPES, orderBy)) {
    return err(invalidInput(`cannot order by ${String(orderBy)}`));
  }
  const ascending = query.ascending ?? false;
  if (query.continuation === undefined) return ok({ pageSize, orderBy, ascending, after: null });
  const after = decodeRequestCursor(query.continuation);
  if (after === null || after.orderBy !== orderBy || after.ascending !== ascending) {
    return err(invalidInput("continuation is not one this query answered"));
  }
  return ok({ pageSize, orderBy, ascending, after });
};
