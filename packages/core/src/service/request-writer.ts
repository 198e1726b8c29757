import { err, ok } from "neverthrow";
import type { Actor, UserRef } from "../model/actor.js";
import type { AirlockRequest, RequestStatus } from "../model/request.js";
import type { Workspace } from "../model/workspace.js";
import type { Announcements } from "./announcements.js";
import { appendAudit, auditRecord, epochSeconds } from "./audit-records.js";
import { fromPortError, type Outcome } from "./outcome.js";
import type { AirlockPorts } from "./types.js";

/** Who changes a request and why, as its audit record tells. */
export interface Change {
  readonly actor: Pick<Actor, "id" | "name">;
  /** The command or processor step. */
  readonly action: string;
  /** Said in the record of a write that leaves the status as it is; a status change gives its message. */
  readonly reason?: string;
  /** The request's workspace when at hand, so announcing a status change need not read it again. */
  readonly workspace?: Workspace;
}

/** A request as its creator builds it; the writer adds the write counter and the audit outbox. */
export type NewRequest = Omit<AirlockRequest, "etag" | "revision" | "pendingAudit">;

/**
 * The one way a request is written. Each write stores, with the request, the audit record that
 * tells of it (a transactional outbox, `pendingAudit`), named after the write's revision; then it
 * hands a status change it stored to the announcements, and only then appends the record to the
 * log. A crash before the append leaves the record in the outbox, where the next write or `flush`
 * finds it and announces the change again (with the same ids: announcements are at least once).
 * So a publisher that keeps an event durably the moment it is handed over (the local outbox)
 * never loses one. Updates are conditional on the etag the request was read with.
 */
export interface RequestWriter {
  create(request: NewRequest, change: Change): Outcome<AirlockRequest>;
  /** Stores `next` in place of `before`; `Conflict` when someone else wrote the request since. */
  commit(before: AirlockRequest, next: AirlockRequest, change: Change): Outcome<AirlockRequest>;
  /**
   * Appends the records of the request's outbox the log does not hold yet, and announces the
   * status change a missing record tells of (it was never announced either). Answers how many.
   */
  flush(request: AirlockRequest): Outcome<number>;
}

const revisionKey = (revision: number) => `revision-${revision}`;

export const createRequestWriter = (
  ports: Pick<AirlockPorts, "repository" | "audit" | "clock">,
  announcements: Announcements,
): RequestWriter => {
  const flush = async (request: AirlockRequest): Outcome<number> => {
    let appended = 0;
    for (const record of request.pendingAudit) {
      if (record.key === null) continue;
      const present = await ports.audit.has(record.stream, record.key);
      if (present.isErr()) return err(fromPortError(present.error));
      if (present.value) continue;
      if (record.outcome === "transition" && record.toStatus === request.status) {
        announcements.statusChange(request, record.fromStatus, null);
      }
      const added = await appendAudit(ports.audit, record);
      if (added.isErr()) return err(added.error);
      appended += 1;
    }
    return ok(appended);
  };

  const create = async (request: NewRequest, change: Change): Outcome<AirlockRequest> => {
    const revision = 1;
    const record = auditRecord(epochSeconds(ports.clock), {
      stream: request.id,
      workspaceId: request.workspaceId,
      requestId: request.id,
      actor: change.actor,
      action: change.action,
      outcome: "transition",
      fromStatus: null,
      toStatus: request.status,
      key: revisionKey(revision),
    });
    const stored = await ports.repository.create({ ...request, revision, pendingAudit: [record] });
    if (stored.isErr()) return err(fromPortError(stored.error));
    announcements.statusChange(stored.value, null, change.workspace ?? null);
    const appended = await appendAudit(ports.audit, record);
    if (appended.isErr()) return err(appended.error);
    return ok(stored.value);
  };

  const commit = async (
    before: AirlockRequest,
    next: AirlockRequest,
    change: Change,
  ): Outcome<AirlockRequest> => {
    const flushed = await flush(before);
    if (flushed.isErr()) return err(flushed.error);
    const changed = next.status !== before.status;
    const revision = before.revision + 1;
    const at = epochSeconds(ports.clock);
    const record = auditRecord(at, {
      stream: before.id,
      workspaceId: before.workspaceId,
      requestId: before.id,
      actor: change.actor,
      action: change.action,
      outcome: changed ? "transition" : "allowed",
      reason: changed ? next.statusMessage : (change.reason ?? null),
      fromStatus: before.status,
      toStatus: next.status,
      key: revisionKey(revision),
    });
    // Every write moves `updatedWhen`, status change or not (a file name recorded, a scan asked
    // for): `processor.recover()` finds the writes a crash may have cut off by it.
    const stored = await ports.repository.update({
      ...next,
      updatedWhen: at,
      revision,
      pendingAudit: [record],
    });
    if (stored.isErr()) {
      return err(
        stored.error.kind === "Conflict"
          ? { kind: "Conflict", message: "the request was changed by someone else; read it again and retry" }
          : fromPortError(stored.error),
      );
    }
    announcements.statusChange(stored.value, before.status, change.workspace ?? null);
    const appended = await appendAudit(ports.audit, record);
    if (appended.isErr()) return err(appended.error);
    return ok(stored.value);
  };

  return { create, commit, flush };
};

/** The request after a status change: history, who and when. */
export const withStatus = (
  request: AirlockRequest,
  status: RequestStatus,
  by: UserRef,
  at: number,
  patch: Partial<Omit<AirlockRequest, "status" | "history">> = {},
): AirlockRequest => {
  const changedBy: UserRef = { id: by.id, name: by.name, email: by.email };
  const changed = status !== request.status;
  return {
    ...request,
    ...patch,
    status,
    updatedBy: changedBy,
    updatedWhen: at,
    history: changed
      ? [
          ...request.history,
          { previousStatus: request.status, status, updatedBy: changedBy, updatedWhen: at },
        ]
      : request.history,
  };
};
