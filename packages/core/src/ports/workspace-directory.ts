import type { ResultAsync } from "neverthrow";
import type { Workspace } from "../model/workspace.js";
import type { NotFound, Unavailable } from "./errors.js";

export type WorkspaceDirectoryError = NotFound | Unavailable;

/**
 * Knows each workspace's airlock policy and who holds which role in it.
 * - `get` answers `NotFound` for an unknown workspace.
 * - `list` answers every workspace (used for cross-workspace review queues).
 * - Answers are copies that share nothing with the store.
 */
export interface WorkspaceDirectory {
  get(workspaceId: string): ResultAsync<Workspace, WorkspaceDirectoryError>;
  list(): ResultAsync<readonly Workspace[], WorkspaceDirectoryError>;
}

/** A directory that can also be written, for deployments that register workspaces through the API. */
export interface WorkspaceRegistry extends WorkspaceDirectory {
  /** Creates or replaces a workspace. */
  put(workspace: Workspace): ResultAsync<Workspace, WorkspaceDirectoryError>;
}
