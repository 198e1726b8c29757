import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { afterAll } from "vitest";
import { openAirlockDatabase } from "../src/index.js";

/**
 * A temporary directory for this test file, removed (with every database in it) after its tests.
 * `freshDatabase` opens a new database file in it; each is closed before the directory goes.
 */
export const temporaryDatabases = () => {
  const directory = mkdtempSync(join(tmpdir(), "airlock-sqlite-"));
  const open: DatabaseSync[] = [];
  let count = 0;
  afterAll(() => {
    for (const db of open) if (db.isOpen) db.close();
    rmSync(directory, { recursive: true, force: true });
  });
  return {
    path: (name = `db-${++count}.sqlite`) => join(directory, name),
    track: (db: DatabaseSync) => {
      open.push(db);
      return db;
    },
    freshDatabase: () => {
      const db = openAirlockDatabase(join(directory, `db-${++count}.sqlite`));
      open.push(db);
      return db;
    },
  };
};
