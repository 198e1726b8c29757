import type { Workspace } from "@airlock/core";
import {
  type AirlockRequest,
  actorFacts,
  type Role as CoreRole,
  contextOf,
  decide,
  type MachineEvent,
  mayAttempt,
  type Permission,
  type RefusalKind,
  TRE_STREAM,
} from "@airlock/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, type People, peopleOf, type RequestBody, requestsUrl } from "./support/flow.js";
import { type ApiAnswer, call, startTestServer, type TestServer, workspace } from "./support/server.js";
import { snapshotState } from "./support/state.js";
import { type RestingStatus, requestInStatus } from "./support/statuses.js";

// The authorization matrix, written from the airlock's documented behaviour (statuses and
// transitions, who holds a link in which status, the HTTP routes, the order of checks) and the
// package README (which routes admit a TREAdmin token on the API audience, who reads the audit
// trail). For upstream's routes it is data, deliberately not derived from core's machine, so the
// two check each other. The review-cycle routes (votes, returns, comments, withdrawals, file
// context, changes) ask core's permission table and machine what each call should answer, so the
// matrix checks that the HTTP API carries the engine's rules, in the documented order of checks,
// without a second copy of them (see REVIEW_ROUTES below).

type Role = "WorkspaceResearcher" | "WorkspaceOwner" | "AirlockManager" | "TREAdmin";

interface CallerSpec {
  readonly label: string;
  readonly user: string;
  readonly roles: readonly Role[];
  /** `workspace`: a token for the workspace's audience; `api`: the API's own; `none`: no token. */
  readonly audience: "workspace" | "api" | "none";
}

/** Every request in the matrix is created by alice; mona makes the decisions a status needs. */
const CALLERS = {
  requester: {
    label: "the requester (WorkspaceResearcher)",
    user: "alice",
    roles: ["WorkspaceResearcher"],
    audience: "workspace",
  },
  researcher: {
    label: "a WorkspaceResearcher who is not the requester",
    user: "rita",
    roles: ["WorkspaceResearcher"],
    audience: "workspace",
  },
  owner: { label: "a WorkspaceOwner", user: "olivia", roles: ["WorkspaceOwner"], audience: "workspace" },
  manager: {
    label: "an AirlockManager who has not decided",
    user: "bob",
    roles: ["AirlockManager"],
    audience: "workspace",
  },
  decider: {
    label: "the AirlockManager who decided (where one did)",
    user: "mona",
    roles: ["AirlockManager"],
    audience: "workspace",
  },
  managerRequester: {
    label: "an AirlockManager who is the requester",
    user: "alice",
    roles: ["WorkspaceResearcher", "AirlockManager"],
    audience: "workspace",
  },
  treAdmin: { label: "a TREAdmin on the API audience", user: "root", roles: ["TREAdmin"], audience: "api" },
  noRole: { label: "a workspace token with no role", user: "nemo", roles: [], audience: "workspace" },
  anonymous: { label: "a caller without a token", user: "", roles: [], audience: "none" },
} as const satisfies Record<string, CallerSpec>;
type Caller = keyof typeof CALLERS;
const CALLER_NAMES = Object.keys(CALLERS) as Caller[];

type RequestEndpoint = "get" | "link" | "submit" | "cancel" | "approve" | "reject" | "revoke" | "audit";
type WorkspaceEndpoint = "create" | "list" | "workspaceAudit";
type Endpoint = RequestEndpoint | WorkspaceEndpoint;
const REQUEST_ENDPOINTS: readonly RequestEndpoint[] = [
  "get",
  "link",
  "submit",
  "cancel",
  "approve",
  "reject",
  "revoke",
  "audit",
];
type Command = "submit" | "cancel" | "approve" | "reject" | "revoke";

const R: Role = "WorkspaceResearcher";
const O: Role = "WorkspaceOwner";
const M: Role = "AirlockManager";

/** HTTP table: the roles that pass the role check; `anyone` where ownership alone decides (cancel). */
const ROLE_GATE: Readonly<Record<Endpoint, readonly Role[] | "anyone">> = {
  create: [R, O],
  list: [R, O, M],
  get: [R, O, M],
  link: [R, O, M],
  submit: [R, O],
  cancel: "anyone",
  approve: [M],
  reject: [M],
  revoke: [M],
  audit: [O, M, "TREAdmin"],
  workspaceAudit: ["TREAdmin"],
};

/** README "Tokens": the workspace routes that admit a TREAdmin token on the API audience. */
const ADMITS_API_TOKEN: readonly Endpoint[] = ["list", "get", "cancel", "audit", "workspaceAudit"];

/** Statuses-and-transitions table: the status each user action leaves, and where it leads. */
const TRANSITIONS: Readonly<
  Record<Command, { readonly from: readonly RestingStatus[]; readonly to: string }>
> = {
  submit: { from: ["draft", "changes_requested"], to: "submitted" },
  cancel: { from: ["draft", "in_review", "changes_requested"], to: "cancelled" },
  approve: { from: ["in_review"], to: "approval_in_progress" },
  reject: { from: ["in_review"], to: "rejection_in_progress" },
  revoke: { from: ["approved"], to: "revoked" },
};

/** Where a command resolves once the processor has caught up. */
const SETTLES_AT: Readonly<Record<Command, string>> = {
  submit: "in_review",
  cancel: "cancelled",
  approve: "approved",
  reject: "rejected",
  revoke: "revoked",
};

type Holder = "requester" | Role;
type LinkRule = "none" | { readonly import: readonly Holder[]; readonly export: readonly Holder[] };
/** The link table. */
const LINKS: Readonly<Record<RestingStatus, LinkRule>> = {
  draft: { import: ["requester"], export: ["requester"] },
  submitted: { import: ["requester", O], export: ["requester", O] },
  in_review: { import: [M, O], export: [M, O] },
  // Being processed: no link until the files are back in the draft stage.
  returning_in_progress: "none",
  changes_requested: { import: ["requester"], export: ["requester"] },
  approved: { import: [R, O], export: ["requester", O] },
  rejected: "none",
  blocked_by_scan: "none",
  cancelled: "none",
  revoked: "none",
  failed: "none",
};

/** A column of the matrix: a request resting in a status, or one the caller cannot address. */
interface Column {
  readonly name: string;
  readonly status?: RestingStatus;
  readonly type?: "import" | "export";
  /** Which of the callers decided the request (approved, rejected, revoked). */
  readonly decidedBy?: Caller;
  readonly missing?: "absent" | "other-workspace" | "unknown-workspace";
}

const STATUS_COLUMNS: readonly Column[] = [
  { name: "draft", status: "draft" },
  { name: "submitted (scan pending)", status: "submitted" },
  { name: "in_review", status: "in_review" },
  { name: "returning_in_progress (move back failing)", status: "returning_in_progress" },
  { name: "changes_requested", status: "changes_requested" },
  { name: "approved (import)", status: "approved", decidedBy: "decider" },
  { name: "approved (export)", status: "approved", type: "export", decidedBy: "decider" },
  { name: "rejected", status: "rejected", decidedBy: "decider" },
  { name: "blocked_by_scan", status: "blocked_by_scan" },
  { name: "cancelled", status: "cancelled" },
  { name: "revoked", status: "revoked", decidedBy: "decider" },
  { name: "failed (scan deadline passed)", status: "failed" },
];
const MISSING_COLUMNS: readonly Column[] = [
  { name: "that does not exist", missing: "absent" },
  { name: "of another workspace", missing: "other-workspace" },
  { name: "in a workspace that does not exist", missing: "unknown-workspace" },
];

type Expected =
  | { readonly allowed: true; readonly status: number }
  | { readonly allowed: false; readonly status: number; readonly code: string };

const allow = (status = 200): Expected => ({ allowed: true, status });
const deny = (status: number, code: string): Expected => ({ allowed: false, status, code });

/** The documented order of checks, applied to the tables above. */
const expectedFor = (endpoint: Endpoint, callerName: Caller, column: Column | null): Expected => {
  const caller: CallerSpec = CALLERS[callerName];
  if (caller.audience === "none") return deny(401, "Unauthorized");
  if (column?.missing === "unknown-workspace") return deny(404, "NotFound");
  if (caller.audience === "api" && !ADMITS_API_TOKEN.includes(endpoint)) return deny(401, "Unauthorized");
  const gate = ROLE_GATE[endpoint];
  if (gate !== "anyone" && !caller.roles.some((role) => gate.includes(role))) return deny(403, "Forbidden");
  if (endpoint === "create") return allow(201);
  if (endpoint === "list" || endpoint === "workspaceAudit") return allow();
  if (column === null) throw new Error(`${endpoint} needs a request`);
  if (column.missing) return deny(404, "NotFound");
  const status = column.status as RestingStatus;
  const isRequester = caller.user === "alice";
  const holds = (holder: Holder) => (holder === "requester" ? isRequester : caller.roles.includes(holder));
  switch (endpoint) {
    case "get":
    case "audit":
      return allow();
    case "link": {
      const rule = LINKS[status];
      if (rule === "none") return deny(400, "NoLink");
      return rule[column.type ?? "import"].some(holds) ? allow() : deny(403, "Forbidden");
    }
    default: {
      const party: Readonly<Record<Command, boolean>> = {
        submit: isRequester || holds(O),
        cancel: isRequester || holds(O) || holds("TREAdmin"),
        // A requester never reviews their own request; each manager decides once.
        approve: !isRequester && column.decidedBy !== callerName,
        reject: !isRequester && column.decidedBy !== callerName,
        revoke: true,
      };
      if (!party[endpoint]) return deny(403, "Forbidden");
      return TRANSITIONS[endpoint].from.includes(status) ? allow() : deny(400, "IllegalTransition");
    }
  }
};

const WS = "ws1";
const OTHER_WS = "ws2";
const SCAN_DEADLINE_SECONDS = 60;

interface World {
  readonly server: TestServer;
  readonly people: People;
  readonly tokens: Readonly<Record<Caller, string | undefined>>;
  readonly policy: Workspace["policy"];
}

const startWorld = async (): Promise<World> => {
  const server = await startTestServer({
    // Every allowed command gets a fresh request: alice holds many drafts at once here.
    workspaces: [workspace(WS, { policy: { maxOpenDrafts: 1000 } }), workspace(OTHER_WS)],
    airlock: { scanDeadlineSeconds: SCAN_DEADLINE_SECONDS },
  });
  const people = await peopleOf(server, WS);
  const tokens = {} as Record<Caller, string | undefined>;
  for (const name of CALLER_NAMES) {
    const caller: CallerSpec = CALLERS[name];
    tokens[name] =
      caller.audience === "none"
        ? undefined
        : await server.token({
            user: caller.user,
            roles: caller.roles,
            ...(caller.audience === "workspace" ? { workspace: WS } : {}),
          });
  }
  const registered = (await server.ports.workspaces.get(WS))._unsafeUnwrap();
  return { server, people, tokens, policy: registered.policy };
};

const fixture = (world: World, column: Column): Promise<string> =>
  requestInStatus(world.server, WS, world.people, column.status as RestingStatus, {
    ...(column.type ? { type: column.type } : {}),
    pastScanDeadlineSeconds: SCAN_DEADLINE_SECONDS + 1,
  });

const BODIES: Partial<Record<Endpoint, unknown>> = {
  create: { type: "import", title: "Reference data", businessJustification: "Calibration" },
  approve: { approval: true, decisionExplanation: "Aggregated, nothing identifiable" },
  reject: { approval: false, decisionExplanation: "Identifiable" },
  revoke: { reason: "Consent withdrawn" },
};

const callEndpoint = (world: World, endpoint: Endpoint, caller: Caller, ws: string, id: string) => {
  const base = requestsUrl(world.server, ws);
  const token = world.tokens[caller];
  const json = BODIES[endpoint];
  const init = { ...(token ? { token } : {}), ...(json === undefined ? {} : { json }) };
  switch (endpoint) {
    case "create":
      return call<RequestBody>(base, { method: "POST", ...init });
    case "list":
      return call<RequestBody>(base, init);
    case "workspaceAudit":
      return call<RequestBody>(`${world.server.url}/api/workspaces/${ws}/audit`, init);
    case "get":
      return call<RequestBody>(`${base}/${id}`, init);
    case "link":
    case "audit":
      return call<RequestBody>(`${base}/${id}/${endpoint}`, init);
    case "approve":
    case "reject":
      return call<RequestBody>(`${base}/${id}/review`, { method: "POST", ...init });
    default:
      return call<RequestBody>(`${base}/${id}/${endpoint}`, { method: "POST", ...init });
  }
};

// --- the review-cycle routes: expectations asked of core's permission table and machine ---------

type ReviewEndpoint =
  | "vote"
  | "return"
  | "commentForEveryone"
  | "commentForReviewers"
  | "readComments"
  | "withdraw"
  | "setFileContext"
  | "changes";

/** The file every fixture holds (see `requestInStatus`). */
const FILE = "data.csv";

interface ReviewRoute {
  /** The row of core's permission table checked before the request is read. */
  readonly permission: Permission;
  /** The event the engine puts to the machine; none for a read. */
  readonly event?: (actor: ReturnType<typeof actorFacts>) => MachineEvent;
  /** A vote is on a file recorded at a submit: any other name is 404 before the machine is asked. */
  readonly needsRecordedFile?: boolean;
  /** The user action `allowedUserActions` offers for it. */
  readonly action?: "vote" | "return" | "comment" | "withdraw";
  readonly created?: boolean;
}

const REVIEW_ROUTES: Readonly<Record<ReviewEndpoint, ReviewRoute>> = {
  vote: {
    permission: "vote",
    event: (actor) => ({ type: "VOTE", actor, file: FILE, vote: "approve" }),
    needsRecordedFile: true,
    action: "vote",
  },
  return: {
    permission: "return",
    // The body carries one comment, for everyone.
    event: (actor) => ({ type: "RETURN", actor, requesterComments: 1 }),
    action: "return",
  },
  commentForEveryone: {
    permission: "comment",
    event: (actor) => ({ type: "COMMENT", actor, visibility: "everyone" }),
    action: "comment",
    created: true,
  },
  commentForReviewers: {
    permission: "comment",
    event: (actor) => ({ type: "COMMENT", actor, visibility: "reviewers" }),
    created: true,
  },
  readComments: { permission: "read" },
  withdraw: { permission: "withdraw", event: (actor) => ({ type: "WITHDRAW", actor }), action: "withdraw" },
  setFileContext: { permission: "setFileContext", event: (actor) => ({ type: "SET_FILE_CONTEXT", actor }) },
  changes: { permission: "readChanges" },
};
const REVIEW_ENDPOINTS = Object.keys(REVIEW_ROUTES) as ReviewEndpoint[];

/** The HTTP status of each refusal the machine makes (docs/api.md, Errors). */
const REFUSAL_STATUS: Readonly<Record<RefusalKind, number>> = {
  Forbidden: 403,
  IllegalTransition: 400,
  PolicyViolation: 400,
  QuotaExceeded: 409,
  AirlockDisabled: 405,
  Conflict: 409,
  InvalidFile: 400,
};

type ReviewExpected = Expected & { readonly to?: string };

/**
 * The documented order of checks, each step asked of core: the token (the HTTP layer's), the
 * workspace, the permission table's roles, the request, the file a vote names, then the machine on
 * the request as stored.
 */
const expectedReview = (
  endpoint: ReviewEndpoint,
  callerName: Caller,
  column: Column,
  stored: AirlockRequest | undefined,
  world: World,
): ReviewExpected => {
  const caller: CallerSpec = CALLERS[callerName];
  const route = REVIEW_ROUTES[endpoint];
  if (caller.audience === "none") return deny(401, "Unauthorized");
  if (column.missing === "unknown-workspace") return deny(404, "NotFound");
  // No review route admits a token for the API audience.
  if (caller.audience === "api") return deny(401, "Unauthorized");
  if (!mayAttempt(route.permission, caller.roles as readonly CoreRole[])) return deny(403, "Forbidden");
  if (column.missing || stored === undefined) return deny(404, "NotFound");
  if (route.event === undefined) return allow();
  if (route.needsRecordedFile && !stored.files.some((file) => file.name === FILE)) {
    return deny(404, "NotFound");
  }
  const actor = actorFacts({ id: caller.user, roles: [...caller.roles] as CoreRole[] });
  const decision = decide(stored.status, contextOf(stored, world.policy, null), route.event(actor));
  if (!decision.allowed) return deny(REFUSAL_STATUS[decision.refusal.kind], decision.refusal.kind);
  return { ...allow(route.created ? 201 : 200), to: decision.to };
};

const REVIEW_BODIES: Partial<Record<ReviewEndpoint, unknown>> = {
  vote: { vote: "approve" },
  return: { comments: [{ text: "Round the counts" }] },
  commentForEveryone: { text: "A question about the method", visibility: "everyone" },
  commentForReviewers: { text: "Between reviewers", visibility: "reviewers" },
  setFileContext: { description: "Counts per area" },
};

const callReviewEndpoint = (
  world: World,
  endpoint: ReviewEndpoint,
  caller: Caller,
  ws: string,
  id: string,
) => {
  const request = `${requestsUrl(world.server, ws)}/${id}`;
  const token = world.tokens[caller];
  const json = REVIEW_BODIES[endpoint];
  const init = { ...(token ? { token } : {}), ...(json === undefined ? {} : { json }) };
  switch (endpoint) {
    case "vote":
      return call<RequestBody>(`${request}/files/${FILE}/vote`, { method: "PUT", ...init });
    case "return":
      return call<RequestBody>(`${request}/return`, { method: "POST", ...init });
    case "commentForEveryone":
    case "commentForReviewers":
      return call<RequestBody>(`${request}/comments`, { method: "POST", ...init });
    case "readComments":
      return call<RequestBody>(`${request}/comments`, init);
    case "withdraw":
      return call<RequestBody>(`${request}/files/${FILE}/withdraw`, { method: "POST", ...init });
    case "setFileContext":
      return call<RequestBody>(`${request}/files/${FILE}`, { method: "PATCH", ...init });
    case "changes":
      return call<RequestBody>(`${request}/changes`, init);
  }
};

const storedRequest = (world: World, id: string) =>
  world.server.ports.repository.inspect().find((request) => request.id === id);

/** One cell: the answer core's table and machine call for, and a refusal that changes nothing. */
const checkReviewCell = async (
  world: World,
  endpoint: ReviewEndpoint,
  caller: Caller,
  column: Column,
  address: { readonly ws: string; readonly id: string },
  freshId: () => Promise<string>,
) => {
  const expected = expectedReview(endpoint, caller, column, storedRequest(world, address.id), world);
  if (!expected.allowed) {
    await expectRefusedWithoutChange(world, expected, isRecorded(caller, column), () =>
      callReviewEndpoint(world, endpoint, caller, address.ws, address.id),
    );
    return;
  }
  const route = REVIEW_ROUTES[endpoint];
  if (route.event === undefined) {
    const answer = await callReviewEndpoint(world, endpoint, caller, address.ws, address.id);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const body = answer.body as unknown as Record<string, unknown>;
    if (endpoint === "readComments") expect(body.comments).toEqual(expect.any(Array));
    else expect(body).toEqual({ turn: expect.any(Number), files: expect.any(Array) });
    return;
  }
  // An allowed command changes the request: it gets a fresh one in the same status.
  const id = await freshId();
  const fresh = expectedReview(endpoint, caller, column, storedRequest(world, id), world);
  expect(fresh).toEqual(expected);
  const answer = await callReviewEndpoint(world, endpoint, caller, address.ws, id);
  expect(answer.status, JSON.stringify(answer.body)).toBe(expected.status);
  if (route.created) {
    expect(answer.body).toMatchObject({ author: { id: CALLERS[caller].user }, turn: expect.any(Number) });
  } else {
    expect(answer.body.airlockRequest.status).toBe(expected.to);
  }
  const stored = storedRequest(world, id) as AirlockRequest;
  expect(EFFECTS[endpoint]?.(world, stored, CALLERS[caller].user, answer.body), "the call's effect").toBe(
    true,
  );
};

/** What each allowed command leaves behind, so a route that called another command would show. */
const EFFECTS: Partial<
  Record<ReviewEndpoint, (world: World, stored: AirlockRequest, user: string, body: unknown) => boolean>
> = {
  vote: (_, stored, user) =>
    stored.votes.some((v) => v.reviewer.id === user && v.file === FILE && v.vote === "approve"),
  return: (_, stored) =>
    stored.comments.some((c) => c.text === "Round the counts" && c.visibility === "everyone"),
  commentForEveryone: (_, stored, _user, body) =>
    stored.comments.some((c) => c.id === (body as { id: string }).id && c.visibility === "everyone"),
  commentForReviewers: (_, stored, _user, body) =>
    stored.comments.some((c) => c.id === (body as { id: string }).id && c.visibility === "reviewers"),
  withdraw: (world, stored) => !world.server.ports.storage.contents("draft", stored.id).has(FILE),
  setFileContext: (world, stored) =>
    world.server.ports.storage.contents("draft", stored.id).has(FILE) &&
    stored.fileContext.some((c) => c.name === FILE && c.description === "Counts per area"),
};

/**
 * `allowedUserActions` offers a review action exactly when the route would allow it now (a
 * comment: one for everyone).
 */
const checkOfferedActions = async (world: World, caller: Caller, id: string, column: Column) => {
  const answer = await callEndpoint(world, "get", caller, WS, id);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  const stored = storedRequest(world, id);
  for (const endpoint of REVIEW_ENDPOINTS) {
    const { action } = REVIEW_ROUTES[endpoint];
    if (action === undefined) continue;
    const allowed = expectedReview(endpoint, caller, column, stored, world).allowed;
    expect(answer.body.allowedUserActions.includes(action), `${action} offered`).toBe(allowed);
  }
};

const describeCell = (endpoint: Endpoint, caller: Caller, expected: Expected) =>
  `${CALLERS[caller].label} ${expected.allowed ? "may" : "may not"} ${endpoint} (${expected.status}${
    expected.allowed ? "" : ` ${expected.code}`
  })`;

/**
 * Whether a refusal leaves a denial in the audit trail: every refusal of a caller whose token's
 * signature names them, except an address of a workspace that does not exist (there is no
 * workspace stream to keep it in, and no request was read).
 */
const isRecorded = (caller: Caller, column: Column | null): boolean =>
  CALLERS[caller].audience !== "none" && column?.missing !== "unknown-workspace";

/** Denials in every stream: each request's, each workspace's and the TRE-wide one. */
const deniedCount = async (world: World): Promise<number> => {
  const { ports } = world.server;
  const streams = [
    ...ports.repository.inspect().map((request) => request.id),
    `workspace:${WS}`,
    `workspace:${OTHER_WS}`,
    TRE_STREAM,
  ];
  let count = 0;
  for (const stream of streams) {
    const entries = (await ports.audit.listAll(stream))._unsafeUnwrap();
    count += entries.filter((entry) => entry.outcome === "denied").length;
  }
  return count;
};

/**
 * A refused call answers its problem, changes nothing but the audit trail's denials, and leaves a
 * denial there when its caller is known (`recorded`).
 */
const expectRefusedWithoutChange = async (
  world: World,
  expected: Extract<Expected, { allowed: false }>,
  recorded: boolean,
  send: () => Promise<ApiAnswer>,
) => {
  const before = await snapshotState(world.server);
  const deniedBefore = await deniedCount(world);
  const answer = await send();
  expectProblem(answer, expected.status, expected.code);
  expect(await snapshotState(world.server)).toEqual(before);
  const deniedAfter = await deniedCount(world);
  if (recorded) expect(deniedAfter).toBeGreaterThan(deniedBefore);
  else expect(deniedAfter).toBe(deniedBefore);
};

const expectReadAllowed = (endpoint: RequestEndpoint, answer: ApiAnswer<RequestBody>, id: string) => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  const body = answer.body as unknown as Record<string, unknown>;
  switch (endpoint) {
    case "get":
      expect(answer.body.airlockRequest.id).toBe(id);
      break;
    case "link":
      expect(body.containerUrl).toEqual(expect.stringContaining(id));
      break;
    case "audit":
      expect((body.entries as unknown[]).length).toBeGreaterThan(0);
      expect(body.continuation).toBeNull();
      break;
  }
};

describe("the authorization matrix on a workspace", () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
    await requestInStatus(world.server, WS, world.people, "in_review");
  });
  afterAll(() => world.server.close());

  for (const caller of CALLER_NAMES) {
    const creating = expectedFor("create", caller, null);
    it(describeCell("create", caller, creating), async () => {
      if (!creating.allowed) {
        await expectRefusedWithoutChange(world, creating, isRecorded(caller, null), () =>
          callEndpoint(world, "create", caller, WS, ""),
        );
        return;
      }
      const answer = await callEndpoint(world, "create", caller, WS, "");
      expect(answer.status, JSON.stringify(answer.body)).toBe(creating.status);
      expect(answer.body.airlockRequest).toMatchObject({
        status: "draft",
        createdBy: { id: CALLERS[caller].user },
      });
    });

    const listing = expectedFor("list", caller, null);
    it(describeCell("list", caller, listing), async () => {
      if (!listing.allowed) {
        await expectRefusedWithoutChange(world, listing, isRecorded(caller, null), () =>
          callEndpoint(world, "list", caller, WS, ""),
        );
        return;
      }
      const answer = await callEndpoint(world, "list", caller, WS, "");
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(
        (answer.body as unknown as { airlockRequests: unknown[] }).airlockRequests.length,
      ).toBeGreaterThan(0);
    });

    const auditing = expectedFor("workspaceAudit", caller, null);
    it(describeCell("workspaceAudit", caller, auditing), async () => {
      if (!auditing.allowed) {
        await expectRefusedWithoutChange(world, auditing, isRecorded(caller, null), () =>
          callEndpoint(world, "workspaceAudit", caller, WS, ""),
        );
        return;
      }
      const answer = await callEndpoint(world, "workspaceAudit", caller, WS, "");
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toEqual({
        entries: (await world.server.ports.audit.listAll(`workspace:${WS}`))._unsafeUnwrap(),
        continuation: null,
      });
    });
  }
});

describe.each(STATUS_COLUMNS)("the authorization matrix on a request $name", (column) => {
  let world: World;
  let shared: string;
  beforeAll(async () => {
    world = await startWorld();
    shared = await fixture(world, column);
  });
  afterAll(() => world.server.close());

  for (const endpoint of REQUEST_ENDPOINTS) {
    for (const caller of CALLER_NAMES) {
      const expected = expectedFor(endpoint, caller, column);
      it(describeCell(endpoint, caller, expected), async () => {
        if (!expected.allowed) {
          await expectRefusedWithoutChange(world, expected, isRecorded(caller, column), () =>
            callEndpoint(world, endpoint, caller, WS, shared),
          );
          return;
        }
        if (endpoint === "get" || endpoint === "link" || endpoint === "audit") {
          expectReadAllowed(endpoint, await callEndpoint(world, endpoint, caller, WS, shared), shared);
          return;
        }
        // An allowed command changes the request: it gets a fresh one in the same status.
        const id = await fixture(world, column);
        const answer = await callEndpoint(world, endpoint, caller, WS, id);
        expect(answer.status, JSON.stringify(answer.body)).toBe(expected.status);
        expect(answer.body.airlockRequest.status).toBe(TRANSITIONS[endpoint].to);
        await world.server.idle();
        const stored = world.server.ports.repository.inspect().find((request) => request.id === id);
        expect(stored?.status).toBe(SETTLES_AT[endpoint]);
      });
    }
  }

  for (const endpoint of REVIEW_ENDPOINTS) {
    for (const caller of CALLER_NAMES) {
      it(`${CALLERS[caller].label}: ${endpoint}, as core's permission table and machine decide`, () =>
        checkReviewCell(world, endpoint, caller, column, { ws: WS, id: shared }, () =>
          fixture(world, column),
        ));
    }
  }

  for (const caller of CALLER_NAMES.filter((name) => CALLERS[name].audience === "workspace")) {
    if (!mayAttempt("read", CALLERS[caller].roles as readonly CoreRole[])) continue;
    it(`${CALLERS[caller].label} is offered the review actions the routes allow`, () =>
      checkOfferedActions(world, caller, shared, column));
  }
});

describe.each(MISSING_COLUMNS)("the authorization matrix on a request $name", (column) => {
  let world: World;
  let id: string;
  let ws: string;
  beforeAll(async () => {
    world = await startWorld();
    if (column.missing === "other-workspace") {
      const elsewhere = await peopleOf(world.server, OTHER_WS);
      id = await requestInStatus(world.server, OTHER_WS, elsewhere, "in_review");
    } else {
      // Present in the workspace, so "absent" is about this id only.
      await requestInStatus(world.server, WS, world.people, "in_review");
      id = "00000000-0000-4000-8000-00000000dead";
    }
    ws = column.missing === "unknown-workspace" ? "nowhere" : WS;
  });
  afterAll(() => world.server.close());

  for (const endpoint of REQUEST_ENDPOINTS) {
    for (const caller of CALLER_NAMES) {
      const expected = expectedFor(endpoint, caller, column);
      it(describeCell(endpoint, caller, expected), async () => {
        if (expected.allowed) throw new Error("nothing is allowed on a request the caller cannot address");
        await expectRefusedWithoutChange(world, expected, isRecorded(caller, column), () =>
          callEndpoint(world, endpoint, caller, ws, id),
        );
      });
    }
  }

  for (const endpoint of REVIEW_ENDPOINTS) {
    for (const caller of CALLER_NAMES) {
      it(`${CALLERS[caller].label}: ${endpoint}, refused as core's permission table decides`, async () => {
        expect(expectedReview(endpoint, caller, column, undefined, world).allowed).toBe(false);
        await checkReviewCell(world, endpoint, caller, column, { ws, id }, () => {
          throw new Error("nothing is allowed on a request the caller cannot address");
        });
      });
    }
  }
});
