import { ok } from "neverthrow";
import { userRef } from "../model/actor.js";
import type { AirlockRequest, RequestStatus, Review } from "../model/request.js";
import { type CommandTarget, failedWrite, viewOf } from "./access.js";
import { epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import type { Outcome } from "./outcome.js";
import { withStatus } from "./request-writer.js";
import type { RequestView } from "./types.js";

export interface DecisionToRecord {
  readonly action: "review" | "revoke";
  readonly reviewDecision: Review["reviewDecision"];
  readonly explanation: string;
  /** Shown as the request's status message (a revoke's reason); absent, the message is kept. */
  readonly statusMessage?: string;
  /** What else the decision changes (votes, per-file decisions of the turn it ends). */
  readonly patch?: Partial<AirlockRequest>;
}

/**
 * Stores a person's decision the machine allowed (a review or a revoke) in the request's reviews,
 * with the status it leads to, and announces both the change and the decision.
 */
export const recordDecision = async (
  deps: UseCaseDeps,
  target: CommandTarget,
  to: RequestStatus,
  decision: DecisionToRecord,
): Outcome<RequestView> => {
  const { actor, workspace, request } = target;
  const at = epochSeconds(deps.ports.clock);
  const review: Review = {
    id: deps.ports.ids.next(),
    reviewer: userRef(actor),
    reviewDecision: decision.reviewDecision,
    decisionExplanation: decision.explanation,
    dateCreated: at,
    turn: request.turn,
  };
  const next = withStatus(request, to, actor, at, {
    ...decision.patch,
    reviews: [...request.reviews, review],
    ...(decision.statusMessage === undefined ? {} : { statusMessage: decision.statusMessage }),
  });
  const stored = await deps.writer.commit(request, next, { actor, action: decision.action, workspace });
  if (stored.isErr()) return failedWrite(deps, target, decision.action, stored.error);

  deps.announcements.decision(stored.value, review, workspace.policy.requiredApprovals);
  deps.scheduleProcessing(stored.value);
  return ok(viewOf(stored.value, workspace, actor));
};
