import { err, ok } from "neverthrow";
import type { AirlockError } from "../errors.js";
import { allowedUserActions } from "../machine/decide.js";
import { blobCallDecision } from "../machine/links.js";
import { describeRoles, mayAttempt, type Permission } from "../machine/permissions.js";
import type { Actor } from "../model/actor.js";
import type { AirlockRequest, Stage, UserAction } from "../model/request.js";
import type { Workspace } from "../model/workspace.js";
import type { LinkAccess } from "../ports/storage.js";
import { actingIn, validActor } from "./acting.js";
import { deny } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { loadRequest, loadWorkspace } from "./lookup.js";
import type { Outcome } from "./outcome.js";
import type { RequestView } from "./types.js";

/** A request as one caller sees it, with what the machine lets them do now. */
export const viewOf = (request: AirlockRequest, workspace: Workspace, actor: Actor): RequestView => ({
  airlockRequest: request,
  allowedUserActions: allowedUserActions(request, workspace.policy, actor),
});

/** Someone acting in a workspace, with the roles they hold there. */
export interface ActorInWorkspace {
  readonly actor: Actor;
  readonly workspace: Workspace;
}

/** The actor, checked, and the workspace, with the roles the actor holds in it (see `roles`). */
export const loadActorIn = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
): Outcome<ActorInWorkspace> => {
  const valid = validActor(actorInput);
  if (valid.isErr()) return err(valid.error);
  const workspace = await loadWorkspace(deps.ports, workspaceId);
  if (workspace.isErr()) return err(workspace.error);
  return ok({
    actor: actingIn(valid.value, workspace.value, deps.options.roles),
    workspace: workspace.value,
  });
};

/** What a command on a request works on. */
export interface CommandTarget {
  readonly actor: Actor;
  readonly workspace: Workspace;
  readonly request: AirlockRequest;
}

/**
 * The actor, the workspace and the request of a command, in the order the API promises. The role
 * is checked before the request is read, so a caller without it learns nothing about which requests
 * exist; the refusal is recorded against the workspace.
 */
export const loadCommandTarget = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
  action: UserAction,
): Outcome<CommandTarget> => {
  const acting = await loadActorIn(deps, actorInput, workspaceId);
  if (acting.isErr()) return err(acting.error);
  const { actor, workspace } = acting.value;
  if (!mayAttempt(action, actor.roles)) {
    return deny(
      deps.ports,
      { kind: "Forbidden", message: `your roles do not allow you to ${action} a request` },
      { workspaceId, request: null, actor, action },
    );
  }
  const request = await loadRequest(deps.ports, workspaceId, requestId);
  if (request.isErr()) return err(request.error);
  return ok({ actor, workspace, request: request.value });
};

/** A command refused on its request (by the machine, or its input): recorded, then answered. */
export const refuseCommand = <T>(
  deps: UseCaseDeps,
  target: CommandTarget,
  action: UserAction,
  error: AirlockError,
): Outcome<T> =>
  deny(deps.ports, error, {
    workspaceId: target.workspace.id,
    request: target.request,
    actor: target.actor,
    action,
  });

/** A command's write that failed: lost to a concurrent change, it is a refusal like any other. */
export const failedWrite = <T>(
  deps: UseCaseDeps,
  target: CommandTarget,
  action: UserAction,
  error: AirlockError,
): Outcome<T> =>
  error.kind === "Conflict" ? refuseCommand(deps, target, action, error) : Promise.resolve(err(error));

/**
 * The actor and the workspace of a read that is not a transition (requests, a link, the audit
 * trail), with the role `permission` needs; `doing` names the read in the refusal.
 */
export const loadReader = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  permission: Exclude<Permission, UserAction | "create">,
  doing: string,
): Outcome<ActorInWorkspace> => {
  const acting = await loadActorIn(deps, actorInput, workspaceId);
  if (acting.isErr() || mayAttempt(permission, acting.value.actor.roles)) return acting;
  return err({ kind: "Forbidden", message: `${doing} needs ${describeRoles(permission)}` });
};

/**
 * The request a call through a link addresses, if its current status lets that call happen now:
 * the link's token is not the authority, the request's status and stage are.
 */
export const loadForBlobCall = async (
  deps: UseCaseDeps,
  requestId: string,
  stage: Stage,
  operation: LinkAccess,
): Outcome<AirlockRequest> => {
  const request = await loadRequest(deps.ports, null, requestId);
  if (request.isErr()) return request;
  const decision = blobCallDecision(request.value, stage, operation);
  if (decision.kind === "allowed") return request;
  return err({ kind: decision.reason, message: decision.message });
};
