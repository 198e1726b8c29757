import { err, ok, type Result, type ResultAsync } from "neverthrow";
import type { z } from "zod";
import type { AirlockError } from "../errors.js";
import { issuesOf } from "./inputs.js";

/** What the use cases' steps answer: a promise of a result, cheaper to chain with `await` than `ResultAsync`. */
export type Outcome<T> = Promise<Result<T, AirlockError>>;

/** A port error as the API reports it; anything a port cannot explain is `Unavailable`. */
export const fromPortError = (error: { kind: string; message: string; cause?: unknown }): AirlockError => {
  switch (error.kind) {
    case "NotFound":
    case "Conflict":
      return { kind: error.kind, message: error.message };
    case "InvalidInput":
      return { kind: "InvalidInput", message: error.message, issues: [] };
    case "TooLarge":
      return { kind: "TooLarge", message: error.message, limit: (error as { limit?: number }).limit ?? 0 };
    default:
      return { kind: "Unavailable", message: error.message, cause: error.cause ?? error };
  }
};

/** A port's answer, its error told in the API's terms. */
export const fromPort = async <T, E extends { kind: string; message: string; cause?: unknown }>(
  pending: ResultAsync<T, E>,
): Outcome<T> => {
  const result = await pending;
  return result.isOk() ? ok(result.value) : err(fromPortError(result.error));
};

/** Input checked against its schema; a failure names every issue, under `prefix` when one is given. */
export const parseInput = <S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = "the input",
  prefix = "",
): Result<z.infer<S>, AirlockError> => {
  const parsed = schema.safeParse(input);
  if (parsed.success) return ok(parsed.data);
  const issues = issuesOf(parsed.error).map((issue) => ({
    path: prefix && issue.path ? `${prefix}.${issue.path}` : prefix || issue.path,
    message: issue.message,
  }));
  return err({ kind: "InvalidInput", message: `${what} is not valid`, issues });
};
