import type { UserRef } from "../model/actor.js";
import type { AuditRecord } from "../model/audit.js";
import type { AirlockEvent, ReviewedData, StatusChangedData } from "../model/events.js";
import { EVENT_TYPES } from "../model/events.js";
import type { Notification } from "../model/notification.js";
import type { AirlockRequest } from "../model/request.js";
import type { Workspace } from "../model/workspace.js";
import { DEFAULT_POLICY } from "../model/workspace.js";

// Fixtures take random ids so suites sharing one real backend (Azurite, Cosmos) never collide.

/** 2026-01-01T00:00:00Z in epoch seconds: a fixed, readable default time. */
export const SAMPLE_EPOCH_SECONDS = 1_767_225_600;

const uuid = (): string => crypto.randomUUID();

export const sampleUser = (overrides: Partial<UserRef> = {}): UserRef => {
  const id = overrides.id ?? uuid();
  return { id, name: `User ${id.slice(0, 8)}`, email: `${id.slice(0, 8)}@example.org`, ...overrides };
};

/** A valid draft import request with random ids, ready for `RequestRepository.create`. */
export const sampleRequest = (
  overrides: Partial<Omit<AirlockRequest, "etag">> = {},
): Omit<AirlockRequest, "etag"> => {
  const creator = overrides.createdBy ?? sampleUser();
  const when = overrides.createdWhen ?? SAMPLE_EPOCH_SECONDS;
  return {
    id: uuid(),
    workspaceId: uuid(),
    type: "import",
    title: "Cohort extract for the diabetes study",
    businessJustification: "Needed to reproduce the published analysis inside the workspace.",
    status: "draft",
    statusMessage: null,
    files: [],
    reviews: [],
    createdBy: creator,
    createdWhen: when,
    updatedBy: overrides.updatedBy ?? creator,
    updatedWhen: overrides.updatedWhen ?? when,
    history: [{ previousStatus: null, status: "draft", updatedBy: creator, updatedWhen: when }],
    dataStage: null,
    scanRequestedWhen: null,
    draftFiles: [],
    cleanFiles: [],
    findings: [],
    gatedTurn: null,
    turn: 0,
    votes: [],
    comments: [],
    fileDecisions: [],
    fileContext: [],
    previousFiles: [],
    revision: 0,
    pendingAudit: [],
    ...overrides,
  };
};

/** A valid workspace with the default policy and one member per workspace role. */
export const sampleWorkspace = (overrides: Partial<Workspace> = {}): Workspace => {
  const id = overrides.id ?? uuid();
  return {
    id,
    displayName: `Workspace ${id.slice(0, 8)}`,
    clientId: id,
    policy: { ...DEFAULT_POLICY },
    members: [
      { ...sampleUser(), roles: ["WorkspaceResearcher"] },
      { ...sampleUser(), roles: ["WorkspaceOwner"] },
      { ...sampleUser(), roles: ["AirlockManager"] },
    ],
    ...overrides,
  };
};

export interface SampleEventOverrides {
  readonly id?: string;
  readonly time?: string;
  readonly data?: Partial<StatusChangedData>;
}

/** The CloudEvents envelope around `data`, with a random id unless one is given. */
const envelope = (
  data: { readonly requestId: string; readonly workspaceId: string },
  overrides: { readonly id?: string; readonly time?: string },
) => ({
  specversion: "1.0" as const,
  id: overrides.id ?? uuid(),
  source: `/workspaces/${data.workspaceId}/requests/${data.requestId}`,
  subject: data.requestId,
  time: overrides.time ?? new Date(SAMPLE_EPOCH_SECONDS * 1000).toISOString(),
  datacontenttype: "application/json" as const,
});

/** A valid status-changed CloudEvent (draft → submitted) with random ids. */
export const sampleEvent = (overrides: SampleEventOverrides = {}): AirlockEvent => {
  const data: StatusChangedData = {
    requestId: uuid(),
    workspaceId: uuid(),
    type: "import",
    previousStatus: "draft",
    newStatus: "submitted",
    statusMessage: null,
    version: 2,
    ...overrides.data,
  };
  return { ...envelope(data, overrides), type: EVENT_TYPES.statusChanged, data };
};

/** A valid reviewed CloudEvent (one approval of one required) with random ids. */
export const sampleReviewedEvent = (
  overrides: { readonly id?: string; readonly time?: string; readonly data?: Partial<ReviewedData> } = {},
): AirlockEvent => {
  const data: ReviewedData = {
    requestId: uuid(),
    workspaceId: uuid(),
    type: "export",
    reviewer: sampleUser(),
    reviewDecision: "approved",
    status: "approval_in_progress",
    approvals: 1,
    requiredApprovals: 1,
    ...overrides.data,
  };
  return { ...envelope(data, overrides), type: EVENT_TYPES.reviewed, data };
};

/** A notification telling the requester and an airlock manager that a request awaits review. */
export const sampleNotification = (overrides: Partial<Notification> = {}): Notification => {
  const requester = sampleUser();
  return {
    id: uuid(),
    recipients: [
      { ...requester, role: "requester" },
      { ...sampleUser(), role: "AirlockManager" },
    ],
    request: {
      id: uuid(),
      workspaceId: uuid(),
      type: "import",
      title: "Cohort extract for the diabetes study",
      status: "in_review",
      previousStatus: "submitted",
      statusMessage: null,
      createdBy: requester,
    },
    ...overrides,
  };
};

/** A transition record (draft → submitted) for `stream`. */
export const sampleAuditRecord = (stream: string, overrides: Partial<AuditRecord> = {}): AuditRecord => ({
  stream,
  workspaceId: uuid(),
  requestId: stream,
  at: SAMPLE_EPOCH_SECONDS * 1000,
  actor: { id: uuid(), name: "Rita Researcher" },
  action: "submit",
  outcome: "transition",
  reason: null,
  fromStatus: "draft",
  toStatus: "submitted",
  key: null,
  ...overrides,
});

export const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

/** An upload body from chunks (strings are UTF-8 encoded). */
export const streamOf = (chunks: Iterable<Uint8Array | string>): AsyncIterable<Uint8Array> => ({
  async *[Symbol.asyncIterator]() {
    for (const chunk of chunks) yield typeof chunk === "string" ? bytesOf(chunk) : chunk;
  },
});

export const readAll = async (iterable: AsyncIterable<Uint8Array>): Promise<Uint8Array> => {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of iterable) {
    chunks.push(chunk);
    size += chunk.length;
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
};

type ScheduleTurn = (callback: () => void) => unknown;

/**
 * Runs `work` and counts the turns of the event loop (setImmediate callbacks) that ran before it
 * settled. Work that holds the thread lets none run, whatever its promises do; work that waits for
 * I/O or yields a macrotask between pieces lets one run per piece. Counts turns, never time.
 */
export const eventLoopTurnsDuring = async <T>(
  work: () => Promise<T>,
): Promise<{ readonly value: T; readonly turns: number }> => {
  const schedule = (globalThis as { setImmediate?: ScheduleTurn }).setImmediate;
  if (schedule === undefined) throw new Error("counting event-loop turns needs setImmediate (Node.js)");
  let turns = 0;
  let counting = true;
  const tick = () => {
    if (!counting) return;
    turns += 1;
    schedule(tick);
  };
  schedule(tick);
  try {
    const value = await work();
    return { value, turns };
  } finally {
    counting = false;
  }
};

export const sha256Hex = async (bytes: Uint8Array): Promise<string> => {
  // Copy into a plain ArrayBuffer: `digest` refuses views over a SharedArrayBuffer.
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(bytes));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
};

/**
 * The standard EICAR anti-virus test file (68 bytes). Assembled from two halves so that a scanner
 * looking at this source file, or the package built from it, does not quarantine it.
 */
export const EICAR = `${"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR"}${"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"}`;
