import type { ResultAsync } from "neverthrow";
import type { AuditCheckpoint, AuditStreamPage, AuditStreamPageRequest } from "../model/audit.js";
import type { Unavailable } from "./errors.js";

export type AuditCheckpointsError = Unavailable;

/**
 * Where signed checkpoints of the audit log are kept, out of reach of whoever can write the audit
 * store itself (another service, another account, an append-only container): a checkpoint that
 * survives a rewrite of the store is what shows the rewrite.
 *
 * - `put` adds a checkpoint. It never replaces or removes one; checkpoints of one stream may
 *   arrive out of order (concurrent appends), and a repeated checkpoint is harmless.
 * - `latest` answers the checkpoint with the highest `seq` of the stream, or null when it has none.
 * - `streams` answers the names of streams holding checkpoints, in name order, a page at a time.
 *
 * The store does not check signatures: the verifier does, with the public key.
 */
export interface AuditCheckpoints {
  put(checkpoint: AuditCheckpoint): ResultAsync<void, AuditCheckpointsError>;
  latest(stream: string): ResultAsync<AuditCheckpoint | null, AuditCheckpointsError>;
  streams(page: AuditStreamPageRequest): ResultAsync<AuditStreamPage, AuditCheckpointsError>;
}
