import { z } from "zod";
import { UserRef } from "./actor.js";
import { Finding } from "./gates.js";
import { FileName } from "./primitives.js";

/** The most findings a status-changed event carries. */
export const EVENT_FINDINGS_MAX = 100;

import {
  CommentVisibility,
  FileDecisionValue,
  RequestStatus,
  RequestType,
  ReviewDecision,
  VoteValue,
} from "./request.js";

export const EVENT_TYPES = {
  statusChanged: "org.airlock.request.status_changed.v1",
  reviewed: "org.airlock.request.reviewed.v1",
  voteRecorded: "org.airlock.request.vote_recorded.v1",
  commentAdded: "org.airlock.request.comment_added.v1",
  returned: "org.airlock.request.returned.v1",
  resubmitted: "org.airlock.request.resubmitted.v1",
  fileWithdrawn: "org.airlock.request.file_withdrawn.v1",
  fileContextSet: "org.airlock.request.file_context_set.v1",
} as const;

/** What every review-cycle event names: the request and the turn the change belongs to. */
const aboutTurn = {
  requestId: z.string(),
  workspaceId: z.string(),
  type: RequestType,
  turn: z.number().int(),
};

export const VoteRecordedData = z.object({
  ...aboutTurn,
  reviewer: UserRef,
  file: FileName,
  vote: VoteValue,
});
export type VoteRecordedData = z.infer<typeof VoteRecordedData>;

/** A comment's text is not carried: consumers read it through the API, which knows who may. */
export const CommentAddedData = z.object({
  ...aboutTurn,
  commentId: z.string(),
  author: UserRef,
  file: FileName.nullable(),
  visibility: CommentVisibility,
});
export type CommentAddedData = z.infer<typeof CommentAddedData>;

/** `turn`: the turn that was returned; `decisions`: what it decided per file. */
export const ReturnedData = z.object({
  ...aboutTurn,
  returnedBy: UserRef,
  decisions: z.array(z.object({ file: FileName, decision: FileDecisionValue })),
});
export type ReturnedData = z.infer<typeof ReturnedData>;

/** `turn`: the new turn; `changes`: each file against the turn that was returned. */
export const ResubmittedData = z.object({
  ...aboutTurn,
  changes: z.array(
    z.object({ file: FileName, change: z.enum(["added", "changed", "unchanged", "withdrawn"]) }),
  ),
});
export type ResubmittedData = z.infer<typeof ResubmittedData>;

export const FileEventData = z.object({ ...aboutTurn, file: FileName });
export type FileEventData = z.infer<typeof FileEventData>;

export const StatusChangedData = z.object({
  requestId: z.string(),
  workspaceId: z.string(),
  type: RequestType,
  previousStatus: RequestStatus.nullable(),
  newStatus: RequestStatus,
  statusMessage: z.string().nullable(),
  version: z.number().int(),
  /**
   * What the security gates found in this turn, on the change that leaves `submitted` (at most
   * `EVENT_FINDINGS_MAX`; the request holds them all). Absent when they found nothing.
   */
  findings: z.array(Finding).optional(),
});
export type StatusChangedData = z.infer<typeof StatusChangedData>;

export const ReviewedData = z.object({
  requestId: z.string(),
  workspaceId: z.string(),
  type: RequestType,
  reviewer: UserRef,
  reviewDecision: ReviewDecision,
  status: RequestStatus,
  approvals: z.number().int(),
  requiredApprovals: z.number().int(),
});
export type ReviewedData = z.infer<typeof ReviewedData>;

const envelope = {
  specversion: z.literal("1.0"),
  id: z.string().min(1),
  /** `/workspaces/{workspaceId}/requests/{requestId}` */
  source: z.string().min(1),
  subject: z.string().min(1),
  time: z.string().datetime(),
  datacontenttype: z.literal("application/json"),
};

/** A CloudEvents 1.0 event, structured mode. The `id` is stable per change, so consumers can drop duplicates. */
export const AirlockEvent = z.discriminatedUnion("type", [
  z.object({ ...envelope, type: z.literal(EVENT_TYPES.statusChanged), data: StatusChangedData }),
  z.object({ ...envelope, type: z.literal(EVENT_TYPES.reviewed), data: ReviewedData }),
  z.object({ ...envelope, type: z.literal(EVENT_TYPES.voteRecorded), data: VoteRecordedData }),
  z.object({ ...envelope, type: z.literal(EVENT_TYPES.commentAdded), data: CommentAddedData }),
  z.object({ ...envelope, type: z.literal(EVENT_TYPES.returned), data: ReturnedData }),
  z.object({ ...envelope, type: z.literal(EVENT_TYPES.resubmitted), data: ResubmittedData }),
  z.object({ ...envelope, type: z.literal(EVENT_TYPES.fileWithdrawn), data: FileEventData }),
  z.object({ ...envelope, type: z.literal(EVENT_TYPES.fileContextSet), data: FileEventData }),
]);
export type AirlockEvent = z.infer<typeof AirlockEvent>;
