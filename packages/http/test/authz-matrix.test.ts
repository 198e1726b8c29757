import { TRE_STREAM } from "@airlock/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, type People, peopleOf, type RequestBody, requestsUrl } from "./support/flow.js";
import { type ApiAnswer, call, startTestServer, type TestServer, workspace } from "./support/server.js";
import { snapshotState } from "./support/state.js";
import { type RestingStatus, requestInStatus } from "./support/statuses.js";

// The authorization matrix, written from the airlock's documented behaviour (statuses and
// transitions, who holds a link in which status, the HTTP routes, the order of checks) and the
// package README (which routes admit a TREAdmin token on the API audience, who reads the audit
// trail). It is data, deliberately not derived from core's machine, so the two check each other.

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
  submit: { from: ["draft"], to: "submitted" },
  cancel: { from: ["draft", "in_review"], to: "cancelled" },
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
}

const startWorld = async (): Promise<World> => {
  const server = await startTestServer({
    workspaces: [workspace(WS), workspace(OTHER_WS)],
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
  return { server, people, tokens };
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
});
