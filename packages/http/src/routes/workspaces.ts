import {
  type Airlock,
  createWorkspaceRegistrar,
  type GateType,
  WorkspacePolicySchema,
  type WorkspaceRegistry,
  WorkspaceSchema,
  workspaceViewOf,
} from "@airlock/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { z } from "zod";
import { DEFAULT_API_AUDIENCE } from "../auth/config.js";
import type { Guard } from "../auth/guard.js";
import { problem, sendAirlockError, sendProblem } from "../problem.js";
import {
  problemResponses,
  UploadRulesSchema,
  WorkspaceListSchema,
  WorkspaceParams,
  WorkspaceRegistrationBody,
  WorkspaceRegistrationSchema,
  WorkspaceViewSchema,
} from "../schemas.js";
import { MALFORMED_JSON, respond } from "./respond.js";

const security = [{ bearerAuth: [] }];
const tags = ["workspaces"];

const issuesOf = (error: z.ZodError, prefix = "") =>
  error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join("."),
    message: issue.message,
  }));

/**
 * The workspaces a caller works in, and what a workspace asks of uploaded files; registering
 * workspaces (TRE admins, on the API audience) in the workspace registry the application passes,
 * through core's registrar: no two workspaces share a client id, and neither the API's audience nor
 * the default one is a workspace's id or client id.
 */
export const registerWorkspaceRoutes = (
  root: FastifyInstance,
  deps: {
    readonly airlock: Airlock;
    readonly guard: Guard;
    readonly workspaces: WorkspaceRegistry;
    readonly apiAudience: string;
    /** The gate types the engine runs: a policy listing another is refused. */
    readonly gateTypes: readonly GateType[];
  },
): void => {
  const registrar = createWorkspaceRegistrar(deps.workspaces, {
    reservedNames: [deps.apiAudience, DEFAULT_API_AUDIENCE],
    gateTypes: deps.gateTypes,
  });
  const app = root.withTypeProvider<ZodTypeProvider>();
  const admin = deps.guard.api({ role: "TREAdmin" });

  app.get(
    "/api/workspaces",
    {
      onRequest: deps.guard.api({}),
      schema: {
        tags,
        security,
        operationId: "listWorkspaces",
        summary:
          "The workspaces whose members list names the caller, with the roles held there and each one's token audience (clientId); every workspace for a TREAdmin",
        response: { 200: WorkspaceListSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      respond(request, reply, deps.airlock.workspaces(deps.guard.actorOf(request)), (workspaces) => ({
        workspaces: [...workspaces],
      })),
  );

  app.get(
    "/api/workspaces/:ws/upload-rules",
    {
      onRequest: deps.guard.workspace({ treAdmin: false }),
      schema: {
        tags,
        security,
        operationId: "getUploadRules",
        summary:
          "What the workspace's policy asks of uploaded files (count, size, extensions), to check files before sending them",
        params: WorkspaceParams,
        response: { 200: UploadRulesSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      respond(
        request,
        reply,
        deps.airlock.uploadRules(deps.guard.actorOf(request), request.params.ws),
        (rules) => ({ ...rules, allowedExtensions: rules.allowedExtensions && [...rules.allowedExtensions] }),
      ),
  );

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
      const registered = await registrar.register(workspace.data);
      if (registered.isErr()) return sendAirlockError(request, reply, registered.error);
      const { workspace: stored, replaced } = registered.value;
      request.log.info({ workspaceId: stored.id, replaced }, "workspace registered");
      return reply.code(replaced ? 200 : 201).send(workspaceViewOf(stored));
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
      return reply.send(workspaceViewOf(found.value));
    },
  );
};
