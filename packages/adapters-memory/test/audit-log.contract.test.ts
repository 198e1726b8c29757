import { auditLogContract } from "@airlock/core/testing";
import { describe, it } from "vitest";
import { createMemoryAuditLog } from "../src/index.js";

auditLogContract({ describe, it }, () => createMemoryAuditLog());
