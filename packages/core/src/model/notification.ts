import type { UserRef } from "./actor.js";
import type { RequestStatus, RequestType } from "./request.js";

/** Why a person is told: as the requester, or as someone who must act. */
export type RecipientRole = "requester" | "AirlockManager" | "WorkspaceOwner";

/**
 * Why a notification is sent beyond a status change: `resubmitted`, a request returned for changes
 * came back (to its reviewers); `files_changed`, files a reviewer voted on were changed or
 * withdrawn since (to those reviewers).
 */
export type NotificationTopic = "resubmitted" | "files_changed";

export interface Notification {
  /** Stable per change and recipient list, so a retried delivery can be recognised. */
  readonly id: string;
  /** Absent: the request's status changed. */
  readonly topic?: NotificationTopic;
  /** With `files_changed`: the files that changed, for notifiers that may name them. */
  readonly files?: readonly string[];
  readonly recipients: readonly (UserRef & { readonly role: RecipientRole })[];
  readonly request: {
    readonly id: string;
    readonly workspaceId: string;
    readonly type: RequestType;
    readonly title: string;
    readonly status: RequestStatus;
    readonly previousStatus: RequestStatus | null;
    readonly statusMessage: string | null;
    readonly createdBy: UserRef;
  };
}
