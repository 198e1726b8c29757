import { getShortestPaths, getSimplePaths } from "@xstate/graph";
import { describe, expect, it } from "vitest";
import { type AirlockEvent, airlockMachine, type MachineStatus } from "../src/machine/airlock-machine.js";
import { allowedUserActions, contextOf, decide, decideCreation } from "../src/machine/decide.js";
import { linkDecision } from "../src/machine/links.js";
import { ALL_STATUSES } from "../src/machine/status-meta.js";
import type { Role } from "../src/model/actor.js";
import type { RequestStatus } from "../src/model/request.js";
import { DEFAULT_POLICY } from "../src/model/workspace.js";
import { EVERY_EVENT, manager, researcher, ritasImport } from "./support/machine-events.js";

const secondManager = { id: "meg", roles: ["AirlockManager"] as Role[] };
const input = ritasImport;
const events = EVERY_EVENT;

const ritasRequest = { createdBy: { id: "rita", name: "Rita", email: "" }, reviews: [] };
/** Files as storage lists them, a few bytes each. */
const stored = (...names: string[]) => names.map((name) => ({ name, size: 3 }));

const byStatus = { serializeState: (snapshot: { value: unknown }) => String(snapshot.value) };

describe("the airlock machine's graph", () => {
  const shortest = getShortestPaths(airlockMachine, { input: input(), events, ...byStatus });
  const reached = new Set(shortest.map((path) => String(path.state.value)));

  it("reaches every documented status", () => {
    expect([...reached].sort()).toEqual([...ALL_STATUSES].sort());
  });

  it("reaches every final status", () => {
    for (const status of ["approved", "rejected", "blocked_by_scan", "cancelled", "failed", "revoked"]) {
      expect(reached).toContain(status);
    }
  });

  it("has pinned path counts, so a new transition is a deliberate change", () => {
    expect(shortest).toHaveLength(15);
    expect(getSimplePaths(airlockMachine, { input: input(), events, ...byStatus })).toHaveLength(25);
  });

  it("goes from draft to approved by submit, scan, review and data movement", () => {
    const path = shortest.find((p) => p.state.value === "approved");
    expect(path?.steps.map((s) => s.event.type)).toEqual([
      "xstate.init",
      "CREATE",
      "SUBMIT",
      "SCAN_CLEAN",
      "REVIEW",
      "DATA_MOVED",
    ]);
  });
});

/** The documented transition table (docs/statuses-and-transitions.md), written out independently of the machine. */
const ALLOWED: Record<Exclude<MachineStatus, "new">, Partial<Record<AirlockEvent["type"], RequestStatus>>> = {
  draft: {
    SUBMIT: "submitted",
    CANCEL: "cancelled",
    ADD_FILE: "draft",
    WITHDRAW: "draft",
    SET_FILE_CONTEXT: "draft",
    COMMENT: "draft",
  },
  submitted: {
    STAGED: "submitted",
    SCAN_CLEAN: "in_review",
    SCAN_THREAT: "blocking_in_progress",
    COMMENT: "submitted",
    FAIL: "failed",
  },
  in_review: {
    REVIEW: "approval_in_progress",
    VOTE: "approval_in_progress",
    RETURN: "returning_in_progress",
    COMMENT: "in_review",
    CANCEL: "cancelled",
  },
  returning_in_progress: {
    DATA_MOVED: "changes_requested",
    COMMENT: "returning_in_progress",
    FAIL: "failed",
  },
  changes_requested: {
    SUBMIT: "submitted",
    CANCEL: "cancelled",
    ADD_FILE: "changes_requested",
    WITHDRAW: "changes_requested",
    SET_FILE_CONTEXT: "changes_requested",
    COMMENT: "changes_requested",
  },
  approval_in_progress: { DATA_MOVED: "approved", FAIL: "failed" },
  rejection_in_progress: { DATA_MOVED: "rejected", FAIL: "failed" },
  blocking_in_progress: { DATA_MOVED: "blocked_by_scan", FAIL: "failed" },
  approved: { REVOKE: "revoked" },
  rejected: {},
  blocked_by_scan: {},
  cancelled: {},
  failed: {},
  revoked: {},
};

describe("the status × event matrix", () => {
  const statuses = Object.keys(ALLOWED) as (keyof typeof ALLOWED)[];
  // One event per type: the approving review and vote (with one required approval, both approve).
  const approveEvents = events.filter(
    (e) => !(e.type === "REVIEW" && !e.approve) && !(e.type === "VOTE" && e.vote !== "approve"),
  );
  for (const status of statuses) {
    for (const event of approveEvents) {
      const expected = ALLOWED[status][event.type];
      it(`${event.type} in ${status} is ${expected ? `allowed to ${expected}` : "refused"}`, () => {
        const decision = decide(status, input(), event);
        if (expected) {
          expect(decision).toMatchObject({ allowed: true, to: expected });
        } else {
          expect(decision.allowed).toBe(false);
          if (!decision.allowed) expect(decision.refusal.kind).toBe("IllegalTransition");
        }
      });
    }
  }
});

describe("guards", () => {
  it("a requester never reviews their own request, even as an airlock manager", () => {
    const both = { id: "rita", roles: ["WorkspaceResearcher", "AirlockManager"] as Role[] };
    const decision = decide("in_review", input(), { type: "REVIEW", actor: both, approve: true });
    expect(decision).toMatchObject({ allowed: false, refusal: { kind: "Forbidden" } });
  });

  it("a researcher cannot review", () => {
    const decision = decide("in_review", input(), {
      type: "REVIEW",
      actor: { id: "x", roles: ["WorkspaceResearcher"] },
      approve: true,
    });
    expect(decision).toMatchObject({ allowed: false, refusal: { kind: "Forbidden" } });
  });

  it("checks the role before the status", () => {
    const decision = decide("draft", input(), { type: "REVIEW", actor: researcher, approve: true });
    expect(decision).toMatchObject({ allowed: false, refusal: { kind: "Forbidden" } });
  });

  it("only the requester or a workspace owner submits", () => {
    const other = { id: "otto", roles: ["WorkspaceResearcher"] as Role[] };
    expect(decide("draft", input(), { type: "SUBMIT", actor: other })).toMatchObject({
      allowed: false,
      refusal: { kind: "Forbidden" },
    });
    const owner = { id: "olga", roles: ["WorkspaceOwner"] as Role[] };
    expect(decide("draft", input(), { type: "SUBMIT", actor: owner })).toMatchObject({
      allowed: true,
      to: "submitted",
    });
  });

  it("a TRE admin may cancel someone else's request", () => {
    const admin = { id: "ada", roles: ["TREAdmin"] as Role[] };
    expect(decide("in_review", input(), { type: "CANCEL", actor: admin })).toMatchObject({
      allowed: true,
      to: "cancelled",
    });
    expect(
      decide("in_review", input(), { type: "CANCEL", actor: { id: "otto", roles: ["WorkspaceResearcher"] } }),
    ).toMatchObject({
      allowed: false,
      refusal: { kind: "Forbidden" },
    });
  });

  it("refuses a submit whose file count breaks the policy", () => {
    for (const storedFiles of [[], stored("a.csv", "b.csv")]) {
      expect(decide("draft", input({ storedFiles }), { type: "SUBMIT", actor: researcher })).toMatchObject({
        allowed: false,
        refusal: { kind: "PolicyViolation" },
      });
    }
    const roomy = input({
      storedFiles: stored("a.csv", "b.csv", "c.csv"),
      policy: { ...input().policy, maxFiles: 3 },
    });
    expect(decide("draft", roomy, { type: "SUBMIT", actor: researcher })).toMatchObject({ allowed: true });
  });

  it("refuses a submit of files the airlock does not accept, naming each file", () => {
    const roomy = { ...input().policy, maxFiles: 10, maxFileSize: 100 };
    const cases: [string, { name: string; size: number }[], string][] = [
      ["a traversal", [{ name: "../../etc/passwd", size: 1 }], "path separator"],
      ["a bidi override", [{ name: "report\u202Efdp.exe", size: 1 }], "bidirectional"],
      ["an oversized file", [{ name: "big.bin", size: 1000 }], "over the workspace's limit of 100 bytes"],
      [
        "two names equal once normalised",
        [
          { name: "caf\u00e9.txt", size: 1 },
          { name: "cafe\u0301.txt", size: 1 },
        ],
        "once normalised",
      ],
    ];
    for (const [what, storedFiles, reason] of cases) {
      const decision = decide("draft", input({ storedFiles, policy: roomy }), {
        type: "SUBMIT",
        actor: researcher,
      });
      expect(decision, what).toMatchObject({
        allowed: false,
        refusal: { kind: "InvalidFile", message: expect.stringContaining(reason) },
      });
      const refused = decision.allowed ? [] : (decision.refusal.files ?? []);
      expect(refused.length, what).toBeGreaterThan(0);
      for (const file of refused) expect(storedFiles.map((f) => f.name)).toContain(file.name);
    }
    // The refusal spells hidden characters out instead of letting them turn the text around.
    const bidi = decide("draft", input({ storedFiles: [{ name: "report\u202Efdp.exe", size: 1 }] }), {
      type: "SUBMIT",
      actor: researcher,
    });
    expect(bidi).toMatchObject({ refusal: { message: expect.stringContaining('"report\\u{202E}fdp.exe"') } });
  });

  it("lets no file move on that the engine would refuse or that was not recorded at submit", () => {
    const recorded = { files: [{ name: "data.csv" }] };
    const withStored = (storedFiles: { name: string; size: number }[]) =>
      contextOf({ ...ritasRequest, ...recorded }, DEFAULT_POLICY, storedFiles);
    for (const [status, event] of [
      ["submitted", "STAGED"],
      ["approval_in_progress", "DATA_MOVED"],
      ["rejection_in_progress", "DATA_MOVED"],
      ["blocking_in_progress", "DATA_MOVED"],
    ] as const) {
      expect(decide(status, withStored([{ name: "data.csv", size: 6 }]), { type: event }).allowed).toBe(true);
      // A retried move finds its source already gone.
      expect(decide(status, withStored([]), { type: event }).allowed).toBe(true);
      for (const extra of ["late.csv", "../x", "a\u200b.csv"]) {
        expect(
          decide(
            status,
            withStored([
              { name: "data.csv", size: 6 },
              { name: extra, size: 1 },
            ]),
            { type: event },
          ),
          `${status} ${extra}`,
        ).toMatchObject({
          allowed: false,
          refusal: {
            kind: "InvalidFile",
            files: expect.arrayContaining([expect.objectContaining({ name: extra })]),
          },
        });
      }
    }
  });

  it("refuses a draft beyond the policy's open drafts per person, and only then", () => {
    const policy = { ...DEFAULT_POLICY, maxOpenDrafts: 2 };
    expect(decideCreation(researcher, policy, 1)).toMatchObject({ allowed: true, to: "draft" });
    expect(decideCreation(researcher, policy, 2)).toMatchObject({
      allowed: false,
      refusal: { kind: "QuotaExceeded", message: expect.stringContaining("submit or cancel one first") },
    });
    // Whoever may not create at all is told that first.
    expect(decideCreation(manager, policy, 2)).toMatchObject({
      allowed: false,
      refusal: { kind: "Forbidden" },
    });
  });

  it("refuses a submit while a file the draft names is not stored yet, and names it", () => {
    const underway = input({ draftFiles: ["a.csv", "b.csv"], storedFiles: stored("a.csv") });
    expect(decide("draft", underway, { type: "SUBMIT", actor: researcher })).toMatchObject({
      allowed: false,
      refusal: { kind: "Conflict", message: expect.stringContaining("b.csv") },
    });
    const landed = input({
      draftFiles: ["a.csv", "b.csv"],
      storedFiles: stored("a.csv", "b.csv"),
      policy: { ...input().policy, maxFiles: 2 },
    });
    expect(decide("draft", landed, { type: "SUBMIT", actor: researcher })).toMatchObject({ allowed: true });
    // Someone who may not submit learns nothing about the uploads.
    expect(decide("draft", underway, { type: "SUBMIT", actor: manager })).toMatchObject({
      allowed: false,
      refusal: { kind: "Forbidden" },
    });
  });

  it("waits for N distinct approvals, and one rejection rejects", () => {
    const two = input({ policy: { ...input().policy, requiredApprovals: 2 } });
    expect(decide("in_review", two, { type: "REVIEW", actor: manager, approve: true })).toMatchObject({
      allowed: true,
      to: "in_review",
    });
    const afterMo = { ...two, approvals: ["mo"], deciders: ["mo"] };
    expect(decide("in_review", afterMo, { type: "REVIEW", actor: manager, approve: true })).toMatchObject({
      allowed: false,
      refusal: { kind: "Forbidden" },
    });
    expect(
      decide("in_review", afterMo, { type: "REVIEW", actor: secondManager, approve: true }),
    ).toMatchObject({
      allowed: true,
      to: "approval_in_progress",
    });
    expect(
      decide("in_review", afterMo, { type: "REVIEW", actor: secondManager, approve: false }),
    ).toMatchObject({
      allowed: true,
      to: "rejection_in_progress",
    });
  });

  it("goes straight to review when scanning is off, and waits for a verdict when on", () => {
    const off = input({ policy: { ...input().policy, scanning: false } });
    expect(decide("submitted", off, { type: "STAGED" })).toMatchObject({ allowed: true, to: "in_review" });
    expect(decide("submitted", input(), { type: "STAGED" })).toMatchObject({
      allowed: true,
      to: "submitted",
    });
  });

  it("refuses to create a request when the workspace's airlock is disabled", () => {
    const disabled = input({ policy: { ...input().policy, enabled: false } });
    expect(decide("new", disabled, { type: "CREATE", actor: researcher })).toMatchObject({
      allowed: false,
      refusal: { kind: "AirlockDisabled" },
    });
    expect(decide("new", input(), { type: "CREATE", actor: manager })).toMatchObject({
      allowed: false,
      refusal: { kind: "Forbidden" },
    });
  });
});

describe("allowed user actions", () => {
  const request = (status: RequestStatus) => ({
    status,
    type: "import" as const,
    createdBy: { id: "rita", name: "Rita", email: "" },
    reviews: [],
  });

  it("are derived from the machine by role, ownership and status", () => {
    expect(allowedUserActions(request("draft"), DEFAULT_POLICY, researcher)).toEqual([
      "submit",
      "cancel",
      "comment",
      "withdraw",
    ]);
    expect(allowedUserActions(request("in_review"), DEFAULT_POLICY, manager)).toEqual([
      "review",
      "return",
      "comment",
    ]);
    expect(allowedUserActions(request("in_review"), DEFAULT_POLICY, researcher)).toEqual([
      "cancel",
      "comment",
    ]);
    expect(allowedUserActions(request("changes_requested"), DEFAULT_POLICY, researcher)).toEqual([
      "submit",
      "cancel",
      "comment",
      "withdraw",
    ]);
    expect(allowedUserActions(request("approved"), DEFAULT_POLICY, manager)).toEqual(["revoke"]);
    expect(allowedUserActions(request("rejected"), DEFAULT_POLICY, manager)).toEqual([]);
  });
});

describe("links", () => {
  const request = (status: RequestStatus, type: "import" | "export" = "import") => ({
    status,
    type,
    createdBy: { id: "rita", name: "Rita", email: "" },
  });

  it("follow the link table", () => {
    expect(linkDecision(request("draft"), researcher)).toEqual({
      kind: "grant",
      stage: "draft",
      access: ["read", "write", "list", "delete"],
    });
    expect(linkDecision(request("draft"), { id: "otto", roles: ["WorkspaceResearcher"] })).toMatchObject({
      kind: "refused",
      reason: "Forbidden",
    });
    expect(linkDecision(request("in_review"), manager)).toEqual({
      kind: "grant",
      stage: "in_progress",
      access: ["read", "list"],
    });
    expect(linkDecision(request("approval_in_progress"), manager)).toMatchObject({
      kind: "refused",
      reason: "Processing",
    });
    expect(linkDecision(request("revoked"), manager)).toMatchObject({ kind: "refused", reason: "NoLink" });
    // An approved import is read inside the workspace; an approved export by its requester.
    const other = { id: "otto", roles: ["WorkspaceResearcher"] as Role[] };
    expect(linkDecision(request("approved", "import"), other)).toMatchObject({ kind: "grant" });
    expect(linkDecision(request("approved", "export"), other)).toMatchObject({
      kind: "refused",
      reason: "Forbidden",
    });
    expect(linkDecision(request("approved", "export"), researcher)).toMatchObject({ kind: "grant" });
  });
});

describe("files in a draft", () => {
  const twoAllowed = (draftFiles: string[]) =>
    input({ draftFiles, policy: { ...input().policy, maxFiles: 2 } });

  it("take a new name while the draft has room for it", () => {
    expect(decide("draft", twoAllowed(["a.csv"]), { type: "ADD_FILE", name: "b.csv" })).toMatchObject({
      allowed: true,
      to: "draft",
    });
  });

  it("refuse a new name past the policy's file count", () => {
    expect(
      decide("draft", twoAllowed(["a.csv", "b.csv"]), { type: "ADD_FILE", name: "c.csv" }),
    ).toMatchObject({
      allowed: false,
      refusal: { kind: "PolicyViolation", message: "the workspace allows at most 2 file(s) per request" },
    });
  });

  it("always have room to replace a file the draft holds", () => {
    expect(
      decide("draft", twoAllowed(["a.csv", "b.csv"]), { type: "ADD_FILE", name: "b.csv" }),
    ).toMatchObject({ allowed: true, to: "draft" });
  });

  it("cannot be added once the request is submitted", () => {
    expect(decide("submitted", input(), { type: "ADD_FILE", name: "a.csv" })).toMatchObject({
      allowed: false,
      refusal: { kind: "IllegalTransition" },
    });
  });
});
