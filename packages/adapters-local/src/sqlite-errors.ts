import { type Unavailable, unavailable } from "@airlock/core";
import { err, type Result } from "neverthrow";

/**
 * Runs one synchronous SQLite call and turns anything it throws (SQLITE_BUSY past the busy timeout,
 * a full disk, a closed database) into `Unavailable`, keeping the original as `cause`.
 */
export const sqliteCall = <T, E>(what: string, work: () => Result<T, E>): Result<T, E | Unavailable> => {
  try {
    return work();
  } catch (error) {
    const reason =
      error !== null && typeof error === "object" && "errstr" in error && typeof error.errstr === "string"
        ? error.errstr
        : error instanceof Error
          ? error.message
          : "unknown error";
    return err(unavailable(`SQLite could not ${what}: ${reason}`, error));
  }
};
