import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import { reviewVisibility } from "../machine/visibility.js";
import { type Actor, userRef } from "../model/actor.js";
import { EVENT_TYPES } from "../model/events.js";
import type { AirlockRequest, Comment } from "../model/request.js";
import { loadAddressedRequest, loadCommandTarget, loadReader, refuseCommand } from "./access.js";
import { epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { CommentInput } from "./inputs.js";
import { type Outcome, parseInput } from "./outcome.js";
import { about, commitReviewChange, fileNameOf, noSuchFile } from "./review-cycle.js";

/** Whether the request knows a file by this name: recorded at a submit, or in its draft. */
const knowsFile = (request: AirlockRequest, name: string) =>
  request.files.some((file) => file.name === name) || request.draftFiles.includes(name);

/**
 * Adds a comment (`{text, file?, visibility}`) on the request or one of its files, in the current
 * turn. Only those who may review the request write `reviewers` comments. Answers the comment.
 */
export const addComment = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
  input: unknown,
): Outcome<Comment> => {
  const target = await loadCommandTarget(deps, actorInput, workspaceId, requestId, "comment");
  if (target.isErr()) return err(target.error);
  const { actor, workspace, request } = target.value;
  const body = parseInput(CommentInput, input);
  if (body.isErr()) return refuseCommand(deps, target.value, "comment", body.error);
  const file = body.value.file === undefined ? undefined : fileNameOf(body.value.file);
  if (file !== undefined && !knowsFile(request, file)) {
    return refuseCommand(deps, target.value, "comment", noSuchFile(request, file));
  }

  const decision = decide(request.status, contextOf(request, workspace.policy, null), {
    type: "COMMENT",
    actor: actorFacts(actor),
    visibility: body.value.visibility,
  });
  if (!decision.allowed) return refuseCommand(deps, target.value, "comment", refusalError(decision.refusal));

  const comment: Comment = {
    id: deps.ports.ids.next(),
    author: userRef(actor),
    text: body.value.text,
    ...(file === undefined ? {} : { file }),
    visibility: body.value.visibility,
    turn: request.turn,
    dateCreated: epochSeconds(deps.ports.clock),
  };
  const next = { ...request, comments: [...request.comments, comment] };
  const reason = `comment ${comment.id} for ${comment.visibility}`;
  const stored = await commitReviewChange(deps, target.value, "comment", next, reason);
  if (stored.isErr()) return err(stored.error);

  deps.announcements.reviewChange(stored.value, "comment", (envelope) => ({
    ...envelope,
    type: EVENT_TYPES.commentAdded,
    data: {
      ...about(request),
      commentId: comment.id,
      author: comment.author,
      file: comment.file ?? null,
      visibility: comment.visibility,
    },
  }));
  return ok(comment);
};

/** The comments of a request this caller may read, oldest first (see `reviewVisibility`). */
export const listComments = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
): Outcome<readonly Comment[]> => {
  const reader = await loadReader(deps, actorInput, workspaceId, "read", "comments", "reading comments");
  if (reader.isErr()) return err(reader.error);
  const { actor, workspace } = reader.value;
  const request = await loadAddressedRequest(deps, actor, workspaceId, requestId, "comments");
  if (request.isErr()) return err(request.error);
  const may = reviewVisibility(request.value, workspace.policy, actor);
  return ok(request.value.comments.filter(may.comment));
};
