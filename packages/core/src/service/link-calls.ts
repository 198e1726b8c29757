import { err, ok } from "neverthrow";
import type { AirlockError } from "../errors.js";
import { blobCallDecision } from "../machine/links.js";
import { GrantHolder } from "../model/actor.js";
import { FileNameInput } from "../model/primitives.js";
import type { AirlockRequest, Stage } from "../model/request.js";
import type { LinkAccess } from "../ports/storage.js";
import { appendAudit, auditRecord, epochSeconds, quoted } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { loadRequest } from "./lookup.js";
import { type Outcome, parseInput } from "./outcome.js";

/**
 * One call on a request's data through a link: who holds the link, which stage and operation, and
 * the file (none for a listing). `holder: "requester"` is the embedder's own upload, made for the
 * draft's requester, the only holder a draft's link has.
 */
export interface LinkCall {
  readonly holder: GrantHolder | "requester";
  readonly requestId: string;
  readonly stage: Stage;
  readonly operation: LinkAccess;
  readonly file: string | null;
}

/** A call let through: the request it works on, and who made it. */
export interface AdmittedCall {
  readonly request: AirlockRequest;
  readonly holder: GrantHolder;
}

/** The audit action of a call through a link: `file-read`, `file-write`, `file-list`, `file-delete`. */
export const linkCallAction = (operation: LinkAccess): string => `file-${operation}`;

const whatAndWhere = (call: LinkCall) =>
  `${call.file === null ? "the file list" : quoted(call.file)} in ${call.stage}`;

const record = (
  deps: UseCaseDeps,
  call: LinkCall,
  admitted: AdmittedCall,
  refusal: AirlockError | null,
): Outcome<void> => {
  const { request, holder } = admitted;
  return appendAudit(
    deps.ports.audit,
    auditRecord(epochSeconds(deps.ports.clock), {
      stream: request.id,
      workspaceId: request.workspaceId,
      requestId: request.id,
      // A link carries its holder's id, not their name.
      actor: { id: holder.id, name: holder.id },
      action: linkCallAction(call.operation),
      outcome: refusal ? "denied" : "allowed",
      reason: refusal ? `${refusal.kind}: ${refusal.message}; ${whatAndWhere(call)}` : whatAndWhere(call),
      fromStatus: request.status,
      toStatus: refusal ? null : request.status,
    }),
  );
};

/**
 * The request a call through a link addresses, if the link rule, run again for the link's holder on
 * the request's current status, lets that call happen now: the link's token is not the authority.
 * A refusal is recorded in the request's stream before it is answered.
 */
const admitLinkCall = async (deps: UseCaseDeps, call: LinkCall): Outcome<AdmittedCall> => {
  const valid =
    call.holder === "requester" ? ok(call.holder) : parseInput(GrantHolder, call.holder, "the link's holder");
  if (valid.isErr()) return err(valid.error);
  const found = await loadRequest(deps.ports, null, call.requestId);
  if (found.isErr()) return err(found.error);
  const request = found.value;
  const holder: GrantHolder =
    valid.value === "requester" ? { id: request.createdBy.id, roles: [] } : valid.value;
  const decision = blobCallDecision(request, holder, call.stage, call.operation);
  if (decision.kind === "allowed") return ok({ request, holder });
  const refusal: AirlockError = { kind: decision.reason, message: decision.message };
  const recorded = await record(deps, call, { request, holder }, refusal);
  return err(recorded.isErr() ? recorded.error : refusal);
};

/**
 * The steps every call through a link takes before it touches the data: the link rule admits it,
 * its file name (if any) is checked, and it is recorded in the audit trail. The record comes before
 * the data is read or written, so no access happens that the audit trail does not know of: when the
 * record cannot be stored, the call is refused. Answers the file's name as stored (NFC), or null for
 * a listing.
 */
const start = async (
  deps: UseCaseDeps,
  call: LinkCall,
): Outcome<{ readonly admitted: AdmittedCall; readonly name: string | null }> => {
  const admitted = await admitLinkCall(deps, call);
  if (admitted.isErr()) return err(admitted.error);
  let name: string | null = null;
  if (call.file !== null) {
    const valid = parseInput(FileNameInput, call.file, "the file name");
    if (valid.isErr()) return err(valid.error);
    name = valid.value;
  }
  const recorded = await record(deps, call, admitted.value, null);
  return recorded.isErr() ? err(recorded.error) : ok({ admitted: admitted.value, name });
};

/** A listing through a link, admitted and recorded (see `start`). */
export const startListing = async (
  deps: UseCaseDeps,
  call: Omit<LinkCall, "file" | "operation">,
): Outcome<AdmittedCall> => {
  const started = await start(deps, { ...call, operation: "list", file: null });
  return started.isErr() ? err(started.error) : ok(started.value.admitted);
};

/** A call on one file through a link, admitted, its name checked, and recorded (see `start`). */
export const startFileCall = async (
  deps: UseCaseDeps,
  call: LinkCall & { readonly file: string },
): Outcome<AdmittedCall & { readonly name: string }> => {
  const started = await start(deps, call);
  if (started.isErr()) return err(started.error);
  return ok({ ...started.value.admitted, name: started.value.name ?? call.file });
};
