import { z } from "zod";
import { UserRef } from "./actor.js";
import { AuditRecord } from "./audit.js";
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

export const ReviewDecision = z.enum(["approved", "rejected", "revoked"]);
export type ReviewDecision = z.infer<typeof ReviewDecision>;

export const Review = z.object({
  id: Id,
  reviewer: UserRef,
  reviewDecision: ReviewDecision,
  decisionExplanation: z.string().max(4000),
  dateCreated: EpochSeconds,
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
  files: z.array(FileRecord),
  reviews: z.array(Review),
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
});
export type PublicRequest = z.infer<typeof PublicRequest>;

export const NewRequestInput = z.object({
  type: RequestType,
  title: boundedText(TITLE_MAX),
  businessJustification: boundedText(JUSTIFICATION_MAX),
});
export type NewRequestInput = z.infer<typeof NewRequestInput>;

/** The only things a person can ask of a request; the machine decides which are allowed. */
export const UserAction = z.enum(["submit", "cancel", "review", "revoke"]);
export type UserAction = z.infer<typeof UserAction>;
