import { err, ok } from "neverthrow";
import type { Actor } from "../model/actor.js";
import type { AuditEntry, AuditVerification } from "../model/audit.js";
import { loadAddressedRequest, loadReader } from "./access.js";
import type { UseCaseDeps } from "./deps.js";
import { fromPort, type Outcome } from "./outcome.js";

/** A request's audit trail, with the verification of its hash chain. */
export const readAuditTrail = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
): Outcome<{ readonly entries: readonly AuditEntry[]; readonly verification: AuditVerification }> => {
  const reader = await loadReader(deps, actorInput, workspaceId, "audit", "audit", "reading the audit trail");
  if (reader.isErr()) return err(reader.error);
  const request = await loadAddressedRequest(deps, reader.value.actor, workspaceId, requestId, "audit");
  if (request.isErr()) return err(request.error);

  const entries = await fromPort(deps.ports.audit.list(request.value.id));
  if (entries.isErr()) return err(entries.error);
  const verification = await fromPort(deps.ports.audit.verify(request.value.id));
  if (verification.isErr()) return err(verification.error);
  return ok({ entries: entries.value, verification: verification.value });
};
