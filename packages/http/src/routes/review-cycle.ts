import type { Airlock, Comment, RequestView, TurnChanges } from "@airlock/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Guard } from "../auth/guard.js";
import {
  CommentBody,
  CommentListSchema,
  CommentViewSchema,
  FileContextBody,
  problemResponses,
  RequestFileParams,
  RequestParams,
  RequestViewSchema,
  ReturnBody,
  TurnChangesSchema,
  VoteBody,
} from "../schemas.js";
import { respond } from "./respond.js";

export interface ReviewCycleRoutesDeps {
  readonly airlock: Airlock;
  readonly guard: Guard;
}

const security = [{ bearerAuth: [] }];
const tags = ["requests"];

const view = (value: RequestView) => value;
const comment = (value: Comment) => value;
const commentList = (comments: readonly Comment[]) => ({ comments });
const changes = (value: TurnChanges) => value;

/**
 * Review cycles: votes per file, returning a request for changes, comments, withdrawing a file,
 * a file's context, and what changed since the previous turn. The engine decides who may do what
 * and what each caller may read (its answers already leave out what the caller may not see); these
 * routes only carry its answers. Workspace-audience tokens only.
 */
export const registerReviewCycleRoutes = (root: FastifyInstance, deps: ReviewCycleRoutesDeps): void => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { airlock, guard } = deps;
  const member = guard.workspace({ treAdmin: false });
  const request = "/api/workspaces/:ws/requests/:id";
  const file = `${request}/files/:name`;

  app.put(
    `${file}/vote`,
    {
      onRequest: member,
      schema: {
        tags,
        security,
        operationId: "voteOnFile",
        summary: "Record or change the caller's vote on one file of a request in review",
        description:
          "An AirlockManager who is not the requester, until they decide the request in this turn. The optional comment is for the other reviewers only. The vote that gives every active file its required approvals approves the request.",
        params: RequestFileParams,
        body: VoteBody,
        response: { 200: RequestViewSchema, ...problemResponses },
      },
    },
    (call, reply) =>
      respond(
        call,
        reply,
        airlock.vote(
          guard.actorOf(call),
          call.params.ws,
          call.params.id,
          call.params.name,
          call.body as unknown,
        ),
        view,
      ),
  );

  app.post(
    `${request}/return`,
    {
      onRequest: member,
      schema: {
        tags,
        security,
        operationId: "returnRequest",
        summary: "Return a request in review to its requester for changes",
        description:
          "An AirlockManager who is not the requester and has not decided in this turn. At least one comment must be for `everyone` (the default), so the requester learns what to change.",
        params: RequestParams,
        body: ReturnBody,
        response: { 200: RequestViewSchema, ...problemResponses },
      },
    },
    (call, reply) =>
      respond(
        call,
        reply,
        airlock.returnForChanges(guard.actorOf(call), call.params.ws, call.params.id, call.body as unknown),
        view,
      ),
  );

  app.post(
    `${request}/comments`,
    {
      onRequest: member,
      schema: {
        tags,
        security,
        operationId: "addComment",
        summary: "Comment on a request or one of its files",
        description:
          "Anyone who may read the request, while it is not final. Only an AirlockManager who is not the requester writes `reviewers` comments.",
        params: RequestParams,
        body: CommentBody,
        response: { 201: CommentViewSchema, ...problemResponses },
      },
    },
    (call, reply) =>
      respond(
        call,
        reply,
        airlock.addComment(guard.actorOf(call), call.params.ws, call.params.id, call.body as unknown),
        comment,
        201,
      ),
  );

  app.get(
    `${request}/comments`,
    {
      onRequest: member,
      schema: {
        tags,
        security,
        operationId: "listComments",
        summary: "The comments on a request that the caller may read",
        params: RequestParams,
        response: { 200: CommentListSchema, ...problemResponses },
      },
    },
    (call, reply) =>
      respond(
        call,
        reply,
        airlock.comments(guard.actorOf(call), call.params.ws, call.params.id),
        commentList,
      ),
  );

  app.post(
    `${file}/withdraw`,
    {
      onRequest: member,
      schema: {
        tags,
        security,
        operationId: "withdrawFile",
        summary: "Withdraw a file: its bytes are deleted, and it is never reviewed nor released",
        description: "The requester, in `draft` or `changes_requested`.",
        params: RequestFileParams,
        response: { 200: RequestViewSchema, ...problemResponses },
      },
    },
    (call, reply) =>
      respond(
        call,
        reply,
        airlock.withdrawFile(guard.actorOf(call), call.params.ws, call.params.id, call.params.name),
        view,
      ),
  );

  app.patch(
    file,
    {
      onRequest: member,
      schema: {
        tags,
        security,
        operationId: "setFileContext",
        summary: "Set a file's description and disclosure controls",
        description:
          "The requester, in `draft` or `changes_requested`, for a file the request holds. A field left out keeps its value.",
        params: RequestFileParams,
        body: FileContextBody,
        response: { 200: RequestViewSchema, ...problemResponses },
      },
    },
    (call, reply) =>
      respond(
        call,
        reply,
        airlock.setFileContext(
          guard.actorOf(call),
          call.params.ws,
          call.params.id,
          call.params.name,
          call.body as unknown,
        ),
        view,
      ),
  );

  app.get(
    `${request}/changes`,
    {
      onRequest: member,
      schema: {
        tags,
        security,
        operationId: "getTurnChanges",
        summary: "Per file, what changed since the previous turn: added, changed, unchanged, withdrawn",
        params: RequestParams,
        response: { 200: TurnChangesSchema, ...problemResponses },
      },
    },
    (call, reply) =>
      respond(call, reply, airlock.changes(guard.actorOf(call), call.params.ws, call.params.id), changes),
  );
};
