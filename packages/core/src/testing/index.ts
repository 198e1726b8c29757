// The public surface of @airlock/core/testing: contract suites every adapter runs, and the fixtures
// and assertions they are built from. Runner-agnostic: pass `{ describe, it }` of any test runner.

export {
  assert,
  assertAnyErr,
  assertEqual,
  assertErr,
  assertNotEqual,
  assertOk,
  fail,
  firstDifference,
  show,
} from "./assert.js";
export { auditCheckpointsContract } from "./audit-checkpoints-contract.js";
export type { AuditLogUnderTest, AuditStoreBackdoor } from "./audit-log-contract.js";
export { allAuditEntries, auditLogContract, mapAuditCheckpoints } from "./audit-log-contract.js";
export type { ContractOptions, ContractRunner } from "./contract.js";
export type { PublisherUnderTest } from "./event-publisher-contract.js";
export { eventPublisherContract } from "./event-publisher-contract.js";
export type { SampleEventOverrides } from "./fixtures.js";
export {
  bytesOf,
  EICAR,
  eventLoopTurnsDuring,
  readAll,
  SAMPLE_EPOCH_SECONDS,
  sampleAuditRecord,
  sampleEvent,
  sampleNotification,
  sampleRequest,
  sampleReviewedEvent,
  sampleUser,
  sampleWorkspace,
  sha256Hex,
  streamOf,
} from "./fixtures.js";
export type { GateSample, GateUnderTest } from "./gate-contract.js";
export { gateContract } from "./gate-contract.js";
export type { ScannerUnderTest } from "./malware-scanner-contract.js";
export { malwareScannerContract } from "./malware-scanner-contract.js";
export type { NotifierUnderTest } from "./notifier-contract.js";
export { notifierContract } from "./notifier-contract.js";
export { requestRepositoryContract, storedDocumentContract } from "./request-repository-contract.js";
export { storageContract } from "./storage-contract.js";
export { workspaceRegistryContract } from "./workspace-registry-contract.js";
