import { transition } from "xstate";
import type { Actor } from "../model/actor.js";
import type { AirlockRequest, RequestStatus, UserAction } from "../model/request.js";
import { UserAction as UserActionSchema } from "../model/request.js";
import type { WorkspacePolicy } from "../model/workspace.js";
import {
  type ActorFacts,
  type AirlockContext,
  type AirlockEvent,
  airlockMachine,
  type LinkHolder,
  type MachineStatus,
  type Refusal,
  type StatusMeta,
  USER_ACTION_EVENTS,
} from "./airlock-machine.js";

export type Decision =
  | { readonly allowed: true; readonly from: MachineStatus; readonly to: RequestStatus }
  | { readonly allowed: false; readonly from: MachineStatus; readonly refusal: Refusal };

export const actorFacts = (actor: Pick<Actor, "id" | "roles">): ActorFacts => ({
  id: actor.id,
  roles: actor.roles,
});

/** The machine's view of a request. `fileCount: null` leaves the file count out of the decision. */
export const contextOf = (
  request: Pick<AirlockRequest, "createdBy" | "type" | "reviews">,
  policy: WorkspacePolicy,
  fileCount: number | null,
): AirlockContext => ({
  requesterId: request.createdBy.id,
  type: request.type,
  policy: {
    enabled: policy.enabled,
    scanning: policy.scanning,
    requiredApprovals: policy.requiredApprovals,
    maxFiles: policy.maxFiles,
  },
  fileCount,
  approvals: request.reviews.filter((r) => r.reviewDecision === "approved").map((r) => r.reviewer.id),
  deciders: request.reviews.filter((r) => r.reviewDecision !== "revoked").map((r) => r.reviewer.id),
  refusal: null,
});

/** Names people by their part in a question: `actor`, then `p0`, `p1`… in order of appearance. */
const aliasing = (actorId: string | null) => {
  const seen: string[] = [];
  return (id: string) => {
    if (id === actorId) return "actor";
    let index = seen.indexOf(id);
    if (index === -1) index = seen.push(id) - 1;
    return `p${index}`;
  };
};

/**
 * The machine's guards compare people only by identity, so a decision depends on who is who, not on
 * the ids themselves: ids are renamed to their part in the question before it is used as a key.
 * Statuses, types, roles and event types are closed enums without `|` or `,`, so the text is unique.
 */
const contextKey = (status: MachineStatus, context: AirlockContext, actorId: string | null): string => {
  const alias = aliasing(actorId);
  const { policy } = context;
  return `${status}|${alias(context.requesterId)}|${context.type}|${policy.enabled}|${policy.scanning}|${policy.requiredApprovals}|${policy.maxFiles}|${context.fileCount}|${context.approvals.map(alias).join(",")}|${context.deciders.map(alias).join(",")}`;
};

const rolesKey = (roles: readonly string[]) =>
  roles.length < 2 ? roles.join(",") : [...roles].sort().join(",");

const questionKey = (status: MachineStatus, context: AirlockContext, event: AirlockEvent): string => {
  const actor = "actor" in event ? event.actor : null;
  const approve = event.type === "REVIEW" ? event.approve : "-";
  return `${contextKey(status, context, actor?.id ?? null)}|${event.type}|${actor ? rolesKey(actor.roles) : "-"}|${approve}`;
};

const MEMO_LIMIT = 10_000;
const memo = new Map<string, Decision>();

const ask = (status: MachineStatus, context: AirlockContext, event: AirlockEvent): Decision => {
  const snapshot = airlockMachine.resolveState({ value: status, context: { ...context, refusal: null } });
  const [next] = transition(airlockMachine, snapshot, event);
  if (next.context.refusal) return { allowed: false, from: status, refusal: next.context.refusal };
  return { allowed: true, from: status, to: next.value as RequestStatus };
};

/**
 * Asks the machine what `event` does to a request in `status`; nothing is changed anywhere.
 * Answers are remembered per question (see `questionKey`), as the machine is pure.
 */
export const decide = (status: MachineStatus, context: AirlockContext, event: AirlockEvent): Decision => {
  const key = questionKey(status, context, event);
  const known = memo.get(key);
  if (known) return known;
  const decision = ask(status, context, event);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, decision);
  return decision;
};

export const ALL_STATUSES = Object.keys(airlockMachine.root.states) as MachineStatus[];

export const statusMeta = (status: MachineStatus): StatusMeta => {
  const node = airlockMachine.root.states[status];
  if (!node) throw new Error(`unknown status ${status}`);
  return node.meta as StatusMeta;
};

export const isInProgress = (status: RequestStatus): boolean => statusMeta(status).inProgress;
export const isFinal = (status: RequestStatus): boolean => statusMeta(status).final;
export const IN_PROGRESS_STATUSES = ALL_STATUSES.filter(
  (s) => s !== "new" && statusMeta(s).inProgress,
) as RequestStatus[];

/**
 * Statuses whose data still has to be moved, or whose asynchronous step is pending: what the
 * processor sweeps after a restart.
 */
export const needsProcessing = (request: Pick<AirlockRequest, "status" | "dataStage">): boolean => {
  const meta = statusMeta(request.status);
  if (meta.inProgress) return true;
  return meta.stage !== "keep" && meta.stage !== request.dataStage;
};

const userActionEvent = (action: UserAction, actor: ActorFacts): AirlockEvent => {
  const type = USER_ACTION_EVENTS[action];
  return type === "REVIEW" ? { type, actor, approve: true } : { type, actor };
};

const actionsMemo = new Map<string, readonly UserAction[]>();

/**
 * The user actions the machine lets `actor` take now, by role, ownership and status (not file
 * count). Remembered per question like `decide`, as every read of a request asks it.
 */
export const allowedUserActions = (
  request: Pick<AirlockRequest, "status" | "createdBy" | "type" | "reviews">,
  policy: WorkspacePolicy,
  actor: Pick<Actor, "id" | "roles">,
): readonly UserAction[] => {
  const context = contextOf(request, policy, null);
  const key = `${contextKey(request.status, context, actor.id)}|${rolesKey(actor.roles)}`;
  const known = actionsMemo.get(key);
  if (known) return known;
  const facts = actorFacts(actor);
  const actions = Object.freeze(
    UserActionSchema.options.filter(
      (action) => decide(request.status, context, userActionEvent(action, facts)).allowed,
    ),
  );
  if (actionsMemo.size >= MEMO_LIMIT) actionsMemo.clear();
  actionsMemo.set(key, actions);
  return actions;
};

export type LinkDecision =
  | { readonly kind: "grant"; readonly access: readonly ("read" | "write" | "list" | "delete")[] }
  | {
      readonly kind: "refused";
      readonly reason: "NoLink" | "Processing" | "Forbidden";
      readonly message: string;
    };

/** Whether `actor` may hold a link to the request's container now, and with which access. */
export const linkDecision = (
  request: Pick<AirlockRequest, "status" | "type" | "createdBy">,
  actor: Pick<Actor, "id" | "roles">,
): LinkDecision => {
  const rule = statusMeta(request.status).link;
  if (rule.kind === "none") {
    return {
      kind: "refused",
      reason: "NoLink",
      message: `a request in status ${request.status} has no link`,
    };
  }
  if (rule.kind === "processing") {
    return {
      kind: "refused",
      reason: "Processing",
      message: "the request is being processed, try again later",
    };
  }
  const holds = (holder: LinkHolder) =>
    holder === "requester" ? actor.id === request.createdBy.id : actor.roles.includes(holder);
  if (!rule.holders[request.type].some(holds)) {
    return {
      kind: "refused",
      reason: "Forbidden",
      message: `a link in status ${request.status} is not for you`,
    };
  }
  return { kind: "grant", access: rule.access };
};
