import type { Notification, RecipientRole } from "../model/notification.js";
import type { AirlockRequest, RequestStatus } from "../model/request.js";
import type { Workspace } from "../model/workspace.js";
import type { NotificationMatrix } from "./types.js";

/** Who is told about what, from the spec: the requester on their changes, reviewers on `in_review`. */
export const DEFAULT_NOTIFICATIONS: NotificationMatrix = {
  draft: ["requester"],
  submitted: ["requester"],
  in_review: ["AirlockManager", "WorkspaceOwner"],
  approval_in_progress: ["requester"],
  rejection_in_progress: ["requester"],
  approved: ["requester"],
  rejected: ["requester"],
  blocked_by_scan: ["requester"],
  cancelled: ["requester"],
  failed: ["requester"],
  revoked: ["requester"],
};

/** The notification for one status change, or null when nobody is to be told. */
export const notificationFor = (
  matrix: NotificationMatrix,
  request: AirlockRequest,
  previousStatus: RequestStatus | null,
  workspace: Workspace,
  changeId: string,
): Notification | null => {
  const roles = matrix[request.status] ?? [];
  const recipients: Notification["recipients"][number][] = [];
  const seen = new Set<string>();
  const add = (person: { id: string; name: string; email: string }, role: RecipientRole) => {
    if (seen.has(person.id)) return;
    seen.add(person.id);
    recipients.push({ id: person.id, name: person.name, email: person.email, role });
  };
  for (const role of roles) {
    if (role === "requester") {
      add(request.createdBy, role);
      continue;
    }
    for (const member of workspace.members) {
      // A requester who also holds a reviewing role cannot review their own request.
      if (member.roles.includes(role) && member.id !== request.createdBy.id) add(member, role);
    }
  }
  if (recipients.length === 0) return null;
  return {
    id: changeId,
    recipients,
    request: {
      id: request.id,
      workspaceId: request.workspaceId,
      type: request.type,
      title: request.title,
      status: request.status,
      previousStatus,
      statusMessage: request.statusMessage,
      createdBy: request.createdBy,
    },
  };
};
