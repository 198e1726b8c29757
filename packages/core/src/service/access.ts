import { err, ok } from "neverthrow";
import type { AirlockError } from "../errors.js";
import { allowedUserActions } from "../machine/decide.js";
import { describeRoles, mayAttempt, type Permission } from "../machine/permissions.js";
import { visibleTo } from "../machine/visibility.js";
import type { Actor } from "../model/actor.js";
import type { AirlockRequest, UserAction } from "../model/request.js";
import type { Workspace } from "../model/workspace.js";
import { actingIn, validActor } from "./acting.js";
import { appendAudit, auditRecord, deny, epochSeconds, quoted } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { loadRequest, loadWorkspace } from "./lookup.js";
import type { Outcome } from "./outcome.js";
import type { RequestView } from "./types.js";

/**
 * A request as one caller sees it (without the comments, votes and decisions they may not read),
 * with what the machine lets them do now.
 */
export const viewOf = (request: AirlockRequest, workspace: Workspace, actor: Actor): RequestView => ({
  airlockRequest: visibleTo(request, workspace.policy, actor),
  allowedUserActions: allowedUserActions(request, workspace.policy, actor),
});

/** The commands on a request: the user actions, and setting a file's context. */
export type RequestCommand = UserAction | "setFileContext";

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
  action: RequestCommand,
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
  const request = await loadAddressedRequest(deps, actor, workspaceId, requestId, action);
  if (request.isErr()) return err(request.error);
  return ok({ actor, workspace, request: request.value });
};

/** A command refused on its request (by the machine, or its input): recorded, then answered. */
export const refuseCommand = <T>(
  deps: UseCaseDeps,
  target: CommandTarget,
  action: RequestCommand,
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
  action: RequestCommand,
  error: AirlockError,
): Outcome<T> =>
  error.kind === "Conflict" ? refuseCommand(deps, target, action, error) : Promise.resolve(err(error));

/**
 * The actor and the workspace of a read that is not a transition (requests, a link, the audit
 * trail), with the role `permission` needs; `action` names the read in the audit trail and `doing`
 * in the refusal, which is recorded against the workspace like a command's.
 */
export const loadReader = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  permission: Exclude<Permission, RequestCommand | "create">,
  action: string,
  doing: string,
): Outcome<ActorInWorkspace> => {
  const acting = await loadActorIn(deps, actorInput, workspaceId);
  if (acting.isErr() || mayAttempt(permission, acting.value.actor.roles)) return acting;
  return deny(
    deps.ports,
    { kind: "Forbidden", message: `${doing} needs ${describeRoles(permission)}` },
    { workspaceId, request: null, actor: acting.value.actor, action },
  );
};

/**
 * The request `requestId` addressed under `workspaceId`. One that is not there is `NotFound`, and
 * the attempt is recorded in the workspace's stream whether or not the id exists elsewhere, so that
 * stream tells nobody which ids do; a request of another workspace records it in its own stream too.
 * The caller is told the same either way.
 */
export const loadAddressedRequest = async (
  deps: UseCaseDeps,
  actor: Actor,
  workspaceId: string,
  requestId: string,
  action: string,
): Outcome<AirlockRequest> => {
  const found = await loadRequest(deps.ports, null, requestId);
  if (found.isOk() && found.value.workspaceId === workspaceId) return found;
  if (found.isErr() && found.error.kind !== "NotFound") return found;
  if (found.isOk()) {
    const elsewhere = found.value;
    const recorded = await appendAudit(
      deps.ports.audit,
      auditRecord(epochSeconds(deps.ports.clock), {
        stream: elsewhere.id,
        workspaceId: elsewhere.workspaceId,
        requestId: elsewhere.id,
        actor,
        action,
        outcome: "denied",
        reason: `NotFound: addressed under workspace ${quoted(workspaceId)}, where the request is not`,
        fromStatus: elsewhere.status,
      }),
    );
    if (recorded.isErr()) return err(recorded.error);
  }
  return deny(
    deps.ports,
    { kind: "NotFound", message: `request ${requestId} not found` },
    { workspaceId, request: null, actor, action },
  );
};
