import { err, ok } from "neverthrow";
import type { AirlockError } from "../errors.js";
import type { Actor } from "../model/actor.js";
import { type AuditOutcome, type AuditRecord, TRE_STREAM, workspaceAuditStream } from "../model/audit.js";
import type { AirlockRequest, RequestStatus } from "../model/request.js";
import type { AuditLog } from "../ports/audit-log.js";
import type { Clock } from "../ports/clock.js";
import { fromPortError, type Outcome } from "./outcome.js";

/** Text a caller chose (a file name, an id), as a record names it: quoted, and never unbounded. */
export const quoted = (text: string, max = 256): string =>
  JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);

/** Epoch seconds, as requests and audit records carry time. */
export const epochSeconds = (clock: Clock): number => clock.now() / 1000;

export interface AuditEntryInput {
  readonly stream: string;
  readonly workspaceId: string;
  readonly requestId: string | null;
  readonly actor: Pick<Actor, "id" | "name">;
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly reason?: string | null;
  readonly fromStatus?: RequestStatus | null;
  readonly toStatus?: RequestStatus | null;
  readonly key?: string | null;
}

export const auditRecord = (at: number, entry: AuditEntryInput): AuditRecord => ({
  stream: entry.stream,
  workspaceId: entry.workspaceId,
  requestId: entry.requestId,
  at,
  actor: { id: entry.actor.id, name: entry.actor.name },
  action: entry.action,
  outcome: entry.outcome,
  reason: entry.reason ?? null,
  fromStatus: entry.fromStatus ?? null,
  toStatus: entry.toStatus ?? null,
  key: entry.key ?? null,
});

export const appendAudit = async (audit: AuditLog, record: AuditRecord): Outcome<void> => {
  const appended = await audit.append(record);
  return appended.isErr() ? err(fromPortError(appended.error)) : ok(undefined);
};

/**
 * An attempt someone made: what was asked, by whom, in which workspace (null for a TRE-wide one),
 * on which request (absent when none was read).
 */
export interface Attempt {
  readonly workspaceId: string | null;
  readonly request: AirlockRequest | null;
  readonly actor: Pick<Actor, "id" | "name">;
  readonly action: string;
}

/**
 * Records a refused attempt, then answers the refusal. An attempt refused before any request was
 * read goes to the workspace's stream, so the record does not tell which requests exist; one that
 * named no workspace goes to the TRE-wide stream.
 */
export const deny = async <T>(
  ports: { readonly audit: AuditLog; readonly clock: Clock },
  error: AirlockError,
  attempt: Attempt,
): Outcome<T> => {
  const { request } = attempt;
  const recorded = await appendAudit(
    ports.audit,
    auditRecord(epochSeconds(ports.clock), {
      stream: request
        ? request.id
        : attempt.workspaceId === null
          ? TRE_STREAM
          : workspaceAuditStream(attempt.workspaceId),
      // The TRE-wide stream's entries name no workspace.
      workspaceId: attempt.workspaceId ?? "",
      requestId: request?.id ?? null,
      actor: attempt.actor,
      action: attempt.action,
      outcome: "denied",
      reason: `${error.kind}: ${error.message}`,
      fromStatus: request?.status ?? null,
    }),
  );
  return err(recorded.isErr() ? recorded.error : error);
};
