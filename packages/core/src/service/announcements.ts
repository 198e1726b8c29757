import type { UserRef } from "../model/actor.js";
import { type AirlockEvent, EVENT_FINDINGS_MAX, EVENT_TYPES } from "../model/events.js";
import type { Notification, NotificationTopic, RecipientRole } from "../model/notification.js";
import type { AirlockRequest, RequestStatus, Review } from "../model/request.js";
import type { Workspace } from "../model/workspace.js";
import type { BackgroundWork } from "./background.js";
import type { AirlockPorts, BackgroundError, NotificationMatrix } from "./types.js";

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

/** The turn's findings a change out of `submitted` tells of: the gates have just answered. */
const gateFindings = (request: AirlockRequest, previousStatus: RequestStatus | null) => {
  if (previousStatus !== "submitted") return [];
  return request.findings.filter((finding) => finding.turn === request.turn).slice(0, EVENT_FINDINGS_MAX);
};

export const statusChangedEvent = (
  request: AirlockRequest,
  previousStatus: RequestStatus | null,
): AirlockEvent => {
  const findings = gateFindings(request, previousStatus);
  return {
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
      ...(findings.length > 0 ? { findings } : {}),
    },
  };
};

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

/** Who is told about what by default (docs/events-and-notifications.md): the requester on their changes, reviewers on `in_review`. */
export const DEFAULT_NOTIFICATIONS: NotificationMatrix = {
  draft: ["requester"],
  submitted: ["requester"],
  in_review: ["AirlockManager", "WorkspaceOwner"],
  approval_in_progress: ["requester"],
  rejection_in_progress: ["requester"],
  // A request returned for changes is the requester's again once its files are back in the draft.
  changes_requested: ["requester"],
  approved: ["requester"],
  rejected: ["requester"],
  blocked_by_scan: ["requester"],
  cancelled: ["requester"],
  failed: ["requester"],
  revoked: ["requester"],
};

/**
 * A notification with a topic of its own (see `NotificationTopic`) to `people`, each once; null
 * when nobody is left to tell. The requester is never among them: both topics are for reviewers.
 */
export const topicNotification = (
  request: AirlockRequest,
  topic: NotificationTopic,
  people: readonly UserRef[],
  files?: readonly string[],
): Notification | null => {
  const recipients = [...new Map(people.map((person) => [person.id, person])).values()]
    .filter((person) => person.id !== request.createdBy.id)
    .map((person) => ({
      id: person.id,
      name: person.name,
      email: person.email,
      role: "AirlockManager" as const,
    }));
  if (recipients.length === 0) return null;
  return {
    // Told once per turn; files_changed goes to each voter apart, so its id names them.
    id:
      topic === "files_changed"
        ? `${request.id}/${topic}/${request.turn}/${recipients.map((r) => r.id).join(",")}`
        : `${request.id}/${topic}/${request.turn}`,
    topic,
    ...(files === undefined ? {} : { files }),
    recipients,
    request: {
      id: request.id,
      workspaceId: request.workspaceId,
      type: request.type,
      title: request.title,
      status: request.status,
      previousStatus: request.history.at(-1)?.previousStatus ?? null,
      statusMessage: request.statusMessage,
      createdBy: request.createdBy,
    },
  };
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

/**
 * Events and notifications of committed changes. They are sent after the change is stored and never
 * hold it back: a failure goes to `onBackgroundError`.
 */
export interface Announcements {
  /**
   * The status change that produced `request`: one event, and the notification the matrix asks
   * for. Nothing when the status did not change. `workspace` may be left out when not at hand.
   */
  statusChange(
    request: AirlockRequest,
    previousStatus: RequestStatus | null,
    workspace: Workspace | null,
  ): void;
  /** One manager's decision (a review or a revoke). */
  decision(request: AirlockRequest, review: Review, requiredApprovals: number): void;
  /**
   * A change of the review cycle (a vote, a comment, a return, …): its event, made by `build` from
   * the request as stored, and the notifications it calls for.
   */
  reviewChange(
    request: AirlockRequest,
    kind: string,
    build: (envelope: EventEnvelope) => AirlockEvent,
    notifications?: readonly Notification[],
  ): void;
}

/** The CloudEvents envelope of a change of `request`, named by `kind` and its write's revision. */
export type EventEnvelope = ReturnType<typeof envelope>;

export const changeEnvelope = (request: AirlockRequest, kind: string): EventEnvelope =>
  envelope(request, `${request.id}/${kind}/${request.revision}`, request.updatedWhen);

export const createAnnouncements = (
  ports: Pick<AirlockPorts, "events" | "notifier" | "workspaces">,
  options: {
    readonly notifications: NotificationMatrix;
    readonly onBackgroundError: (error: BackgroundError) => void;
  },
  background: BackgroundWork,
): Announcements => {
  const publish = async (request: AirlockRequest, event: AirlockEvent) => {
    const published = await ports.events.publish([event]);
    if (published.isErr()) {
      options.onBackgroundError({ step: "publish", requestId: request.id, error: published.error });
    }
  };

  const notify = async (
    request: AirlockRequest,
    previousStatus: RequestStatus | null,
    workspace: Workspace | null,
  ) => {
    const resolved = workspace ?? (await ports.workspaces.get(request.workspaceId)).unwrapOr(null);
    if (!resolved) return;
    const notification = notificationFor(
      options.notifications,
      request,
      previousStatus,
      resolved,
      statusChangeId(request),
    );
    if (!notification) return;
    const sent = await ports.notifier.notify(notification);
    if (sent.isErr()) options.onBackgroundError({ step: "notify", requestId: request.id, error: sent.error });
  };

  return {
    statusChange: (request, previousStatus, workspace) => {
      if (previousStatus === request.status) return;
      background.run(() =>
        Promise.all([
          publish(request, statusChangedEvent(request, previousStatus)),
          notify(request, previousStatus, workspace),
        ]),
      );
    },
    decision: (request, review, requiredApprovals) => {
      background.run(() => publish(request, reviewedEvent(request, review, requiredApprovals)));
    },
    reviewChange: (request, kind, build, notifications = []) => {
      background.run(() =>
        Promise.all([
          publish(request, build(changeEnvelope(request, kind))),
          ...notifications.map(async (notification) => {
            const sent = await ports.notifier.notify(notification);
            if (sent.isErr()) {
              options.onBackgroundError({ step: "notify", requestId: request.id, error: sent.error });
            }
          }),
        ]),
      );
    },
  };
};
