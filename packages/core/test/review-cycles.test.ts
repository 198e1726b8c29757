import { describe, expect, it } from "vitest";
import {
  type AirlockRequest,
  AirlockRequestSchema,
  EVENT_TYPES,
  storedRequest,
  type WorkspacePolicyInput,
} from "../src/index.js";
import { SAMPLE_EPOCH_SECONDS, sampleRequest, sampleUser } from "../src/testing/fixtures.js";
import { chunks, errorOf, type Harness, makeHarness, observable, people, unwrap } from "./support/harness.js";

const ref = (request: Pick<AirlockRequest, "id" | "workspaceId" | "type">) => ({
  requestId: request.id,
  workspaceId: request.workspaceId,
  type: request.type,
});

const namesIn = async (h: Harness, request: AirlockRequest, stage: "draft" | "in_progress" | "approved") =>
  (await unwrap(h.ports.storage.listFiles(ref(request), stage))).map((file) => file.name).sort();

/** A two-file export of Rita's, submitted and in review. */
const twoFilesInReview = async (policy: WorkspacePolicyInput = {}) => {
  const h = makeHarness({ maxFiles: 5, ...policy });
  const { airlockRequest } = await unwrap(
    h.airlock.create(people.rita, h.ws, { type: "export", title: "Outputs", businessJustification: "Paper" }),
  );
  await unwrap(h.airlock.upload(airlockRequest.id, "table.csv", chunks("a,b\n1,2\n")));
  await unwrap(h.airlock.upload(airlockRequest.id, "figure.png", chunks("png bytes")));
  await unwrap(h.airlock.submit(people.rita, h.ws, airlockRequest.id));
  await h.airlock.processor.idle();
  const id = airlockRequest.id;
  const stored = async () => unwrap(h.ports.repository.get(id));
  expect((await stored()).status).toBe("in_review");
  return { h, id, stored };
};

/** Returns the request with one comment for everyone, and lets the data move back. */
const returned = async (h: Harness, id: string) => {
  await unwrap(
    h.airlock.returnForChanges(people.mo, h.ws, id, {
      comments: [{ text: "Round the counts in table.csv", file: "table.csv" }],
    }),
  );
  await h.airlock.processor.idle();
};

describe("votes per reviewer, per file, per turn", () => {
  it("approves the request once every active file has requiredApprovals approve votes this turn", async () => {
    const { h, id, stored } = await twoFilesInReview({ requiredApprovals: 2 });
    await unwrap(h.airlock.vote(people.mo, h.ws, id, "table.csv", { vote: "approve" }));
    await unwrap(h.airlock.vote(people.mo, h.ws, id, "figure.png", { vote: "approve" }));
    await unwrap(h.airlock.vote(people.meg, h.ws, id, "table.csv", { vote: "approve" }));
    expect((await stored()).status).toBe("in_review");

    const last = await unwrap(h.airlock.vote(people.meg, h.ws, id, "figure.png", { vote: "approve" }));
    expect(last.airlockRequest.status).toBe("approval_in_progress");
    await h.airlock.processor.idle();
    const done = await stored();
    expect(done.status).toBe("approved");
    // Files are recorded in the order storage lists them: by name.
    expect(done.fileDecisions).toEqual([
      { file: "figure.png", turn: 1, decision: "approved" },
      { file: "table.csv", turn: 1, decision: "approved" },
    ]);
    expect(await namesIn(h, done, "approved")).toEqual(["figure.png", "table.csv"]);
    const voteEvents = h.ports.events.published().filter((e) => e.type === EVENT_TYPES.voteRecorded);
    expect(voteEvents).toHaveLength(4);
    const trail = await unwrap(h.ports.audit.listAll(id));
    // The trail names each vote's file, never the vote itself; the last vote is a status change.
    expect(trail.filter((entry) => entry.action === "vote").map((e) => [e.outcome, e.reason])).toEqual([
      ["allowed", "table.csv"],
      ["allowed", "figure.png"],
      ["allowed", "table.csv"],
      ["transition", null],
    ]);
  });

  it("lets a reviewer change a vote: only the latest counts", async () => {
    const { h, id, stored } = await twoFilesInReview();
    await unwrap(h.airlock.vote(people.mo, h.ws, id, "table.csv", { vote: "request_changes" }));
    await unwrap(h.airlock.vote(people.mo, h.ws, id, "table.csv", { vote: "approve" }));
    const request = await stored();
    expect(request.votes.map((v) => [v.file, v.vote])).toEqual([["table.csv", "approve"]]);
    expect(request.status).toBe("in_review");
  });

  it("refuses the requester's vote even when they are an airlock manager, and changes nothing", async () => {
    const { h, id } = await twoFilesInReview();
    const ritaAsManager = {
      ...people.rita,
      roles: ["WorkspaceResearcher" as const, "AirlockManager" as const],
    };
    const before = await observable(h, id);
    const error = await errorOf(h.airlock.vote(ritaAsManager, h.ws, id, "table.csv", { vote: "approve" }));
    expect(error.kind).toBe("Forbidden");
    expect(await observable(h, id)).toEqual(before);
  });

  it("refuses a vote on a file the request does not hold (404) and a bad vote (422)", async () => {
    const { h, id } = await twoFilesInReview();
    expect(await errorOf(h.airlock.vote(people.mo, h.ws, id, "nope.csv", { vote: "approve" }))).toMatchObject(
      {
        kind: "NotFound",
      },
    );
    expect(await errorOf(h.airlock.vote(people.mo, h.ws, id, "table.csv", { vote: "maybe" }))).toMatchObject({
      kind: "InvalidInput",
    });
  });

  it("makes a reviewer's votes final once they decided the request with upstream's review", async () => {
    const { h, id } = await twoFilesInReview({ requiredApprovals: 2 });
    await unwrap(h.airlock.review(people.mo, h.ws, id, { approval: true, decisionExplanation: "fine" }));
    const error = await errorOf(
      h.airlock.vote(people.mo, h.ws, id, "table.csv", { vote: "request_changes" }),
    );
    expect(error.kind).toBe("Forbidden");
  });

  it("counts upstream's approval as an approve vote on every active file", async () => {
    const { h, id, stored } = await twoFilesInReview({ requiredApprovals: 2 });
    await unwrap(h.airlock.review(people.mo, h.ws, id, { approval: true, decisionExplanation: "fine" }));
    expect((await stored()).votes.map((v) => [v.reviewer.id, v.file, v.vote])).toEqual([
      ["mo", "figure.png", "approve"],
      ["mo", "table.csv", "approve"],
    ]);
    await unwrap(h.airlock.vote(people.meg, h.ws, id, "table.csv", { vote: "approve" }));
    const last = await unwrap(h.airlock.vote(people.meg, h.ws, id, "figure.png", { vote: "approve" }));
    expect(last.airlockRequest.status).toBe("approval_in_progress");
  });

  it("rejects the whole request on upstream's rejection, every file rejected", async () => {
    const { h, id, stored } = await twoFilesInReview();
    await unwrap(h.airlock.review(people.mo, h.ws, id, { approval: false, decisionExplanation: "no" }));
    await h.airlock.processor.idle();
    const done = await stored();
    expect(done.status).toBe("rejected");
    expect(done.fileDecisions.map((d) => d.decision)).toEqual(["rejected", "rejected"]);
  });
});

describe("return for changes", () => {
  it("needs a comment the requester can read: reviewer-only comments alone are refused, nothing changes", async () => {
    const { h, id } = await twoFilesInReview();
    const before = await observable(h, id);
    const error = await errorOf(
      h.airlock.returnForChanges(people.mo, h.ws, id, {
        comments: [{ text: "between us", visibility: "reviewers" }],
      }),
    );
    expect(error.kind).toBe("PolicyViolation");
    expect(await observable(h, id)).toEqual(before);
    expect(await errorOf(h.airlock.returnForChanges(people.mo, h.ws, id, { comments: [] }))).toMatchObject({
      kind: "InvalidInput",
    });
  });

  it("moves the data back to the draft stage, where the requester's link works again, and tells the requester", async () => {
    const { h, id, stored } = await twoFilesInReview({ requiredApprovals: 2 });
    await unwrap(h.airlock.vote(people.mo, h.ws, id, "table.csv", { vote: "request_changes" }));
    await unwrap(h.airlock.vote(people.meg, h.ws, id, "figure.png", { vote: "approve" }));
    await unwrap(h.airlock.vote(people.mo, h.ws, id, "figure.png", { vote: "approve" }));
    const answer = await unwrap(
      h.airlock.returnForChanges(people.meg, h.ws, id, {
        comments: [{ text: "Round the counts", file: "table.csv" }],
      }),
    );
    expect(answer.airlockRequest.status).toBe("returning_in_progress");
    await h.airlock.processor.idle();

    const request = await stored();
    expect(request.status).toBe("changes_requested");
    expect(request.turn).toBe(2);
    expect(request.dataStage).toBe("draft");
    expect(await namesIn(h, request, "draft")).toEqual(["figure.png", "table.csv"]);
    expect(request.fileDecisions).toEqual([
      { file: "figure.png", turn: 1, decision: "approved" },
      { file: "table.csv", turn: 1, decision: "changes_requested" },
    ]);
    const link = await unwrap(h.airlock.link(people.rita, h.ws, id));
    expect(link).toMatchObject({ stage: "draft", access: ["read", "write", "list", "delete"] });

    const toRita = h.ports.notifier
      .sent()
      .filter((n) => n.request.status === "changes_requested")
      .map((n) => n.recipients.map((r) => r.id));
    expect(toRita).toEqual([["rita"]]);
    const returnedEvents = h.ports.events.published().filter((e) => e.type === EVENT_TYPES.returned);
    expect(returnedEvents).toHaveLength(1);
    expect(returnedEvents[0]?.data).toMatchObject({ turn: 1, returnedBy: { id: "meg" } });
  });

  it("shows the requester the per-file decisions once the turn ended, never the votes of an open turn", async () => {
    const { h, id } = await twoFilesInReview({ requiredApprovals: 2 });
    await unwrap(h.airlock.vote(people.mo, h.ws, id, "table.csv", { vote: "request_changes" }));
    const during = await unwrap(h.airlock.get(people.rita, h.ws, id));
    expect(during.airlockRequest.votes).toEqual([]);
    expect(during.airlockRequest.fileDecisions).toEqual([]);
    await returned(h, id);
    const after = await unwrap(h.airlock.get(people.rita, h.ws, id));
    expect(after.airlockRequest.fileDecisions.map((d) => [d.file, d.decision])).toEqual([
      ["figure.png", "undecided"],
      ["table.csv", "changes_requested"],
    ]);
    expect(after.airlockRequest.votes.map((v) => v.vote)).toEqual(["request_changes"]);
    expect(after.allowedUserActions).toEqual(["submit", "cancel", "comment", "withdraw"]);
  });

  it("refuses a return by the requester, by a researcher and outside review", async () => {
    const { h, id } = await twoFilesInReview();
    const body = { comments: [{ text: "x" }] };
    expect(await errorOf(h.airlock.returnForChanges(people.otto, h.ws, id, body))).toMatchObject({
      kind: "Forbidden",
    });
    await returned(h, id);
    expect(await errorOf(h.airlock.returnForChanges(people.mo, h.ws, id, body))).toMatchObject({
      kind: "IllegalTransition",
    });
  });
});

describe("resubmission", () => {
  it("starts a new turn with one file changed and one withdrawn, and tells the reviewers", async () => {
    const { h, id, stored } = await twoFilesInReview({ requiredApprovals: 2 });
    await unwrap(h.airlock.vote(people.mo, h.ws, id, "table.csv", { vote: "request_changes" }));
    await unwrap(h.airlock.vote(people.meg, h.ws, id, "figure.png", { vote: "approve" }));
    await returned(h, id);

    await unwrap(h.airlock.upload(id, "table.csv", chunks("a,b\n0,0\n")));
    await unwrap(h.airlock.withdrawFile(people.rita, h.ws, id, "figure.png"));
    const before = await stored();
    expect(await namesIn(h, before, "draft")).toEqual(["table.csv"]);
    expect(before.files.find((f) => f.name === "figure.png")?.state).toBe("withdrawn");

    const sentBefore = h.ports.notifier.sent().length;
    const resubmitted = await unwrap(h.airlock.submit(people.rita, h.ws, id));
    expect(resubmitted.airlockRequest).toMatchObject({ status: "submitted", turn: 3 });
    await h.airlock.processor.idle();

    expect(await unwrap(h.airlock.changes(people.mo, h.ws, id))).toEqual({
      turn: 3,
      files: [
        { file: "table.csv", change: "changed" },
        { file: "figure.png", change: "withdrawn" },
      ],
    });
    const notices = h.ports.notifier.sent().slice(sentBefore);
    const resubmittedNotice = notices.find((n) => n.topic === "resubmitted");
    expect(resubmittedNotice?.recipients.map((r) => r.id).sort()).toEqual(["meg", "mo"]);
    const changedNotices = notices.filter((n) => n.topic === "files_changed");
    expect(changedNotices.map((n) => [n.recipients.map((r) => r.id), n.files])).toEqual([
      [["mo"], ["table.csv"]],
      [["meg"], ["figure.png"]],
    ]);
    expect(h.ports.events.published().filter((e) => e.type === EVENT_TYPES.resubmitted)).toHaveLength(1);

    // The withdrawn file is not reviewed: two approvals of the one active file approve the request.
    expect(
      await errorOf(h.airlock.vote(people.mo, h.ws, id, "figure.png", { vote: "approve" })),
    ).toMatchObject({ kind: "IllegalTransition" });
    await unwrap(h.airlock.vote(people.mo, h.ws, id, "table.csv", { vote: "approve" }));
    await unwrap(h.airlock.vote(people.meg, h.ws, id, "table.csv", { vote: "approve" }));
    await h.airlock.processor.idle();
    const done = await stored();
    expect(done.status).toBe("approved");
    expect(await namesIn(h, done, "approved")).toEqual(["table.csv"]);
    expect(done.fileDecisions.filter((d) => d.turn === 3)).toEqual([
      { file: "table.csv", turn: 3, decision: "approved" },
    ]);
  });

  it("counts no vote of a returned turn in the new one", async () => {
    const { h, id, stored } = await twoFilesInReview();
    await unwrap(h.airlock.vote(people.mo, h.ws, id, "table.csv", { vote: "approve" }));
    await returned(h, id);
    await unwrap(h.airlock.submit(people.rita, h.ws, id));
    await h.airlock.processor.idle();
    await unwrap(h.airlock.vote(people.mo, h.ws, id, "figure.png", { vote: "approve" }));
    expect((await stored()).status).toBe("in_review");
  });

  it("lets the requester cancel a request returned for changes; its draft data is deleted", async () => {
    const { h, id, stored } = await twoFilesInReview();
    await returned(h, id);
    await unwrap(h.airlock.cancel(people.rita, h.ws, id));
    await h.airlock.processor.idle();
    expect((await stored()).status).toBe("cancelled");
    expect(h.ports.storage.stagesHolding(id)).toEqual([]);
  });
});

describe("comments", () => {
  it("never shows a reviewer-only comment to the requester, in any answer, event or notification", async () => {
    const { h, id } = await twoFilesInReview();
    const secret = "reviewer-only remark about the requester";
    await unwrap(h.airlock.addComment(people.mo, h.ws, id, { text: secret, visibility: "reviewers" }));
    await unwrap(
      h.airlock.vote(people.meg, h.ws, id, "table.csv", { vote: "request_changes", comment: secret }),
    );
    await unwrap(
      h.airlock.returnForChanges(people.mo, h.ws, id, {
        comments: [{ text: "Please round" }, { text: secret, visibility: "reviewers" }],
      }),
    );
    await h.airlock.processor.idle();

    const answers = [
      await unwrap(h.airlock.get(people.rita, h.ws, id)),
      await unwrap(h.airlock.list(people.rita, h.ws, {})),
      await unwrap(h.airlock.comments(people.rita, h.ws, id)),
      await unwrap(h.airlock.addComment(people.rita, h.ws, id, { text: "Done", visibility: "everyone" })),
      await unwrap(h.airlock.submit(people.rita, h.ws, id)),
    ];
    for (const answer of answers) expect(JSON.stringify(answer)).not.toContain(secret);
    expect(JSON.stringify(h.ports.events.published())).not.toContain(secret);
    expect(JSON.stringify(h.ports.notifier.sent())).not.toContain(secret);

    const forReviewers = await unwrap(h.airlock.comments(people.meg, h.ws, id));
    expect(forReviewers.filter((c) => c.text === secret)).toHaveLength(3);
    const forRita = await unwrap(h.airlock.comments(people.rita, h.ws, id));
    expect(forRita.map((c) => c.text)).toEqual(["Please round", "Done"]);
  });

  it("refuses a reviewer-only comment from the requester or a researcher, and changes nothing", async () => {
    const { h, id } = await twoFilesInReview();
    const before = await observable(h, id);
    for (const who of [people.rita, people.otto, people.olga]) {
      const error = await errorOf(
        h.airlock.addComment(who, h.ws, id, { text: "x", visibility: "reviewers" }),
      );
      expect(error.kind).toBe("Forbidden");
    }
    expect(await observable(h, id)).toEqual(before);
  });

  it("takes a comment on a file the request holds, with the turn it belongs to, audited and evented", async () => {
    const { h, id } = await twoFilesInReview();
    const comment = await unwrap(
      h.airlock.addComment(people.olga, h.ws, id, {
        text: "See table",
        file: "table.csv",
        visibility: "everyone",
      }),
    );
    expect(comment).toMatchObject({
      file: "table.csv",
      turn: 1,
      author: { id: "olga" },
      visibility: "everyone",
    });
    expect(
      await errorOf(
        h.airlock.addComment(people.olga, h.ws, id, { text: "x", file: "nope", visibility: "everyone" }),
      ),
    ).toMatchObject({ kind: "NotFound" });
    const event = h.ports.events.published().find((e) => e.type === EVENT_TYPES.commentAdded);
    expect(event?.data).toMatchObject({ commentId: comment.id, file: "table.csv", visibility: "everyone" });
    const trail = await unwrap(h.ports.audit.listAll(id));
    expect(trail.filter((entry) => entry.action === "comment").map((entry) => entry.outcome)).toEqual([
      "allowed",
      "denied",
    ]);
  });

  it("refuses a comment on a request that no longer takes them", async () => {
    const { h, id } = await twoFilesInReview();
    await unwrap(h.airlock.review(people.mo, h.ws, id, { approval: false, decisionExplanation: "no" }));
    await h.airlock.processor.idle();
    const error = await errorOf(
      h.airlock.addComment(people.rita, h.ws, id, { text: "x", visibility: "everyone" }),
    );
    expect(error.kind).toBe("IllegalTransition");
  });
});

describe("independent review", () => {
  it("hides other reviewers' current-turn votes and reviewer-only comments until a reviewer voted on every file", async () => {
    const { h, id } = await twoFilesInReview({ requiredApprovals: 2, independentReview: true });
    await unwrap(
      h.airlock.vote(people.mo, h.ws, id, "table.csv", { vote: "request_changes", comment: "mo's view" }),
    );
    await unwrap(h.airlock.addComment(people.mo, h.ws, id, { text: "for everyone", visibility: "everyone" }));

    const megFirst = await unwrap(h.airlock.get(people.meg, h.ws, id));
    expect(megFirst.airlockRequest.votes).toEqual([]);
    expect((await unwrap(h.airlock.comments(people.meg, h.ws, id))).map((c) => c.text)).toEqual([
      "for everyone",
    ]);

    await unwrap(h.airlock.vote(people.meg, h.ws, id, "table.csv", { vote: "approve" }));
    const megHalf = await unwrap(h.airlock.get(people.meg, h.ws, id));
    expect(megHalf.airlockRequest.votes.map((v) => v.reviewer.id)).toEqual(["meg"]);

    await unwrap(h.airlock.vote(people.meg, h.ws, id, "figure.png", { vote: "approve" }));
    const megDone = await unwrap(h.airlock.get(people.meg, h.ws, id));
    expect(megDone.airlockRequest.votes.map((v) => v.reviewer.id).sort()).toEqual(["meg", "meg", "mo"]);
    expect((await unwrap(h.airlock.comments(people.meg, h.ws, id))).map((c) => c.text)).toEqual([
      "mo's view",
      "for everyone",
    ]);
  });

  it("shows reviewers each other's votes at once without it", async () => {
    const { h, id } = await twoFilesInReview({ requiredApprovals: 2 });
    await unwrap(h.airlock.vote(people.mo, h.ws, id, "table.csv", { vote: "approve" }));
    const meg = await unwrap(h.airlock.get(people.meg, h.ws, id));
    expect(meg.airlockRequest.votes.map((v) => v.reviewer.id)).toEqual(["mo"]);
  });
});

describe("file context", () => {
  it("is required at submit with requireFileContext: refused naming the files, then accepted once given", async () => {
    const h = makeHarness({ maxFiles: 5, requireFileContext: true });
    const { airlockRequest: draft } = await unwrap(
      h.airlock.create(people.rita, h.ws, {
        type: "export",
        title: "Outputs",
        businessJustification: "Paper",
      }),
    );
    await unwrap(h.airlock.upload(draft.id, "table.csv", chunks("1")));
    await unwrap(h.airlock.upload(draft.id, "figure.png", chunks("2")));
    await unwrap(
      h.airlock.setFileContext(people.rita, h.ws, draft.id, "table.csv", { description: "Counts" }),
    );
    const before = await observable(h, draft.id);
    const refused = await errorOf(h.airlock.submit(people.rita, h.ws, draft.id));
    expect(refused.kind).toBe("PolicyViolation");
    expect(refused.message).toContain("table.csv");
    expect(refused.message).toContain("figure.png");
    expect(await observable(h, draft.id)).toEqual(before);

    await unwrap(
      h.airlock.setFileContext(people.rita, h.ws, draft.id, "table.csv", { controls: "Rounded to 5" }),
    );
    await unwrap(
      h.airlock.setFileContext(people.rita, h.ws, draft.id, "figure.png", {
        description: "Plot",
        controls: "None",
      }),
    );
    const submitted = await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    expect(submitted.airlockRequest.files).toEqual([
      expect.objectContaining({ name: "figure.png", description: "Plot", controls: "None", state: "active" }),
      expect.objectContaining({ name: "table.csv", description: "Counts", controls: "Rounded to 5" }),
    ]);
  });

  it("is the requester's alone to set, in draft or changes_requested, on a file the request holds", async () => {
    const { h, id } = await twoFilesInReview();
    const body = { description: "d" };
    expect(await errorOf(h.airlock.setFileContext(people.rita, h.ws, id, "table.csv", body))).toMatchObject({
      kind: "IllegalTransition",
    });
    await returned(h, id);
    expect(await errorOf(h.airlock.setFileContext(people.otto, h.ws, id, "table.csv", body))).toMatchObject({
      kind: "Forbidden",
    });
    expect(await errorOf(h.airlock.setFileContext(people.rita, h.ws, id, "nope.csv", body))).toMatchObject({
      kind: "NotFound",
    });
    expect(await errorOf(h.airlock.setFileContext(people.rita, h.ws, id, "table.csv", {}))).toMatchObject({
      kind: "InvalidInput",
    });
    const set = await unwrap(h.airlock.setFileContext(people.rita, h.ws, id, "table.csv", body));
    expect(set.airlockRequest.files.find((f) => f.name === "table.csv")?.description).toBe("d");
    expect(h.ports.events.published().filter((e) => e.type === EVENT_TYPES.fileContextSet)).toHaveLength(1);
  });
});

describe("withdrawing a file", () => {
  it("is the requester's alone, in draft or changes_requested; its bytes leave the draft stage", async () => {
    const { h, id } = await twoFilesInReview();
    expect(await errorOf(h.airlock.withdrawFile(people.rita, h.ws, id, "table.csv"))).toMatchObject({
      kind: "IllegalTransition",
    });
    await returned(h, id);
    expect(await errorOf(h.airlock.withdrawFile(people.olga, h.ws, id, "table.csv"))).toMatchObject({
      kind: "Forbidden",
    });
    const view = await unwrap(h.airlock.withdrawFile(people.rita, h.ws, id, "table.csv"));
    expect(view.airlockRequest.files.map((f) => [f.name, f.state])).toEqual([
      ["figure.png", "active"],
      ["table.csv", "withdrawn"],
    ]);
    expect(await namesIn(h, view.airlockRequest, "draft")).toEqual(["figure.png"]);
    expect(h.ports.events.published().filter((e) => e.type === EVENT_TYPES.fileWithdrawn)).toHaveLength(1);
  });
});

describe("requests stored before review cycles", () => {
  /** A request as stored before files had states, reviews had turns and the review fields existed. */
  const oldDocument = () => {
    const {
      turn: _turn,
      votes: _votes,
      comments: _comments,
      fileDecisions: _decisions,
      fileContext: _context,
      previousFiles: _previous,
      ...rest
    } = sampleRequest({ status: "in_review", dataStage: "in_progress" });
    return {
      ...rest,
      etag: "1",
      files: [{ name: "old.csv", size: 3, sha256: "a".repeat(64) }],
      reviews: [
        {
          id: "r1",
          reviewer: sampleUser(),
          reviewDecision: "approved",
          decisionExplanation: "ok",
          dateCreated: SAMPLE_EPOCH_SECONDS,
        },
      ],
    };
  };
  const defaults = {
    turn: 0,
    votes: [],
    comments: [],
    fileDecisions: [],
    fileContext: [],
    previousFiles: [],
    files: [{ name: "old.csv", size: 3, sha256: "a".repeat(64), state: "active" }],
  };

  it("parse with the defaults of the new fields", () => {
    const parsed = AirlockRequestSchema.parse(oldDocument());
    expect(parsed).toMatchObject(defaults);
    expect(parsed.reviews[0]?.turn).toBe(0);
  });

  it("read through storedRequest as the schema parses them", () => {
    const document = oldDocument();
    expect(storedRequest(document)).toEqual(AirlockRequestSchema.parse(document));
  });
});
