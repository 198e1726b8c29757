import { type AirlockEvent, EVENT_TYPES } from "../model/events.js";
import type { AirlockRequest, RequestStatus, Review } from "../model/request.js";

const envelope = (request: AirlockRequest, id: string, at: number) => ({
  specversion: "1.0" as const,
  id,
  source: `/workspaces/${request.workspaceId}/requests/${request.id}`,
  subject: request.id,
  time: new Date(at * 1000).toISOString(),
  datacontenttype: "application/json" as const,
});

/** Event ids are derived from the change, so a redelivery carries the same id. */
export const statusChangeId = (request: AirlockRequest) =>
  `${request.id}/status/${request.history.length - 1}`;

export const statusChangedEvent = (
  request: AirlockRequest,
  previousStatus: RequestStatus | null,
): AirlockEvent => ({
  ...envelope(request, statusChangeId(request), request.updatedWhen),
  type: EVENT_TYPES.statusChanged,
  data: {
    requestId: request.id,
    workspaceId: request.workspaceId,
    type: request.type,
    previousStatus,
    newStatus: request.status,
    statusMessage: request.statusMessage,
    version: request.history.length,
  },
});

export const reviewedEvent = (
  request: AirlockRequest,
  review: Review,
  requiredApprovals: number,
): AirlockEvent => ({
  ...envelope(request, `${request.id}/review/${review.id}`, review.dateCreated),
  type: EVENT_TYPES.reviewed,
  data: {
    requestId: request.id,
    workspaceId: request.workspaceId,
    type: request.type,
    reviewer: review.reviewer,
    reviewDecision: review.reviewDecision,
    status: request.status,
    approvals: request.reviews.filter((r) => r.reviewDecision === "approved").length,
    requiredApprovals,
  },
});
