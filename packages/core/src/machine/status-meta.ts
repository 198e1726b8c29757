import type { WorkspaceRole } from "../model/actor.js";
import type { AirlockRequest, RequestStatus, RequestType, Stage } from "../model/request.js";

/** Every status of the machine: `new` is the request before it exists. */
export type MachineStatus = RequestStatus | "new";

/** Who may hold a link in a status; `requester` is an ownership, the others are workspace roles. */
export type LinkHolder = "requester" | WorkspaceRole;

export type LinkRule =
  /** The status has no link: nothing is left to read, or nobody may. */
  | { readonly kind: "none" }
  /** The processor is moving the data: a link would point at a stage that is about to change. */
  | { readonly kind: "processing" }
  | {
      readonly kind: "grant";
      readonly access: readonly ("read" | "write" | "list" | "delete")[];
      readonly holders: Readonly<Record<RequestType, readonly LinkHolder[]>>;
    };

/**
 * What each status means beyond its transitions.
 *
 * - `stage`: where the data rests once the processor has caught up (`keep`: wherever it was;
 *   `null`: nowhere, deleted).
 * - `inProgress`: the processor must act before anyone can.
 * - `final`: no person can move the request on any more (a revoke aside).
 * - `swept`: the processor visits requests in this status (after a restart, on a timer): every
 *   status in progress, and those a person enters that leave data to move or delete. A status the
 *   processor reaches itself gets its data in the same write, so it is not swept.
 * - `link`: who may hold a link to the data, with which access.
 * - `turnOpen`: the current turn is under review; its votes and per-file decisions are not the
 *   requester's to see yet.
 */
export interface StatusMeta {
  readonly stage: Stage | null | "keep";
  readonly inProgress: boolean;
  readonly final: boolean;
  readonly swept: boolean;
  readonly link: LinkRule;
  readonly turnOpen: boolean;
}

const both = (holders: readonly LinkHolder[]) => ({ import: holders, export: holders });
const READ = ["read", "list"] as const;
const NO_LINK: LinkRule = { kind: "none" };

const processing = (stage: Stage): StatusMeta => ({
  stage,
  inProgress: true,
  final: false,
  swept: true,
  link: { kind: "processing" },
  turnOpen: false,
});

const settled = (stage: StatusMeta["stage"], swept: boolean): StatusMeta => ({
  stage,
  inProgress: false,
  final: true,
  swept,
  link: NO_LINK,
  turnOpen: false,
});

/** A draft, or a request returned for changes: the requester works on the files in the draft stage. */
const DRAFT = {
  stage: "draft",
  inProgress: false,
  final: false,
  swept: false,
  link: { kind: "grant", access: ["read", "write", "list", "delete"], holders: both(["requester"]) },
  turnOpen: false,
} as const satisfies StatusMeta;

/** The machine's states carry these as their `meta`: one table, read by the machine and the service. */
export const STATUS_META = {
  new: { stage: null, inProgress: false, final: false, swept: false, link: NO_LINK, turnOpen: false },
  draft: DRAFT,
  submitted: {
    ...processing("in_progress"),
    link: { kind: "grant", access: READ, holders: both(["requester", "WorkspaceOwner"]) },
    turnOpen: true,
  },
  in_review: {
    stage: "in_progress",
    inProgress: false,
    final: false,
    swept: false,
    link: { kind: "grant", access: READ, holders: both(["AirlockManager", "WorkspaceOwner"]) },
    turnOpen: true,
  },
  // Returned for changes: the data goes back to the draft stage, where the requester changes it.
  returning_in_progress: processing("draft"),
  changes_requested: DRAFT,
  approval_in_progress: processing("in_progress"),
  rejection_in_progress: processing("in_progress"),
  blocking_in_progress: processing("in_progress"),
  approved: {
    stage: "approved",
    inProgress: false,
    final: true,
    swept: false,
    turnOpen: false,
    link: {
      kind: "grant",
      access: READ,
      // An approved import is read inside the workspace; an approved export by its requester.
      holders: { import: ["WorkspaceResearcher", "WorkspaceOwner"], export: ["requester", "WorkspaceOwner"] },
    },
  },
  rejected: settled("rejected", false),
  blocked_by_scan: settled("blocked", false),
  // Nothing is kept for a cancelled request: its draft or in-progress files are deleted.
  cancelled: settled(null, true),
  // A failed request's files stay where they were, for an administrator to inspect.
  failed: settled("keep", false),
  // Revoked data leaves the approved stage for the rejected one.
  revoked: settled("rejected", true),
} as const satisfies Readonly<Record<MachineStatus, StatusMeta>>;

export const statusMeta = (status: MachineStatus): StatusMeta => STATUS_META[status];

/** Where a draft's files are written, and where submit reads them from. */
export const UPLOAD_STAGE: Stage = STATUS_META.draft.stage;

export const ALL_STATUSES = Object.keys(STATUS_META) as MachineStatus[];

const requestStatuses = (keep: (meta: StatusMeta) => boolean): RequestStatus[] =>
  ALL_STATUSES.filter((status) => status !== "new" && keep(statusMeta(status))) as RequestStatus[];

export const IN_PROGRESS_STATUSES: readonly RequestStatus[] = requestStatuses((meta) => meta.inProgress);

/** What the processor sweeps after a restart, or on a timer. */
export const SWEPT_STATUSES: readonly RequestStatus[] = requestStatuses((meta) => meta.swept);

/** The stage a status's data rests in, or `null` when it rests nowhere or stays where it was. */
export const stageOf = (status: MachineStatus): Stage | null => {
  const { stage } = statusMeta(status);
  return stage === "keep" ? null : stage;
};

export const isInProgress = (status: RequestStatus): boolean => statusMeta(status).inProgress;
export const isFinal = (status: RequestStatus): boolean => statusMeta(status).final;
export const isTurnOpen = (status: RequestStatus): boolean => statusMeta(status).turnOpen;

/** Whether the processor still has to act: a step pending, or data not yet where the status says. */
export const needsProcessing = (request: Pick<AirlockRequest, "status" | "dataStage">): boolean => {
  const meta = statusMeta(request.status);
  if (meta.inProgress) return true;
  return meta.stage !== "keep" && meta.stage !== request.dataStage;
};
