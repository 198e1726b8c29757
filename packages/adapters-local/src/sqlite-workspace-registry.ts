import type { DatabaseSync } from "node:sqlite";
import {
  notFound,
  type Workspace,
  type WorkspaceDirectoryError,
  type WorkspaceRegistry,
} from "@airlock/core";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { sqliteCall } from "./sqlite-errors.js";

const answer = <T>(what: string, work: () => Result<T, WorkspaceDirectoryError>) =>
  new ResultAsync<T, WorkspaceDirectoryError>(Promise.resolve(sqliteCall(what, work)));

/**
 * A `WorkspaceRegistry` in the `workspaces` table of a database from `openAirlockDatabase`. Each
 * workspace is stored as JSON, so every answer is a fresh copy.
 */
export const createSqliteWorkspaceRegistry = (db: DatabaseSync): WorkspaceRegistry => ({
  get: (workspaceId) =>
    answer("read a workspace", () => {
      const row = db.prepare("SELECT body FROM workspaces WHERE id = ?").get(workspaceId) as
        | { body: string }
        | undefined;
      return row
        ? ok(JSON.parse(row.body) as Workspace)
        : err(notFound(`workspace ${workspaceId} not found`));
    }),
  list: () =>
    answer("list workspaces", () => {
      const rows = db.prepare("SELECT body FROM workspaces ORDER BY id").all() as { body: string }[];
      return ok(rows.map((row) => JSON.parse(row.body) as Workspace));
    }),
  put: (workspace) =>
    answer("store a workspace", () => {
      const body = JSON.stringify(workspace);
      db.prepare(
        "INSERT INTO workspaces (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
      ).run(workspace.id, body);
      return ok(JSON.parse(body) as Workspace);
    }),
});
