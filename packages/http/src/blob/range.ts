import type { RangeRequest } from "@airlock/core";

const ONE_RANGE = /^bytes=(?:(\d{1,15})-(\d{0,15})|-(\d{1,15}))$/;

/**
 * The one byte range a Blob client asks for, in `x-ms-range` (which wins, as on Azure) or `Range`:
 * `bytes=first-last`, `bytes=first-` or `bytes=-suffix`. Anything else (several ranges, another
 * unit, last before first) is no range: the whole file is served, as RFC 9110 lets a server do.
 */
export const rangeOf = (headers: Readonly<Record<string, string | string[] | undefined>>) => {
  const header = headers["x-ms-range"] ?? headers.range;
  if (typeof header !== "string") return undefined;
  const match = ONE_RANGE.exec(header.trim());
  if (!match) return undefined;
  const [, first, last, suffix] = match;
  if (suffix !== undefined) return { suffix: Number(suffix) } satisfies RangeRequest;
  const start = Number(first);
  if (last === undefined || last === "") return { start } satisfies RangeRequest;
  const end = Number(last);
  return end < start ? undefined : ({ start, end } satisfies RangeRequest);
};
