import type { Actor, Airlock, Role, TreRole, Workspace, WorkspaceDirectory } from "@airlock/core";
import { quoted } from "@airlock/core";
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import { problem, sendAirlockError, sendProblem } from "../problem.js";
import {
  bearerToken,
  type TokenError,
  type TokenIdentity,
  type TokenSubject,
  type TokenVerifier,
} from "./verifier.js";

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

/** The workspace a route's path names, if it names one. */
const addressedWorkspace = (request: FastifyRequest): string | null =>
  (request.params as { ws?: string }).ws || null;

/** What a refused call asked for, in the words of the route rather than the caller's path. */
const attempted = (request: FastifyRequest): string => {
  const id = (request.params as { id?: unknown }).id;
  const route = `${request.method} ${request.routeOptions.url ?? "?"}`;
  return typeof id === "string" ? `${route}, request ${quoted(id, 128)}` : route;
};

export const createGuard = (deps: {
  readonly verify: TokenVerifier;
  readonly workspaces: WorkspaceDirectory;
  readonly apiAudience: string;
  /** Where refusals of callers whose identity is known are recorded (the engine's audit trail). */
  readonly denials: Pick<Airlock, "recordDenial">;
}): Guard => {
  const workspaceActor = actorCache();
  const treActor = actorCache();
  /**
   * A workspace's app registration is the workspace's to define, roles included: its tokens carry
   * workspace roles only. TRE roles count when the token is also for the API's own audience.
   */
  const rolesInWorkspace = (identity: TokenIdentity) =>
    identity.audiences.includes(deps.apiAudience) ? identity.roles : workspaceRoles(identity);

  /**
   * Refuses a caller whose identity the token proves (a matching signature): the refusal is
   * recorded in the addressed workspace's audit stream, or the TRE-wide one, then answered.
   */
  const refuseKnown = async (
    request: FastifyRequest,
    reply: FastifyReply,
    subject: TokenSubject,
    workspaceId: string | null,
    refusal: { readonly code: "Unauthorized" | "Forbidden"; readonly message: string },
  ) => {
    const recorded = await deps.denials.recordDenial({
      subject: { id: subject.id, name: subject.name },
      workspaceId,
      requestId: null,
      action: refusal.code === "Unauthorized" ? "authenticate" : "authorize",
      code: refusal.code,
      message: `${refusal.message} (${attempted(request)})`,
    });
    // The caller is refused either way; a refusal the audit log could not take is logged instead.
    if (recorded.isErr()) {
      request.log.error(
        { err: { kind: recorded.error.kind, message: recorded.error.message } },
        "a refusal was not audited",
      );
    }
    return sendProblem(request, reply, problem(refusal.code, refusal.message));
  };

  const refuseToken = async (
    request: FastifyRequest,
    reply: FastifyReply,
    error: TokenError,
    workspaceId: string | null,
  ) => {
    if (error.kind === "Unavailable") return sendAirlockError(request, reply, error);
    if (error.subject) {
      return refuseKnown(request, reply, error.subject, workspaceId, {
        code: "Unauthorized",
        message: error.message,
      });
    }
    return sendProblem(request, reply, problem("Unauthorized", error.message));
  };

  /** The token's identity, or `undefined` once the refusal has been sent. */
  const authenticate = async (
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    workspaceId: string | null,
  ): Promise<TokenIdentity | undefined> => {
    const verified = await deps.verify(token);
    if (verified.isErr()) {
      await refuseToken(request, reply, verified.error, workspaceId);
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
    workspaceId: string | null,
  ): TokenIdentity | undefined | Promise<TokenIdentity | undefined> => {
    const token = bearerToken(request.headers.authorization);
    if (!token) {
      sendProblem(request, reply, problem("Unauthorized", "a bearer token is required"));
      return undefined;
    }
    return deps.verify.known(token) ?? authenticate(request, reply, token, workspaceId);
  };

  return {
    workspace: ({ treAdmin }) =>
      async function workspaceGuard(request, reply) {
        const identity = await identityOf(request, reply, addressedWorkspace(request));
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
          return refuseKnown(request, reply, identity, workspace.id, {
            code: "Unauthorized",
            message: "the token's audience is not this workspace",
          });
        }
        const admitted = slots(request);
        admitted[ACTOR] = actor;
        admitted[WORKSPACE] = workspace;
        return undefined;
      },

    api: ({ role }) =>
      async function apiGuard(request, reply) {
        const identity = await identityOf(request, reply, null);
        if (!identity) return reply;
        if (!identity.audiences.includes(deps.apiAudience)) {
          return refuseKnown(request, reply, identity, null, {
            code: "Unauthorized",
            message: "the token's audience is not this API",
          });
        }
        const actor = treActor(identity, treRoles);
        if (role && !actor.roles.includes(role)) {
          return refuseKnown(request, reply, identity, null, {
            code: "Forbidden",
            message: `this needs the ${role} role`,
          });
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
