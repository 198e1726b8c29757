import type { Result } from "neverthrow";
import type { AirlockError } from "../errors.js";
import { type Actor, Actor as ActorSchema, type Role, TreRole, type WorkspaceRole } from "../model/actor.js";
import type { Workspace } from "../model/workspace.js";
import { parseInput } from "./outcome.js";
import type { RoleSource } from "./types.js";

/** The actor an embedder passed, checked like any input: a bad one is `InvalidInput`, never a crash. */
export const validActor = (actor: unknown): Result<Actor, AirlockError> =>
  parseInput(ActorSchema, actor, "the actor", "actor");

const isTreRole = (role: Role) => (TreRole.options as readonly Role[]).includes(role);

const directoryRoles = (workspace: Workspace, actorId: string): readonly Role[] =>
  workspace.members.find((member) => member.id === actorId)?.roles ?? [];

/**
 * The actor with the roles it holds in `workspace`: as the caller says (`actor`, a token's roles),
 * or as the workspace's members list says (`directory`), TRE-wide roles still coming from the caller.
 */
export const actingIn = (actor: Actor, workspace: Workspace, source: RoleSource): Actor =>
  source === "actor"
    ? actor
    : { ...actor, roles: [...actor.roles.filter(isTreRole), ...directoryRoles(workspace, actor.id)] };

/**
 * The roles for a look across workspaces (the review queue): a caller there holds the API's
 * token, without workspace roles, so the workspace's members list adds them.
 */
export const actingAcross = (actor: Actor, workspace: Workspace, source: RoleSource): Actor => ({
  ...actor,
  roles: [...new Set([...actingIn(actor, workspace, source).roles, ...directoryRoles(workspace, actor.id)])],
});

/** The workspace roles the actor holds in `workspace`, in a look across workspaces. */
export const workspaceRolesAcross = (
  actor: Actor,
  workspace: Workspace,
  source: RoleSource,
): WorkspaceRole[] =>
  actingAcross(actor, workspace, source).roles.filter((role): role is WorkspaceRole => !isTreRole(role));

/**
 * The actor on a TRE-wide read (the TRE's own audit trail): no workspace is addressed, so none
 * gives it workspace roles, and only the TRE roles it carries count.
 */
export const actingTreWide = (actor: Actor): Actor => ({ ...actor, roles: actor.roles.filter(isTreRole) });
