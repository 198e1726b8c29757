import type { Actor, Role, TreRole, Workspace, WorkspaceDirectory } from "@airlock/core";
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import { problem, sendAirlockError, sendProblem } from "../problem.js";
import { bearerToken, type TokenError, type TokenIdentity, type TokenVerifier } from "./verifier.js";

const TRE_ROLES: readonly Role[] = ["TREUser", "TREAdmin"];

export interface Guard {
  /**
   * Workspace routes: a valid token (401), a known workspace (404), a token for that workspace
   * (401), which acts with its workspace roles only (TRE roles count on the API audience alone). With `treAdmin`, a token for the API audience that carries TREAdmin is accepted too, and
   * acts with its TRE roles only: the service then decides what TREAdmin may do.
   */
  workspace(options: { readonly treAdmin: boolean }): onRequestHookHandler;
  /** TRE-wide routes: a valid token for the API audience (401) holding `role` when given (403). */
  api(options: { readonly role?: TreRole }): onRequestHookHandler;
  /** The caller that a guard admitted. */
  actorOf(request: FastifyRequest): Actor;
  /** The workspace a workspace guard found. */
  workspaceOf(request: FastifyRequest): Workspace;
  /**
   * Declares where the guards keep what they found on every request of `app` (call it before
   * registering routes), so requests keep one shape; without it the guards still work.
   */
  decorate(app: FastifyInstance): void;
}

/** Where an admitted request keeps its caller and workspace: request slots, not a side table. */
const ACTOR = Symbol("airlock.actor");
const WORKSPACE = Symbol("airlock.workspace");
interface Slots {
  [ACTOR]?: Actor | null;
  [WORKSPACE]?: Workspace | null;
}
const slots = (request: FastifyRequest) => request as FastifyRequest & Slots;

/**
 * The actor a verified identity acts as, with `roles`. Identities are shared by every call with the
 * same token, and so are their actors (frozen, like the identity): one per identity and role set.
 */
const actorCache = () => {
  const actors = new WeakMap<TokenIdentity, Actor>();
  return (identity: TokenIdentity, roles: (identity: TokenIdentity) => readonly Role[]): Actor => {
    let actor = actors.get(identity);
    if (actor === undefined) {
      actor = Object.freeze({
        id: identity.id,
        name: identity.name,
        email: identity.email,
        roles: Object.freeze([...roles(identity)]) as Role[],
      });
      actors.set(identity, actor);
    }
    return actor;
  };
};

const treRoles = (identity: TokenIdentity) => identity.roles.filter((role) => TRE_ROLES.includes(role));
const workspaceRoles = (identity: TokenIdentity) =>
  identity.roles.filter((role) => !TRE_ROLES.includes(role));

export const createGuard = (deps: {
  readonly verify: TokenVerifier;
  readonly workspaces: WorkspaceDirectory;
  readonly apiAudience: string;
}): Guard => {
  const workspaceActor = actorCache();
  const treActor = actorCache();
  /**
   * A workspace's app registration is the workspace's to define, roles included: its tokens carry
   * workspace roles only. TRE roles count when the token is also for the API's own audience.
   */
  const rolesInWorkspace = (identity: TokenIdentity) =>
    identity.audiences.includes(deps.apiAudience) ? identity.roles : workspaceRoles(identity);

  const refuseToken = (request: FastifyRequest, reply: FastifyReply, error: TokenError) => {
    if (error.kind === "Unavailable") return sendAirlockError(request, reply, error);
    return sendProblem(request, reply, problem("Unauthorized", error.message));
  };

  /** The token's identity, or `undefined` once the refusal has been sent. */
  const authenticate = async (
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
  ): Promise<TokenIdentity | undefined> => {
    const verified = await deps.verify(token);
    if (verified.isErr()) {
      refuseToken(request, reply, verified.error);
      return undefined;
    }
    return verified.value;
  };

  /**
   * The caller's identity, or `undefined` once the refusal has been sent. A token verified before
   * is answered at once, without waiting on the verifier.
   */
  const identityOf = (
    request: FastifyRequest,
    reply: FastifyReply,
  ): TokenIdentity | undefined | Promise<TokenIdentity | undefined> => {
    const token = bearerToken(request.headers.authorization);
    if (!token) {
      sendProblem(request, reply, problem("Unauthorized", "a bearer token is required"));
      return undefined;
    }
    return deps.verify.known(token) ?? authenticate(request, reply, token);
  };

  return {
    workspace: ({ treAdmin }) =>
      async function workspaceGuard(request, reply) {
        const identity = await identityOf(request, reply);
        if (!identity) return reply;
        const workspaceId = (request.params as { ws?: string }).ws ?? "";
        const found = await deps.workspaces.get(workspaceId);
        if (found.isErr()) {
          return found.error.kind === "NotFound"
            ? sendProblem(request, reply, problem("NotFound", `workspace ${workspaceId} not found`))
            : sendAirlockError(request, reply, found.error);
        }
        const workspace = found.value;
        let actor: Actor;
        if (identity.audiences.includes(workspace.clientId)) {
          actor = workspaceActor(identity, rolesInWorkspace);
        } else if (
          treAdmin &&
          identity.audiences.includes(deps.apiAudience) &&
          identity.roles.includes("TREAdmin")
        ) {
          actor = treActor(identity, treRoles);
        } else {
          return sendProblem(
            request,
            reply,
            problem("Unauthorized", "the token's audience is not this workspace"),
          );
        }
        const admitted = slots(request);
        admitted[ACTOR] = actor;
        admitted[WORKSPACE] = workspace;
        return undefined;
      },

    api: ({ role }) =>
      async function apiGuard(request, reply) {
        const identity = await identityOf(request, reply);
        if (!identity) return reply;
        if (!identity.audiences.includes(deps.apiAudience)) {
          return sendProblem(request, reply, problem("Unauthorized", "the token's audience is not this API"));
        }
        const actor = treActor(identity, treRoles);
        if (role && !actor.roles.includes(role)) {
          return sendProblem(request, reply, problem("Forbidden", `this needs the ${role} role`));
        }
        slots(request)[ACTOR] = actor;
        return undefined;
      },

    actorOf: (request) => {
      const actor = slots(request)[ACTOR];
      if (!actor) throw new Error(`no guard admitted ${request.method} ${request.routeOptions.url}`);
      return actor;
    },

    workspaceOf: (request) => {
      const workspace = slots(request)[WORKSPACE];
      if (!workspace)
        throw new Error(`no workspace guard ran for ${request.method} ${request.routeOptions.url}`);
      return workspace;
    },

    decorate: (app) => {
      app.decorateRequest(ACTOR, null);
      app.decorateRequest(WORKSPACE, null);
    },
  };
};
