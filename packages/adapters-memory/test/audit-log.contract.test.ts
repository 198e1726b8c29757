import { auditCheckpointsContract, auditLogContract } from "@airlock/core/testing";
import { describe, it } from "vitest";
import { createMemoryAuditCheckpoints, createMemoryAuditLog } from "../src/index.js";

auditLogContract({ describe, it }, (sealing) => {
  const audit = createMemoryAuditLog({ sealing });
  return {
    audit,
    backdoor: {
      overwrite: async (entry) => audit.overwrite(entry),
      removeFrom: async (stream, seq) => audit.removeFrom(stream, seq),
    },
  };
});

auditCheckpointsContract({ describe, it }, () => createMemoryAuditCheckpoints());
