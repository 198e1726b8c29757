import type { ResultAsync } from "neverthrow";
import type { AirlockError } from "../errors.js";
import type { Actor, GrantHolder } from "../model/actor.js";
import type { AuditTrailPage, AuditVerification } from "../model/audit.js";
import type { GateType } from "../model/gates.js";
import type { RecipientRole } from "../model/notification.js";
import type { AirlockRequest, Comment, RequestStatus, Stage, UserAction } from "../model/request.js";
import type { UploadRules } from "../model/upload-rules.js";
import type { AuditLog } from "../ports/audit-log.js";
import type { Clock } from "../ports/clock.js";
import type { EventPublisher } from "../ports/event-publisher.js";
import type { GateSet } from "../ports/gate.js";
import type { IdGenerator } from "../ports/id-generator.js";
import type { MalwareScanner } from "../ports/malware-scanner.js";
import type { Notifier } from "../ports/notifier.js";
import type { RequestOrderBy, RequestRepository } from "../ports/request-repository.js";
import type { AirlockStorage, FileProperties, LinkAccess, StoredFile } from "../ports/storage.js";
import type { WorkspaceDirectory } from "../ports/workspace-directory.js";
import type { TurnChanges } from "./changes.js";
import type { WorkspaceSummary } from "./workspaces.js";

export interface AirlockPorts {
  readonly repository: RequestRepository;
  readonly storage: AirlockStorage;
  /**
   * The malware scanner. Without one, `gateTypes` leaves out `malware`: a workspace whose policy asks
   * for a scan is refused at registration, and a request of one registered otherwise fails.
   */
  readonly scanner?: MalwareScanner;
  /**
   * The security gates this server runs in process (file type, size, ...). A workspace whose
   * policy lists a gate missing here has its requests failed, never passed unchecked.
   */
  readonly gates?: GateSet;
  readonly notifier: Notifier;
  readonly events: EventPublisher;
  readonly audit: AuditLog;
  readonly workspaces: WorkspaceDirectory;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/**
 * Where an actor's workspace roles come from: `actor`, the roles the caller passes (a token's, as
 * upstream); `directory`, the roles the workspace's `members` list gives the actor's id (TRE roles
 * such as TREAdmin still come from the actor).
 */
export type RoleSource = "actor" | "directory";

/** Who is told about which status. Default: `DEFAULT_NOTIFICATIONS` (docs/events-and-notifications.md). */
export type NotificationMatrix = Readonly<Partial<Record<RequestStatus, readonly RecipientRole[]>>>;

export interface AirlockOptions {
  /**
   * How long a link stays valid. Default 3600 s. With link reuse (below), counted from the start
   * of the reuse window the link was issued in.
   */
  readonly linkTtlSeconds?: number;
  /**
   * The same holder asking again for a link with the same stage and access within one window of
   * this many seconds (aligned on the clock, at most half of `linkTtlSeconds`) gets the same link,
   * with the same expiry, and one audit entry, keyed by the window, stands for all of them. 0 issues
   * and records a fresh link every time. Default 60 s.
   */
  readonly linkReuseSeconds?: number;
  /**
   * How long one security gate may take over one file before the request fails (closed). Default
   * 600 s.
   */
  readonly gateTimeoutSeconds?: number;
  /** Ask the scanner again when no verdict arrived for this long. Default 300 s. */
  readonly scanRetrySeconds?: number;
  /** Fail a submitted request whose verdict has not arrived after this long. Default 86,400 s. */
  readonly scanDeadlineSeconds?: number;
  /** Fail a request whose data could not be moved (a backing service down) after this long. Default 86,400 s. */
  readonly processingDeadlineSeconds?: number;
  /** How far back `processor.recover()` looks for writes whose audit entry may be missing. Default 86,400 s. */
  readonly recoveryWindowSeconds?: number;
  /** Who is told about which status. Default `DEFAULT_NOTIFICATIONS`. */
  readonly notifications?: NotificationMatrix;
  /**
   * `inline` (default): a command that leaves work for the processor starts it in the background
   * as it answers (`processor.idle()` waits for it). `manual`: only
   * `processor.process` / `processor.resume` move requests on (a worker process, tests).
   */
  readonly processing?: "inline" | "manual";
  /** Where an actor's workspace roles come from (see `RoleSource`). Default `actor`. */
  readonly roles?: RoleSource;
  /**
   * Told about failures that no caller waits for: a notification or an event that could not be
   * sent, a background processing step, a failed upload's file name that could not be released.
   * Default: nothing.
   */
  readonly onBackgroundError?: (error: BackgroundError) => void;
}

export interface BackgroundError {
  readonly step: "notify" | "publish" | "process" | "upload";
  readonly requestId: string;
  readonly error: { readonly kind: string; readonly message: string };
}

/** A request as the API shows it to one caller. */
export interface RequestView {
  readonly airlockRequest: AirlockRequest;
  readonly allowedUserActions: readonly UserAction[];
}

export interface ListRequestsInput {
  readonly creator_user_id?: string;
  readonly type?: string;
  readonly status?: string;
  readonly order_by?: string;
  readonly order_ascending?: string | boolean;
  readonly page_size?: string | number;
  readonly continuation?: string;
}

export interface RequestList {
  readonly items: readonly RequestView[];
  readonly continuation: string | null;
}

export interface LinkView {
  readonly containerUrl: string;
  readonly expiresAt: Date;
  readonly stage: Stage;
  readonly access: readonly LinkAccess[];
  /** Who the link is for: a link the API signs itself carries it, and every call is checked for it. */
  readonly holder: GrantHolder;
}

/**
 * A refusal made outside the engine (the HTTP layer's token checks) of a caller whose identity is
 * known: a correctly signed token that has expired or is for another audience, a link whose
 * signature matches but does not grant the call. See `Airlock.recordDenial` for where it is kept.
 */
export interface Denial {
  /** Who was refused, as their credential names them. */
  readonly subject: { readonly id: string; readonly name: string };
  /** The workspace the call addressed, when it named one. */
  readonly workspaceId: string | null;
  /** The request a link was signed for; never a request id taken from an unchecked path. */
  readonly requestId: string | null;
  /** What was attempted: an engine action (`file-read`, …) or `authenticate` / `authorize`. */
  readonly action: string;
  readonly code: "Unauthorized" | "Forbidden";
  /** Why, for people; the route the call asked for belongs here too. */
  readonly message: string;
}

export interface ProcessSummary {
  readonly processed: number;
  readonly stillWaiting: number;
  readonly failed: number;
}

/**
 * Drives the asynchronous steps: moving data between stages, scanning, failing what cannot finish.
 * Every step is idempotent, so `resume` after a crash finishes or fails every request.
 */
export interface AirlockProcessor {
  /** Moves one request on as far as it can go now. */
  process(requestId: string): ResultAsync<AirlockRequest, AirlockError>;
  /** Sweeps every request with pending work (after a restart, or on a timer). */
  resume(): ResultAsync<ProcessSummary, AirlockError>;
  /**
   * After a crash: appends the audit entries (and sends the events) of recent writes that the
   * crash cut off. Run it once at start, before `resume`.
   */
  recover(): ResultAsync<{ readonly recovered: number }, AirlockError>;
  /** Resolves when the work started by inline processing has finished. */
  idle(): Promise<void>;
}

/** What an upload may tell before its bytes arrive. */
export interface UploadOptions {
  /**
   * The content's length when known (an HTTP Content-Length): it is what the upload counts against
   * the workspace's `maxBytesInFlight`, and the most it may write. Without it, `maxFileSize` counts.
   */
  readonly declaredBytes?: number;
}

/** A staged block's exact length (an HTTP Content-Length): what it counts against `maxBytesInFlight`. */
export interface BlockUploadOptions {
  readonly size: number;
}

/** Part of a file, as an HTTP `Range` asks for it: bytes `start` to `end` (inclusive), or the last `suffix` bytes. */
export type RangeRequest = { readonly start: number; readonly end?: number } | { readonly suffix: number };

export interface OpenFileOptions {
  readonly range?: RangeRequest;
  /**
   * The etags (or `*`) the file must have, as an HTTP `If-Match` lists them: a file that has
   * changed since is answered without bytes, its part `changed`, so a download resumed after the
   * file was replaced never mixes two versions.
   */
  readonly ifMatch?: readonly string[];
  /** False for the properties only (an HTTP HEAD). Default true. */
  readonly content?: boolean;
}

/**
 * A file opened through a link: its properties, which part is served (`whole`, the first and last
 * byte of a range, `unsatisfiable` for a range the file has nothing of, or `changed` when its etag
 * is none of `ifMatch`), and those bytes (null when there are none to serve or none were asked for).
 */
export interface OpenedFile {
  readonly file: FileProperties;
  readonly part: "whole" | "unsatisfiable" | "changed" | { readonly first: number; readonly last: number };
  readonly content: AsyncIterable<Uint8Array> | null;
}

export type BlobOperation = "read" | "write" | "list" | "delete";

/**
 * The engine. Every method taking an `Actor` checks it against the `Actor` schema first: a bad one
 * is `InvalidInput`, its `issues` naming the fields (`actor.roles`, …).
 */
export interface Airlock {
  create(actor: Actor, workspaceId: string, input: unknown): ResultAsync<RequestView, AirlockError>;
  get(actor: Actor, workspaceId: string, requestId: string): ResultAsync<RequestView, AirlockError>;
  list(actor: Actor, workspaceId: string, query: ListRequestsInput): ResultAsync<RequestList, AirlockError>;
  /**
   * Across workspaces: `airlockManager: false`, the caller's own requests; `true`, the requests in
   * review in workspaces where the directory lists the caller as an AirlockManager, and that the
   * caller may still decide.
   */
  listForUser(
    actor: Actor,
    query: {
      readonly airlockManager: boolean;
      readonly page_size?: string | number;
      readonly continuation?: string;
    },
  ): ResultAsync<RequestList, AirlockError>;
  /**
   * The workspaces the caller holds a role in (as the workspaces' members lists say), by display
   * name; every workspace for a TRE admin.
   */
  workspaces(actor: Actor): ResultAsync<readonly WorkspaceSummary[], AirlockError>;
  /** What the workspace's policy asks of uploaded files; for those who may read its requests. */
  uploadRules(actor: Actor, workspaceId: string): ResultAsync<UploadRules, AirlockError>;
  link(actor: Actor, workspaceId: string, requestId: string): ResultAsync<LinkView, AirlockError>;
  submit(actor: Actor, workspaceId: string, requestId: string): ResultAsync<RequestView, AirlockError>;
  cancel(actor: Actor, workspaceId: string, requestId: string): ResultAsync<RequestView, AirlockError>;
  /** `input`: `{approval: boolean, decisionExplanation: string}`. */
  review(
    actor: Actor,
    workspaceId: string,
    requestId: string,
    input: unknown,
  ): ResultAsync<RequestView, AirlockError>;
  /**
   * One reviewer's vote on one active file of a request in review, `input`: `{vote: "approve" |
   * "request_changes", comment?}` (the comment is for reviewers only). The vote that gives every
   * active file `requiredApprovals` approvals approves the request.
   */
  vote(
    actor: Actor,
    workspaceId: string,
    requestId: string,
    file: string,
    input: unknown,
  ): ResultAsync<RequestView, AirlockError>;
  /**
   * Returns a request in review for changes, `input`: `{comments: [{text, file?, visibility?}]}`
   * with at least one comment the requester may read (`visibility` defaults to `everyone`).
   */
  returnForChanges(
    actor: Actor,
    workspaceId: string,
    requestId: string,
    input: unknown,
  ): ResultAsync<RequestView, AirlockError>;
  /** Adds a comment, `input`: `{text, file?, visibility: "reviewers" | "everyone"}`; answers it. */
  addComment(
    actor: Actor,
    workspaceId: string,
    requestId: string,
    input: unknown,
  ): ResultAsync<Comment, AirlockError>;
  /** The request's comments this caller may read. */
  comments(
    actor: Actor,
    workspaceId: string,
    requestId: string,
  ): ResultAsync<readonly Comment[], AirlockError>;
  /** The requester withdraws a file (draft or changes_requested): it is never reviewed nor released. */
  withdrawFile(
    actor: Actor,
    workspaceId: string,
    requestId: string,
    file: string,
  ): ResultAsync<RequestView, AirlockError>;
  /** The requester sets a file's context, `input`: `{description?, controls?}`. */
  setFileContext(
    actor: Actor,
    workspaceId: string,
    requestId: string,
    file: string,
    input: unknown,
  ): ResultAsync<RequestView, AirlockError>;
  /** Per file, what changed since the previous turn: `added`, `changed`, `unchanged` or `withdrawn`. */
  changes(actor: Actor, workspaceId: string, requestId: string): ResultAsync<TurnChanges, AirlockError>;
  /** `input`: `{reason: string}`. */
  revoke(
    actor: Actor,
    workspaceId: string,
    requestId: string,
    input: unknown,
  ): ResultAsync<RequestView, AirlockError>;
  /**
   * A scanner's verdict that arrived asynchronously; a late or repeated verdict changes nothing.
   * With `file`, the verdict is for that one file (Defender scans blob by blob): a threat blocks the
   * request at once, and the request is clean once every file it recorded at submit is.
   */
  recordScanResult(
    requestId: string,
    outcome: { readonly verdict: "clean" } | { readonly verdict: "threat"; readonly detail: string },
    file?: string,
  ): ResultAsync<AirlockRequest, AirlockError>;
  /**
   * A page of the request's audit trail in `seq` order (`query`: `continuation` of the previous
   * page, `pageSize` 1 to 1000, default 100). Reading a page verifies nothing: see `verifyAuditTrail`.
   */
  auditTrail(
    actor: Actor,
    workspaceId: string,
    requestId: string,
    query?: unknown,
  ): ResultAsync<AuditTrailPage, AirlockError>;
  /** A page of the workspace's own audit trail: refusals made before any request was read (TREAdmin). */
  workspaceAuditTrail(
    actor: Actor,
    workspaceId: string,
    query?: unknown,
  ): ResultAsync<AuditTrailPage, AirlockError>;
  /**
   * Verifies the request's audit trail, or the workspace's own with `requestId` null, whole: every
   * entry's keyed hash and link, and the chain against its latest signed checkpoint.
   */
  verifyAuditTrail(
    actor: Actor,
    workspaceId: string,
    requestId: string | null,
  ): ResultAsync<AuditVerification, AirlockError>;
  /**
   * A page of the TRE-wide audit trail (TREAdmin): refusals that named no workspace that exists,
   * such as a token refused on a TRE-wide route. `query` as for `auditTrail`. Only the actor's TRE
   * roles count; a refusal is recorded in that same trail.
   */
  treAuditTrail(actor: Actor, query?: unknown): ResultAsync<AuditTrailPage, AirlockError>;
  /** Verifies the TRE-wide audit trail whole, as `verifyAuditTrail` does (TREAdmin). */
  verifyTreAuditTrail(actor: Actor): ResultAsync<AuditVerification, AirlockError>;
  /**
   * Streams one file of the request's container in `stage` (a link's download). The link rule is
   * run again for the link's `holder` on the request's current status, as for every call below,
   * and every call is recorded in the request's audit trail (`file-read`, …), allowed or refused.
   */
  readFile(
    holder: GrantHolder,
    requestId: string,
    stage: Stage,
    name: string,
  ): ResultAsync<AsyncIterable<Uint8Array>, AirlockError>;
  /**
   * One file of the container in `stage` with its size, etag and last modification, and its bytes
   * or the part `options.range` asks for (a link's download, or its properties alone): a `file-read`.
   */
  openFile(
    holder: GrantHolder,
    requestId: string,
    stage: Stage,
    name: string,
    options?: OpenFileOptions,
  ): ResultAsync<OpenedFile, AirlockError>;
  /**
   * Stages one block of a file in the container in `stage` (a link's Put Block): a `file-write`
   * that shows nothing under the name until `commitBlocks`. Staging an id again replaces the block.
   */
  stageBlock(
    holder: GrantHolder,
    requestId: string,
    stage: Stage,
    name: string,
    blockId: string,
    content: AsyncIterable<Uint8Array>,
    options: BlockUploadOptions,
  ): ResultAsync<void, AirlockError>;
  /**
   * Makes the listed staged blocks, in order, the file `name` (a link's Put Block List): a
   * `file-write` the draft counts as `writeFile` does.
   */
  commitBlocks(
    holder: GrantHolder,
    requestId: string,
    stage: Stage,
    name: string,
    blockIds: readonly string[],
  ): ResultAsync<StoredFile, AirlockError>;
  /**
   * Deletes one file of the container in `stage` (a link's delete); an absent file is not an error.
   * A draft no longer counts the file against the policy's `maxFiles`.
   */
  deleteFile(
    holder: GrantHolder,
    requestId: string,
    stage: Stage,
    name: string,
  ): ResultAsync<void, AirlockError>;
  /** The files of the container in `stage` (a link's listing). */
  listFiles(
    holder: GrantHolder,
    requestId: string,
    stage: Stage,
  ): ResultAsync<readonly StoredFile[], AirlockError>;
  /**
   * Writes one file into the container in `stage` (a link's upload): only a draft's own stage takes
   * files. The draft records the name before the bytes are written, so the policy's `maxFiles`
   * holds however many uploads race; replacing a file the draft holds always has room.
   */
  writeFile(
    holder: GrantHolder,
    requestId: string,
    stage: Stage,
    name: string,
    content: AsyncIterable<Uint8Array>,
    options?: UploadOptions,
  ): ResultAsync<{ readonly name: string; readonly size: number }, AirlockError>;
  /**
   * Uploads one file into a draft request, for in-process users: `writeFile` to the upload stage,
   * made for the draft's requester (the only holder of a draft's link) and recorded as theirs.
   */
  upload(
    requestId: string,
    name: string,
    content: AsyncIterable<Uint8Array>,
    options?: UploadOptions,
  ): ResultAsync<{ readonly name: string; readonly size: number }, AirlockError>;
  /**
   * Records a refusal made outside the engine (see `Denial`): in the stream of the request a link
   * was signed for, else in `workspace:{id}` of the workspace addressed (when it exists), else in
   * the TRE-wide stream `tre`. A denial that does not validate is `InvalidInput`.
   */
  recordDenial(denial: Denial): ResultAsync<void, AirlockError>;
  readonly processor: AirlockProcessor;
  /**
   * The gate types this engine runs: `malware` (when it has a scanner) and those in `ports.gates`.
   * A workspace policy listing another is refused at registration.
   */
  readonly gateTypes: readonly GateType[];
}

export type { RequestOrderBy };
