import {
  notFound,
  type Workspace,
  type WorkspaceDirectoryError,
  type WorkspaceRegistry,
} from "@airlock/core";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { copyOf } from "./copy.js";
import { createFaults } from "./faults.js";

export type WorkspaceRegistryMethod = keyof WorkspaceRegistry;

export interface MemoryWorkspaceRegistry extends WorkspaceRegistry {
  /** The next `count` calls of `method` (default 1) answer `Unavailable` ("injected fault") and change nothing; a new count replaces the pending one, so 0 heals. */
  failNext(method: WorkspaceRegistryMethod, count?: number): void;
}

/**
 * A `WorkspaceRegistry` in memory, holding copies of `initial` to start with. Answers are copies,
 * so no caller can change what is stored.
 */
export const createMemoryWorkspaceRegistry = (
  initial: readonly Workspace[] = [],
): MemoryWorkspaceRegistry => {
  const workspaces = new Map(initial.map((workspace) => [workspace.id, copyOf(workspace)]));
  const faults = createFaults<WorkspaceRegistryMethod>();

  const answer = <T>(method: WorkspaceRegistryMethod, work: () => Result<T, WorkspaceDirectoryError>) => {
    const fault = faults.take(method);
    return new ResultAsync<T, WorkspaceDirectoryError>(Promise.resolve(fault ? err(fault) : work()));
  };

  const registry = {
    get: (workspaceId) =>
      answer("get", () => {
        const workspace = workspaces.get(workspaceId);
        return workspace ? ok(copyOf(workspace)) : err(notFound(`workspace ${workspaceId} not found`));
      }),
    list: () => answer("list", () => ok([...workspaces.values()].map((workspace) => copyOf(workspace)))),
    put: (workspace) =>
      answer("put", () => {
        workspaces.set(workspace.id, copyOf(workspace));
        return ok(copyOf(workspace));
      }),
    failNext: (method, count) => faults.failNext(method, count),
  } satisfies MemoryWorkspaceRegistry;
  return registry;
};
