import type { Actor } from "../model/actor.js";
import type { AirlockRequest, Comment, Review, Vote } from "../model/request.js";
import type { WorkspacePolicy } from "../model/workspace.js";
import { mayAttempt } from "./permissions.js";
import { isTurnOpen } from "./status-meta.js";

type Viewer = Pick<Actor, "id" | "roles">;

/** Those who may review the request: an airlock manager who is not its requester. */
export const isReviewerOf = (request: Pick<AirlockRequest, "createdBy">, viewer: Viewer): boolean =>
  mayAttempt("review", viewer.roles) && viewer.id !== request.createdBy.id;

/** Whether `viewer` has voted on every active file in the current turn (or decided the whole request). */
export const hasVotedOnEveryFile = (
  request: Pick<AirlockRequest, "files" | "votes" | "reviews" | "turn">,
  viewer: Viewer,
): boolean =>
  request.reviews.some((review) => review.turn === request.turn && review.reviewer.id === viewer.id) ||
  request.files
    .filter((file) => file.state === "active")
    .every((file) =>
      request.votes.some(
        (vote) => vote.turn === request.turn && vote.file === file.name && vote.reviewer.id === viewer.id,
      ),
    );

/**
 * What of the review the viewer may read now:
 * - a reviewer-only comment, only those who may review the request, never its requester;
 * - votes and decisions of a turn still under review, only reviewers; with `independentReview`, a
 *   reviewer reads other reviewers' current-turn votes, decisions and reviewer-only comments only
 *   once they have voted on every active file themselves.
 */
export interface ReviewVisibility {
  readonly comment: (comment: Comment) => boolean;
  readonly vote: (vote: Vote) => boolean;
  readonly review: (review: Review) => boolean;
}

export const reviewVisibility = (
  request: Pick<AirlockRequest, "createdBy" | "files" | "votes" | "reviews" | "turn" | "status">,
  policy: Pick<WorkspacePolicy, "independentReview">,
  viewer: Viewer,
): ReviewVisibility => {
  const reviewer = isReviewerOf(request, viewer);
  const open = isTurnOpen(request.status);
  const ofOpenTurn = (turn: number) => open && turn === request.turn;
  // Only while the turn is open, and only until the reviewer has judged every file.
  const independent =
    reviewer && open && (policy.independentReview ?? false) && !hasVotedOnEveryFile(request, viewer);
  const hiddenFromReviewer = (author: string, turn: number) =>
    independent && author !== viewer.id && turn === request.turn;
  return {
    comment: (comment) =>
      comment.visibility === "everyone"
        ? true
        : reviewer && !hiddenFromReviewer(comment.author.id, comment.turn),
    vote: (vote) => (reviewer ? !hiddenFromReviewer(vote.reviewer.id, vote.turn) : !ofOpenTurn(vote.turn)),
    review: (review) =>
      reviewer ? !hiddenFromReviewer(review.reviewer.id, review.turn) : !ofOpenTurn(review.turn),
  };
};

/** The request as `viewer` may read it: comments, votes and decisions they may not see left out. */
export const visibleTo = (
  request: AirlockRequest,
  policy: Pick<WorkspacePolicy, "independentReview">,
  viewer: Viewer,
): AirlockRequest => {
  const may = reviewVisibility(request, policy, viewer);
  return {
    ...request,
    comments: request.comments.filter(may.comment),
    votes: request.votes.filter(may.vote),
    reviews: request.reviews.filter(may.review),
  };
};
