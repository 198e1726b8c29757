import { afterEach, describe, expect, it } from "vitest";
import {
  act,
  createRequest,
  expectProblem,
  linkOf,
  peopleOf,
  putBlob,
  type RequestBody,
} from "./support/flow.js";
import { gateRequestReads } from "./support/read-gate.js";
import { type ApiAnswer, startTestServer, type TestServer, workspace } from "./support/server.js";
import { requestInStatus } from "./support/statuses.js";

// Many callers at once on one request, over real sockets: the repository's etag lets exactly one
// change through; everyone else is told why they lost, and nothing is half-applied.

const WS = "ws1";
const CALLERS = 50;

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

/** Losers: a conflicting write (409), or the request had already moved on (400), or a repeat (403). */
const LOSING_STATUSES = [400, 403, 409];

const tally = (answers: readonly ApiAnswer<RequestBody>[]) => {
  const winners = answers.filter((answer) => answer.status === 200);
  const losers = answers.filter((answer) => answer.status !== 200);
  for (const loser of losers) {
    expect(LOSING_STATUSES, JSON.stringify(loser.body)).toContain(loser.status);
    expect(loser.contentType).toMatch(/^application\/problem\+json/);
  }
  return { winners, losers };
};

/**
 * As requests arrive, and with the engine's reads held back in batches of ten so that every batch
 * reads the same version before anyone writes (the race that would otherwise depend on scheduling).
 */
const SCHEDULES = [
  { name: "as the calls arrive", decoratePorts: undefined, conflicts: false },
  {
    name: "when ten calls at a time read the same version",
    decoratePorts: gateRequestReads({ batch: 10, idleMs: 20 }),
    conflicts: true,
  },
] as const;

describe.each(SCHEDULES)(
  "concurrent decisions on one request in review, $name",
  ({ decoratePorts, conflicts }) => {
    it("exactly one of 50 approvals, rejections and cancellations wins, and it is recorded once", async () => {
      server = await startTestServer({
        workspaces: [workspace(WS)],
        ...(decoratePorts ? { decoratePorts } : {}),
      });
      const people = await peopleOf(server, WS);
      const id = await requestInStatus(server, WS, people, "in_review");
      const managers = await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          server.token({ user: `manager-${n}`, roles: ["AirlockManager"], workspace: WS }),
        ),
      );

      const answers = await Promise.all(
        Array.from({ length: CALLERS }, (_, n) => {
          if (n % 5 === 4) return act(server, WS, id, "cancel", n % 2 === 0 ? people.alice : people.olivia);
          // Some managers send twice: their second attempt must not count either.
          const manager = managers[n % managers.length] as string;
          return act(server, WS, id, "review", manager, {
            approval: n % 3 !== 0,
            decisionExplanation: `decision ${n}`,
          });
        }),
      );
      await server.idle();

      const { winners, losers } = tally(answers);
      expect(winners).toHaveLength(1);
      // Readers of the winner's version lose on the etag: at least the rest of its batch of ten.
      if (conflicts) expect(losers.filter((loser) => loser.status === 409).length).toBeGreaterThanOrEqual(9);

      const stored = server.ports.repository.inspect().find((request) => request.id === id);
      const winner = winners[0]?.body.airlockRequest;
      expect(winner).toBeDefined();
      const cancelled = winner?.status === "cancelled";
      expect(stored?.reviews).toHaveLength(cancelled ? 0 : 1);
      expect(stored?.status).toBe(
        cancelled ? "cancelled" : winner?.status === "approval_in_progress" ? "approved" : "rejected",
      );
      expect(stored?.history.filter((entry) => entry.previousStatus === "in_review")).toHaveLength(1);

      const trail = (await server.ports.audit.listAll(id))._unsafeUnwrap();
      expect((await server.ports.audit.verify(id))._unsafeUnwrap()).toMatchObject({ ok: true });
      const leftReview = trail.filter(
        (entry) => entry.outcome === "transition" && entry.fromStatus === "in_review",
      );
      expect(leftReview).toHaveLength(1);
      // One decision announced, whoever won.
      const reviewed = server.ports.events
        .published()
        .filter((event) => (event.data as { reviewDecision?: string }).reviewDecision !== undefined);
      expect(reviewed).toHaveLength(cancelled ? 0 : 1);
      // Every loser is on the record as a denial.
      expect(trail.filter((entry) => entry.outcome === "denied")).toHaveLength(losers.length);
    });
  },
);

describe.each(SCHEDULES)("concurrent submits of one draft, $name", ({ decoratePorts, conflicts }) => {
  it("exactly one of 50 submits wins and the request is submitted once", async () => {
    server = await startTestServer({
      workspaces: [workspace(WS)],
      ...(decoratePorts ? { decoratePorts } : {}),
    });
    const people = await peopleOf(server, WS);
    const id = await requestInStatus(server, WS, people, "draft");

    const answers = await Promise.all(
      Array.from({ length: CALLERS }, (_, n) =>
        act(server, WS, id, "submit", n % 2 === 0 ? people.alice : people.olivia),
      ),
    );
    await server.idle();

    const { winners, losers } = tally(answers);
    expect(winners).toHaveLength(1);
    if (conflicts) expect(losers.filter((loser) => loser.status === 409).length).toBeGreaterThanOrEqual(9);
    expect(winners[0]?.body.airlockRequest.status).toBe("submitted");

    const stored = server.ports.repository.inspect().find((request) => request.id === id);
    expect(stored?.history.filter((entry) => entry.status === "submitted")).toHaveLength(1);
    expect(stored?.status).toBe("in_review");
    const trail = (await server.ports.audit.listAll(id))._unsafeUnwrap();
    expect((await server.ports.audit.verify(id))._unsafeUnwrap()).toMatchObject({ ok: true });
    expect(
      trail.filter((entry) => entry.outcome === "transition" && entry.toStatus === "submitted"),
    ).toHaveLength(1);
    const toSubmitted = server.ports.events
      .published()
      .filter((event) => (event.data as { newStatus?: string }).newStatus === "submitted");
    expect(toSubmitted).toHaveLength(1);
  });
});

describe("concurrent uploads into one draft", () => {
  it("lets exactly 20 of 60 uploads of distinct names through when the policy allows 20 files", async () => {
    // All 60 may be in flight at once: the file limit is what is under test, not the link's cap
    // on uploads at once (which a slow machine would otherwise reach).
    server = await startTestServer({
      workspaces: [workspace(WS, { policy: { maxFiles: 20 } })],
      limits: { uploadsPerLink: 60, uploadsPerPerson: 60 },
    });
    const people = await peopleOf(server, WS);
    const id = await createRequest(server, WS, people.alice);
    const link = await linkOf(server, WS, id, people.alice);

    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, n) => putBlob(link, `file-${n}.csv`, `${n}\n`)),
    );

    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(20);
    for (const loser of answers.filter((answer) => answer.status !== 201)) {
      expectProblem(loser, 400, "PolicyViolation");
    }
    expect(server.ports.storage.contents("draft", id).size).toBe(20);
  });
});
