import {
  type Workspace,
  WorkspacePolicySchema,
  type WorkspaceRegistry,
  WorkspaceSchema,
} from "@airlock/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { z } from "zod";
import { DEFAULT_API_AUDIENCE } from "../auth/config.js";
import type { Guard } from "../auth/guard.js";
import { problem, sendAirlockError, sendProblem } from "../problem.js";
import {
  problemResponses,
  WorkspaceParams,
  WorkspaceRegistrationBody,
  WorkspaceRegistrationSchema,
  WorkspaceViewSchema,
} from "../schemas.js";
import { MALFORMED_JSON } from "./respond.js";

const security = [{ bearerAuth: [] }];
const tags = ["workspaces"];

const viewOf = (workspace: Workspace) => ({
  id: workspace.id,
  displayName: workspace.displayName,
  clientId: workspace.clientId,
  airlock: workspace.policy,
  members: workspace.members,
});

const issuesOf = (error: z.ZodError, prefix = "") =>
  error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join("."),
    message: issue.message,
  }));

/**
 * Ids and client ids no workspace may take: a workspace whose audience were the API's would take
 * every API token as its own, and one named like it would read as the API in logs and audits.
 */
const reservedNames = (apiAudience: string) =>
  new Set([apiAudience, DEFAULT_API_AUDIENCE].map((name) => name.toLowerCase()));

/**
 * Registering workspaces (TRE admins, on the API audience) in the workspace registry the
 * application passes. A client id names one workspace's tokens, so no two workspaces share one.
 * The check is here rather than in each registry: only the API knows its own audience, and the
 * rule spans workspaces (Cosmos DB keeps unique keys per partition, and a workspace is its own).
 * Registration is a rare administrator's step; two racing registrations are not serialised.
 */
export const registerWorkspaceRoutes = (
  root: FastifyInstance,
  deps: { readonly guard: Guard; readonly workspaces: WorkspaceRegistry; readonly apiAudience: string },
): void => {
  const reserved = reservedNames(deps.apiAudience);
  const app = root.withTypeProvider<ZodTypeProvider>();
  const admin = deps.guard.api({ role: "TREAdmin" });

  app.put(
    "/api/workspaces/:ws",
    {
      onRequest: admin,
      schema: {
        tags,
        security,
        operationId: "registerWorkspace",
        summary: "Register or replace a workspace, its airlock policy and its members (TREAdmin)",
        params: WorkspaceParams,
        body: WorkspaceRegistrationBody,
        response: { 200: WorkspaceViewSchema, 201: WorkspaceViewSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const body: unknown = request.body;
      if (body === MALFORMED_JSON) {
        return sendProblem(
          request,
          reply,
          problem("InvalidInput", "the body is not valid JSON", {
            errors: [{ path: "", message: "malformed JSON" }],
          }),
        );
      }
      const registration = WorkspaceRegistrationSchema.safeParse(body);
      if (!registration.success) {
        return sendProblem(
          request,
          reply,
          problem("InvalidInput", "the workspace is not valid", { errors: issuesOf(registration.error) }),
        );
      }
      const { displayName, clientId, airlock, members } = registration.data;
      const workspace = WorkspaceSchema.safeParse({
        id: request.params.ws,
        displayName,
        clientId: clientId ?? request.params.ws,
        policy: WorkspacePolicySchema.parse(airlock ?? {}),
        members,
      });
      if (!workspace.success) {
        // Only the id can fail here: everything else passed the registration schema.
        return sendProblem(
          request,
          reply,
          problem("InvalidInput", "the workspace id is not valid", { errors: issuesOf(workspace.error) }),
        );
      }
      const refusals = [
        { path: "id", value: workspace.data.id },
        { path: "clientId", value: workspace.data.clientId },
      ]
        .filter(({ value }) => reserved.has(value.toLowerCase()))
        .map(({ path, value }) => ({ path, message: `"${value}" is reserved for the airlock API itself` }));
      if (refusals.length > 0) {
        return sendProblem(
          request,
          reply,
          problem("InvalidInput", "the workspace uses a reserved name", { errors: refusals }),
        );
      }
      const all = await deps.workspaces.list();
      if (all.isErr()) return sendAirlockError(request, reply, all.error);
      const sharing = all.value.find(
        (other) => other.id !== workspace.data.id && other.clientId === workspace.data.clientId,
      );
      if (sharing !== undefined) {
        return sendProblem(
          request,
          reply,
          problem(
            "Conflict",
            `client id ${workspace.data.clientId} already belongs to workspace ${sharing.id}: each workspace needs its own app registration`,
          ),
        );
      }
      const existing = await deps.workspaces.get(workspace.data.id);
      if (existing.isErr() && existing.error.kind !== "NotFound")
        return sendAirlockError(request, reply, existing.error);
      const stored = await deps.workspaces.put(workspace.data);
      if (stored.isErr()) return sendAirlockError(request, reply, stored.error);
      request.log.info({ workspaceId: stored.value.id, replaced: existing.isOk() }, "workspace registered");
      return reply.code(existing.isOk() ? 200 : 201).send(viewOf(stored.value));
    },
  );

  app.get(
    "/api/workspaces/:ws",
    {
      onRequest: admin,
      schema: {
        tags,
        security,
        operationId: "getWorkspace",
        summary: "A registered workspace (TREAdmin)",
        params: WorkspaceParams,
        response: { 200: WorkspaceViewSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const found = await deps.workspaces.get(request.params.ws);
      if (found.isErr()) {
        return found.error.kind === "NotFound"
          ? sendProblem(request, reply, problem("NotFound", `workspace ${request.params.ws} not found`))
          : sendAirlockError(request, reply, found.error);
      }
      return reply.send(viewOf(found.value));
    },
  );
};
