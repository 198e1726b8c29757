import { err, ok, type Result, type ResultAsync } from "neverthrow";
import type { AirlockError } from "../errors.js";
import type { Actor, UserRef } from "../model/actor.js";
import { userRef } from "../model/actor.js";
import type { AuditOutcome, AuditRecord } from "../model/audit.js";
import type { AirlockEvent } from "../model/events.js";
import type { AirlockRequest, RequestStatus, Review } from "../model/request.js";
import type { Workspace } from "../model/workspace.js";
import type { ContainerRef } from "../ports/storage.js";
import { reviewedEvent, statusChangedEvent, statusChangeId } from "./events.js";
import { DEFAULT_NOTIFICATIONS, notificationFor } from "./notifications.js";
import type { AirlockOptions, AirlockPorts, BackgroundError, NotificationMatrix } from "./types.js";

export interface ResolvedOptions {
  readonly linkTtlSeconds: number;
  readonly scanRetrySeconds: number;
  readonly scanDeadlineSeconds: number;
  readonly processingDeadlineSeconds: number;
  readonly recoveryWindowSeconds: number;
  readonly notifications: NotificationMatrix;
  readonly processing: "inline" | "manual";
  readonly onBackgroundError: (error: BackgroundError) => void;
}

export const resolveOptions = (options: AirlockOptions): ResolvedOptions => ({
  linkTtlSeconds: options.linkTtlSeconds ?? 3600,
  scanRetrySeconds: options.scanRetrySeconds ?? 300,
  scanDeadlineSeconds: options.scanDeadlineSeconds ?? 86_400,
  processingDeadlineSeconds: options.processingDeadlineSeconds ?? 86_400,
  recoveryWindowSeconds: options.recoveryWindowSeconds ?? 86_400,
  notifications: options.notifications ?? DEFAULT_NOTIFICATIONS,
  processing: options.processing ?? "inline",
  onBackgroundError: options.onBackgroundError ?? (() => {}),
});

/** A port error as the API reports it; anything a port cannot explain is `Unavailable`. */
export const fromPortError = (error: { kind: string; message: string; cause?: unknown }): AirlockError => {
  switch (error.kind) {
    case "NotFound":
    case "Conflict":
      return { kind: error.kind, message: error.message };
    case "InvalidInput":
      return { kind: "InvalidInput", message: error.message, issues: [] };
    case "TooLarge":
      return { kind: "TooLarge", message: error.message, limit: (error as { limit?: number }).limit ?? 0 };
    default:
      return { kind: "Unavailable", message: error.message, cause: error.cause ?? error };
  }
};

export const containerOf = (request: Pick<AirlockRequest, "id" | "workspaceId" | "type">): ContainerRef => ({
  requestId: request.id,
  workspaceId: request.workspaceId,
  type: request.type,
});

/** What the engine's steps answer: a promise of a result, cheaper to chain with `await` than `ResultAsync`. */
export type Outcome<T> = Promise<Result<T, AirlockError>>;

/** A port's answer, its error told in the API's terms. */
export const fromPort = async <T, E extends { kind: string; message: string; cause?: unknown }>(
  answer: ResultAsync<T, E>,
): Outcome<T> => {
  const result = await answer;
  return result.isOk() ? ok(result.value) : err(fromPortError(result.error));
};

/** What the engine's commands and processor share: the ports, the options and the side effects. */
export const createEngine = (ports: AirlockPorts, options: ResolvedOptions) => {
  const pending = new Set<Promise<unknown>>();

  /** Runs work nobody waits for, keeping track so `idle()` can wait for it. */
  const background = (work: () => Promise<unknown>) => {
    const promise = work().finally(() => pending.delete(promise));
    pending.add(promise);
  };

  const idle = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };

  const nowSeconds = () => ports.clock.now() / 1000;

  const workspaceOf = async (workspaceId: string): Outcome<Workspace> => {
    const found = await ports.workspaces.get(workspaceId);
    if (found.isOk()) return ok(found.value);
    return err(
      found.error.kind === "NotFound"
        ? { kind: "NotFound", message: `workspace ${workspaceId} not found` }
        : fromPortError(found.error),
    );
  };

  /** A request by id; with a `workspaceId`, a request of another workspace is `NotFound` too. */
  const requestOf = async (workspaceId: string | null, requestId: string): Outcome<AirlockRequest> => {
    const found = await ports.repository.get(requestId);
    if (found.isErr()) {
      return err(
        found.error.kind === "NotFound" || found.error.kind === "InvalidInput"
          ? { kind: "NotFound", message: `request ${requestId} not found` }
          : fromPortError(found.error),
      );
    }
    if (workspaceId !== null && found.value.workspaceId !== workspaceId) {
      return err({ kind: "NotFound", message: `request ${requestId} not found` });
    }
    return ok(found.value);
  };

  type AuditInput = {
    stream: string;
    workspaceId: string;
    requestId: string | null;
    actor: Pick<Actor, "id" | "name">;
    action: string;
    outcome: AuditOutcome;
    reason?: string | null;
    fromStatus?: RequestStatus | null;
    toStatus?: RequestStatus | null;
    key?: string | null;
  };

  const auditRecord = (entry: AuditInput): AuditRecord => ({
    stream: entry.stream,
    workspaceId: entry.workspaceId,
    requestId: entry.requestId,
    at: nowSeconds(),
    actor: { id: entry.actor.id, name: entry.actor.name },
    action: entry.action,
    outcome: entry.outcome,
    reason: entry.reason ?? null,
    fromStatus: entry.fromStatus ?? null,
    toStatus: entry.toStatus ?? null,
    key: entry.key ?? null,
  });

  // Keyed records this process appended itself: the next write's flush need not ask the log about
  // them. Bounded; forgetting one only costs a lookup.
  const appendedHere = new Set<string>();
  const APPENDED_LIMIT = 10_000;
  const appendedKey = (record: AuditRecord) => `${record.stream}\u0000${record.key}`;

  const append = async (record: AuditRecord): Outcome<void> => {
    const appended = await ports.audit.append(record);
    if (appended.isErr()) return err(fromPortError(appended.error));
    if (record.key !== null) {
      if (appendedHere.size >= APPENDED_LIMIT) appendedHere.clear();
      appendedHere.add(appendedKey(record));
    }
    return ok(undefined);
  };

  const audit = (entry: AuditInput): Outcome<void> => append(auditRecord(entry));

  /**
   * Appends the audit records a write stored with the request (its outbox) that the log does not
   * hold yet: after a crash between the write and its audit entry, this is where the entry lands.
   * A record found missing was never announced either, so its change is announced now.
   */
  const flush = async (request: AirlockRequest): Outcome<number> => {
    let appended = 0;
    for (const record of request.pendingAudit) {
      if (record.key === null || appendedHere.has(appendedKey(record))) continue;
      const present = await ports.audit.has(record.stream, record.key);
      if (present.isErr()) return err(fromPortError(present.error));
      if (present.value) continue;
      const added = await append(record);
      if (added.isErr()) return err(added.error);
      if (record.outcome === "transition" && record.toStatus === request.status) {
        announce(request, record.fromStatus, null);
      }
      appended += 1;
    }
    return ok(appended);
  };

  /** Records a refused command, then answers the refusal. */
  const deny = async <T>(
    error: AirlockError,
    context: {
      workspaceId: string;
      requestId: string | null;
      request?: AirlockRequest;
      actor: Pick<Actor, "id" | "name">;
      action: string;
    },
  ): Outcome<T> => {
    const recorded = await audit({
      stream: context.request ? context.request.id : `workspace:${context.workspaceId}`,
      workspaceId: context.workspaceId,
      requestId: context.requestId,
      actor: context.actor,
      action: context.action,
      outcome: "denied",
      reason: `${error.kind}: ${error.message}`,
      fromStatus: context.request?.status ?? null,
    });
    return err(recorded.isErr() ? recorded.error : error);
  };

  /** Events and notifications: delivered after the change is stored, never holding it back. */
  const announce = (
    request: AirlockRequest,
    previousStatus: RequestStatus | null,
    workspace: Workspace | null,
  ) => {
    background(() =>
      Promise.all([
        publish(request, statusChangedEvent(request, previousStatus)),
        notify(request, previousStatus, workspace),
      ]),
    );
  };

  /** Publishes one event; a failure is reported, never thrown at the change it announces. */
  const publish = async (request: AirlockRequest, event: AirlockEvent) => {
    const published = await ports.events.publish([event]);
    if (published.isErr()) {
      options.onBackgroundError({ step: "publish", requestId: request.id, error: published.error });
    }
  };

  const notify = async (
    request: AirlockRequest,
    previousStatus: RequestStatus | null,
    workspace: Workspace | null,
  ) => {
    const resolved = workspace ?? (await ports.workspaces.get(request.workspaceId)).unwrapOr(null);
    if (!resolved) return;
    const notification = notificationFor(
      options.notifications,
      request,
      previousStatus,
      resolved,
      statusChangeId(request),
    );
    if (!notification) return;
    const sent = await ports.notifier.notify(notification);
    if (sent.isErr()) options.onBackgroundError({ step: "notify", requestId: request.id, error: sent.error });
  };

  const announceReview = (request: AirlockRequest, review: Review, requiredApprovals: number) => {
    background(() => publish(request, reviewedEvent(request, review, requiredApprovals)));
  };

  /**
   * Stores `next` (conditional on the etag it was read with) together with its audit record, then
   * appends that record and announces a status change. `action` names the command or processor step.
   */
  const commit = async (
    before: AirlockRequest,
    next: AirlockRequest,
    actor: Pick<Actor, "id" | "name">,
    action: string,
    workspace: Workspace | null,
  ): Outcome<AirlockRequest> => {
    const flushed = await flush(before);
    if (flushed.isErr()) return err(flushed.error);
    const changed = next.status !== before.status;
    const revision = before.revision + 1;
    const record = auditRecord({
      stream: before.id,
      workspaceId: before.workspaceId,
      requestId: before.id,
      actor,
      action,
      outcome: changed ? "transition" : "allowed",
      reason: changed ? next.statusMessage : null,
      fromStatus: before.status,
      toStatus: next.status,
      key: `revision-${revision}`,
    });
    const stored = await ports.repository.update({ ...next, revision, pendingAudit: [record] });
    if (stored.isErr()) {
      return err(
        stored.error.kind === "Conflict"
          ? { kind: "Conflict", message: "the request was changed by someone else; read it again and retry" }
          : fromPortError(stored.error),
      );
    }
    const appended = await append(record);
    if (appended.isErr()) return err(appended.error);
    if (changed) announce(stored.value, before.status, workspace);
    return ok(stored.value);
  };

  return {
    ports,
    options,
    background,
    idle,
    nowSeconds,
    workspaceOf,
    requestOf,
    auditRecord,
    append,
    audit,
    flush,
    deny,
    announce,
    announceReview,
    commit,
  };
};

export type Engine = ReturnType<typeof createEngine>;

/** The request after a status change: history, who and when. */
export const withStatus = (
  request: AirlockRequest,
  status: RequestStatus,
  by: UserRef | Actor,
  at: number,
  patch: Partial<Omit<AirlockRequest, "status" | "history">> = {},
): AirlockRequest => {
  const who = userRef(by as Actor);
  const changed = status !== request.status;
  return {
    ...request,
    ...patch,
    status,
    updatedBy: who,
    updatedWhen: at,
    history: changed
      ? [...request.history, { previousStatus: request.status, status, updatedBy: who, updatedWhen: at }]
      : request.history,
  };
};
