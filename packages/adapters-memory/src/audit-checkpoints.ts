import type {
  AuditCheckpoint,
  AuditCheckpoints,
  AuditCheckpointsError,
  AuditStreamPage,
} from "@airlock/core";
import { errAsync, okAsync } from "neverthrow";
import { copyOf } from "./copy.js";
import { createFaults } from "./faults.js";
import { pageOfNames } from "./stream-names.js";

export type AuditCheckpointsMethod = keyof AuditCheckpoints;

export interface MemoryAuditCheckpoints extends AuditCheckpoints {
  /** The next `count` calls of `method` (default 1) answer `Unavailable` ("injected fault") and change nothing. */
  failNext(method: AuditCheckpointsMethod, count?: number): void;
}

/** `AuditCheckpoints` in memory: the latest checkpoint of each stream (an older one never replaces it). */
export const createMemoryAuditCheckpoints = (): MemoryAuditCheckpoints => {
  const latest = new Map<string, AuditCheckpoint>();
  const faults = createFaults<AuditCheckpointsMethod>();
  return {
    put: (checkpoint) => {
      const fault = faults.take("put");
      if (fault) return errAsync<void, AuditCheckpointsError>(fault);
      const current = latest.get(checkpoint.stream);
      if (!current || current.seq < checkpoint.seq) latest.set(checkpoint.stream, copyOf(checkpoint));
      return okAsync<void, AuditCheckpointsError>(undefined);
    },
    latest: (stream) => {
      const fault = faults.take("latest");
      if (fault) return errAsync<AuditCheckpoint | null, AuditCheckpointsError>(fault);
      const checkpoint = latest.get(stream);
      return okAsync<AuditCheckpoint | null, AuditCheckpointsError>(checkpoint ? copyOf(checkpoint) : null);
    },
    streams: (page) => {
      const fault = faults.take("streams");
      if (fault) return errAsync<AuditStreamPage, AuditCheckpointsError>(fault);
      return okAsync<AuditStreamPage, AuditCheckpointsError>(pageOfNames(latest.keys(), page));
    },
    failNext: (method, count) => faults.failNext(method, count),
  };
};
