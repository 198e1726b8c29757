import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import { turnDecisions } from "../machine/review.js";
import { type Actor, userRef } from "../model/actor.js";
import { EVENT_TYPES } from "../model/events.js";
import type { Comment } from "../model/request.js";
import { loadCommandTarget, refuseCommand, viewOf } from "./access.js";
import { epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { ReturnInput } from "./inputs.js";
import { type Outcome, parseInput } from "./outcome.js";
import { withStatus } from "./request-writer.js";
import { about, commitReviewChange, fileNameOf, recordedFile } from "./review-cycle.js";
import type { RequestView } from "./types.js";

/**
 * Returns a request in review for changes (`{comments: [{text, file?, visibility?}]}`, `everyone`
 * unless said otherwise, at least one the requester may read). The turn ends: each file's decision
 * is recorded, the files are kept as they were for the next turn's changes, and the processor moves
 * the data back to the draft stage, where the requester may change it.
 */
export const returnRequest = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
  input: unknown,
): Outcome<RequestView> => {
  const target = await loadCommandTarget(deps, actorInput, workspaceId, requestId, "return");
  if (target.isErr()) return err(target.error);
  const { actor, workspace, request } = target.value;
  const body = parseInput(ReturnInput, input);
  if (body.isErr()) return refuseCommand(deps, target.value, "return", body.error);
  const comments = body.value.comments.map((c) => ({
    ...c,
    ...(c.file === undefined ? {} : { file: fileNameOf(c.file) }),
  }));
  const unknown = comments.flatMap((c, index) =>
    c.file !== undefined && recordedFile(request, c.file) === undefined
      ? [
          {
            path: `comments.${index}.file`,
            message: `the request has no file named ${JSON.stringify(c.file)}`,
          },
        ]
      : [],
  );
  if (unknown.length > 0) {
    return refuseCommand(deps, target.value, "return", {
      kind: "InvalidInput",
      message: "the input is not valid",
      issues: unknown,
    });
  }

  const decision = decide(request.status, contextOf(request, workspace.policy, null), {
    type: "RETURN",
    actor: actorFacts(actor),
    requesterComments: comments.filter((c) => c.visibility === "everyone").length,
  });
  if (!decision.allowed) return refuseCommand(deps, target.value, "return", refusalError(decision.refusal));

  const at = epochSeconds(deps.ports.clock);
  const author = userRef(actor);
  // The return's comments judge the turn that ends with it.
  const added: Comment[] = comments.map((c) => ({
    id: deps.ports.ids.next(),
    author,
    text: c.text,
    ...(c.file === undefined ? {} : { file: c.file }),
    visibility: c.visibility,
    turn: request.turn,
    dateCreated: at,
  }));
  const decisions = turnDecisions(request, workspace.policy.requiredApprovals, "returned");
  const active = request.files.filter((file) => file.state === "active").map((file) => file.name);
  const next = withStatus(request, decision.to, actor, at, {
    comments: [...request.comments, ...added],
    fileDecisions: [...request.fileDecisions, ...decisions],
    previousFiles: request.files,
    turn: request.turn + 1,
    // Back in the draft stage, the active files are the draft's again.
    draftFiles: active,
    statusMessage: `returned for changes by ${actor.name}: see the comments`,
  });
  const stored = await commitReviewChange(deps, target.value, "return", next, `${added.length} comment(s)`);
  if (stored.isErr()) return err(stored.error);

  deps.announcements.reviewChange(stored.value, "return", (envelope) => ({
    ...envelope,
    type: EVENT_TYPES.returned,
    data: {
      ...about(request),
      returnedBy: author,
      decisions: decisions.map(({ file, decision: d }) => ({ file, decision: d })),
    },
  }));
  deps.scheduleProcessing(stored.value);
  return ok(viewOf(stored.value, workspace, actor));
};
