import type { Actor } from "../model/actor.js";
import type { AirlockRequest, RequestStatus, Stage } from "../model/request.js";
import type { LinkAccess } from "../ports/storage.js";
import { isParty } from "./permissions.js";
import { type LinkHolder, statusMeta } from "./status-meta.js";

/** What a status lets links do now: one reading of the link table for issuing and using links. */
type LinkState =
  | { readonly kind: "none" }
  | { readonly kind: "processing"; readonly message: string }
  | {
      readonly kind: "grant";
      readonly stage: Stage;
      readonly access: readonly LinkAccess[];
      readonly holders: (type: AirlockRequest["type"]) => readonly LinkHolder[];
    };

const linkState = (status: RequestStatus): LinkState => {
  const meta = statusMeta(status);
  const rule = meta.link;
  if (rule.kind === "processing") {
    return { kind: "processing", message: "the request is being processed, try again later" };
  }
  // A grant names a stage by construction; a status resting nowhere has no link either way.
  if (rule.kind === "none" || meta.stage === null || meta.stage === "keep") return { kind: "none" };
  return { kind: "grant", stage: meta.stage, access: rule.access, holders: (type) => rule.holders[type] };
};

export type LinkDecision =
  | { readonly kind: "grant"; readonly stage: Stage; readonly access: readonly LinkAccess[] }
  | {
      readonly kind: "refused";
      readonly reason: "NoLink" | "Processing" | "Forbidden";
      readonly message: string;
    };

/** Whether `actor` may be issued a link to the request's container now, to which stage and access. */
export const linkDecision = (
  request: Pick<AirlockRequest, "status" | "type" | "createdBy">,
  actor: Pick<Actor, "id" | "roles">,
): LinkDecision => {
  const state = linkState(request.status);
  if (state.kind === "processing") return { kind: "refused", reason: "Processing", message: state.message };
  if (state.kind === "none") {
    return {
      kind: "refused",
      reason: "NoLink",
      message: `a request in status ${request.status} has no link`,
    };
  }
  if (!state.holders(request.type).some((holder) => isParty(holder, actor, request.createdBy.id))) {
    return {
      kind: "refused",
      reason: "Forbidden",
      message: `a link in status ${request.status} is not for you`,
    };
  }
  return { kind: "grant", stage: state.stage, access: state.access };
};

export type BlobCallDecision =
  | { readonly kind: "allowed" }
  | { readonly kind: "refused"; readonly reason: "NoLink" | "Forbidden"; readonly message: string };

/**
 * Whether a call through a link issued earlier may happen now. The link says who holds it (with the
 * workspace roles they held when it was issued) and which stage and operation it was issued for;
 * the link rule is run again for that holder on the request's current status, so a link stops
 * working the moment its status no longer grants it, or grants it to others only.
 */
export const blobCallDecision = (
  request: Pick<AirlockRequest, "status" | "type" | "createdBy">,
  holder: Pick<Actor, "id" | "roles">,
  stage: Stage,
  operation: LinkAccess,
): BlobCallDecision => {
  const { status } = request;
  const decision = linkDecision(request, holder);
  if (decision.kind === "refused") {
    switch (decision.reason) {
      // Data on the move comes back under a later status: the caller may try again then.
      case "Processing":
        return { kind: "refused", reason: "NoLink", message: decision.message };
      case "NoLink":
        return {
          kind: "refused",
          reason: "Forbidden",
          message: `the request is ${status}: its links no longer work`,
        };
      case "Forbidden":
        return {
          kind: "refused",
          reason: "Forbidden",
          message: `while the request is ${status} its link is not for this link's holder`,
        };
    }
  }
  if (decision.stage !== stage || !decision.access.includes(operation)) {
    return {
      kind: "refused",
      reason: "Forbidden",
      message: `a ${operation} in the ${stage} stage is not allowed while the request is ${status}`,
    };
  }
  return { kind: "allowed" };
};
