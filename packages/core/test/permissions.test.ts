import { getShortestPaths } from "@xstate/graph";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AirlockEvent, airlockMachine, USER_ACTION_EVENTS } from "../src/machine/airlock-machine.js";
import {
  allowedUserActions,
  contextOf,
  decide,
  statusAccepts,
  statusesAccepting,
} from "../src/machine/decide.js";
import { blobCallDecision, linkDecision } from "../src/machine/links.js";
import { mayAttempt, type Permission } from "../src/machine/permissions.js";
import {
  ALL_STATUSES,
  IN_PROGRESS_STATUSES,
  type MachineStatus,
  STATUS_META,
  SWEPT_STATUSES,
  statusMeta,
} from "../src/machine/status-meta.js";
import type { Role } from "../src/model/actor.js";
import { type RequestStatus, type Stage, UserAction } from "../src/model/request.js";
import { DEFAULT_POLICY } from "../src/model/workspace.js";
import type { LinkAccess } from "../src/ports/storage.js";
import { EVERY_EVENT, ritasImport } from "./support/machine-events.js";

const ROLES: readonly Role[] = [
  "WorkspaceResearcher",
  "WorkspaceOwner",
  "AirlockManager",
  "TREAdmin",
  "TREUser",
];
const id = fc.constantFrom("rita", "otto", "mo", "meg");
const roles = fc.subarray<Role>([...ROLES]);
const actor = fc.record({ id, roles });
const status = fc.constantFrom(...ALL_STATUSES);
const event: fc.Arbitrary<AirlockEvent> = fc.oneof(
  fc.record({
    type: fc.constantFrom("CREATE" as const, "SUBMIT" as const, "CANCEL" as const, "REVOKE" as const),
    actor,
  }),
  fc.record({ type: fc.constant("REVIEW" as const), actor, approve: fc.boolean() }),
  fc.record({
    type: fc.constant("VOTE" as const),
    actor,
    file: fc.constantFrom("data.csv", "other.csv"),
    vote: fc.constantFrom("approve" as const, "request_changes" as const),
  }),
  fc.record({ type: fc.constant("RETURN" as const), actor, requesterComments: fc.nat({ max: 2 }) }),
  fc.record({
    type: fc.constant("COMMENT" as const),
    actor,
    visibility: fc.constantFrom("reviewers" as const, "everyone" as const),
  }),
  fc.record({ type: fc.constantFrom("WITHDRAW" as const, "SET_FILE_CONTEXT" as const), actor }),
  fc.record({ type: fc.constant("ADD_FILE" as const), name: fc.constantFrom("a.csv", "b.csv") }),
  fc.record({
    type: fc.constantFrom(
      "STAGED" as const,
      "SCAN_CLEAN" as const,
      "SCAN_THREAT" as const,
      "DATA_MOVED" as const,
      "FAIL" as const,
    ),
  }),
);
describe("the permission table", () => {
  it("answers who may attempt what before any request is read", () => {
    const allowed = (permission: Permission) => ROLES.filter((role) => mayAttempt(permission, [role]));
    expect(allowed("create")).toEqual(["WorkspaceResearcher", "WorkspaceOwner"]);
    expect(allowed("submit")).toEqual(["WorkspaceResearcher", "WorkspaceOwner"]);
    expect(allowed("review")).toEqual(["AirlockManager"]);
    expect(allowed("revoke")).toEqual(["AirlockManager"]);
    expect(allowed("read")).toEqual(["WorkspaceResearcher", "WorkspaceOwner", "AirlockManager"]);
    expect(allowed("link")).toEqual(["WorkspaceResearcher", "WorkspaceOwner", "AirlockManager"]);
    expect(allowed("audit")).toEqual(["WorkspaceOwner", "AirlockManager", "TREAdmin"]);
    expect(allowed("workspaceAudit")).toEqual(["TREAdmin"]);
    expect(allowed("treAudit")).toEqual(["TREAdmin"]);
    expect(allowed("reviewQueue")).toEqual(["AirlockManager"]);
    // Ownership decides a cancel: even a caller without any role passes the role check.
    expect(mayAttempt("cancel", [])).toBe(true);
  });

  it("is what the machine's guards read: a caller the table turns away is refused for the role, in every status", () => {
    fc.assert(
      fc.property(status, roles, fc.boolean(), (from, held, approve) => {
        const someone = { id: "otto", roles: held };
        const events: AirlockEvent[] = [
          { type: "CREATE", actor: someone },
          { type: "SUBMIT", actor: someone },
          { type: "REVIEW", actor: someone, approve },
          { type: "REVOKE", actor: someone },
        ];
        for (const ev of events) {
          const permission = ev.type.toLowerCase() as Permission;
          const decision = decide(from, ritasImport(), ev);
          if (!mayAttempt(permission, held)) {
            expect(decision).toMatchObject({ allowed: false, refusal: { kind: "Forbidden" } });
          }
        }
      }),
    );
  });

  it("lets the machine refuse a cancel only for ownership or status", () => {
    const decision = decide("draft", ritasImport(), { type: "CANCEL", actor: { id: "rita", roles: [] } });
    expect(decision).toMatchObject({ allowed: true, to: "cancelled" });
  });
});

describe("what the machine tells about statuses", () => {
  it("refuses every event a status does not handle itself", () => {
    fc.assert(
      fc.property(status, event, (from, ev) => {
        if (statusAccepts(from, ev.type)) return;
        expect(decide(from, ritasImport(), ev).allowed).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("answers the allowed user actions exactly as asking the machine for each would", () => {
    const request = fc.record({
      status: fc.constantFrom(...(ALL_STATUSES.filter((s) => s !== "new") as RequestStatus[])),
      createdBy: fc.record({ id, name: fc.constant(""), email: fc.constant("") }),
      reviews: fc.array(
        fc.record({
          id: fc.constant("r"),
          reviewer: fc.record({ id, name: fc.constant(""), email: fc.constant("") }),
          reviewDecision: fc.constantFrom("approved" as const, "rejected" as const, "revoked" as const),
          decisionExplanation: fc.constant(""),
          dateCreated: fc.constant(0),
          turn: fc.constant(0),
        }),
        { maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(request, actor, (req, someone) => {
        const context = contextOf(req, DEFAULT_POLICY, null);
        const expected = UserAction.options.filter((action) => {
          const type = USER_ACTION_EVENTS[action];
          const ev: AirlockEvent =
            type === "REVIEW"
              ? { type, actor: someone, approve: true }
              : type === "VOTE"
                ? { type, actor: someone, file: "", vote: "approve" }
                : type === "RETURN"
                  ? { type, actor: someone, requesterComments: 1 }
                  : type === "COMMENT"
                    ? { type, actor: someone, visibility: "everyone" }
                    : { type, actor: someone };
          return decide(req.status, context, ev).allowed;
        });
        expect(allowedUserActions(req, DEFAULT_POLICY, someone)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it("puts a request in the review queue only in the statuses where a review can be allowed", () => {
    expect(statusesAccepting("REVIEW")).toEqual(["in_review"]);
    expect(statusesAccepting("ADD_FILE")).toEqual(["draft", "changes_requested"]);
  });

  it("carries the status metadata on the machine's states", () => {
    expect(Object.keys(airlockMachine.root.states)).toEqual(ALL_STATUSES);
    for (const s of ALL_STATUSES) expect(airlockMachine.root.states[s]?.meta).toBe(STATUS_META[s]);
  });

  it("sweeps every status in progress and every status a person enters that leaves data to move", () => {
    // Read off the machine's transitions: a person's event that leads to a settled status whose
    // stage differs from the one the data was in.
    const byPerson = new Set([
      "SUBMIT",
      "CANCEL",
      "REVIEW",
      "REVOKE",
      "VOTE",
      "RETURN",
      "COMMENT",
      "WITHDRAW",
      "SET_FILE_CONTEXT",
    ]);
    const entered = new Set<RequestStatus>();
    for (const [name, node] of Object.entries(airlockMachine.root.states)) {
      for (const [type, transitions] of node.transitions) {
        if (!byPerson.has(type)) continue;
        for (const transition of transitions) {
          for (const target of transition.target ?? []) {
            const to = target.key as RequestStatus;
            const meta = statusMeta(to);
            const fromStage = statusMeta(name as MachineStatus).stage;
            if (!meta.inProgress && meta.stage !== "keep" && meta.stage !== fromStage) entered.add(to);
          }
        }
      }
    }
    expect([...SWEPT_STATUSES].sort()).toEqual([...IN_PROGRESS_STATUSES, ...entered].sort());
    expect(entered).toEqual(new Set(["cancelled", "revoked"]));
  });

  it("reaches every swept status on some path of the graph", () => {
    const reached = new Set(
      getShortestPaths(airlockMachine, {
        input: ritasImport(),
        events: EVERY_EVENT,
        serializeState: (snapshot) => String(snapshot.value),
      }).map((path) => String(path.state.value)),
    );
    for (const s of SWEPT_STATUSES) expect(reached).toContain(s);
  });
});

describe("calls through a link", () => {
  const rita = { id: "rita", name: "Rita", email: "" };
  const onRitas = (status: RequestStatus, type: "import" | "export" = "import") => ({
    status,
    type,
    createdBy: rita,
  });
  const requester = { id: "rita", roles: ["WorkspaceResearcher"] as Role[] };
  const owner = { id: "olga", roles: ["WorkspaceOwner"] as Role[] };
  const manager = { id: "mo", roles: ["AirlockManager"] as Role[] };

  it("work while the status grants the stage and the operation to the link's holder", () => {
    expect(blobCallDecision(onRitas("draft"), requester, "draft", "write")).toEqual({ kind: "allowed" });
    expect(blobCallDecision(onRitas("in_review"), manager, "in_progress", "read")).toEqual({
      kind: "allowed",
    });
  });

  it("are asked to come back while the data is being moved", () => {
    expect(blobCallDecision(onRitas("approval_in_progress"), manager, "in_progress", "read")).toEqual({
      kind: "refused",
      reason: "NoLink",
      message: "the request is being processed, try again later",
    });
  });

  it("stop working once the status has no link", () => {
    expect(blobCallDecision(onRitas("revoked"), requester, "approved", "read")).toEqual({
      kind: "refused",
      reason: "Forbidden",
      message: "the request is revoked: its links no longer work",
    });
  });

  it("are refused for another stage or an operation the status does not grant", () => {
    expect(blobCallDecision(onRitas("submitted"), requester, "draft", "write")).toMatchObject({
      kind: "refused",
      reason: "Forbidden",
    });
    expect(blobCallDecision(onRitas("in_review"), manager, "in_progress", "delete")).toMatchObject({
      kind: "refused",
      reason: "Forbidden",
    });
  });

  it("stop for a holder the status no longer gives a link: the requester's submitted link in review", () => {
    expect(blobCallDecision(onRitas("submitted"), requester, "in_progress", "read")).toEqual({
      kind: "allowed",
    });
    expect(blobCallDecision(onRitas("in_review"), requester, "in_progress", "read")).toEqual({
      kind: "refused",
      reason: "Forbidden",
      message: "while the request is in_review its link is not for this link's holder",
    });
    // The owner holds a link in both statuses, on the same stage: theirs keeps working.
    expect(blobCallDecision(onRitas("in_review"), owner, "in_progress", "read")).toEqual({
      kind: "allowed",
    });
  });

  it("are allowed exactly when the link rule would issue the holder that stage and operation now", () => {
    const stage = fc.constantFrom<Stage>("draft", "in_progress", "approved", "rejected", "blocked");
    const operation = fc.constantFrom<LinkAccess>("read", "write", "list", "delete");
    const requestStatus = status.filter((s): s is RequestStatus => s !== "new");
    fc.assert(
      fc.property(
        requestStatus,
        fc.constantFrom("import" as const, "export" as const),
        actor,
        stage,
        operation,
        (s, type, holder, at, op) => {
          const request = { status: s, type, createdBy: { id: "rita", name: "Rita", email: "" } };
          const issued = linkDecision(request, holder);
          const allowed = issued.kind === "grant" && issued.stage === at && issued.access.includes(op);
          expect(blobCallDecision(request, holder, at, op).kind === "allowed").toBe(allowed);
        },
      ),
    );
  });
});
