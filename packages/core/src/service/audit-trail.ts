import { err, ok } from "neverthrow";
import { describeRoles, mayAttempt } from "../machine/permissions.js";
import type { Actor } from "../model/actor.js";
import {
  type AuditTrailPage,
  AuditTrailQuery,
  type AuditVerification,
  DEFAULT_AUDIT_PAGE,
  TRE_STREAM,
  workspaceAuditStream,
} from "../model/audit.js";
import { loadAddressedRequest, loadReader } from "./access.js";
import { actingTreWide, validActor } from "./acting.js";
import { deny } from "./audit-records.js";
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

/**
 * The TRE-wide stream, for a reader the permission table lets read it. A refusal is recorded in
 * that stream too: the read names no workspace.
 */
const treStreamFor = async (deps: UseCaseDeps, actorInput: Actor): Outcome<string> => {
  const valid = validActor(actorInput);
  if (valid.isErr()) return err(valid.error);
  const actor = actingTreWide(valid.value);
  if (mayAttempt("treAudit", actor.roles)) return ok(TRE_STREAM);
  return deny(
    deps.ports,
    { kind: "Forbidden", message: `reading the TRE's audit trail needs ${describeRoles("treAudit")}` },
    { workspaceId: null, request: null, actor, action: "audit" },
  );
};

/** A page of the stream `streamOf` finds, once the query is valid. */
const readPage = async (
  deps: UseCaseDeps,
  query: unknown,
  streamOf: () => Outcome<string>,
): Outcome<AuditTrailPage> => {
  const parsed = parseInput(AuditTrailQuery, query ?? {}, "the audit trail query");
  if (parsed.isErr()) return err(parsed.error);
  const stream = await streamOf();
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
): Outcome<AuditTrailPage> =>
  readPage(deps, query, () => streamFor(deps, actorInput, workspaceId, requestId));

/** A page of the workspace's own audit trail (refusals made before any request was read). */
export const readWorkspaceAuditTrail = (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  query?: unknown,
): Outcome<AuditTrailPage> => readPage(deps, query, () => streamFor(deps, actorInput, workspaceId, null));

/** A page of the TRE-wide audit trail: refusals that named no workspace that exists. */
export const readTreAuditTrail = (
  deps: UseCaseDeps,
  actorInput: Actor,
  query?: unknown,
): Outcome<AuditTrailPage> => readPage(deps, query, () => treStreamFor(deps, actorInput));

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

/** Verifies the TRE-wide audit trail, as `verifyAuditTrail` does a workspace's. */
export const verifyTreAuditTrail = async (
  deps: UseCaseDeps,
  actorInput: Actor,
): Outcome<AuditVerification> => {
  const stream = await treStreamFor(deps, actorInput);
  if (stream.isErr()) return err(stream.error);
  return fromPort(deps.ports.audit.verify(stream.value));
};
