import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createFileStorage,
  createSqliteRequestRepository,
  openAirlockDatabase,
} from "@airlock/adapters-local";
import {
  createMemoryScanner,
  type ManualClock,
  type MemoryPorts,
  type SequentialIds,
} from "@airlock/adapters-memory";
import type { AirlockPorts } from "@airlock/core";

/**
 * The local profile's storage and request repository (files and SQLite in a temporary directory)
 * in place of the memory ones, with a scanner that reads the files where they are. `dispose`
 * closes the database and removes the directory.
 */
export const localPorts = () => {
  const directory = mkdtempSync(join(tmpdir(), "airlock-http-local-"));
  const db = openAirlockDatabase(join(directory, "airlock.sqlite"));
  return {
    decorate: (ports: MemoryPorts<ManualClock, SequentialIds>): AirlockPorts => {
      const storage = createFileStorage({ root: join(directory, "files") });
      return {
        ...ports,
        storage,
        scanner: createMemoryScanner({ storage }),
        repository: createSqliteRequestRepository(db),
      };
    },
    dispose: () => {
      if (db.isOpen) db.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
};
