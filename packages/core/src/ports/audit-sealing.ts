import { err, errAsync, ok, type Result, ResultAsync } from "neverthrow";
import {
  type AuditCheckpoint,
  type AuditEntry,
  type AuditPage,
  type AuditPageRequest,
  type AuditVerification,
  GENESIS_HASH,
  MAX_AUDIT_PAGE,
} from "../model/audit.js";
import {
  type AuditKeys,
  checkpointSignatureValid,
  hashAuditEntry,
  signCheckpoint,
} from "../model/audit-keys.js";
import type { AuditCheckpoints } from "./audit-checkpoints.js";
import type { AuditLogError } from "./audit-log.js";
import { unavailable } from "./errors.js";

/** What an `AuditLog` adapter is given to seal its chains: the keys and the checkpoint store. */
export interface AuditSealing {
  readonly keys: AuditKeys;
  readonly checkpoints: AuditCheckpoints;
  /** Epoch seconds, the time a checkpoint carries. Default: the system clock. */
  readonly now?: () => number;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Signs a checkpoint of `entry` and stores it; an adapter's `append` answers only after this. */
export const checkpointEntry = (
  sealing: AuditSealing,
  entry: AuditEntry,
): ResultAsync<void, AuditLogError> => {
  const { signingKey } = sealing.keys;
  if (signingKey === null) {
    return errAsync(
      unavailable(`audit stream ${entry.stream}: no checkpoint signing key, appends are refused`),
    );
  }
  const body = { stream: entry.stream, seq: entry.seq, hash: entry.hash, at: (sealing.now ?? nowSeconds)() };
  return ResultAsync.fromPromise(signCheckpoint(body, signingKey), (cause) =>
    unavailable(`signing a checkpoint of audit stream ${entry.stream} failed`, cause),
  ).andThen((checkpoint) => sealing.checkpoints.put(checkpoint));
};

type ReadPage = (stream: string, page: AuditPageRequest) => ResultAsync<AuditPage, AuditLogError>;

type Walk = { readonly ok: true; readonly entries: number } | Extract<AuditVerification, { ok: false }>;

const walkChain = async (
  keys: AuditKeys,
  readPage: ReadPage,
  stream: string,
  checkpoint: AuditCheckpoint | null,
  pageSize: number,
): Promise<Result<Walk, AuditLogError>> => {
  let prevHash = GENESIS_HASH;
  let expected = 0;
  let fromSeq: number | null = 0;
  while (fromSeq !== null) {
    const page = await readPage(stream, { fromSeq, limit: pageSize });
    if (page.isErr()) return err(page.error);
    const { entries, nextSeq } = page.value;
    // One page's hashes at once: Web Crypto computes them off the event loop, in parallel.
    const hashes = await Promise.all(
      entries.map(({ hash: _hash, ...rest }) => hashAuditEntry(rest, keys.chainKey)),
    );
    for (const [index, entry] of entries.entries()) {
      if (entry.seq !== expected) return ok({ ok: false, firstTampered: expected, reason: "sequence gap" });
      if (entry.prevHash !== prevHash)
        return ok({ ok: false, firstTampered: entry.seq, reason: "broken link" });
      if (hashes[index] !== entry.hash) {
        return ok({ ok: false, firstTampered: entry.seq, reason: "content changed" });
      }
      if (checkpoint !== null && entry.seq === checkpoint.seq && entry.hash !== checkpoint.hash) {
        return ok({ ok: false, firstTampered: entry.seq, reason: "checkpoint mismatch" });
      }
      prevHash = entry.hash;
      expected++;
    }
    fromSeq = entries.length === 0 ? null : nextSeq;
  }
  return ok({ ok: true, entries: expected });
};

const verifyAgainst = async (
  sealing: AuditSealing,
  readPage: ReadPage,
  stream: string,
  checkpoint: AuditCheckpoint | null,
  pageSize: number,
): Promise<Result<AuditVerification, AuditLogError>> => {
  if (checkpoint !== null && !(await checkpointSignatureValid(checkpoint, sealing.keys.verifyKey))) {
    return ok({ ok: false, firstTampered: checkpoint.seq, reason: "checkpoint forged" });
  }
  const walk = await walkChain(sealing.keys, readPage, stream, checkpoint, pageSize);
  if (walk.isErr() || !walk.value.ok) return walk as Result<AuditVerification, AuditLogError>;
  const { entries } = walk.value;
  if (checkpoint !== null && entries <= checkpoint.seq) {
    return ok({ ok: false, firstTampered: entries, reason: "truncated" });
  }
  return ok({ ok: true, entries, checkpointSeq: checkpoint?.seq ?? null });
};

/**
 * Verifies one stream with memory bounded by a page: every entry's seq, link and keyed hash, and
 * the chain against the latest signed checkpoint, read first so that appends made during the walk
 * cannot look like a truncation. Edits show as `content changed` (the store's writer lacks the
 * chain key), removed tail entries as `truncated`, a chain rebuilt even with the chain key as
 * `checkpoint mismatch`. Entries appended after the latest checkpoint are checked for their chain
 * only: removing them is what a checkpoint that was never written cannot show.
 */
export const verifyAuditStream = (
  sealing: AuditSealing,
  readPage: ReadPage,
  stream: string,
  pageSize = MAX_AUDIT_PAGE,
): ResultAsync<AuditVerification, AuditLogError> =>
  sealing.checkpoints
    .latest(stream)
    .andThen(
      (checkpoint) =>
        new ResultAsync(
          verifyAgainst(sealing, readPage, stream, checkpoint, pageSize).catch((cause: unknown) =>
            err<AuditVerification, AuditLogError>(
              unavailable(`verifying audit stream ${stream} failed`, cause),
            ),
          ),
        ),
    );
