import type { Airlock, LinkView, RequestList, RequestView } from "@airlock/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Guard } from "../auth/guard.js";
import {
  LinkSchema,
  ListRequestsQuery,
  NewRequestBody,
  problemResponses,
  RequestListSchema,
  RequestParams,
  RequestViewSchema,
  ReviewBody,
  RevokeBody,
  UserRequestsQuery,
  WorkspaceParams,
} from "../schemas.js";
import { respond } from "./respond.js";

export interface RequestRoutesDeps {
  readonly airlock: Airlock;
  readonly guard: Guard;
  /** The containerUrl a caller receives for a link the service granted. */
  readonly containerUrl: (request: FastifyRequest, requestId: string, link: LinkView) => string;
}

const security = [{ bearerAuth: [] }];
const tags = ["requests"];

const view = (value: RequestView) => value;
const page = (list: RequestList) => ({ airlockRequests: list.items, continuation: list.continuation });

/** The upstream Azure TRE airlock routes. */
export const registerRequestRoutes = (root: FastifyInstance, deps: RequestRoutesDeps): void => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { airlock, guard } = deps;
  // Workspace-audience tokens only; TREAdmin on the API audience is admitted where noted.
  const member = guard.workspace({ treAdmin: false });
  const memberOrAdmin = guard.workspace({ treAdmin: true });
  const base = "/api/workspaces/:ws/requests";

  app.post(
    base,
    {
      onRequest: member,
      schema: {
        tags,
        security,
        operationId: "createRequest",
        summary: "Create a draft request",
        params: WorkspaceParams,
        body: NewRequestBody,
        response: { 201: RequestViewSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      respond(
        request,
        reply,
        airlock.create(guard.actorOf(request), request.params.ws, request.body as unknown),
        view,
        201,
      ),
  );

  app.get(
    base,
    {
      onRequest: memberOrAdmin,
      schema: {
        tags,
        security,
        operationId: "listRequests",
        summary: "List a workspace's requests (paged)",
        params: WorkspaceParams,
        querystring: ListRequestsQuery,
        response: { 200: RequestListSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      respond(
        request,
        reply,
        airlock.list(guard.actorOf(request), request.params.ws, request.query as object),
        page,
      ),
  );

  app.get(
    `${base}/:id`,
    {
      onRequest: memberOrAdmin,
      schema: {
        tags,
        security,
        operationId: "getRequest",
        summary: "Get one request",
        params: RequestParams,
        response: { 200: RequestViewSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      respond(
        request,
        reply,
        airlock.get(guard.actorOf(request), request.params.ws, request.params.id),
        view,
      ),
  );

  app.get(
    `${base}/:id/link`,
    {
      onRequest: member,
      schema: {
        tags,
        security,
        operationId: "getRequestLink",
        summary: "Get a link to the request's container in its current stage",
        params: RequestParams,
        response: { 200: LinkSchema, ...problemResponses },
      },
    },
    (request, reply) => {
      // The answer is a bearer URL: no cache, shared or private, may keep it.
      reply.header("cache-control", "no-store");
      return respond(
        request,
        reply,
        airlock.link(guard.actorOf(request), request.params.ws, request.params.id),
        (link) => ({
          containerUrl: deps.containerUrl(request, request.params.id, link),
        }),
      );
    },
  );

  const command = (action: "submit" | "cancel", admitted: typeof member, summary: string) =>
    app.post(
      `${base}/:id/${action}`,
      {
        onRequest: admitted,
        schema: {
          tags,
          security,
          operationId: `${action}Request`,
          summary,
          params: RequestParams,
          response: { 200: RequestViewSchema, ...problemResponses },
        },
      },
      (request, reply) =>
        respond(
          request,
          reply,
          airlock[action](guard.actorOf(request), request.params.ws, request.params.id),
          view,
        ),
    );
  command("submit", member, "Submit a draft for scanning and review");
  command("cancel", memberOrAdmin, "Cancel a request (requester, WorkspaceOwner, TREAdmin)");

  /** Review and revoke: a decision with a body, answered with the updated request. */
  const decision = (
    action: "review" | "revoke",
    body: typeof ReviewBody | typeof RevokeBody,
    summary: string,
  ) =>
    app.post(
      `${base}/:id/${action}`,
      {
        onRequest: member,
        schema: {
          tags,
          security,
          operationId: `${action}Request`,
          summary,
          params: RequestParams,
          body,
          response: { 200: RequestViewSchema, ...problemResponses },
        },
      },
      (request, reply) =>
        respond(
          request,
          reply,
          airlock[action](
            guard.actorOf(request),
            request.params.ws,
            request.params.id,
            request.body as unknown,
          ),
          view,
        ),
    );
  decision(
    "review",
    ReviewBody,
    "Approve or reject a request in review (AirlockManager, never the requester)",
  );
  decision("revoke", RevokeBody, "Revoke an approved request; its links stop working");

  app.get(
    "/api/requests",
    {
      onRequest: guard.api({}),
      schema: {
        tags,
        security,
        operationId: "listOwnOrReviewableRequests",
        summary: "The caller's own requests, or those awaiting the caller's review (airlock_manager=true)",
        querystring: UserRequestsQuery,
        response: { 200: RequestListSchema, ...problemResponses },
      },
    },
    (request, reply) =>
      respond(
        request,
        reply,
        airlock.listForUser(guard.actorOf(request), {
          airlockManager: request.query.airlock_manager === "true",
          page_size: request.query.page_size,
          ...(request.query.continuation === undefined ? {} : { continuation: request.query.continuation }),
        }),
        page,
      ),
  );
};
