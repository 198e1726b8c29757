import type { Airlock } from "@airlock/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Guard } from "../auth/guard.js";
import {
  AuditTrailQuery,
  AuditTrailSchema,
  AuditVerificationSchema,
  problemResponses,
  RequestParams,
  WorkspaceParams,
} from "../schemas.js";
import { respond } from "./respond.js";

const security = [{ bearerAuth: [] }];
const tags = ["audit"];
const same = <T>(value: T) => value;

/**
 * The audit trails, a page at a time, and their verification as separate reads: a page is cheap
 * whatever the trail's length, a verification walks the whole trail.
 */
export const registerAuditRoutes = (
  root: FastifyInstance,
  deps: { readonly airlock: Airlock; readonly guard: Guard },
): void => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { airlock, guard } = deps;
  // Workspace-audience tokens, and TREAdmin on the API audience; the permission table decides the rest.
  const memberOrAdmin = guard.workspace({ treAdmin: true });
  // Any token for the API audience, acting with its TRE roles; the permission table decides who reads.
  const apiCaller = guard.api({});

  app.get(
    "/api/workspaces/:ws/requests/:id/audit",
    {
      onRequest: memberOrAdmin,
      schema: {
        tags,
        security,
        operationId: "getAuditTrail",
        summary: "A page of the request's audit trail, in seq order (verify it with …/audit/verification)",
        params: RequestParams,
        querystring: AuditTrailQuery,
        response: { 200: AuditTrailSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      respond(
        request,
        reply,
        airlock.auditTrail(guard.actorOf(request), request.params.ws, request.params.id, request.query),
        same,
      ),
  );

  app.get(
    "/api/workspaces/:ws/requests/:id/audit/verification",
    {
      onRequest: memberOrAdmin,
      schema: {
        tags,
        security,
        operationId: "verifyAuditTrail",
        summary: "Verify the request's whole audit trail: keyed hash chain and latest signed checkpoint",
        params: RequestParams,
        response: { 200: AuditVerificationSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      respond(
        request,
        reply,
        airlock.verifyAuditTrail(guard.actorOf(request), request.params.ws, request.params.id),
        same,
      ),
  );

  app.get(
    "/api/workspaces/:ws/audit",
    {
      onRequest: memberOrAdmin,
      schema: {
        tags,
        security,
        operationId: "getWorkspaceAuditTrail",
        summary:
          "A page of the workspace's own audit trail: refusals made before any request was read (TREAdmin)",
        params: WorkspaceParams,
        querystring: AuditTrailQuery,
        response: { 200: AuditTrailSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      respond(
        request,
        reply,
        airlock.workspaceAuditTrail(guard.actorOf(request), request.params.ws, request.query),
        same,
      ),
  );

  app.get(
    "/api/workspaces/:ws/audit/verification",
    {
      onRequest: memberOrAdmin,
      schema: {
        tags,
        security,
        operationId: "verifyWorkspaceAuditTrail",
        summary: "Verify the workspace's whole audit trail (TREAdmin)",
        params: WorkspaceParams,
        response: { 200: AuditVerificationSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      respond(
        request,
        reply,
        airlock.verifyAuditTrail(guard.actorOf(request), request.params.ws, null),
        same,
      ),
  );

  app.get(
    "/api/audit",
    {
      onRequest: apiCaller,
      schema: {
        tags,
        security,
        operationId: "getTreAuditTrail",
        summary:
          "A page of the TRE-wide audit trail: refusals that named no workspace that exists (TREAdmin)",
        querystring: AuditTrailQuery,
        response: { 200: AuditTrailSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      respond(request, reply, airlock.treAuditTrail(guard.actorOf(request), request.query), same),
  );

  app.get(
    "/api/audit/verification",
    {
      onRequest: apiCaller,
      schema: {
        tags,
        security,
        operationId: "verifyTreAuditTrail",
        summary: "Verify the whole TRE-wide audit trail (TREAdmin)",
        response: { 200: AuditVerificationSchema, ...problemResponses },
      },
    },
    (request, reply) => respond(request, reply, airlock.verifyTreAuditTrail(guard.actorOf(request)), same),
  );
};
