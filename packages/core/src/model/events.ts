import { z } from "zod";
import { UserRef } from "./actor.js";
import { RequestStatus, RequestType, ReviewDecision } from "./request.js";

export const EVENT_TYPES = {
  statusChanged: "org.airlock.request.status_changed.v1",
  reviewed: "org.airlock.request.reviewed.v1",
} as const;

export const StatusChangedData = z.object({
  requestId: z.string(),
  workspaceId: z.string(),
  type: RequestType,
  previousStatus: RequestStatus.nullable(),
  newStatus: RequestStatus,
  statusMessage: z.string().nullable(),
  version: z.number().int(),
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
]);
export type AirlockEvent = z.infer<typeof AirlockEvent>;
