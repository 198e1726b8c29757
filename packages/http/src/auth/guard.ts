import type { Actor, Role, TreRole, Workspace, WorkspaceDirectory } from "@airlock/core";
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import { problem, sendAirlockError, sendProblem } from "../problem.js";
import { bearerToken, type TokenError, type TokenIdentity, type TokenVerifier } from "./verifier.js";

const TRE_ROLES: readonly Role[] = ["TREUser", "TREAdmin"];

export interface Guard {
  /**
   * Workspace routes: a valid token (401), a known workspace (404), a token for that workspace
   * (401). With `treAdmin`, a token for the API audience that carries TREAdmin is accepted too, and
   * acts with its TRE roles only: the service then decides what TREAdmin may do.
   */
  workspace(options: { readonly treAdmin: boolean }): onRequestHookHandler;
  /** TRE-wide routes: a valid token for the API audience (401) holding `role` when given (403). */
  api(options: { readonly role?: TreRole }): onRequestHookHandler;
  /** The caller that a guard admitted. */
  actorOf(request: FastifyRequest): Actor;
  /** The workspace a workspace guard found. */
  workspaceOf(request: FastifyRequest): Workspace;
}

const asActor = (identity: TokenIdentity, roles: readonly Role[]): Actor => ({
  id: identity.id,
  name: identity.name,
  email: identity.email,
  roles: [...roles],
});

export const createGuard = (deps: {
  readonly verify: TokenVerifier;
  readonly workspaces: WorkspaceDirectory;
  readonly apiAudience: string;
}): Guard => {
  const actors = new WeakMap<FastifyRequest, Actor>();
  const workspaces = new WeakMap<FastifyRequest, Workspace>();

  const refuseToken = (request: FastifyRequest, reply: FastifyReply, error: TokenError) => {
    if (error.kind === "Unavailable") return sendAirlockError(request, reply, error);
    return sendProblem(request, reply, problem("Unauthorized", error.message));
  };

  /** The token's identity, or `undefined` once the refusal has been sent. */
  const authenticate = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<TokenIdentity | undefined> => {
    const token = bearerToken(request.headers.authorization);
    if (!token) {
      sendProblem(request, reply, problem("Unauthorized", "a bearer token is required"));
      return undefined;
    }
    const verified = await deps.verify(token);
    if (verified.isErr()) {
      refuseToken(request, reply, verified.error);
      return undefined;
    }
    return verified.value;
  };

  return {
    workspace: ({ treAdmin }) =>
      async function workspaceGuard(request, reply) {
        const identity = await authenticate(request, reply);
        if (!identity) return reply;
        const workspaceId = (request.params as { ws?: string }).ws ?? "";
        const found = await deps.workspaces.get(workspaceId);
        if (found.isErr()) {
          return found.error.kind === "NotFound"
            ? sendProblem(request, reply, problem("NotFound", `workspace ${workspaceId} not found`))
            : sendAirlockError(request, reply, found.error);
        }
        const workspace = found.value;
        let roles: readonly Role[];
        if (identity.audiences.includes(workspace.clientId)) {
          roles = identity.roles;
        } else if (
          treAdmin &&
          identity.audiences.includes(deps.apiAudience) &&
          identity.roles.includes("TREAdmin")
        ) {
          roles = identity.roles.filter((role) => TRE_ROLES.includes(role));
        } else {
          return sendProblem(
            request,
            reply,
            problem("Unauthorized", "the token's audience is not this workspace"),
          );
        }
        actors.set(request, asActor(identity, roles));
        workspaces.set(request, workspace);
        return undefined;
      },

    api: ({ role }) =>
      async function apiGuard(request, reply) {
        const identity = await authenticate(request, reply);
        if (!identity) return reply;
        if (!identity.audiences.includes(deps.apiAudience)) {
          return sendProblem(request, reply, problem("Unauthorized", "the token's audience is not this API"));
        }
        const roles = identity.roles.filter((held) => TRE_ROLES.includes(held));
        if (role && !roles.includes(role)) {
          return sendProblem(request, reply, problem("Forbidden", `this needs the ${role} role`));
        }
        actors.set(request, asActor(identity, roles));
        return undefined;
      },

    actorOf: (request) => {
      const actor = actors.get(request);
      if (!actor) throw new Error(`no guard admitted ${request.method} ${request.routeOptions.url}`);
      return actor;
    },

    workspaceOf: (request) => {
      const workspace = workspaces.get(request);
      if (!workspace)
        throw new Error(`no workspace guard ran for ${request.method} ${request.routeOptions.url}`);
      return workspace;
    },
  };
};
