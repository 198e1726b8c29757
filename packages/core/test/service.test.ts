import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../src/index.js";
import {
  chunks,
  draftWithFile,
  EICAR,
  errorOf,
  makeHarness,
  observable,
  people,
  unwrap,
} from "./support/harness.js";

describe("an import from creation to approval", () => {
  it("moves the file through every stage, audited, announced and notified", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    const submitted = await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    expect(submitted.airlockRequest.status).toBe("submitted");
    expect(submitted.airlockRequest.files).toEqual([
      { name: "data.csv", size: 8, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), state: "active" },
    ]);
    await h.airlock.processor.idle();
    const inReview = await unwrap(h.airlock.get(people.mo, h.ws, draft.id));
    expect(inReview.airlockRequest.status).toBe("in_review");
    expect(inReview.allowedUserActions).toEqual(["review", "return", "vote", "comment"]);
    expect(h.ports.storage.stagesHolding(draft.id)).toEqual(["in_progress"]);

    await unwrap(
      h.airlock.review(people.mo, h.ws, draft.id, { approval: true, decisionExplanation: "fine" }),
    );
    await h.airlock.processor.idle();
    const done = await unwrap(h.airlock.get(people.rita, h.ws, draft.id));
    expect(done.airlockRequest.status).toBe("approved");
    expect(done.airlockRequest.dataStage).toBe("approved");
    expect(h.ports.storage.stagesHolding(draft.id)).toEqual(["approved"]);
    expect(done.airlockRequest.history.map((entry) => entry.status)).toEqual([
      "draft",
      "submitted",
      "in_review",
      "approval_in_progress",
      "approved",
    ]);

    const statusEvents = h.ports.events
      .published()
      .filter((event) => event.type === EVENT_TYPES.statusChanged)
      .map((event) => event.data.newStatus);
    expect(statusEvents).toEqual(["draft", "submitted", "in_review", "approval_in_progress", "approved"]);
    expect(h.ports.events.published().filter((event) => event.type === EVENT_TYPES.reviewed)).toHaveLength(1);

    const trail = await unwrap(h.airlock.auditTrail(people.olga, h.ws, draft.id));
    expect(trail.continuation).toBeNull();
    expect(await unwrap(h.airlock.verifyAuditTrail(people.olga, h.ws, draft.id))).toEqual({
      ok: true,
      entries: trail.entries.length,
      checkpointSeq: trail.entries.length - 1,
    });
    expect(trail.entries.filter((entry) => entry.outcome === "transition")).toHaveLength(5);

    const inReviewMail = h.ports.notifier.sent().find((n) => n.request.status === "in_review");
    expect(inReviewMail?.recipients.map((r) => r.id).sort()).toEqual(["meg", "mo", "olga"]);
    const ritaMails = h.ports.notifier
      .sent()
      .filter((n) => n.recipients.some((r) => r.id === "rita"))
      .map((n) => n.request.status);
    expect(ritaMails).toEqual(["draft", "submitted", "approval_in_progress", "approved"]);
  });

  it("an export ends approved with its file in the export's approved stage", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h, "summary", "export");
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    await h.airlock.processor.idle();
    await unwrap(h.airlock.review(people.mo, h.ws, draft.id, { approval: true, decisionExplanation: "ok" }));
    await h.airlock.processor.idle();
    const done = await unwrap(h.airlock.get(people.rita, h.ws, draft.id));
    expect(done.airlockRequest).toMatchObject({ type: "export", status: "approved", dataStage: "approved" });
  });
});

describe("malware scanning", () => {
  it("blocks an upload that carries the EICAR signature", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h, EICAR);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    await h.airlock.processor.idle();
    const blocked = await unwrap(h.airlock.get(people.rita, h.ws, draft.id));
    expect(blocked.airlockRequest.status).toBe("blocked_by_scan");
    expect(blocked.airlockRequest.statusMessage).toMatch(/EICAR/);
    expect(h.ports.storage.stagesHolding(draft.id)).toEqual(["blocked"]);
  });

  it("goes straight to review when the workspace turns scanning off", async () => {
    const h = makeHarness({ scanning: false });
    const draft = await draftWithFile(h, EICAR);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    await h.airlock.processor.idle();
    expect((await unwrap(h.airlock.get(people.rita, h.ws, draft.id))).airlockRequest.status).toBe(
      "in_review",
    );
    expect(h.ports.scanner.scans()).toHaveLength(0);
  });

  it("asks again for a verdict that does not arrive, then fails the request at the deadline", async () => {
    const h = makeHarness({}, { scanRetrySeconds: 60, scanDeadlineSeconds: 600 });
    h.ports.scanner.answerPending(true);
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    await h.airlock.processor.idle();
    expect((await unwrap(h.airlock.get(people.rita, h.ws, draft.id))).airlockRequest.status).toBe(
      "submitted",
    );
    expect(h.ports.scanner.scans()).toHaveLength(1);

    h.clock.advance(30_000);
    await unwrap(h.airlock.processor.resume());
    expect(h.ports.scanner.scans()).toHaveLength(1);
    h.clock.advance(31_000);
    await unwrap(h.airlock.processor.resume());
    expect(h.ports.scanner.scans()).toHaveLength(2);

    h.clock.advance(600_000);
    const summary = await unwrap(h.airlock.processor.resume());
    expect(summary).toMatchObject({ stillWaiting: 0 });
    const failed = await unwrap(h.airlock.get(people.rita, h.ws, draft.id));
    expect(failed.airlockRequest.status).toBe("failed");
    expect(failed.airlockRequest.statusMessage).toMatch(/no malware scan verdict arrived within 600 s/);
  });

  it("takes a verdict that arrives later, and ignores it when it comes twice", async () => {
    const h = makeHarness();
    h.ports.scanner.answerPending(true);
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    await h.airlock.processor.idle();
    const first = await unwrap(h.airlock.recordScanResult(draft.id, { verdict: "clean" }));
    expect(first.status).toBe("in_review");
    const again = await unwrap(h.airlock.recordScanResult(draft.id, { verdict: "threat", detail: "late" }));
    expect(again.status).toBe("in_review");
    expect(again.etag).toBe(first.etag);
  });
});

describe("per-file verdicts", () => {
  const submittedWithTwoFiles = async () => {
    const h = makeHarness({ maxFiles: 2 });
    h.ports.scanner.answerPending(true);
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.upload(draft.id, "second.csv", chunks("3,4\n")));
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    await h.airlock.processor.idle();
    return { h, id: draft.id };
  };

  it("a request is clean only once every file it recorded is", async () => {
    const { h, id } = await submittedWithTwoFiles();
    const one = await unwrap(h.airlock.recordScanResult(id, { verdict: "clean" }, "data.csv"));
    expect(one).toMatchObject({ status: "submitted", cleanFiles: ["data.csv"] });
    const again = await unwrap(h.airlock.recordScanResult(id, { verdict: "clean" }, "data.csv"));
    expect(again.etag).toBe(one.etag);
    const both = await unwrap(h.airlock.recordScanResult(id, { verdict: "clean" }, "second.csv"));
    expect(both.status).toBe("in_review");
  });

  it("one infected file blocks the request at once", async () => {
    const { h, id } = await submittedWithTwoFiles();
    await unwrap(h.airlock.recordScanResult(id, { verdict: "clean" }, "data.csv"));
    const blocked = await unwrap(
      h.airlock.recordScanResult(id, { verdict: "threat", detail: "Trojan" }, "second.csv"),
    );
    expect(blocked).toMatchObject({
      status: "blocking_in_progress",
      statusMessage: "malware scan: second.csv: Trojan",
    });
  });

  it("a verdict for a file the request does not have is refused", async () => {
    const { h, id } = await submittedWithTwoFiles();
    expect(await errorOf(h.airlock.recordScanResult(id, { verdict: "clean" }, "other.csv"))).toMatchObject({
      kind: "NotFound",
    });
  });
});

describe("reviews", () => {
  const inReview = async (policy = {}) => {
    const h = makeHarness(policy);
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    await h.airlock.processor.idle();
    return { h, id: draft.id };
  };

  it("a requester never reviews their own request, even holding AirlockManager", async () => {
    const { h, id } = await inReview();
    const ritaManager = {
      ...people.rita,
      roles: ["WorkspaceResearcher" as const, "AirlockManager" as const],
    };
    const before = await observable(h, id);
    const error = await errorOf(
      h.airlock.review(ritaManager, h.ws, id, { approval: true, decisionExplanation: "mine" }),
    );
    expect(error.kind).toBe("Forbidden");
    expect(await observable(h, id)).toEqual(before);
    const denials = (await unwrap(h.ports.audit.listAll(id))).filter((entry) => entry.outcome === "denied");
    expect(denials.at(-1)).toMatchObject({ actor: { id: "rita" }, action: "review" });
  });

  it("waits for two distinct managers when the policy asks for two approvals", async () => {
    const { h, id } = await inReview({ requiredApprovals: 2 });
    const one = await unwrap(
      h.airlock.review(people.mo, h.ws, id, { approval: true, decisionExplanation: "one" }),
    );
    expect(one.airlockRequest.status).toBe("in_review");
    expect(
      await errorOf(h.airlock.review(people.mo, h.ws, id, { approval: true, decisionExplanation: "again" })),
    ).toMatchObject({
      kind: "Forbidden",
    });
    const two = await unwrap(
      h.airlock.review(people.meg, h.ws, id, { approval: true, decisionExplanation: "two" }),
    );
    expect(two.airlockRequest.status).toBe("approval_in_progress");
    expect(two.airlockRequest.reviews.map((r) => r.reviewer.id)).toEqual(["mo", "meg"]);
  });

  it("a rejection moves the file to the rejected stage", async () => {
    const { h, id } = await inReview();
    await unwrap(
      h.airlock.review(people.mo, h.ws, id, { approval: false, decisionExplanation: "identifiable" }),
    );
    await h.airlock.processor.idle();
    expect((await unwrap(h.airlock.get(people.rita, h.ws, id))).airlockRequest.status).toBe("rejected");
    expect(h.ports.storage.stagesHolding(id)).toEqual(["rejected"]);
  });

  it("an invalid review body is refused with the issues and changes nothing", async () => {
    const { h, id } = await inReview();
    const before = await observable(h, id);
    const error = await errorOf(h.airlock.review(people.mo, h.ws, id, { approval: "yes" }));
    expect(error).toMatchObject({ kind: "InvalidInput" });
    expect(await observable(h, id)).toEqual(before);
  });

  it("only one of two concurrent decisions wins", async () => {
    const { h, id } = await inReview();
    const results = await Promise.all([
      h.airlock.review(people.mo, h.ws, id, { approval: true, decisionExplanation: "yes" }),
      h.airlock.review(people.meg, h.ws, id, { approval: false, decisionExplanation: "no" }),
    ]);
    expect(results.filter((r) => r.isOk())).toHaveLength(1);
    expect(results.filter((r) => r.isErr()).map((r) => r.isErr() && r.error.kind)).toEqual(["Conflict"]);
  });
});

describe("submit", () => {
  it("refuses at once, changing nothing, when there is no file", async () => {
    const h = makeHarness();
    const { airlockRequest } = await unwrap(
      h.airlock.create(people.rita, h.ws, { type: "import", title: "Empty", businessJustification: "none" }),
    );
    const before = await observable(h, airlockRequest.id);
    expect(await errorOf(h.airlock.submit(people.rita, h.ws, airlockRequest.id))).toMatchObject({
      kind: "PolicyViolation",
    });
    expect(await observable(h, airlockRequest.id)).toEqual(before);
  });

  it("refuses an upload past the policy's file count", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    expect(await errorOf(h.airlock.upload(draft.id, "second.csv", chunks("x")))).toMatchObject({
      kind: "PolicyViolation",
    });
    expect([...h.ports.storage.contents("draft", draft.id).keys()]).toEqual(["data.csv"]);
  });

  it("refuses an upload over the size limit and keeps no partial file", async () => {
    const h = makeHarness({ maxFileSize: 4 });
    const { airlockRequest } = await unwrap(
      h.airlock.create(people.rita, h.ws, { type: "import", title: "Big", businessJustification: "x" }),
    );
    expect(await errorOf(h.airlock.upload(airlockRequest.id, "big.bin", chunks("123456")))).toMatchObject({
      kind: "TooLarge",
    });
    expect(h.ports.storage.stagesHolding(airlockRequest.id)).toEqual([]);
  });

  it("refuses file names that escape the container", async () => {
    const h = makeHarness();
    const { airlockRequest } = await unwrap(
      h.airlock.create(people.rita, h.ws, { type: "import", title: "Names", businessJustification: "x" }),
    );
    for (const name of ["../etc/passwd", "a/b", "..", "bad\u0007name", ""]) {
      expect(await errorOf(h.airlock.upload(airlockRequest.id, name, chunks("x")))).toMatchObject({
        kind: "InvalidInput",
      });
    }
  });

  it("a draft link stops writing once the request is submitted", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    expect(await errorOf(h.airlock.upload(draft.id, "data.csv", chunks("changed")))).toMatchObject({
      kind: "Forbidden",
    });
  });
});

describe("integrity", () => {
  it("fails the request when a file changes between submit and the move", async () => {
    const h = makeHarness({}, { processing: "manual" });
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    // Someone with storage access swaps the bytes after the hash was recorded.
    const ref = { requestId: draft.id, workspaceId: h.ws, type: "import" as const };
    await unwrap(h.ports.storage.upload(ref, "draft", "data.csv", chunks("tampered"), { maxBytes: 100 }));
    const failed = await unwrap(h.airlock.processor.process(draft.id));
    expect(failed.status).toBe("failed");
    expect(failed.statusMessage).toMatch(/integrity check failed/);
  });
});

describe("cancel and revoke", () => {
  it("cancelling a draft deletes its files", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.cancel(people.rita, h.ws, draft.id));
    await h.airlock.processor.idle();
    const cancelled = await unwrap(h.airlock.get(people.rita, h.ws, draft.id));
    expect(cancelled.airlockRequest).toMatchObject({ status: "cancelled", dataStage: null });
    expect(h.ports.storage.stagesHolding(draft.id)).toEqual([]);
  });

  it("another researcher cannot cancel, a TRE admin can", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    expect(await errorOf(h.airlock.cancel(people.otto, h.ws, draft.id))).toMatchObject({ kind: "Forbidden" });
    expect((await unwrap(h.airlock.cancel(people.ada, h.ws, draft.id))).airlockRequest.status).toBe(
      "cancelled",
    );
  });

  it("revoking an approved request moves its data out of the approved stage and refuses links", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    await h.airlock.processor.idle();
    await unwrap(h.airlock.review(people.mo, h.ws, draft.id, { approval: true, decisionExplanation: "ok" }));
    await h.airlock.processor.idle();
    expect(await errorOf(h.airlock.revoke(people.mo, h.ws, draft.id, {}))).toMatchObject({
      kind: "InvalidInput",
    });
    const revoked = await unwrap(
      h.airlock.revoke(people.mo, h.ws, draft.id, { reason: "consent withdrawn" }),
    );
    expect(revoked.airlockRequest).toMatchObject({ status: "revoked", statusMessage: "consent withdrawn" });
    await h.airlock.processor.idle();
    expect(h.ports.storage.stagesHolding(draft.id)).toEqual(["rejected"]);
    expect(await errorOf(h.airlock.link(people.rita, h.ws, draft.id))).toMatchObject({ kind: "NoLink" });
    expect(
      await errorOf(
        h.airlock.readFile({ id: "rita", roles: ["WorkspaceResearcher"] }, draft.id, "approved", "data.csv"),
      ),
    ).toMatchObject({
      kind: "Forbidden",
      message: "the request is revoked: its links no longer work",
    });
  });
});

describe("workspaces and visibility", () => {
  it("a request of another workspace is not found", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    await unwrap(
      h.ports.workspaces.put({ ...(await unwrap(h.ports.workspaces.get(h.ws))), id: "ws2", clientId: "ws2" }),
    );
    expect(await errorOf(h.airlock.get(people.rita, "ws2", draft.id))).toMatchObject({ kind: "NotFound" });
    expect(await errorOf(h.airlock.get(people.rita, "nope", draft.id))).toMatchObject({ kind: "NotFound" });
  });

  it("refuses to create when the airlock is disabled", async () => {
    const h = makeHarness({ enabled: false });
    expect(
      await errorOf(
        h.airlock.create(people.rita, h.ws, { type: "import", title: "t", businessJustification: "j" }),
      ),
    ).toMatchObject({ kind: "AirlockDisabled" });
  });

  it("lists requests awaiting a manager's review across workspaces", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    await h.airlock.processor.idle();
    const mine = await unwrap(
      h.airlock.listForUser({ ...people.rita, roles: ["TREUser"] }, { airlockManager: false }),
    );
    expect(mine.items.map((v) => v.airlockRequest.id)).toEqual([draft.id]);
    const queue = await unwrap(
      h.airlock.listForUser({ ...people.mo, roles: ["TREUser"] }, { airlockManager: true }),
    );
    expect(queue.items.map((v) => v.airlockRequest.id)).toEqual([draft.id]);
    const none = await unwrap(
      h.airlock.listForUser({ ...people.rita, roles: ["TREUser"] }, { airlockManager: true }),
    );
    expect(none.items).toEqual([]);
  });

  it("pages a workspace's requests", async () => {
    const h = makeHarness();
    for (let i = 0; i < 5; i += 1) {
      h.clock.advance(1000);
      await unwrap(
        h.airlock.create(people.rita, h.ws, { type: "import", title: `r${i}`, businessJustification: "j" }),
      );
    }
    const first = await unwrap(
      h.airlock.list(people.rita, h.ws, { page_size: "2", order_ascending: "true" }),
    );
    expect(first.items.map((v) => v.airlockRequest.title)).toEqual(["r0", "r1"]);
    expect(first.continuation).toEqual(expect.any(String));
    const second = await unwrap(
      h.airlock.list(people.rita, h.ws, {
        page_size: 2,
        order_ascending: true,
        continuation: first.continuation ?? "",
      }),
    );
    expect(second.items.map((v) => v.airlockRequest.title)).toEqual(["r2", "r3"]);
    expect(await errorOf(h.airlock.list(people.rita, h.ws, { page_size: 0 }))).toMatchObject({
      kind: "InvalidInput",
    });
  });
});

describe("crash recovery", () => {
  it("a write whose audit entry was cut off is audited by recover, once, and announced at least once", async () => {
    const h = makeHarness({}, { processing: "manual" });
    const draft = await draftWithFile(h);
    h.ports.audit.failNext("append");
    expect(await errorOf(h.airlock.submit(people.rita, h.ws, draft.id))).toMatchObject({
      kind: "Unavailable",
    });
    const stored = await unwrap(h.ports.repository.get(draft.id));
    expect(stored.status).toBe("submitted");
    await h.airlock.processor.idle();
    const statusEvents = () =>
      h.ports.events
        .published()
        .filter((e) => e.type === "org.airlock.request.status_changed.v1")
        .map((e) => ({
          id: e.id,
          status: e.type === "org.airlock.request.status_changed.v1" && e.data.newStatus,
        }));
    // The stored change was handed over before the append failed: a crash there loses no event.
    expect(statusEvents().map((e) => e.status)).toEqual(["draft", "submitted"]);
    const transitions = async () =>
      (await unwrap(h.ports.audit.listAll(draft.id)))
        .filter((e) => e.outcome === "transition")
        .map((e) => e.toStatus);
    expect(await transitions()).toEqual(["draft"]);

    expect(await unwrap(h.airlock.processor.recover())).toEqual({ recovered: 1 });
    await h.airlock.processor.idle();
    expect(await transitions()).toEqual(["draft", "submitted"]);
    // Announced again by the recovery, with the same id, so a receiver drops the repeat.
    const events = statusEvents();
    expect(events.map((e) => e.status)).toEqual(["draft", "submitted", "submitted"]);
    expect(events[2]?.id).toBe(events[1]?.id);
    expect(await unwrap(h.airlock.processor.recover())).toEqual({ recovered: 0 });
    await h.airlock.processor.idle();
    expect(statusEvents()).toHaveLength(3);

    // The next write would have repaired it too: the entry is never doubled.
    await unwrap(h.airlock.processor.process(draft.id));
    expect(await transitions()).toEqual(["draft", "submitted", "in_review"]);
    expect(await unwrap(h.ports.audit.verify(draft.id))).toMatchObject({ ok: true });
  });

  it("a move that failed is finished by resume", async () => {
    const h = makeHarness({}, { processing: "manual" });
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    h.ports.storage.failNext("move");
    expect(await errorOf(h.airlock.processor.process(draft.id))).toMatchObject({ kind: "Unavailable" });
    expect((await unwrap(h.airlock.get(people.rita, h.ws, draft.id))).airlockRequest.status).toBe(
      "submitted",
    );
    const summary = await unwrap(h.airlock.processor.resume());
    expect(summary).toEqual({ processed: 1, stillWaiting: 0, failed: 0 });
    expect((await unwrap(h.airlock.get(people.rita, h.ws, draft.id))).airlockRequest.status).toBe(
      "in_review",
    );
  });

  it("a storage outage past the deadline fails the request instead of leaving it in progress", async () => {
    const h = makeHarness({ scanning: false }, { processing: "manual", processingDeadlineSeconds: 60 });
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    await unwrap(h.airlock.processor.process(draft.id));
    await unwrap(h.airlock.review(people.mo, h.ws, draft.id, { approval: true, decisionExplanation: "ok" }));
    h.ports.storage.failNext("move", 10);
    await errorOf(h.airlock.processor.process(draft.id));
    h.clock.advance(61_000);
    await h.airlock.processor.resume();
    const failed = await unwrap(h.airlock.get(people.rita, h.ws, draft.id));
    expect(failed.airlockRequest.status).toBe("failed");
    expect(failed.airlockRequest.statusMessage).toMatch(/processing did not finish/);
  });
});
