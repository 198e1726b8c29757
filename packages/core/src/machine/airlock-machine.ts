import { and, assign, not, setup } from "xstate";
import type { Role } from "../model/actor.js";
import type { GateVerdict } from "../model/gates.js";
import { visibleFileName } from "../model/primitives.js";
import type { CommentVisibility, UserAction, VoteValue } from "../model/request.js";
import {
  describeFileProblems,
  type FileFacts,
  type FileProblem,
  fileProblems,
  unrecordedFiles,
} from "./files.js";
import { isPartyTo, mayAttempt } from "./permissions.js";
import { isRequestApproved, type ReviewFacts, type VoteFacts, withVote } from "./review.js";
import { type MachineStatus, STATUS_META } from "./status-meta.js";

export type { MachineStatus };

/** Who acts, as far as the machine's guards need to know. */
export interface ActorFacts {
  readonly id: string;
  readonly roles: readonly Role[];
}

export interface MachinePolicy {
  readonly enabled: boolean;
  /** Whether a malware verdict is asked for (`scanning: true`, or a `malware` gate). */
  readonly scanning: boolean;
  readonly requiredApprovals: number;
  readonly maxFiles: number;
  readonly maxFileSize: number;
  readonly maxOpenDrafts: number;
  readonly requireFileContext: boolean;
}

export type RefusalKind =
  | "Forbidden"
  | "IllegalTransition"
  | "PolicyViolation"
  | "AirlockDisabled"
  | "Conflict"
  | "InvalidFile"
  | "QuotaExceeded";

export interface Refusal {
  readonly kind: RefusalKind;
  readonly message: string;
  /** With `InvalidFile`: each file refused, and why. */
  readonly files?: readonly FileProblem[];
}

export interface AirlockContext {
  readonly requesterId: string;
  readonly policy: MachinePolicy;
  /**
   * The files storage holds where the request's data is (the draft at submit, the stage a move
   * starts from); `null` when they should not decide (e.g. listing allowed actions).
   */
  readonly storedFiles: readonly FileFacts[] | null;
  /** Names of the files recorded at submit: the only ones that may move on. */
  readonly recordedFiles: readonly string[];
  /** How many drafts the requester holds open in the workspace; `null` when it should not decide. */
  readonly openDrafts: number | null;
  /** Names of the files a draft holds or is receiving, each counted once. */
  readonly draftFiles: readonly string[];
  /** Ids of the managers who approved the whole request this turn, in order. */
  readonly approvals: readonly string[];
  /** Ids of every manager who decided this turn (approved or rejected): their votes are final. */
  readonly deciders: readonly string[];
  /** Names of the active files recorded at submit: the only ones voted on and released. */
  readonly activeFiles: readonly string[];
  /** The current turn's votes, the latest of each reviewer per file. */
  readonly votes: readonly VoteFacts[];
  /** Names of the files whose context (description and controls) the requester gave. */
  readonly filesWithContext: readonly string[];
  /**
   * Whether the policy lists gates that read the files in process and they have not answered for
   * this turn yet: nothing reaches review before they have.
   */
  readonly gatesPending: boolean;
  /** Set when the last event was refused; the snapshot is otherwise unchanged. */
  readonly refusal: Refusal | null;
}

export type AirlockEvent =
  | { readonly type: "CREATE"; readonly actor: ActorFacts }
  | { readonly type: "SUBMIT"; readonly actor: ActorFacts }
  | { readonly type: "CANCEL"; readonly actor: ActorFacts }
  | { readonly type: "REVIEW"; readonly actor: ActorFacts; readonly approve: boolean }
  | { readonly type: "REVOKE"; readonly actor: ActorFacts }
  /** A reviewer's vote on one file of the request in review. */
  | {
      readonly type: "VOTE";
      readonly actor: ActorFacts;
      readonly file: string;
      readonly vote: VoteValue;
    }
  /** Returns the request for changes, with this many comments the requester may read. */
  | { readonly type: "RETURN"; readonly actor: ActorFacts; readonly requesterComments: number }
  | { readonly type: "COMMENT"; readonly actor: ActorFacts; readonly visibility: CommentVisibility }
  /** The requester withdraws a file: it is no longer reviewed, and never released. */
  | { readonly type: "WITHDRAW"; readonly actor: ActorFacts }
  /** The requester sets a file's description and disclosure controls. */
  | { readonly type: "SET_FILE_CONTEXT"; readonly actor: ActorFacts }
  /**
   * A file named `name` is about to be written into the draft. The link that carries it was issued
   * to someone the status allows, so the event names no actor.
   */
  | { readonly type: "ADD_FILE"; readonly name: string }
  /** The processor placed the files in the in-progress stage. */
  | { readonly type: "STAGED" }
  /** The in-process gates answered for every active file of the turn: one verdict per file and gate. */
  | { readonly type: "GATED"; readonly verdicts: readonly GateVerdict[] }
  | { readonly type: "SCAN_CLEAN" }
  | { readonly type: "SCAN_THREAT" }
  /** The processor moved the files to the stage the status calls for. */
  | { readonly type: "DATA_MOVED" }
  /**
   * A processing step cannot finish (no file, integrity mismatch, no scan verdict in time, a backing
   * service down past the deadline). Only statuses the processor works on can fail: nothing
   * processes a draft or a request in review, so they wait for a person instead.
   */
  | { readonly type: "FAIL" };

export type AirlockEventType = AirlockEvent["type"];

const refuse = (kind: RefusalKind, message: string) => ({
  type: "refuse" as const,
  params: { kind, message },
});

const storedFileProblems = (context: AirlockContext): FileProblem[] =>
  context.storedFiles === null ? [] : fileProblems(context.storedFiles, context.policy.maxFileSize);

const unmovableFiles = (context: AirlockContext): FileProblem[] =>
  context.storedFiles === null
    ? []
    : [...storedFileProblems(context), ...unrecordedFiles(context.storedFiles, context.recordedFiles)];

const NOBODY: ActorFacts = { id: "", roles: [] };
const actorOf = (event: AirlockEvent): ActorFacts => ("actor" in event ? event.actor : NOBODY);

const reviewFacts = (context: AirlockContext): ReviewFacts => ({
  activeFiles: context.activeFiles,
  votes: context.votes,
  approvals: context.approvals,
  requesterId: context.requesterId,
  requiredApprovals: context.policy.requiredApprovals,
});

/** Whether the request is approved once `event` (a vote, or an approving review) is counted. */
const approvedAfter = (context: AirlockContext, event: AirlockEvent): boolean => {
  const facts = reviewFacts(context);
  const id = actorOf(event).id;
  if (event.type === "VOTE") {
    return isRequestApproved({ ...facts, votes: withVote(facts.votes, id, event.file, event.vote) });
  }
  if (event.type === "REVIEW" && event.approve) {
    return isRequestApproved({ ...facts, approvals: [...facts.approvals, id] });
  }
  return false;
};

/** The stored files that lack a description or controls, when the policy asks for both. */
const filesLackingContext = (context: AirlockContext): string[] =>
  !context.policy.requireFileContext || context.storedFiles === null
    ? []
    : context.storedFiles.map((file) => file.name).filter((name) => !context.filesWithContext.includes(name));

/**
 * What the requester may do while the data sits in the draft stage, before the first submit and
 * again after a return (`draft` and `changes_requested` alike): add files, submit (with the same
 * checks each time), cancel, withdraw a file, set a file's context.
 */
const editing = {
  ADD_FILE: [{ guard: "roomForFile" }, { actions: "refuseFileCount" }],
  SUBMIT: [
    {
      guard: and([
        "maySubmit",
        "isSubmitter",
        "noUploadUnderway",
        "storedFilesAcceptable",
        "fileCountWithinPolicy",
        "fileContextComplete",
      ]),
      target: "submitted",
    },
    {
      guard: and(["maySubmit", "isSubmitter", not("noUploadUnderway")]),
      actions: "refuseUploadUnderway",
    },
    {
      guard: and(["maySubmit", "isSubmitter", not("storedFilesAcceptable")]),
      actions: "refuseStoredFiles",
    },
    {
      guard: and(["maySubmit", "isSubmitter", not("fileCountWithinPolicy")]),
      actions: refuse("PolicyViolation", "the request's file count does not meet the workspace policy"),
    },
    { guard: and(["maySubmit", "isSubmitter"]), actions: "refuseMissingContext" },
  ],
  CANCEL: { guard: "mayCancel", target: "cancelled" },
  WITHDRAW: { guard: "mayWithdraw" },
  SET_FILE_CONTEXT: { guard: "maySetFileContext" },
} as const;

export const airlockMachine = setup({
  types: {
    context: {} as AirlockContext,
    events: {} as AirlockEvent,
    input: {} as AirlockContext,
  },
  guards: {
    mayCreate: ({ event }) => mayAttempt("create", actorOf(event).roles),
    airlockEnabled: ({ context }) => context.policy.enabled,
    maySubmit: ({ event }) => mayAttempt("submit", actorOf(event).roles),
    isSubmitter: ({ context, event }) => isPartyTo("submit", actorOf(event), context.requesterId),
    mayCancel: ({ context, event }) => isPartyTo("cancel", actorOf(event), context.requesterId),
    mayReview: ({ event }) => mayAttempt("review", actorOf(event).roles),
    mayRevoke: ({ event }) => mayAttempt("revoke", actorOf(event).roles),
    mayReturn: ({ event }) => mayAttempt("return", actorOf(event).roles),
    mayVote: ({ event }) => mayAttempt("vote", actorOf(event).roles),
    mayComment: ({ event }) => mayAttempt("comment", actorOf(event).roles),
    mayWithdraw: ({ context, event }) =>
      mayAttempt("withdraw", actorOf(event).roles) &&
      isPartyTo("withdraw", actorOf(event), context.requesterId),
    maySetFileContext: ({ context, event }) =>
      mayAttempt("setFileContext", actorOf(event).roles) &&
      isPartyTo("setFileContext", actorOf(event), context.requesterId),
    // Reviewer-only comments are written by those who may review the request: never its requester.
    mayWriteVisibility: ({ context, event }) =>
      event.type !== "COMMENT" ||
      event.visibility === "everyone" ||
      (mayAttempt("review", event.actor.roles) && event.actor.id !== context.requesterId),
    fileUnderReview: ({ context, event }) =>
      event.type === "VOTE" && context.activeFiles.includes(event.file),
    requesterCanReadWhy: ({ event }) => event.type === "RETURN" && event.requesterComments > 0,
    fileContextComplete: ({ context }) => filesLackingContext(context).length === 0,
    completesApproval: ({ context, event }) => approvedAfter(context, event),
    isRequester: ({ context, event }) => actorOf(event).id === context.requesterId,
    fileCountWithinPolicy: ({ context }) =>
      context.storedFiles === null ||
      (context.storedFiles.length >= 1 && context.storedFiles.length <= context.policy.maxFiles),
    // A name the draft records but storage does not hold yet is an upload still on its way: what a
    // submit records now would not be what later moves are checked against.
    noUploadUnderway: ({ context }) =>
      context.storedFiles === null ||
      context.draftFiles.every((name) => context.storedFiles?.some((file) => file.name === name)),
    // Files written through a storage link never passed the engine's checks: they are checked here.
    storedFilesAcceptable: ({ context }) => storedFileProblems(context).length === 0,
    storedFilesMayMove: ({ context }) => unmovableFiles(context).length === 0,
    roomForDraft: ({ context }) =>
      context.openDrafts === null || context.openDrafts < context.policy.maxOpenDrafts,
    // Replacing a file the draft already names takes no room.
    roomForFile: ({ context, event }) =>
      event.type === "ADD_FILE" &&
      (context.draftFiles.includes(event.name) || context.draftFiles.length < context.policy.maxFiles),
    alreadyDecided: ({ context, event }) => context.deciders.includes(actorOf(event).id),
    approves: ({ event }) => event.type === "REVIEW" && event.approve,
    scanningDisabled: ({ context }) => !context.policy.scanning,
    gatesPending: ({ context }) => context.gatesPending,
    // A `review` goes to the reviewers with the request; only a `fail` stops it.
    gateFailed: ({ event }) => event.type === "GATED" && event.verdicts.includes("fail"),
  },
  actions: {
    refuse: assign((_, params: Refusal) => ({ refusal: params })),
    refuseUploadUnderway: assign(({ context }) => ({
      refusal: {
        kind: "Conflict" as const,
        message: `a file is still being uploaded (${context.draftFiles
          .filter((name) => !context.storedFiles?.some((file) => file.name === name))
          .join(", ")}): submit once it is stored, or delete it`,
      },
    })),
    refuseStoredFiles: assign(({ context }) => {
      const files = storedFileProblems(context);
      return {
        refusal: {
          kind: "InvalidFile" as const,
          message: `the request holds files the airlock does not accept: ${describeFileProblems(files)}; delete or rename them, then submit again`,
          files,
        },
      };
    }),
    refuseMove: assign(({ context }) => {
      const files = unmovableFiles(context);
      return {
        refusal: {
          kind: "InvalidFile" as const,
          message: `files that may not move on were found: ${describeFileProblems(files)}`,
          files,
        },
      };
    }),
    refuseDraftQuota: assign(({ context }) => ({
      refusal: {
        kind: "QuotaExceeded" as const,
        message: `you hold ${context.openDrafts} open draft(s) in this workspace, the most its policy allows (${context.policy.maxOpenDrafts}): submit or cancel one first`,
      },
    })),
    refuseMissingContext: assign(({ context }) => ({
      refusal: {
        kind: "PolicyViolation" as const,
        message: `the workspace asks for a description and the disclosure controls of every file; missing for: ${filesLackingContext(
          context,
        )
          .map(visibleFileName)
          .join(", ")}`,
      },
    })),
    refuseFileCount: assign(({ context }) => ({
      refusal: {
        kind: "PolicyViolation" as const,
        message: `the workspace allows at most ${context.policy.maxFiles} file(s) per request`,
      },
    })),
    recordDecision: assign(({ context, event }) => {
      const id = actorOf(event).id;
      const approve = event.type === "REVIEW" && event.approve;
      return {
        deciders: [...context.deciders, id],
        approvals: approve ? [...context.approvals, id] : context.approvals,
      };
    }),
  },
}).createMachine({
  id: "airlock",
  context: ({ input }) => input,
  initial: "new",
  on: {
    // Reached only when the current status has no enabled transition: the refusals, in the order
    // of checks the API promises (role, then ownership / self-review / repeated review, then status).
    // Nothing here changes a status, so an event a status does not handle itself is always refused.
    CREATE: [
      {
        guard: not("mayCreate"),
        actions: refuse("Forbidden", "only a workspace researcher or owner may create a request"),
      },
      { actions: refuse("IllegalTransition", "the request already exists") },
    ],
    SUBMIT: [
      {
        guard: not("maySubmit"),
        actions: refuse("Forbidden", "only a workspace researcher or owner may submit a request"),
      },
      {
        guard: not("isSubmitter"),
        actions: refuse("Forbidden", "only the requester or a workspace owner may submit this request"),
      },
      {
        actions: refuse("IllegalTransition", "a request can be submitted only in draft or changes_requested"),
      },
    ],
    CANCEL: [
      {
        guard: not("mayCancel"),
        actions: refuse(
          "Forbidden",
          "only the requester, a workspace owner or a TRE admin may cancel this request",
        ),
      },
      {
        actions: refuse(
          "IllegalTransition",
          "a request can be cancelled only in draft, in review or in changes_requested",
        ),
      },
    ],
    REVIEW: [
      {
        guard: not("mayReview"),
        actions: refuse("Forbidden", "only an airlock manager may review a request"),
      },
      { guard: "isRequester", actions: refuse("Forbidden", "a requester never reviews their own request") },
      {
        guard: "alreadyDecided",
        actions: refuse("Forbidden", "each airlock manager decides once per request"),
      },
      { actions: refuse("IllegalTransition", "a request can be reviewed only in review") },
    ],
    REVOKE: [
      {
        guard: not("mayRevoke"),
        actions: refuse("Forbidden", "only an airlock manager may revoke a request"),
      },
      { actions: refuse("IllegalTransition", "only an approved request can be revoked") },
    ],
    VOTE: [
      { guard: not("mayVote"), actions: refuse("Forbidden", "only an airlock manager may vote on a file") },
      { guard: "isRequester", actions: refuse("Forbidden", "a requester never reviews their own request") },
      {
        guard: "alreadyDecided",
        actions: refuse("Forbidden", "you decided on this request in this turn: your votes are final"),
      },
      { actions: refuse("IllegalTransition", "files are voted on only while the request is in review") },
    ],
    RETURN: [
      {
        guard: not("mayReturn"),
        actions: refuse("Forbidden", "only an airlock manager may return a request for changes"),
      },
      { guard: "isRequester", actions: refuse("Forbidden", "a requester never reviews their own request") },
      {
        guard: "alreadyDecided",
        actions: refuse("Forbidden", "you decided on this request in this turn already"),
      },
      { actions: refuse("IllegalTransition", "a request can be returned only in review") },
    ],
    COMMENT: [
      {
        guard: not("mayComment"),
        actions: refuse("Forbidden", "only members who may read the request may comment on it"),
      },
      {
        guard: not("mayWriteVisibility"),
        actions: refuse(
          "Forbidden",
          "only those who may review the request write comments for reviewers only; write one for everyone",
        ),
      },
      {
        actions: refuse(
          "IllegalTransition",
          "comments are taken only while the request is open to review or revision",
        ),
      },
    ],
    WITHDRAW: [
      { guard: not("mayWithdraw"), actions: refuse("Forbidden", "only the requester may withdraw a file") },
      {
        actions: refuse("IllegalTransition", "a file can be withdrawn only in draft or changes_requested"),
      },
    ],
    SET_FILE_CONTEXT: [
      {
        guard: not("maySetFileContext"),
        actions: refuse("Forbidden", "only the requester may describe the request's files"),
      },
      {
        actions: refuse(
          "IllegalTransition",
          "a file's context can be set only in draft or changes_requested",
        ),
      },
    ],
    "*": { actions: refuse("IllegalTransition", "this step does not apply to the request's status") },
  },
  states: {
    new: {
      meta: STATUS_META.new,
      on: {
        CREATE: [
          {
            guard: and(["mayCreate", not("airlockEnabled")]),
            actions: refuse("AirlockDisabled", "the airlock is disabled for this workspace"),
          },
          { guard: and(["mayCreate", not("roomForDraft")]), actions: "refuseDraftQuota" },
          { guard: "mayCreate", target: "draft" },
        ],
      },
    },
    draft: {
      meta: STATUS_META.draft,
      on: {
        ...editing,
        COMMENT: { guard: and(["mayComment", "mayWriteVisibility"]) },
      },
    },
    submitted: {
      meta: STATUS_META.submitted,
      on: {
        // Asked before the files move, with what the source stage holds: a file that may not move
        // stops the move, and the processor fails the request with the reason.
        STAGED: [
          { guard: not("storedFilesMayMove"), actions: "refuseMove" },
          { guard: and(["scanningDisabled", not("gatesPending")]), target: "in_review" },
          {},
        ],
        GATED: [
          { guard: "gateFailed", target: "blocking_in_progress" },
          { guard: "scanningDisabled", target: "in_review" },
          {},
        ],
        // The gates answer before the malware verdict is asked for; one that arrives first waits.
        SCAN_CLEAN: [
          {
            guard: "gatesPending",
            actions: refuse("Conflict", "the request's security gates have not answered yet"),
          },
          { target: "in_review" },
        ],
        SCAN_THREAT: "blocking_in_progress",
        COMMENT: { guard: and(["mayComment", "mayWriteVisibility"]) },
        FAIL: "failed",
      },
    },
    in_review: {
      meta: STATUS_META.in_review,
      on: {
        REVIEW: [
          {
            guard: and(["mayReview", not("isRequester"), not("alreadyDecided"), not("approves")]),
            target: "rejection_in_progress",
            actions: "recordDecision",
          },
          {
            guard: and(["mayReview", not("isRequester"), not("alreadyDecided"), "completesApproval"]),
            target: "approval_in_progress",
            actions: "recordDecision",
          },
          {
            guard: and(["mayReview", not("isRequester"), not("alreadyDecided")]),
            actions: "recordDecision",
          },
        ],
        VOTE: [
          {
            guard: and(["mayVote", not("isRequester"), not("alreadyDecided"), not("fileUnderReview")]),
            actions: refuse("IllegalTransition", "only the request's active files are voted on"),
          },
          {
            guard: and(["mayVote", not("isRequester"), not("alreadyDecided"), "completesApproval"]),
            target: "approval_in_progress",
          },
          { guard: and(["mayVote", not("isRequester"), not("alreadyDecided")]) },
        ],
        RETURN: [
          {
            guard: and(["mayReturn", not("isRequester"), not("alreadyDecided"), "requesterCanReadWhy"]),
            target: "returning_in_progress",
          },
          {
            guard: and(["mayReturn", not("isRequester"), not("alreadyDecided")]),
            actions: refuse(
              "PolicyViolation",
              "a request is returned with at least one comment its requester may read",
            ),
          },
        ],
        COMMENT: { guard: and(["mayComment", "mayWriteVisibility"]) },
        CANCEL: { guard: "mayCancel", target: "cancelled" },
      },
    },
    returning_in_progress: {
      meta: STATUS_META.returning_in_progress,
      on: {
        DATA_MOVED: [
          { guard: not("storedFilesMayMove"), actions: "refuseMove" },
          { target: "changes_requested" },
        ],
        COMMENT: { guard: and(["mayComment", "mayWriteVisibility"]) },
        FAIL: "failed",
      },
    },
    changes_requested: {
      meta: STATUS_META.changes_requested,
      on: {
        ...editing,
        COMMENT: { guard: and(["mayComment", "mayWriteVisibility"]) },
      },
    },
    approval_in_progress: {
      meta: STATUS_META.approval_in_progress,
      on: {
        DATA_MOVED: [{ guard: not("storedFilesMayMove"), actions: "refuseMove" }, { target: "approved" }],
        FAIL: "failed",
      },
    },
    rejection_in_progress: {
      meta: STATUS_META.rejection_in_progress,
      on: {
        DATA_MOVED: [{ guard: not("storedFilesMayMove"), actions: "refuseMove" }, { target: "rejected" }],
        FAIL: "failed",
      },
    },
    blocking_in_progress: {
      meta: STATUS_META.blocking_in_progress,
      on: {
        DATA_MOVED: [
          { guard: not("storedFilesMayMove"), actions: "refuseMove" },
          { target: "blocked_by_scan" },
        ],
        FAIL: "failed",
      },
    },
    approved: {
      meta: STATUS_META.approved,
      on: { REVOKE: { guard: "mayRevoke", target: "revoked" } },
    },
    rejected: { meta: STATUS_META.rejected },
    blocked_by_scan: { meta: STATUS_META.blocked_by_scan },
    cancelled: { meta: STATUS_META.cancelled },
    failed: { meta: STATUS_META.failed },
    revoked: { meta: STATUS_META.revoked },
  },
});

export type AirlockMachine = typeof airlockMachine;

export const USER_ACTION_EVENTS = {
  submit: "SUBMIT",
  cancel: "CANCEL",
  review: "REVIEW",
  revoke: "REVOKE",
  return: "RETURN",
  vote: "VOTE",
  comment: "COMMENT",
  withdraw: "WITHDRAW",
} as const satisfies Readonly<Record<UserAction, AirlockEventType>>;
