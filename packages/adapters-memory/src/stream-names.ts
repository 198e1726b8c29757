import { type AuditStreamPage, type AuditStreamPageRequest, MAX_AUDIT_PAGE } from "@airlock/core";

/** One page of names in name order, after `page.after`. */
export const pageOfNames = (names: Iterable<string>, page: AuditStreamPageRequest): AuditStreamPage => {
  const limit = Math.max(1, Math.min(page.limit, MAX_AUDIT_PAGE));
  const after = page.after;
  const sorted = [...names].filter((name) => after === null || name > after).sort();
  const streams = sorted.slice(0, limit);
  return { streams, next: sorted.length > limit ? (streams.at(-1) ?? null) : null };
};
