import { err, ok } from "neverthrow";
import type { Actor, WorkspaceRole } from "../model/actor.js";
import { type UploadRules, uploadRulesOf } from "../model/upload-rules.js";
import { loadReader } from "./access.js";
import { validActor, workspaceRolesAcross } from "./acting.js";
import type { UseCaseDeps } from "./deps.js";
import { fromPort, type Outcome } from "./outcome.js";

/** A workspace as someone working in it sees it: enough to ask a token for it and to open it. */
export interface WorkspaceSummary {
  readonly id: string;
  readonly displayName: string;
  /** The audience of the workspace's tokens. */
  readonly clientId: string;
  /** The workspace roles the caller holds there (none for a TRE admin who is not a member). */
  readonly roles: readonly WorkspaceRole[];
}

/**
 * The workspaces the caller holds a role in, by display name; every workspace for a TRE admin.
 * Roles carried by workspace tokens alone are not known here: the members lists say who is where.
 */
export const listWorkspacesFor = async (
  deps: UseCaseDeps,
  actorInput: Actor,
): Outcome<readonly WorkspaceSummary[]> => {
  const valid = validActor(actorInput);
  if (valid.isErr()) return err(valid.error);
  const actor = valid.value;
  const workspaces = await fromPort(deps.ports.workspaces.list());
  if (workspaces.isErr()) return err(workspaces.error);
  const admin = actor.roles.includes("TREAdmin");
  return ok(
    workspaces.value
      .map((workspace) => ({
        id: workspace.id,
        displayName: workspace.displayName,
        clientId: workspace.clientId,
        roles: workspaceRolesAcross(actor, workspace, deps.options.roles),
      }))
      .filter((summary) => admin || summary.roles.length > 0)
      .sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id)),
  );
};

/** What the workspace's policy asks of uploaded files, for those who may read its requests. */
export const readUploadRules = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
): Outcome<UploadRules> => {
  const reader = await loadReader(
    deps,
    actorInput,
    workspaceId,
    "read",
    "upload-rules",
    "reading the workspace's upload rules",
  );
  if (reader.isErr()) return err(reader.error);
  return ok(uploadRulesOf(reader.value.workspace.policy));
};
