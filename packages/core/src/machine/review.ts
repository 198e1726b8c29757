import type { AirlockRequest, FileDecision, RequestFile, VoteValue } from "../model/request.js";

/** One reviewer's current vote on one file, as the machine weighs it. */
export interface VoteFacts {
  readonly reviewer: string;
  readonly file: string;
  readonly vote: VoteValue;
}

/** What the machine needs to know about the current turn's review. */
export interface ReviewFacts {
  /** Names of the request's active files: the only ones reviewed and released. */
  readonly activeFiles: readonly string[];
  /** The current turn's votes, the latest of each reviewer per file. */
  readonly votes: readonly VoteFacts[];
  /** Ids of the managers who approved the whole request this turn (upstream's review). */
  readonly approvals: readonly string[];
  readonly requesterId: string;
  readonly requiredApprovals: number;
}

/** `votes` with `reviewer`'s vote on `file` replaced by `vote`. */
export const withVote = (
  votes: readonly VoteFacts[],
  reviewer: string,
  file: string,
  vote: VoteValue,
): VoteFacts[] => [
  ...votes.filter((v) => !(v.reviewer === reviewer && v.file === file)),
  { reviewer, file, vote },
];

/**
 * The distinct reviewers who approved `file` this turn: an approve vote on it, or an approval of the
 * whole request. The requester never counts, whatever roles they hold.
 */
export const approversOf = (facts: ReviewFacts, file: string): ReadonlySet<string> => {
  const approvers = new Set<string>(facts.approvals);
  for (const v of facts.votes) if (v.file === file && v.vote === "approve") approvers.add(v.reviewer);
  approvers.delete(facts.requesterId);
  return approvers;
};

export const isFileApproved = (facts: ReviewFacts, file: string): boolean =>
  approversOf(facts, file).size >= facts.requiredApprovals;

/**
 * Whether the request is approved: every active file has `requiredApprovals` approvers this turn. A
 * request without active files (one recorded before files were listed) needs as many approvals of
 * the whole request.
 */
export const isRequestApproved = (facts: ReviewFacts): boolean =>
  facts.activeFiles.length > 0
    ? facts.activeFiles.every((file) => isFileApproved(facts, file))
    : new Set(facts.approvals.filter((id) => id !== facts.requesterId)).size >= facts.requiredApprovals;

/** How a turn ended: the request approved, rejected, or returned for changes. */
export type TurnEnd = "approved" | "rejected" | "returned";

/** The current turn's facts of a stored request, as `isFileApproved` weighs them. */
export const reviewFactsOf = (
  request: Pick<AirlockRequest, "files" | "votes" | "reviews" | "turn" | "createdBy">,
  requiredApprovals: number,
): ReviewFacts => ({
  activeFiles: request.files.filter((file) => file.state === "active").map((file) => file.name),
  votes: request.votes
    .filter((vote) => vote.turn === request.turn)
    .map((vote) => ({ reviewer: vote.reviewer.id, file: vote.file, vote: vote.vote })),
  approvals: request.reviews
    .filter((review) => review.turn === request.turn && review.reviewDecision === "approved")
    .map((review) => review.reviewer.id),
  requesterId: request.createdBy.id,
  requiredApprovals,
});

/**
 * What the ending turn decided for each active file: all approved or all rejected with the request;
 * on a return, each file by its own votes (approved with enough approvals, `changes_requested` when
 * a reviewer asked for changes, else `undecided`).
 */
export const turnDecisions = (
  request: Pick<AirlockRequest, "files" | "votes" | "reviews" | "turn" | "createdBy">,
  requiredApprovals: number,
  end: TurnEnd,
): FileDecision[] => {
  const facts = reviewFactsOf(request, requiredApprovals);
  const decisionOf = (file: string): FileDecision["decision"] => {
    if (end !== "returned") return end;
    if (isFileApproved(facts, file)) return "approved";
    const asked = facts.votes.some((v) => v.file === file && v.vote === "request_changes");
    return asked ? "changes_requested" : "undecided";
  };
  return facts.activeFiles.map((file) => ({ file, turn: request.turn, decision: decisionOf(file) }));
};

/** How a file changed since the previous turn. */
export type FileChange = "added" | "changed" | "unchanged" | "withdrawn";

/**
 * Each file of `current` against `previous` (the files when the last turn was returned): a withdrawn
 * file is `withdrawn`; an active one is `added` if it was not active then, `changed` if its sha256
 * differs, else `unchanged`. Files of the first turn are all `added`.
 */
export const fileChanges = (
  previous: readonly Pick<RequestFile, "name" | "sha256" | "state">[],
  current: readonly Pick<RequestFile, "name" | "sha256" | "state">[],
): { readonly file: string; readonly change: FileChange }[] =>
  current.map((file) => {
    if (file.state === "withdrawn") return { file: file.name, change: "withdrawn" };
    const before = previous.find((p) => p.name === file.name && p.state === "active");
    if (before === undefined) return { file: file.name, change: "added" };
    return { file: file.name, change: before.sha256 === file.sha256 ? "unchanged" : "changed" };
  });
