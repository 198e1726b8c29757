// The airlock's ports on Azure. Named exports only.

// The email wording lives in @airlock/core (shared with the SMTP notifier); re-exported for existing users.
export type { EmailContent, EmailContentOptions } from "@airlock/core";
export { checkPortalUrl, escapeHtml, notificationEmail, requestLink } from "@airlock/core";
export type { AcsEmailNotifierOptions } from "./acs-email-notifier.js";
export { createAcsEmailNotifier } from "./acs-email-notifier.js";
export type { BlobAuditCheckpoints, BlobAuditCheckpointsOptions } from "./blob-audit-checkpoints.js";
export { auditCheckpointContainer, createBlobAuditCheckpoints } from "./blob-audit-checkpoints.js";
export type {
  AccountsLayoutOptions,
  BlobCredential,
  BlobStorageCommonOptions,
  BlobStorageOptions,
  PrefixLayoutOptions,
} from "./blob-storage.js";
export { createBlobStorage } from "./blob-storage.js";
export type { CosmosAuditLog, CosmosAuditLogOptions } from "./cosmos-audit-log.js";
export { createCosmosAuditLog } from "./cosmos-audit-log.js";
export type { CosmosConnection } from "./cosmos-connection.js";
export type { CosmosRequestRepository, CosmosRequestRepositoryOptions } from "./cosmos-request-repository.js";
export { createCosmosRequestRepository } from "./cosmos-request-repository.js";
export type { CosmosWorkspaceRegistry, CosmosWorkspaceRegistryOptions } from "./cosmos-workspace-registry.js";
export { createCosmosWorkspaceRegistry } from "./cosmos-workspace-registry.js";
export { createDefenderMalwareScanner } from "./defender-malware-scanner.js";
export type {
  DefenderScanResult,
  DefenderScanResultOptions,
  DefenderVerdict,
  SubscriptionValidationEvent,
} from "./defender-scan-results.js";
export {
  EVENT_GRID_ORIGINS,
  isSubscriptionValidation,
  MALWARE_SCANNING_RESULT,
  NO_THREATS_FOUND,
  parseBlobUri,
  parseDefenderScanResult,
  requestIdAfterPrefix,
  SUBSCRIPTION_VALIDATION,
  validationResponse,
  webhookHandshake,
} from "./defender-scan-results.js";
export type { AzureFailure } from "./errors.js";
export {
  classifyAzureError,
  errorCodeOf,
  statusOf,
  toAuditLogError,
  toRepositoryError,
  toStorageError,
  toWorkspaceDirectoryError,
} from "./errors.js";
export type { EventGridPublisherOptions } from "./eventgrid-event-publisher.js";
export { createEventGridPublisher, toCloudEventInput } from "./eventgrid-event-publisher.js";
export type { RetryPolicy } from "./retry.js";
export { DEFAULT_RETRY } from "./retry.js";
export type {
  AccountScope,
  NamingConventionOptions,
  ParsedConnectionString,
  StorageAccount,
  StorageAccountResolver,
} from "./storage-accounts.js";
export {
  accountsByConvention,
  defaultWorkspaceSuffix,
  isValidAccountName,
  isValidContainerName,
  parseStorageConnectionString,
  STAGE_ACCOUNTS,
} from "./storage-accounts.js";
