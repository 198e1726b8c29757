import type { UserRef } from "./actor.js";
import type { RequestStatus, RequestType } from "./request.js";

/** Why a person is told: as the requester, or as someone who must act. */
export type RecipientRole = "requester" | "AirlockManager" | "WorkspaceOwner";

export interface Notification {
  /** Stable per change and recipient list, so a retried delivery can be recognised. */
  readonly id: string;
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
