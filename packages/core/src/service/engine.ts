import { errAsync, okAsync, ResultAsync } from "neverthrow";
import type { AirlockError } from "../errors.js";
import type { Actor, UserRef } from "../model/actor.js";
import { userRef } from "../model/actor.js";
import type { AuditOutcome, AuditRecord } from "../model/audit.js";
import type { AirlockRequest, RequestStatus, Review } from "../model/request.js";
import type { Workspace } from "../model/workspace.js";
import type { RepositoryError } from "../ports/request-repository.js";
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

  const loadWorkspace = (workspaceId: string): ResultAsync<Workspace, AirlockError> =>
    ports.workspaces
      .get(workspaceId)
      .mapErr((error) =>
        error.kind === "NotFound"
          ? { kind: "NotFound" as const, message: `workspace ${workspaceId} not found` }
          : fromPortError(error),
      );

  const loadRequest = (
    workspaceId: string | null,
    requestId: string,
  ): ResultAsync<AirlockRequest, AirlockError> =>
    ports.repository
      .get(requestId)
      .mapErr(
        (error): AirlockError =>
          error.kind === "NotFound" || error.kind === "InvalidInput"
            ? { kind: "NotFound", message: `request ${requestId} not found` }
            : fromPortError(error),
      )
      .andThen((request) =>
        workspaceId !== null && request.workspaceId !== workspaceId
          ? errAsync<AirlockRequest, AirlockError>({
              kind: "NotFound",
              message: `request ${requestId} not found`,
            })
          : okAsync(request),
      );

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

  const append = (record: AuditRecord): ResultAsync<void, AirlockError> =>
    ports.audit
      .append(record)
      .andTee(() => {
        if (record.key === null) return;
        if (appendedHere.size >= APPENDED_LIMIT) appendedHere.clear();
        appendedHere.add(`${record.stream}\u0000${record.key}`);
      })
      .map(() => undefined)
      .mapErr(fromPortError);

  const audit = (entry: AuditInput): ResultAsync<void, AirlockError> => append(auditRecord(entry));

  /**
   * Appends the audit records a write stored with the request (its outbox) that the log does not
   * hold yet: after a crash between the write and its audit entry, this is where the entry lands.
   * A record found missing was never announced either, so its change is announced now.
   */
  const flush = (request: AirlockRequest): ResultAsync<number, AirlockError> =>
    ResultAsync.combine(
      request.pendingAudit.map((record) =>
        record.key === null || appendedHere.has(`${record.stream}\u0000${record.key}`)
          ? okAsync<number, AirlockError>(0)
          : ports.audit
              .has(record.stream, record.key)
              .mapErr(fromPortError)
              .andThen((present) => {
                if (present) return okAsync<number, AirlockError>(0);
                return append(record).map(() => {
                  if (record.outcome === "transition" && record.toStatus === request.status) {
                    announce(request, record.fromStatus, null);
                  }
                  return 1;
                });
              }),
      ),
    ).map((appended) => appended.reduce((sum, n) => sum + n, 0));

  /** Records a refused command, then answers the refusal. */
  const deny = <T>(
    error: AirlockError,
    context: {
      workspaceId: string;
      requestId: string | null;
      request?: AirlockRequest;
      actor: Pick<Actor, "id" | "name">;
      action: string;
    },
  ): ResultAsync<T, AirlockError> =>
    audit({
      stream: context.request ? context.request.id : `workspace:${context.workspaceId}`,
      workspaceId: context.workspaceId,
      requestId: context.requestId,
      actor: context.actor,
      action: context.action,
      outcome: "denied",
      reason: `${error.kind}: ${error.message}`,
      fromStatus: context.request?.status ?? null,
    }).andThen(() => errAsync<T, AirlockError>(error));

  /** Events and notifications: delivered after the change is stored, never holding it back. */
  const announce = (
    request: AirlockRequest,
    previousStatus: RequestStatus | null,
    workspace: Workspace | null,
  ) => {
    background(async () => {
      const published = await ports.events.publish([statusChangedEvent(request, previousStatus)]);
      if (published.isErr()) {
        options.onBackgroundError({ step: "publish", requestId: request.id, error: published.error });
      }
    });
    background(async () => {
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
      if (sent.isErr())
        options.onBackgroundError({ step: "notify", requestId: request.id, error: sent.error });
    });
  };

  const announceReview = (request: AirlockRequest, review: Review, requiredApprovals: number) => {
    background(async () => {
      const published = await ports.events.publish([reviewedEvent(request, review, requiredApprovals)]);
      if (published.isErr()) {
        options.onBackgroundError({ step: "publish", requestId: request.id, error: published.error });
      }
    });
  };

  /**
   * Stores `next` (conditional on the etag it was read with) together with its audit record, then
   * appends that record and announces a status change. `action` names the command or processor step.
   */
  const commit = (
    before: AirlockRequest,
    next: AirlockRequest,
    actor: Pick<Actor, "id" | "name">,
    action: string,
    workspace: Workspace | null,
  ): ResultAsync<AirlockRequest, AirlockError> =>
    flush(before).andThen(() => {
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
      return ports.repository
        .update({ ...next, revision, pendingAudit: [record] })
        .mapErr(
          (error: RepositoryError): AirlockError =>
            error.kind === "Conflict"
              ? {
                  kind: "Conflict",
                  message: "the request was changed by someone else; read it again and retry",
                }
              : fromPortError(error),
        )
        .andThen((stored) =>
          append(record).map(() => {
            if (changed) announce(stored, before.status, workspace);
            return stored;
          }),
        );
    });

  return {
    ports,
    options,
    background,
    idle,
    nowSeconds,
    loadWorkspace,
    loadRequest,
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
