import { and, assign, not, or, setup } from "xstate";
import type { Role } from "../model/actor.js";
import type { RequestStatus, RequestType, Stage, UserAction } from "../model/request.js";

/** Who acts, as far as the machine's guards need to know. */
export interface ActorFacts {
  readonly id: string;
  readonly roles: readonly Role[];
}

export interface MachinePolicy {
  readonly enabled: boolean;
  readonly scanning: boolean;
  readonly requiredApprovals: number;
  readonly maxFiles: number;
}

export type RefusalKind = "Forbidden" | "IllegalTransition" | "PolicyViolation" | "AirlockDisabled";

export interface Refusal {
  readonly kind: RefusalKind;
  readonly message: string;
}

export interface AirlockContext {
  readonly requesterId: string;
  readonly type: RequestType;
  readonly policy: MachinePolicy;
  /** Files uploaded so far; `null` when the count should not decide (e.g. listing allowed actions). */
  readonly fileCount: number | null;
  /** Ids of the managers who approved, in order. */
  readonly approvals: readonly string[];
  /** Ids of every manager who decided (approved or rejected). */
  readonly deciders: readonly string[];
  /** Set when the last event was refused; the snapshot is otherwise unchanged. */
  readonly refusal: Refusal | null;
}

export type AirlockEvent =
  | { readonly type: "CREATE"; readonly actor: ActorFacts }
  | { readonly type: "SUBMIT"; readonly actor: ActorFacts }
  | { readonly type: "CANCEL"; readonly actor: ActorFacts }
  | { readonly type: "REVIEW"; readonly actor: ActorFacts; readonly approve: boolean }
  | { readonly type: "REVOKE"; readonly actor: ActorFacts }
  /** The processor placed the files in the in-progress stage. */
  | { readonly type: "STAGED" }
  | { readonly type: "SCAN_CLEAN" }
  | { readonly type: "SCAN_THREAT" }
  /** The processor moved the files to the stage the status calls for. */
  | { readonly type: "DATA_MOVED" }
  /**
   * A processing step cannot finish (no file, integrity mismatch, no scan verdict in time, a backing
   * service down past the deadline). Only statuses the processor works on can fail: nothing
   * processes a draft or a request in review, so they wait for a person instead.
   */
  | { readonly type: "FAIL" };

/** Who may hold a link in a status; `requester` is an ownership, the others are workspace roles. */
export type LinkHolder = "requester" | "WorkspaceResearcher" | "WorkspaceOwner" | "AirlockManager";

export type LinkRule =
  | { readonly kind: "none" }
  | { readonly kind: "processing" }
  | {
      readonly kind: "grant";
      readonly access: readonly ("read" | "write" | "list" | "delete")[];
      readonly holders: Readonly<Record<RequestType, readonly LinkHolder[]>>;
    };

/**
 * What each status means beyond its transitions: where the data rests once the processor has
 * caught up (`keep`: wherever it was), whether the processor must act, who may hold a link.
 */
export interface StatusMeta {
  readonly stage: Stage | null | "keep";
  readonly inProgress: boolean;
  readonly final: boolean;
  readonly link: LinkRule;
}

const both = (holders: readonly LinkHolder[]) => ({ import: holders, export: holders });
const READ = ["read", "list"] as const;

const meta = (m: StatusMeta) => ({ meta: m });
const settled = (stage: StatusMeta["stage"]) =>
  meta({ stage, inProgress: false, final: true, link: { kind: "none" } });
const processing = (stage: Stage) =>
  meta({ stage, inProgress: true, final: false, link: { kind: "processing" } });

const refuse = (kind: RefusalKind, message: string) => ({
  type: "refuse" as const,
  params: { kind, message },
});

const has = (actor: ActorFacts, role: Role) => actor.roles.includes(role);
const actorOf = (event: AirlockEvent): ActorFacts => ("actor" in event ? event.actor : { id: "", roles: [] });

export const airlockMachine = setup({
  types: {
    context: {} as AirlockContext,
    events: {} as AirlockEvent,
    input: {} as AirlockContext,
  },
  guards: {
    mayCreate: ({ event }) =>
      has(actorOf(event), "WorkspaceResearcher") || has(actorOf(event), "WorkspaceOwner"),
    airlockEnabled: ({ context }) => context.policy.enabled,
    maySubmit: ({ event }) =>
      has(actorOf(event), "WorkspaceResearcher") || has(actorOf(event), "WorkspaceOwner"),
    isRequester: ({ context, event }) => actorOf(event).id === context.requesterId,
    isWorkspaceOwner: ({ event }) => has(actorOf(event), "WorkspaceOwner"),
    isTreAdmin: ({ event }) => has(actorOf(event), "TREAdmin"),
    isAirlockManager: ({ event }) => has(actorOf(event), "AirlockManager"),
    fileCountWithinPolicy: ({ context }) =>
      context.fileCount === null || (context.fileCount >= 1 && context.fileCount <= context.policy.maxFiles),
    alreadyDecided: ({ context, event }) => context.deciders.includes(actorOf(event).id),
    approves: ({ event }) => event.type === "REVIEW" && event.approve,
    completesApprovals: ({ context }) => context.approvals.length + 1 >= context.policy.requiredApprovals,
    scanningDisabled: ({ context }) => !context.policy.scanning,
  },
  actions: {
    refuse: assign((_, params: Refusal) => ({ refusal: params })),
    recordDecision: assign(({ context, event }) => {
      const id = actorOf(event).id;
      const approve = event.type === "REVIEW" && event.approve;
      return {
        deciders: [...context.deciders, id],
        approvals: approve ? [...context.approvals, id] : context.approvals,
      };
    }),
  },
}).createMachine({
  id: "airlock",
  context: ({ input }) => input,
  initial: "new",
  on: {
    // Reached only when the current status has no enabled transition: the refusals, in the order
    // of checks the API promises (role, then ownership / self-review / repeated review, then status).
    CREATE: [
      {
        guard: not("mayCreate"),
        actions: refuse("Forbidden", "only a workspace researcher or owner may create a request"),
      },
      { actions: refuse("IllegalTransition", "the request already exists") },
    ],
    SUBMIT: [
      {
        guard: not("maySubmit"),
        actions: refuse("Forbidden", "only a workspace researcher or owner may submit a request"),
      },
      {
        guard: not(or(["isRequester", "isWorkspaceOwner"])),
        actions: refuse("Forbidden", "only the requester or a workspace owner may submit this request"),
      },
      { actions: refuse("IllegalTransition", "a request can be submitted only in draft") },
    ],
    CANCEL: [
      {
        guard: not(or(["isRequester", "isWorkspaceOwner", "isTreAdmin"])),
        actions: refuse(
          "Forbidden",
          "only the requester, a workspace owner or a TRE admin may cancel this request",
        ),
      },
      { actions: refuse("IllegalTransition", "a request can be cancelled only in draft or in review") },
    ],
    REVIEW: [
      {
        guard: not("isAirlockManager"),
        actions: refuse("Forbidden", "only an airlock manager may review a request"),
      },
      { guard: "isRequester", actions: refuse("Forbidden", "a requester never reviews their own request") },
      {
        guard: "alreadyDecided",
        actions: refuse("Forbidden", "each airlock manager decides once per request"),
      },
      { actions: refuse("IllegalTransition", "a request can be reviewed only in review") },
    ],
    REVOKE: [
      {
        guard: not("isAirlockManager"),
        actions: refuse("Forbidden", "only an airlock manager may revoke a request"),
      },
      { actions: refuse("IllegalTransition", "only an approved request can be revoked") },
    ],
    "*": { actions: refuse("IllegalTransition", "this step does not apply to the request's status") },
  },
  states: {
    new: {
      ...meta({ stage: null, inProgress: false, final: false, link: { kind: "none" } }),
      on: {
        CREATE: [
          {
            guard: and(["mayCreate", not("airlockEnabled")]),
            actions: refuse("AirlockDisabled", "the airlock is disabled for this workspace"),
          },
          { guard: "mayCreate", target: "draft" },
        ],
      },
    },
    draft: {
      ...meta({
        stage: "draft",
        inProgress: false,
        final: false,
        link: { kind: "grant", access: ["read", "write", "list", "delete"], holders: both(["requester"]) },
      }),
      on: {
        SUBMIT: [
          {
            guard: and(["maySubmit", or(["isRequester", "isWorkspaceOwner"]), "fileCountWithinPolicy"]),
            target: "submitted",
          },
          {
            guard: and(["maySubmit", or(["isRequester", "isWorkspaceOwner"])]),
            actions: refuse("PolicyViolation", "the request's file count does not meet the workspace policy"),
          },
        ],
        CANCEL: { guard: or(["isRequester", "isWorkspaceOwner", "isTreAdmin"]), target: "cancelled" },
      },
    },
    submitted: {
      ...meta({
        stage: "in_progress",
        inProgress: true,
        final: false,
        link: { kind: "grant", access: READ, holders: both(["requester", "WorkspaceOwner"]) },
      }),
      on: {
        STAGED: [{ guard: "scanningDisabled", target: "in_review" }, {}],
        SCAN_CLEAN: "in_review",
        SCAN_THREAT: "blocking_in_progress",
        FAIL: "failed",
      },
    },
    in_review: {
      ...meta({
        stage: "in_progress",
        inProgress: false,
        final: false,
        link: { kind: "grant", access: READ, holders: both(["AirlockManager", "WorkspaceOwner"]) },
      }),
      on: {
        REVIEW: [
          {
            guard: and(["isAirlockManager", not("isRequester"), not("alreadyDecided"), not("approves")]),
            target: "rejection_in_progress",
            actions: "recordDecision",
          },
          {
            guard: and(["isAirlockManager", not("isRequester"), not("alreadyDecided"), "completesApprovals"]),
            target: "approval_in_progress",
            actions: "recordDecision",
          },
          {
            guard: and(["isAirlockManager", not("isRequester"), not("alreadyDecided")]),
            actions: "recordDecision",
          },
        ],
        CANCEL: { guard: or(["isRequester", "isWorkspaceOwner", "isTreAdmin"]), target: "cancelled" },
      },
    },
    approval_in_progress: { ...processing("in_progress"), on: { DATA_MOVED: "approved", FAIL: "failed" } },
    rejection_in_progress: { ...processing("in_progress"), on: { DATA_MOVED: "rejected", FAIL: "failed" } },
    blocking_in_progress: {
      ...processing("in_progress"),
      on: { DATA_MOVED: "blocked_by_scan", FAIL: "failed" },
    },
    approved: {
      ...meta({
        stage: "approved",
        inProgress: false,
        final: true,
        link: {
          kind: "grant",
          access: READ,
          holders: {
            import: ["WorkspaceResearcher", "WorkspaceOwner"],
            export: ["requester", "WorkspaceOwner"],
          },
        },
      }),
      on: { REVOKE: { guard: "isAirlockManager", target: "revoked" } },
    },
    rejected: settled("rejected"),
    blocked_by_scan: settled("blocked"),
    // Nothing is kept for a cancelled request: its draft or in-progress files are deleted.
    cancelled: settled(null),
    // A failed request's files stay where they were, for an administrator to inspect.
    failed: settled("keep"),
    // Revoked data leaves the approved stage for the rejected one.
    revoked: settled("rejected"),
  },
});

export type AirlockMachine = typeof airlockMachine;

export const USER_ACTION_EVENTS: Readonly<Record<UserAction, "SUBMIT" | "CANCEL" | "REVIEW" | "REVOKE">> = {
  submit: "SUBMIT",
  cancel: "CANCEL",
  review: "REVIEW",
  revoke: "REVOKE",
};

export type MachineStatus = RequestStatus | "new";
