import { transition } from "xstate";
import type { Actor } from "../model/actor.js";
import type { AirlockRequest, RequestFile, RequestStatus, UserAction } from "../model/request.js";
import { UserAction as UserActionSchema } from "../model/request.js";
import { contentGates, DEFAULT_POLICY, type WorkspacePolicy, wantsMalwareScan } from "../model/workspace.js";
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

/** What of a request's review cycle the machine weighs; a request that does not exist yet has none. */
type ReviewCycleFacts = Pick<
  AirlockRequest,
  "draftFiles" | "turn" | "votes" | "fileContext" | "gatedTurn"
> & {
  readonly files: readonly { readonly name: string; readonly state?: RequestFile["state"] }[];
};

/** Names of the files recorded at submit that are still active: the only ones reviewed and moved on. */
const activeFileNames = (request: Partial<ReviewCycleFacts>): string[] =>
  (request.files ?? []).filter((file) => file.state !== "withdrawn").map((file) => file.name);

const reviewsThisTurn = (request: Pick<AirlockRequest, "reviews"> & Partial<ReviewCycleFacts>) =>
  request.reviews.filter((review) => (review.turn ?? 0) === (request.turn ?? 0));

/**
 * The machine's view of a request. `storedFiles: null` leaves the stored files out of the decision,
 * as `openDrafts: null` (the default) leaves out the requester's drafts; a request without
 * `draftFiles` or `files` (one that does not exist yet) has none.
 */
export const contextOf = (
  request: Pick<AirlockRequest, "createdBy" | "reviews"> & Partial<ReviewCycleFacts>,
  policy: WorkspacePolicy,
  storedFiles: readonly FileFacts[] | null,
  openDrafts: number | null = null,
): AirlockContext => ({
  requesterId: request.createdBy.id,
  policy: {
    enabled: policy.enabled,
    scanning: wantsMalwareScan(policy),
    requiredApprovals: policy.requiredApprovals,
    maxFiles: policy.maxFiles,
    maxFileSize: policy.maxFileSize,
    // A policy stored before the quota existed takes its default.
    maxOpenDrafts: policy.maxOpenDrafts ?? DEFAULT_POLICY.maxOpenDrafts,
    requireFileContext: policy.requireFileContext ?? DEFAULT_POLICY.requireFileContext,
  },
  storedFiles,
  recordedFiles: activeFileNames(request),
  openDrafts,
  draftFiles: request.draftFiles ?? [],
  approvals: reviewsThisTurn(request)
    .filter((r) => r.reviewDecision === "approved")
    .map((r) => r.reviewer.id),
  deciders: reviewsThisTurn(request)
    .filter((r) => r.reviewDecision !== "revoked")
    .map((r) => r.reviewer.id),
  activeFiles: activeFileNames(request),
  votes: (request.votes ?? [])
    .filter((vote) => vote.turn === (request.turn ?? 0))
    .map((vote) => ({ reviewer: vote.reviewer.id, file: vote.file, vote: vote.vote })),
  filesWithContext: (request.fileContext ?? [])
    .filter((context) => context.description !== undefined && context.controls !== undefined)
    .map((context) => context.name),
  gatesPending: contentGates(policy).length > 0 && (request.gatedTurn ?? null) !== (request.turn ?? 0),
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

/** The event standing for `action` when asking whether it is allowed now, whatever its input will be. */
const userActionEvent = (action: UserAction, actor: ActorFacts, context: AirlockContext): AirlockEvent => {
  switch (action) {
    case "review":
      return { type: "REVIEW", actor, approve: true };
    case "vote":
      // Offered while there is an active file to vote on.
      return { type: "VOTE", actor, file: context.activeFiles[0] ?? "", vote: "approve" };
    case "return":
      // The return's own comments must include one the requester may read: the input decides.
      return { type: "RETURN", actor, requesterComments: 1 };
    case "comment":
      return { type: "COMMENT", actor, visibility: "everyone" };
    default:
      return { type: USER_ACTION_EVENTS[action], actor };
  }
};

/**
 * The user actions the machine lets `actor` take now, by role, ownership and status (not file
 * count). Only events the status handles itself are put to the machine: it refuses the others.
 */
export const allowedUserActions = (
  request: Pick<AirlockRequest, "status" | "createdBy" | "reviews"> & Partial<ReviewCycleFacts>,
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
    (action) => decide(request.status, context, userActionEvent(action, facts, context)).allowed,
  );
};
