import { err, ok, type Result } from "neverthrow";
import { type AuditStreamPage, type AuditVerification, MAX_AUDIT_PAGE } from "../model/audit.js";
import type { AuditCheckpoints, AuditCheckpointsError } from "../ports/audit-checkpoints.js";
import type { AuditLog, AuditLogError } from "../ports/audit-log.js";

export interface StreamVerification {
  readonly stream: string;
  readonly verification: AuditVerification;
}

export interface AuditVerificationSummary {
  /** Streams checked: every stream with entries, and every stream with checkpoints but no entries. */
  readonly streams: number;
  readonly failed: number;
  readonly entries: number;
}

type Walker = (page: {
  after: string | null;
  limit: number;
}) => PromiseLike<Result<AuditStreamPage, AuditLogError | AuditCheckpointsError>>;

/** Calls `each` for every name a paged listing answers, one page in memory at a time. */
const forEachName = async (
  list: Walker,
  each: (name: string) => Promise<Result<void, AuditLogError>>,
): Promise<Result<void, AuditLogError | AuditCheckpointsError>> => {
  let after: string | null = null;
  do {
    const page = await list({ after, limit: MAX_AUDIT_PAGE });
    if (page.isErr()) return err(page.error);
    for (const name of page.value.streams) {
      const done = await each(name);
      if (done.isErr()) return done;
    }
    after = page.value.next;
  } while (after !== null);
  return ok(undefined);
};

/**
 * Verifies every stream of the audit log, one at a time with memory bounded by a page: first every
 * stream holding entries, then every stream that has signed checkpoints but lost its first entry
 * (a stream removed whole is not listed by the log any more). `onStream` hears each stream's result
 * as it is known, so a caller can print failures without keeping them.
 */
export const verifyAllAuditStreams = async (
  ports: { readonly audit: AuditLog; readonly checkpoints: AuditCheckpoints },
  onStream: (result: StreamVerification) => void = () => {},
): Promise<Result<AuditVerificationSummary, AuditLogError | AuditCheckpointsError>> => {
  let [streams, failed, entries] = [0, 0, 0];
  const verify = async (stream: string): Promise<Result<void, AuditLogError>> => {
    const verification = await ports.audit.verify(stream);
    if (verification.isErr()) return err(verification.error);
    streams++;
    if (verification.value.ok) entries += verification.value.entries;
    else failed++;
    onStream({ stream, verification: verification.value });
    return ok(undefined);
  };
  const logged = await forEachName((page) => ports.audit.streams(page), verify);
  if (logged.isErr()) return err(logged.error);
  const orphans = await forEachName(
    (page) => ports.checkpoints.streams(page),
    async (stream) => {
      const first = await ports.audit.list(stream, { fromSeq: 0, limit: 1 });
      if (first.isErr()) return err(first.error);
      // A stream whose first entry is there was listed above; one without it was not.
      return first.value.entries[0]?.seq === 0 ? ok(undefined) : verify(stream);
    },
  );
  if (orphans.isErr()) return err(orphans.error);
  return ok({ streams, failed, entries });
};
