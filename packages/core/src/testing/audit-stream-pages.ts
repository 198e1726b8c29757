import type { ResultAsync } from "neverthrow";
import type { AuditStreamPage, AuditStreamPageRequest } from "../model/audit.js";
import { assert, assertEqual, assertOk } from "./assert.js";

/**
 * Walks `streams` two at a time and checks what the audit log and the checkpoint store both promise
 * of it: every stream once, in name order, no page over its limit, and among the streams whose name
 * holds `prefix` exactly `mine`.
 */
export const assertStreamsPaged = async (
  streams: (page: AuditStreamPageRequest) => ResultAsync<AuditStreamPage, unknown>,
  prefix: string,
  mine: readonly string[],
): Promise<void> => {
  const seen: string[] = [];
  let after: string | null = null;
  do {
    const page: AuditStreamPage = assertOk(await streams({ after, limit: 2 }), "streams page");
    assert(page.streams.length <= 2, "a page holds at most its limit");
    seen.push(...page.streams);
    after = page.next;
  } while (after !== null);
  assertEqual(seen, [...seen].sort(), "streams come in name order");
  assertEqual(new Set(seen).size, seen.length, "each stream once");
  assertEqual(
    seen.filter((stream) => stream.includes(prefix)),
    [...mine].sort(),
    "every stream is listed",
  );
};
