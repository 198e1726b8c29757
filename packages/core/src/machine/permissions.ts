import type { Role } from "../model/actor.js";

/**
 * What a person may attempt: the commands on a request, creating one, and the reads that are not
 * transitions (a workspace's requests, a link to a request's data, what changed since the previous
 * turn, a request's audit trail, the workspace's own audit trail, the TRE-wide audit trail, the
 * cross-workspace review queue).
 */
export type Permission =
  | "create"
  | "submit"
  | "cancel"
  | "review"
  | "revoke"
  | "return"
  | "vote"
  | "comment"
  | "withdraw"
  | "setFileContext"
  | "readChanges"
  | "read"
  | "link"
  | "audit"
  | "workspaceAudit"
  | "treAudit"
  | "reviewQueue";

/** Someone a request names by their part in it (`requester`), or by a role they hold. */
export type Party = "requester" | Role;

export interface PermissionRule {
  /** The roles that may attempt it at all; `anyone` where the request alone decides (see `parties`). */
  readonly roles: readonly Role[] | "anyone";
  /** On one request, who among those may go ahead; absent when the role is enough. */
  readonly parties?: readonly Party[];
}

const R = "WorkspaceResearcher";
const O = "WorkspaceOwner";
const M = "AirlockManager";
const ADMIN = "TREAdmin";

/**
 * Who may do what. The machine's guards read this table, and so does every check made before a
 * request is read, so a rule is written here once. Self-review and one decision per manager are
 * rules of the review itself: they live with the REVIEW transitions.
 */
export const PERMISSIONS = {
  create: { roles: [R, O] },
  submit: { roles: [R, O], parties: ["requester", O] },
  // Ownership alone decides: a caller's roles never tell the caller whether a request exists.
  cancel: { roles: "anyone", parties: ["requester", O, ADMIN] },
  review: { roles: [M] },
  revoke: { roles: [M] },
  return: { roles: [M] },
  vote: { roles: [M] },
  // Whoever may read the request may comment on it; who may write reviewer-only comments is a rule
  // of the comment itself (those who may review the request), with the COMMENT transitions.
  comment: { roles: [R, O, M] },
  withdraw: { roles: [R, O], parties: ["requester"] },
  setFileContext: { roles: [R, O], parties: ["requester"] },
  readChanges: { roles: [R, O, M] },
  read: { roles: [R, O, M] },
  link: { roles: [R, O, M] },
  audit: { roles: [O, M, ADMIN] },
  // The workspace's own stream holds refusals of anyone in the workspace: for the TRE's admins.
  workspaceAudit: { roles: [ADMIN] },
  // The TRE-wide stream holds refusals that name no workspace, of anyone in the TRE: the same.
  treAudit: { roles: [ADMIN] },
  reviewQueue: { roles: [M] },
} as const satisfies Readonly<Record<Permission, PermissionRule>>;

const ruleOf = (permission: Permission): PermissionRule => PERMISSIONS[permission];

/** Whether someone holding `roles` may attempt `permission` at all, before any request is read. */
export const mayAttempt = (permission: Permission, roles: readonly Role[]): boolean => {
  const allowed = ruleOf(permission).roles;
  return allowed === "anyone" || roles.some((role) => allowed.includes(role));
};

/** The roles `permission` needs, as a refusal tells them. */
export const describeRoles = (permission: Permission): string => {
  const roles = ruleOf(permission).roles;
  return roles === "anyone" ? "any role" : `one of the roles ${roles.join(", ")}`;
};

/** Whether `actor` is `party` on a request created by `requesterId`. */
export const isParty = (
  party: Party,
  actor: { readonly id: string; readonly roles: readonly Role[] },
  requesterId: string,
): boolean => (party === "requester" ? actor.id === requesterId : actor.roles.includes(party));

/** Whether `actor` is one of the parties who may go ahead with `permission` on this request. */
export const isPartyTo = (
  permission: Permission,
  actor: { readonly id: string; readonly roles: readonly Role[] },
  requesterId: string,
): boolean => {
  const parties = ruleOf(permission).parties;
  return parties === undefined || parties.some((party) => isParty(party, actor, requesterId));
};
