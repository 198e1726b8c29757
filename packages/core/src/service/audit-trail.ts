import { err, ok } from "neverthrow";
import type { Actor } from "../model/actor.js";
import {
  type AuditTrailPage,
  AuditTrailQuery,
  type AuditVerification,
  DEFAULT_AUDIT_PAGE,
  workspaceAuditStream,
} from "../model/audit.js";
import { loadAddressedRequest, loadReader } from "./access.js";
import type { UseCaseDeps } from "./deps.js";
import { fromPort, type Outcome, parseInput } from "./outcome.js";

type AuditPermission = "audit" | "workspaceAudit";

/** The stream a reader may read: a request's, or the workspace's own. */
const streamFor = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string | null,
): Outcome<string> => {
  const permission: AuditPermission = requestId === null ? "workspaceAudit" : "audit";
  const doing = requestId === null ? "reading the workspace's audit trail" : "reading the audit trail";
  const reader = await loadReader(deps, actorInput, workspaceId, permission, "audit", doing);
  if (reader.isErr()) return err(reader.error);
  if (requestId === null) return ok(workspaceAuditStream(workspaceId));
  const request = await loadAddressedRequest(deps, reader.value.actor, workspaceId, requestId, "audit");
  return request.isErr() ? err(request.error) : ok(request.value.id);
};

const readPage = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string | null,
  query: unknown,
): Outcome<AuditTrailPage> => {
  const parsed = parseInput(AuditTrailQuery, query ?? {}, "the audit trail query");
  if (parsed.isErr()) return err(parsed.error);
  const stream = await streamFor(deps, actorInput, workspaceId, requestId);
  if (stream.isErr()) return err(stream.error);
  const { continuation, pageSize } = parsed.value;
  const page = await fromPort(
    deps.ports.audit.list(stream.value, {
      fromSeq: continuation === undefined ? 0 : Number(continuation),
      limit: pageSize ?? DEFAULT_AUDIT_PAGE,
    }),
  );
  if (page.isErr()) return err(page.error);
  const { entries, nextSeq } = page.value;
  return ok({ entries, continuation: nextSeq === null ? null : String(nextSeq) });
};

/** A page of a request's audit trail, in `seq` order. */
export const readAuditTrail = (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
  query?: unknown,
): Outcome<AuditTrailPage> => readPage(deps, actorInput, workspaceId, requestId, query);

/** A page of the workspace's own audit trail (refusals made before any request was read). */
export const readWorkspaceAuditTrail = (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  query?: unknown,
): Outcome<AuditTrailPage> => readPage(deps, actorInput, workspaceId, null, query);

/**
 * Verifies a request's audit trail, or with `requestId` null the workspace's, from its first entry
 * against its latest signed checkpoint: a walk over the whole stream, a page at a time.
 */
export const verifyAuditTrail = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string | null,
): Outcome<AuditVerification> => {
  const stream = await streamFor(deps, actorInput, workspaceId, requestId);
  if (stream.isErr()) return err(stream.error);
  return fromPort(deps.ports.audit.verify(stream.value));
};
