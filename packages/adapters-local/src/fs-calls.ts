import { constants } from "node:fs";
import { open } from "node:fs/promises";

/** The `code` of a filesystem error (`ENOENT`, `EEXIST`, …), if it has one. */
export const codeOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;

/** Flushes a directory's entries (a file created, renamed or removed in it) to disk. */
export const syncDir = async (dir: string): Promise<void> => {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};
