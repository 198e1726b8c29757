import { transition } from "xstate";
import type { Actor } from "../model/actor.js";
import type { AirlockRequest, RequestStatus, UserAction } from "../model/request.js";
import { UserAction as UserActionSchema } from "../model/request.js";
import { DEFAULT_POLICY, type WorkspacePolicy } from "../model/workspace.js";
import {
  type ActorFacts,
  type AirlockContext,
  type AirlockEvent,
  type AirlockEventType,
  airlockMachine,
  type MachineStatus,
  type Refusal,
  USER_ACTION_EVENTS,
} from "./airlock-machine.js";
import type { FileFacts } from "./files.js";
import { ALL_STATUSES } from "./status-meta.js";

export type Decision =
  | { readonly allowed: true; readonly from: MachineStatus; readonly to: RequestStatus }
  | { readonly allowed: false; readonly from: MachineStatus; readonly refusal: Refusal };

export const actorFacts = (actor: Pick<Actor, "id" | "roles">): ActorFacts => ({
  id: actor.id,
  roles: actor.roles,
});

/**
 * The machine's view of a request. `storedFiles: null` leaves the stored files out of the decision,
 * as `openDrafts: null` (the default) leaves out the requester's drafts; a request without
 * `draftFiles` or `files` (one that does not exist yet) has none.
 */
export const contextOf = (
  request: Pick<AirlockRequest, "createdBy" | "reviews"> & {
    readonly draftFiles?: readonly string[];
    readonly files?: readonly { readonly name: string }[];
  },
  policy: WorkspacePolicy,
  storedFiles: readonly FileFacts[] | null,
  openDrafts: number | null = null,
): AirlockContext => ({
  requesterId: request.createdBy.id,
  policy: {
    enabled: policy.enabled,
    scanning: policy.scanning,
    requiredApprovals: policy.requiredApprovals,
    maxFiles: policy.maxFiles,
    maxFileSize: policy.maxFileSize,
    // A policy stored before the quota existed takes its default.
    maxOpenDrafts: policy.maxOpenDrafts ?? DEFAULT_POLICY.maxOpenDrafts,
  },
  storedFiles,
  recordedFiles: (request.files ?? []).map((file) => file.name),
  openDrafts,
  draftFiles: request.draftFiles ?? [],
  approvals: request.reviews.filter((r) => r.reviewDecision === "approved").map((r) => r.reviewer.id),
  deciders: request.reviews.filter((r) => r.reviewDecision !== "revoked").map((r) => r.reviewer.id),
  refusal: null,
});

/** Asks the machine what `event` does to a request in `status`; nothing is changed anywhere. */
export const decide = (status: MachineStatus, context: AirlockContext, event: AirlockEvent): Decision => {
  const snapshot = airlockMachine.resolveState({ value: status, context: { ...context, refusal: null } });
  const [next] = transition(airlockMachine, snapshot, event);
  if (next.context.refusal) return { allowed: false, from: status, refusal: next.context.refusal };
  return { allowed: true, from: status, to: next.value as RequestStatus };
};

/**
 * Whether `actor` may create a request in a workspace with `policy`, and in which status it starts;
 * `openDrafts` counts the drafts the actor holds open there (`null`: leave the quota out).
 */
export const decideCreation = (
  actor: Pick<Actor, "id" | "roles">,
  policy: WorkspacePolicy,
  openDrafts: number | null = null,
): Decision => {
  // The request does not exist yet: its requester will be the actor.
  const requester = { id: actor.id, name: "", email: "" };
  const context = contextOf({ createdBy: requester, reviews: [] }, policy, null, openDrafts);
  return decide("new", context, { type: "CREATE", actor: actorFacts(actor) });
};

/**
 * Whether `status` handles `eventType` itself. Every other event reaches the machine's top-level
 * handlers, which only refuse: so this is where the event can ever be allowed.
 */
export const statusAccepts = (status: MachineStatus, eventType: AirlockEventType): boolean =>
  airlockMachine.root.states[status]?.on[eventType] !== undefined;

/** The statuses in which `eventType` can be allowed (the review queue asks for REVIEW's). */
export const statusesAccepting = (eventType: AirlockEventType): RequestStatus[] =>
  ALL_STATUSES.filter((status) => status !== "new" && statusAccepts(status, eventType)) as RequestStatus[];

const userActionEvent = (action: UserAction, actor: ActorFacts): AirlockEvent => {
  const type = USER_ACTION_EVENTS[action];
  return type === "REVIEW" ? { type, actor, approve: true } : { type, actor };
};

/**
 * The user actions the machine lets `actor` take now, by role, ownership and status (not file
 * count). Only events the status handles itself are put to the machine: it refuses the others.
 */
export const allowedUserActions = (
  request: Pick<AirlockRequest, "status" | "createdBy" | "reviews">,
  policy: WorkspacePolicy,
  actor: Pick<Actor, "id" | "roles">,
): readonly UserAction[] => {
  const facts = actorFacts(actor);
  const candidates = UserActionSchema.options.filter((action) =>
    statusAccepts(request.status, USER_ACTION_EVENTS[action]),
  );
  if (candidates.length === 0) return [];
  const context = contextOf(request, policy, null);
  return candidates.filter(
    (action) => decide(request.status, context, userActionEvent(action, facts)).allowed,
  );
};
