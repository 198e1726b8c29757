import { z } from "zod";

export const RequestStatus = z.enum([
  "draft",
  "submitted",
  "in_review",
  "returning_in_progress",
  "changes_requested",
  "approval_in_progress",
  "rejection_in_progress",
  "blocking_in_progress",
  "approved",
  "rejected",
  "blocked_by_scan",
  "cancelled",
  "failed",
  "revoked",
]);
export type RequestStatus = z.infer<typeof RequestStatus>;
