import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import { turnDecisions } from "../machine/review.js";
import { type Actor, userRef } from "../model/actor.js";
import { EVENT_TYPES } from "../model/events.js";
import type { Comment, Vote } from "../model/request.js";
import { loadCommandTarget, refuseCommand, viewOf } from "./access.js";
import { epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { VoteInput } from "./inputs.js";
import { type Outcome, parseInput } from "./outcome.js";
import { withStatus } from "./request-writer.js";
import { about, commitReviewChange, fileNameOf, noSuchFile, recordedFile } from "./review-cycle.js";
import type { RequestView } from "./types.js";

/**
 * One reviewer's vote on one active file in the current turn (`{vote, comment?}`); a later vote of
 * theirs replaces it, until they decide the whole request. The vote that gives every active file
 * its approvals approves the request. The comment explains the vote to the other reviewers only.
 */
export const voteOnFile = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
  fileName: string,
  input: unknown,
): Outcome<RequestView> => {
  const target = await loadCommandTarget(deps, actorInput, workspaceId, requestId, "vote");
  if (target.isErr()) return err(target.error);
  const { actor, workspace, request } = target.value;
  const body = parseInput(VoteInput, input);
  if (body.isErr()) return refuseCommand(deps, target.value, "vote", body.error);
  const file = fileNameOf(fileName);
  if (recordedFile(request, file) === undefined) {
    return refuseCommand(deps, target.value, "vote", noSuchFile(request, file));
  }

  const decision = decide(request.status, contextOf(request, workspace.policy, null), {
    type: "VOTE",
    actor: actorFacts(actor),
    file,
    vote: body.value.vote,
  });
  if (!decision.allowed) return refuseCommand(deps, target.value, "vote", refusalError(decision.refusal));

  const at = epochSeconds(deps.ports.clock);
  const reviewer = userRef(actor);
  const vote: Vote = { reviewer, file, vote: body.value.vote, turn: request.turn, dateCreated: at };
  const votes = [
    ...request.votes.filter(
      (v) => !(v.turn === request.turn && v.file === file && v.reviewer.id === actor.id),
    ),
    vote,
  ];
  const comment: Comment[] =
    body.value.comment === undefined
      ? []
      : [
          {
            id: deps.ports.ids.next(),
            author: reviewer,
            text: body.value.comment,
            file,
            visibility: "reviewers",
            turn: request.turn,
            dateCreated: at,
          },
        ];
  const voted = { ...request, votes, comments: [...request.comments, ...comment] };
  const approved = decision.to === "approval_in_progress";
  const next = withStatus(voted, decision.to, actor, at, {
    fileDecisions: approved
      ? [...request.fileDecisions, ...turnDecisions(voted, workspace.policy.requiredApprovals, "approved")]
      : request.fileDecisions,
  });
  // The audit trail names the file, not the vote: its readers include those who may not see the
  // votes of a turn still open (a requester who is a workspace owner, an independent reviewer).
  const stored = await commitReviewChange(deps, target.value, "vote", next, file);
  if (stored.isErr()) return err(stored.error);

  deps.announcements.reviewChange(stored.value, "vote", (envelope) => ({
    ...envelope,
    type: EVENT_TYPES.voteRecorded,
    data: { ...about(request), reviewer, file, vote: vote.vote },
  }));
  deps.scheduleProcessing(stored.value);
  return ok(viewOf(stored.value, workspace, actor));
};
