import { randomUUID } from "node:crypto";
import type { IdGenerator } from "@airlock/core";

export interface SequentialIds extends IdGenerator {
  /** How many ids were handed out so far. */
  issued(): number;
}

/**
 * Predictable uuid-shaped ids: `00000000-0000-4000-8000-000000000001`, then `…002`, and so on.
 * `prefix` (1–8 hex digits) fills the first group, so two generators never hand out the same id.
 */
export const createSequentialIds = (prefix = ""): SequentialIds => {
  if (!/^[0-9a-f]{0,8}$/.test(prefix))
    throw new Error(`prefix must be at most 8 lowercase hex digits, got "${prefix}"`);
  const head = prefix.padStart(8, "0");
  let count = 0;
  return {
    next: () => {
      count += 1;
      return `${head}-0000-4000-8000-${String(count).padStart(12, "0")}`;
    },
    issued: () => count,
  } satisfies SequentialIds;
};

export const createRandomIds = (): IdGenerator => ({ next: () => randomUUID() }) satisfies IdGenerator;
