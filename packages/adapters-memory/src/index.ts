// The public surface of @airlock/adapters-memory: every port in memory, inspectable, for tests, examples and the embedded profile.

export type { AuditCheckpointsMethod, MemoryAuditCheckpoints } from "./audit-checkpoints.js";
export { createMemoryAuditCheckpoints } from "./audit-checkpoints.js";
export { createEphemeralAuditKeys } from "./audit-keys.js";
export type { AuditLogMethod, MemoryAuditLog, MemoryAuditLogOptions } from "./audit-log.js";
export { createMemoryAuditLog } from "./audit-log.js";
export type { ManualClock } from "./clock.js";
export { createManualClock, MANUAL_CLOCK_START_MS, systemClock } from "./clock.js";
export type { MemoryEventPublisher, MemoryEventPublisherOptions } from "./event-publisher.js";
export { createMemoryEventPublisher } from "./event-publisher.js";
export { INJECTED_FAULT } from "./faults.js";
export type { SequentialIds } from "./ids.js";
export { createRandomIds, createSequentialIds } from "./ids.js";
export type { MemoryScanner, MemoryScannerOptions, ScanRecord } from "./malware-scanner.js";
export { createMemoryScanner, EICAR_DETAIL } from "./malware-scanner.js";
export type { MemoryNotifier, MemoryNotifierOptions } from "./notifier.js";
export { createMemoryNotifier } from "./notifier.js";
export type { MemoryPorts, MemoryPortsOptions } from "./ports.js";
export { createMemoryPorts } from "./ports.js";
export type { MemoryRequestRepository, RequestRepositoryMethod } from "./request-repository.js";
export { createMemoryRequestRepository } from "./request-repository.js";
export type {
  LinkSigner,
  LinkToSign,
  MemoryStorage,
  MemoryStorageOptions,
  StorageMethod,
} from "./storage.js";
export { createMemoryStorage } from "./storage.js";
export type { MemoryWorkspaceRegistry, WorkspaceRegistryMethod } from "./workspace-registry.js";
export { createMemoryWorkspaceRegistry } from "./workspace-registry.js";
