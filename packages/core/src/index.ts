// The public surface of @airlock/core. Named exports only, so every addition is a decision.

export type { AirlockError, AirlockErrorKind } from "./errors.js";
export { airlockError } from "./errors.js";
export { createSizeGate } from "./gates/size-gate.js";
export type {
  ActorFacts,
  AirlockContext,
  AirlockEvent as MachineEvent,
  AirlockEventType as MachineEventType,
  MachinePolicy,
  Refusal,
  RefusalKind,
} from "./machine/airlock-machine.js";
export { airlockMachine, USER_ACTION_EVENTS } from "./machine/airlock-machine.js";
export type { Decision } from "./machine/decide.js";
export {
  actorFacts,
  allowedUserActions,
  contextOf,
  decide,
  decideCreation,
  statusAccepts,
  statusesAccepting,
} from "./machine/decide.js";
export type { FileFacts, FileProblem } from "./machine/files.js";
export { describeFileProblems, fileProblems, unrecordedFiles } from "./machine/files.js";
export type { BlobCallDecision, LinkDecision } from "./machine/links.js";
export { blobCallDecision, linkDecision } from "./machine/links.js";
export type { Party, Permission, PermissionRule } from "./machine/permissions.js";
export { describeRoles, isParty, isPartyTo, mayAttempt, PERMISSIONS } from "./machine/permissions.js";
export type { FileChange, TurnEnd } from "./machine/review.js";
export {
  fileChanges,
  isFileApproved,
  isRequestApproved,
  reviewFactsOf,
  turnDecisions,
} from "./machine/review.js";
export type { LinkHolder, LinkRule, MachineStatus, StatusMeta } from "./machine/status-meta.js";
export {
  ALL_STATUSES,
  IN_PROGRESS_STATUSES,
  isFinal,
  isInProgress,
  needsProcessing,
  STATUS_META,
  SWEPT_STATUSES,
  stageOf,
  statusMeta,
  UPLOAD_STAGE,
} from "./machine/status-meta.js";
export type { ReviewVisibility } from "./machine/visibility.js";
export { isReviewerOf, reviewVisibility, visibleTo } from "./machine/visibility.js";
export type { Actor, GrantHolder, Role, TreRole, UserRef, WorkspaceRole } from "./model/actor.js";
export {
  Actor as ActorSchema,
  GrantHolder as GrantHolderSchema,
  grantHolderOf,
  Role as RoleSchema,
  SYSTEM_ACTOR,
  TreRole as TreRoleSchema,
  UserRef as UserRefSchema,
  userRef,
  WorkspaceRole as WorkspaceRoleSchema,
} from "./model/actor.js";
export type {
  AuditCheckpoint,
  AuditEntry,
  AuditOutcome,
  AuditPage,
  AuditPageRequest,
  AuditRecord,
  AuditStreamPage,
  AuditStreamPageRequest,
  AuditTamper,
  AuditTrailPage,
  AuditVerification,
} from "./model/audit.js";
export {
  AuditCheckpoint as AuditCheckpointSchema,
  AuditEntry as AuditEntrySchema,
  AuditRecord as AuditRecordSchema,
  AuditTrailQuery as AuditTrailQuerySchema,
  canonicalAuditText,
  canonicalCheckpointText,
  DEFAULT_AUDIT_PAGE,
  GENESIS_HASH,
  MAX_AUDIT_PAGE,
  TRE_STREAM,
  unhashedAuditEntry,
  workspaceAuditStream,
} from "./model/audit.js";
export type { AuditKeys } from "./model/audit-keys.js";
export {
  checkpointSignatureValid,
  generateAuditKeys,
  hashAuditEntry,
  MIN_CHAIN_KEY_BYTES,
  signCheckpoint,
} from "./model/audit-keys.js";
export { describeBytes } from "./model/bytes.js";
export type {
  AirlockEvent,
  CommentAddedData,
  FileEventData,
  ResubmittedData,
  ReturnedData,
  ReviewedData,
  StatusChangedData,
  VoteRecordedData,
} from "./model/events.js";
export {
  AirlockEvent as AirlockEventSchema,
  EVENT_TYPES,
  ReviewedData as ReviewedDataSchema,
  StatusChangedData as StatusChangedDataSchema,
} from "./model/events.js";
export type {
  Finding,
  GateSettings,
  GateSettingsOf,
  GateType,
  GateVerdict,
} from "./model/gates.js";
export {
  FINDINGS_PER_FILE_MAX,
  Finding as FindingSchema,
  GateSettings as GateSettingsSchema,
  GateType as GateTypeSchema,
  GateVerdict as GateVerdictSchema,
} from "./model/gates.js";
export type { Notification, NotificationTopic, RecipientRole } from "./model/notification.js";
export type { EmailContent, EmailContentOptions, EmailRecipient } from "./model/notification-email.js";
export {
  checkPortalUrl,
  emailRecipients,
  escapeHtml,
  notificationEmail,
  requestLink,
} from "./model/notification-email.js";
export {
  boundedText,
  EpochSeconds,
  FILE_NAME_MAX,
  FileName,
  FileNameInput,
  fileNameProblem,
  Id,
  normalizeFileName,
  Sha256Hex,
  visibleFileName,
} from "./model/primitives.js";
export type {
  AirlockRequest,
  Comment,
  CommentVisibility,
  FileContext,
  FileDecision,
  FileDecisionValue,
  FileRecord,
  FileState,
  HistoryEntry,
  NamedFileContext,
  NewRequestInput,
  PublicRequest,
  RequestFile,
  RequestStatus,
  RequestType,
  Review,
  ReviewDecision,
  Stage,
  UserAction,
  Vote,
  VoteValue,
} from "./model/request.js";
export {
  AirlockRequest as AirlockRequestSchema,
  COMMENT_MAX,
  Comment as CommentSchema,
  CommentVisibility as CommentVisibilitySchema,
  FILE_CONTEXT_MAX,
  FileContext as FileContextSchema,
  FileDecision as FileDecisionSchema,
  FileRecord as FileRecordSchema,
  FileState as FileStateSchema,
  JUSTIFICATION_MAX,
  NewRequestInput as NewRequestInputSchema,
  PublicRequest as PublicRequestSchema,
  RequestFile as RequestFileSchema,
  RequestStatus as RequestStatusSchema,
  RequestType as RequestTypeSchema,
  Review as ReviewSchema,
  ReviewDecision as ReviewDecisionSchema,
  STATUS_MESSAGE_MAX,
  Stage as StageSchema,
  storedRequest,
  TITLE_MAX,
  UserAction as UserActionSchema,
  Vote as VoteSchema,
  VoteValue as VoteValueSchema,
} from "./model/request.js";
export type { FileToUpload, UploadProblem, UploadRules } from "./model/upload-rules.js";
export { extensionOf, uploadProblems, uploadRulesOf } from "./model/upload-rules.js";
export type {
  Workspace,
  WorkspaceMember,
  WorkspacePolicy,
  WorkspacePolicyInput,
  WorkspaceView,
} from "./model/workspace.js";
export {
  contentGates,
  DEFAULT_POLICY,
  GIB,
  Workspace as WorkspaceSchema,
  WorkspaceMember as WorkspaceMemberSchema,
  WorkspacePolicy as WorkspacePolicySchema,
  WorkspaceRegistration as WorkspaceRegistrationSchema,
  wantsMalwareScan,
  workspaceViewOf,
} from "./model/workspace.js";
export type { AuditCheckpoints, AuditCheckpointsError } from "./ports/audit-checkpoints.js";
export type { AuditLog, AuditLogError } from "./ports/audit-log.js";
export type { AuditSealing } from "./ports/audit-sealing.js";
export { checkpointEntry, verifyAuditStream } from "./ports/audit-sealing.js";
export type { Clock } from "./ports/clock.js";
export type { Conflict, InvalidInput, NotFound, TooLarge, Unavailable } from "./ports/errors.js";
export { conflict, invalidInput, notFound, tooLarge, unavailable } from "./ports/errors.js";
export type { EventPublisher, EventPublisherError } from "./ports/event-publisher.js";
export type {
  Gate,
  GateAnswer,
  GateError,
  GateFile,
  GateFinding,
  GateRequestFacts,
  GateSet,
} from "./ports/gate.js";
export type { IdGenerator } from "./ports/id-generator.js";
export type { MalwareScanner, ScannerError, ScanOutcome } from "./ports/malware-scanner.js";
export type { Notifier, NotifierError } from "./ports/notifier.js";
export type { ListPaging, RequestCursor, RequestSortValue } from "./ports/request-cursor.js";
export {
  decodeRequestCursor,
  encodeRequestCursor,
  REQUEST_SORT_KEY_TYPES,
  readListPaging,
} from "./ports/request-cursor.js";
export type {
  RepositoryError,
  RequestOrderBy,
  RequestPage,
  RequestQuery,
  RequestRepository,
} from "./ports/request-repository.js";
export type {
  AirlockStorage,
  ByteRange,
  ContainerRef,
  FileProperties,
  LinkAccess,
  LinkSigner,
  LinkToSign,
  StageBlockOptions,
  StorageError,
  StorageLink,
  StoredFile,
} from "./ports/storage.js";
export { signedLink } from "./ports/storage.js";
export type {
  WorkspaceDirectory,
  WorkspaceDirectoryError,
  WorkspaceRegistry,
} from "./ports/workspace-directory.js";
export { DEFAULT_NOTIFICATIONS, notificationFor, topicNotification } from "./service/announcements.js";
export { quoted } from "./service/audit-records.js";
export type { AuditVerificationSummary, StreamVerification } from "./service/audit-verify-all.js";
export { verifyAllAuditStreams } from "./service/audit-verify-all.js";
export type { TurnChanges } from "./service/changes.js";
export { createAirlock } from "./service/create-airlock.js";
export {
  CommentInput as CommentInputSchema,
  FileContextInput as FileContextInputSchema,
  ListQuery as ListQuerySchema,
  ReturnInput as ReturnInputSchema,
  ReviewInput as ReviewInputSchema,
  RevokeInput as RevokeInputSchema,
  UserListQuery as UserListQuerySchema,
  VoteInput as VoteInputSchema,
} from "./service/inputs.js";
export { linkCallAction } from "./service/link-calls.js";
export type {
  Airlock,
  AirlockOptions,
  AirlockPorts,
  AirlockProcessor,
  BackgroundError,
  BlobOperation,
  BlockUploadOptions,
  Denial,
  LinkView,
  ListRequestsInput,
  NotificationMatrix,
  OpenedFile,
  OpenFileOptions,
  ProcessSummary,
  RangeRequest,
  RequestList,
  RequestView,
  RoleSource,
  UploadOptions,
} from "./service/types.js";
export type { WorkspaceRegistrar, WorkspaceRegistration } from "./service/workspace-registration.js";
export { createWorkspaceRegistrar } from "./service/workspace-registration.js";
export type { WorkspaceSummary } from "./service/workspaces.js";
