import { z } from "zod";
import { UserRef } from "./actor.js";
import { AuditRecord } from "./audit.js";
import { Finding } from "./gates.js";
import { boundedText, EpochSeconds, FileName, Id, Sha256Hex } from "./primitives.js";

export const RequestType = z.enum(["import", "export"]);
export type RequestType = z.infer<typeof RequestType>;

export { RequestStatus } from "./status.js";

import { RequestStatus } from "./status.js";

/** Where a request's data lives. `null` on a request means nothing is stored (never uploaded, or deleted). */
export const Stage = z.enum(["draft", "in_progress", "approved", "rejected", "blocked"]);
export type Stage = z.infer<typeof Stage>;

export const FileRecord = z.object({
  name: FileName,
  size: z.number().int().nonnegative(),
  sha256: Sha256Hex,
});
export type FileRecord = z.infer<typeof FileRecord>;

/** Only `active` files are reviewed and released; a `withdrawn` one stays on record, with no data. */
export const FileState = z.enum(["active", "withdrawn"]);
export type FileState = z.infer<typeof FileState>;

export const FILE_CONTEXT_MAX = 4000;

/** What the requester says about one file, so an output checker can judge it. */
export const FileContext = z.object({
  /** What the output is. */
  description: boundedText(FILE_CONTEXT_MAX).optional(),
  /** Which disclosure controls were applied (suppression, rounding, …). */
  controls: boundedText(FILE_CONTEXT_MAX).optional(),
});
export type FileContext = z.infer<typeof FileContext>;

/** A file of a request as recorded at its last submit, with its state and the requester's context. */
export const RequestFile = FileRecord.extend({
  // A file recorded before files had states was reviewed and released: it is active.
  state: FileState.default("active"),
  ...FileContext.shape,
});
export type RequestFile = z.infer<typeof RequestFile>;

/** The requester's context for the file named `name`, kept across turns (the file may not be recorded yet). */
export const NamedFileContext = FileContext.extend({ name: FileName });
export type NamedFileContext = z.infer<typeof NamedFileContext>;

/**
 * Counts submits and returns: 0 before the first submit, 1 on it, and one more on every return and
 * every resubmit. Votes, comments and per-file decisions name the turn they belong to.
 */
export const Turn = z.number().int().nonnegative();

export const VoteValue = z.enum(["approve", "request_changes"]);
export type VoteValue = z.infer<typeof VoteValue>;

/** One reviewer's vote on one active file in one turn; a later vote of theirs replaces it. */
export const Vote = z.object({
  reviewer: UserRef,
  file: FileName,
  vote: VoteValue,
  turn: Turn,
  dateCreated: EpochSeconds,
});
export type Vote = z.infer<typeof Vote>;

/** `reviewers`: only those who may review the request read it; `everyone`: every reader, the requester too. */
export const CommentVisibility = z.enum(["reviewers", "everyone"]);
export type CommentVisibility = z.infer<typeof CommentVisibility>;

export const COMMENT_MAX = 4000;

export const Comment = z.object({
  id: Id,
  author: UserRef,
  text: boundedText(COMMENT_MAX),
  /** The file the comment is about; absent, it is about the request. */
  file: FileName.optional(),
  visibility: CommentVisibility,
  turn: Turn,
  dateCreated: EpochSeconds,
});
export type Comment = z.infer<typeof Comment>;

/** What an ended turn decided for one file. `undecided`: it had neither enough approvals nor a request for changes. */
export const FileDecisionValue = z.enum(["approved", "changes_requested", "rejected", "undecided"]);
export type FileDecisionValue = z.infer<typeof FileDecisionValue>;

export const FileDecision = z.object({
  file: FileName,
  turn: Turn,
  decision: FileDecisionValue,
});
export type FileDecision = z.infer<typeof FileDecision>;

export const ReviewDecision = z.enum(["approved", "rejected", "revoked"]);
export type ReviewDecision = z.infer<typeof ReviewDecision>;

export const Review = z.object({
  id: Id,
  reviewer: UserRef,
  reviewDecision: ReviewDecision,
  decisionExplanation: z.string().max(4000),
  dateCreated: EpochSeconds,
  /** The turn the decision was made in; a review stored before turns existed belongs to turn 0. */
  turn: Turn.default(0),
});
export type Review = z.infer<typeof Review>;

export const HistoryEntry = z.object({
  previousStatus: RequestStatus.nullable(),
  status: RequestStatus,
  updatedBy: UserRef,
  updatedWhen: EpochSeconds,
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const TITLE_MAX = 200;
/** Long enough for a revoke reason or a scanner's verdict in full. */
export const STATUS_MESSAGE_MAX = 4000;
export const JUSTIFICATION_MAX = 4000;

export const AirlockRequest = z.object({
  id: Id,
  workspaceId: Id,
  type: RequestType,
  title: boundedText(TITLE_MAX),
  businessJustification: boundedText(JUSTIFICATION_MAX),
  status: RequestStatus,
  statusMessage: z.string().max(STATUS_MESSAGE_MAX).nullable(),
  /** The files recorded at the last submit (a draft records none yet), active or withdrawn. */
  files: z.array(RequestFile),
  reviews: z.array(Review),
  // The fields below default for a request stored before review cycles existed.
  turn: Turn.default(0),
  /** Every vote of every turn; only those of the current turn count towards a decision. */
  votes: z.array(Vote).default([]),
  comments: z.array(Comment).default([]),
  /** Per-file decisions of the turns that ended (a return, an approval, a rejection). */
  fileDecisions: z.array(FileDecision).default([]),
  /** The requester's context per file name, copied onto the file records at every submit. */
  fileContext: z.array(NamedFileContext).default([]),
  /** The files as they were when the last turn was returned: what `changes` compares against. */
  previousFiles: z.array(RequestFile).default([]),
  createdBy: UserRef,
  createdWhen: EpochSeconds,
  updatedBy: UserRef,
  updatedWhen: EpochSeconds,
  history: z.array(HistoryEntry),
  /** The stage that holds the request's data now; the processor moves it until it matches the status. */
  dataStage: Stage.nullable(),
  /** When a malware scan was last asked for (epoch seconds), so a missing verdict is asked for again. */
  scanRequestedWhen: EpochSeconds.nullable(),
  /**
   * The names a draft's uploads through the engine hold or are writing, recorded before the bytes
   * are streamed: the repository's etag makes the file count hold however many uploads race.
   */
  draftFiles: z.array(FileName).default([]),
  /** What the security gates found, every turn's; a file that passed without remark has none. */
  findings: z.array(Finding).default([]),
  /** The turn whose files the in-process gates last answered for: they run once per turn. */
  gatedTurn: Turn.nullable().default(null),
  /** Files a per-file scanner (Defender) reported clean so far; the request is clean once all are. */
  cleanFiles: z.array(FileName),
  /** Counts the engine's writes of this request; names each write's audit record. */
  revision: z.number().int().nonnegative(),
  /**
   * The audit records of the last write, stored with it (a transactional outbox): the next write,
   * or recovery after a crash, appends any the audit log does not hold yet.
   */
  pendingAudit: z.array(AuditRecord),
  /** Opaque concurrency token set by the repository on every write. */
  etag: z.string(),
});
export type AirlockRequest = z.infer<typeof AirlockRequest>;

/** The review-cycle fields a request stored before they existed takes. */
const REVIEW_CYCLE_DEFAULTS = {
  turn: 0,
  votes: [],
  comments: [],
  fileDecisions: [],
  fileContext: [],
  previousFiles: [],
  findings: [],
  gatedTurn: null,
} as const satisfies Partial<AirlockRequest>;

/**
 * A request as a repository stored it, in the current shape: fields added since it was written take
 * their defaults (a file without a state is active, a review without a turn belongs to turn 0).
 * Repositories that keep the request as a JSON document read it through this; nothing is validated.
 */
export const storedRequest = (document: object): AirlockRequest => {
  const request = { ...REVIEW_CYCLE_DEFAULTS, ...document } as unknown as AirlockRequest;
  const needsFileStates = request.files.some((file) => file.state === undefined);
  const needsReviewTurns = request.reviews.some((review) => review.turn === undefined);
  if (!needsFileStates && !needsReviewTurns) return request;
  return {
    ...request,
    files: request.files.map((file) => ({ ...file, state: file.state ?? "active" })),
    reviews: request.reviews.map((review) => ({ ...review, turn: review.turn ?? 0 })),
  };
};

/**
 * A request as callers outside the engine see it (the API's answers): the engine's own bookkeeping
 * (the audit outbox, the write counter, scan progress, upload bookkeeping) stays inside.
 */
export const PublicRequest = AirlockRequest.omit({
  draftFiles: true,
  pendingAudit: true,
  revision: true,
  cleanFiles: true,
  scanRequestedWhen: true,
  gatedTurn: true,
});
export type PublicRequest = z.infer<typeof PublicRequest>;

export const NewRequestInput = z.object({
  type: RequestType,
  title: boundedText(TITLE_MAX),
  businessJustification: boundedText(JUSTIFICATION_MAX),
});
export type NewRequestInput = z.infer<typeof NewRequestInput>;

/** The only things a person can ask of a request; the machine decides which are allowed. */
export const UserAction = z.enum([
  "submit",
  "cancel",
  "review",
  "revoke",
  "return",
  "vote",
  "comment",
  "withdraw",
]);
export type UserAction = z.infer<typeof UserAction>;
