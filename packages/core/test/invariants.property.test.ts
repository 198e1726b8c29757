import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IN_PROGRESS_STATUSES } from "../src/index.js";
import { containerOf } from "../src/service/lookup.js";
import { chunks, EICAR, type Harness, makeHarness, observable, people } from "./support/harness.js";

type Person = keyof typeof people;
const reviewers: Person[] = ["mo", "meg", "rita"];

/** One thing a user, the scanner or the infrastructure can do; `slot` picks one of the requests made so far. */
type Command =
  | { kind: "create"; type: "import" | "export" }
  | { kind: "upload"; slot: number; infected: boolean; name: string }
  | { kind: "submit"; slot: number; by: Person }
  | { kind: "verdict"; slot: number; clean: boolean }
  | { kind: "review"; slot: number; by: Person; approve: boolean }
  | { kind: "concurrentReviews"; slot: number }
  | { kind: "cancel"; slot: number; by: Person }
  | { kind: "revoke"; slot: number; by: Person }
  | { kind: "vote"; slot: number; by: Person; file: string; approve: boolean }
  | { kind: "return"; slot: number; by: Person; withSecret: boolean }
  | { kind: "comment"; slot: number; by: Person; forReviewers: boolean }
  | { kind: "withdraw"; slot: number; by: Person; file: string }
  | { kind: "process"; slot: number }
  | { kind: "crash"; slot: number; method: "move" | "update" | "append" };

const person = fc.constantFrom<Person>("rita", "otto", "olga", "mo", "meg", "ada");
const slot = fc.nat({ max: 3 });
const fileName = fc.constantFrom("a.csv", "b.csv", "ok.txt");
/** Marks the text of every reviewer-only comment, so any place it reaches can be searched for it. */
const SECRET = "reviewers-only-remark";
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant("create" as const),
    type: fc.constantFrom("import" as const, "export" as const),
  }),
  // Weighted so that sequences often reach review with several files, where votes decide.
  {
    arbitrary: fc.record({
      kind: fc.constant("upload" as const),
      slot,
      infected: fc.boolean(),
      name: fc.constantFrom("a.csv", "b.csv", "../escape", "ok.txt"),
    }),
    weight: 3,
  },
  {
    // Mostly the requester, who may submit.
    arbitrary: fc.record({
      kind: fc.constant("submit" as const),
      slot,
      by: fc.constantFrom<Person>("rita", "rita", "otto"),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant("verdict" as const), slot, clean: fc.boolean() }), weight: 2 },
  fc.record({
    kind: fc.constant("review" as const),
    slot,
    by: fc.constantFrom(...reviewers),
    approve: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("concurrentReviews" as const), slot }),
  fc.record({ kind: fc.constant("cancel" as const), slot, by: person }),
  fc.record({ kind: fc.constant("revoke" as const), slot, by: person }),
  fc.record({ kind: fc.constant("process" as const), slot }),
  {
    arbitrary: fc.record({
      kind: fc.constant("vote" as const),
      slot,
      by: fc.constantFrom(...reviewers),
      file: fileName,
      approve: fc.boolean(),
    }),
    weight: 4,
  },
  fc.record({ kind: fc.constant("return" as const), slot, by: person, withSecret: fc.boolean() }),
  fc.record({ kind: fc.constant("comment" as const), slot, by: person, forReviewers: fc.boolean() }),
  fc.record({ kind: fc.constant("withdraw" as const), slot, by: person, file: fileName }),
  fc.record({
    kind: fc.constant("crash" as const),
    slot,
    method: fc.constantFrom("move" as const, "update" as const),
  }),
);

const ritaAsManager = { ...people.rita, roles: ["WorkspaceResearcher" as const, "AirlockManager" as const] };
const actor = (p: Person) => (p === "rita" ? ritaAsManager : people[p]);

const run = async (h: Harness, ids: string[], cmd: Command) => {
  const id = ids.length > 0 ? ids[("slot" in cmd ? cmd.slot : 0) % ids.length] : undefined;
  if (cmd.kind === "create") {
    const created = await h.airlock.create(people.rita, h.ws, {
      type: cmd.type,
      title: "Prop",
      businessJustification: "p",
    });
    if (created.isOk()) ids.push(created.value.airlockRequest.id);
    return null;
  }
  if (!id) return null;
  const before = await observable(h, id);
  let result: { isErr(): boolean; error?: unknown } | null = null;
  switch (cmd.kind) {
    case "upload":
      result = await h.airlock.upload(id, cmd.name, chunks(cmd.infected ? EICAR : "clean data"));
      break;
    case "submit":
      result = await h.airlock.submit(actor(cmd.by), h.ws, id);
      break;
    case "verdict":
      result = await h.airlock.recordScanResult(
        id,
        cmd.clean ? { verdict: "clean" } : { verdict: "threat", detail: "x" },
      );
      break;
    case "review":
      result = await h.airlock.review(actor(cmd.by), h.ws, id, {
        approval: cmd.approve,
        decisionExplanation: "p",
      });
      break;
    case "concurrentReviews": {
      const results = await Promise.all([
        h.airlock.review(people.mo, h.ws, id, { approval: true, decisionExplanation: "race" }),
        h.airlock.review(people.meg, h.ws, id, { approval: false, decisionExplanation: "race" }),
      ]);
      const winners = results.filter((r) => r.isOk());
      expect(winners.length).toBeLessThanOrEqual(1);
      return null;
    }
    case "cancel":
      result = await h.airlock.cancel(actor(cmd.by), h.ws, id);
      break;
    case "revoke":
      result = await h.airlock.revoke(actor(cmd.by), h.ws, id, { reason: "p" });
      break;
    case "process":
      await h.airlock.processor.process(id);
      return null;
    case "vote":
      result = await h.airlock.vote(actor(cmd.by), h.ws, id, cmd.file, {
        vote: cmd.approve ? "approve" : "request_changes",
        comment: `${SECRET} on a vote`,
      });
      break;
    case "return":
      result = await h.airlock.returnForChanges(actor(cmd.by), h.ws, id, {
        comments: [
          { text: "please change", file: "a.csv" },
          ...(cmd.withSecret ? [{ text: SECRET, visibility: "reviewers" as const }] : []),
        ],
      });
      break;
    case "comment":
      result = await h.airlock.addComment(
        actor(cmd.by),
        h.ws,
        id,
        cmd.forReviewers
          ? { text: SECRET, visibility: "reviewers" }
          : { text: "for all", visibility: "everyone" },
      );
      break;
    case "withdraw":
      result = await h.airlock.withdrawFile(actor(cmd.by), h.ws, id, cmd.file);
      break;
    case "crash":
      // The next step fails half way, as a process killed between two writes would leave it.
      // "append": the request is written but its audit entry is not, as a kill between the two would.
      if (cmd.method === "move") h.ports.storage.failNext("move");
      else if (cmd.method === "update") h.ports.repository.failNext("update");
      else h.ports.audit.failNext("append");
      await h.airlock.processor.process(id);
      h.ports.storage.failNext("move", 0);
      h.ports.repository.failNext("update", 0);
      h.ports.audit.failNext("append", 0);
      return null;
  }
  if (result?.isErr()) {
    // A refused command changes nothing but the audit log's record of the refusal.
    await h.airlock.processor.idle();
    expect(await observable(h, id)).toEqual(before);
  }
  return null;
};

/** A reviewer-only comment never reaches the requester: not in any answer, event or notification. */
const checkRequesterNeverReadsSecrets = async (h: Harness, ids: string[]) => {
  const answers: unknown[] = [await h.airlock.list(people.rita, h.ws, {})];
  for (const id of ids) {
    answers.push(
      await h.airlock.get(ritaAsManager, h.ws, id),
      await h.airlock.comments(ritaAsManager, h.ws, id),
    );
  }
  for (const answer of answers) expect(JSON.stringify(answer)).not.toContain(SECRET);
  expect(JSON.stringify(h.ports.events.published())).not.toContain(SECRET);
  expect(JSON.stringify(h.ports.notifier.sent())).not.toContain(SECRET);
};

const checkInvariants = async (h: Harness, ids: string[], requiredApprovals: number) => {
  await checkRequesterNeverReadsSecrets(h, ids);
  for (const id of ids) {
    const request = (await h.ports.repository.get(id))._unsafeUnwrap();
    const stages = h.ports.storage.stagesHolding(id);

    // After resume nothing is left in progress.
    expect(IN_PROGRESS_STATUSES).not.toContain(request.status);

    // No file reaches an approved stage without requiredApprovals approve votes this turn, from
    // reviewers other than the requester; and no withdrawn file is ever released.
    if (stages.includes("approved")) {
      const released = (await h.ports.storage.listFiles(containerOf(request), "approved"))._unsafeUnwrap();
      expect(released.length).toBeGreaterThan(0);
      for (const file of released) {
        const recorded = request.files.find((f) => f.name === file.name);
        expect(recorded?.state).toBe("active");
        const approvers = new Set(
          request.votes
            .filter((v) => v.turn === request.turn && v.file === file.name && v.vote === "approve")
            .map((v) => v.reviewer.id),
        );
        approvers.delete(request.createdBy.id);
        expect(approvers.size).toBeGreaterThanOrEqual(requiredApprovals);
      }
    }

    // At rest, the data is in exactly the stage the request names (or nowhere, once deleted).
    expect(stages.length).toBeLessThanOrEqual(1);
    if (request.dataStage !== null && request.status !== "draft" && request.files.length > 0) {
      expect(stages).toEqual([request.dataStage]);
    }

    // Every status change has exactly one audit entry, and the chain verifies.
    const entries = (await h.ports.audit.listAll(id))._unsafeUnwrap();
    expect(entries.filter((e) => e.outcome === "transition")).toHaveLength(request.history.length);
    expect((await h.ports.audit.verify(id))._unsafeUnwrap()).toMatchObject({ ok: true });
  }
};

describe("random command sequences keep the airlock's invariants", () => {
  it("holds for sequences of creates, uploads, submits, verdicts, reviews, votes, returns, comments, withdrawals, cancels, revokes and crashes", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Every sequence starts with a request to work on, and is long enough to take it through review.
        fc.array(command, { minLength: 1, maxLength: 40, size: "max" }),
        fc.boolean(),
        fc.integer({ min: 1, max: 2 }),
        fc.boolean(),
        async (commands, scanning, requiredApprovals, independentReview) => {
          const h = makeHarness(
            { scanning, maxFiles: 3, requiredApprovals, independentReview },
            { processing: "manual" },
          );
          const ids: string[] = [];
          await run(h, ids, { kind: "create", type: "export" });
          for (const cmd of commands) await run(h, ids, cmd);
          await h.airlock.processor.idle();
          const summary = await h.airlock.processor.resume();
          expect(summary.isOk()).toBe(true);
          await checkInvariants(h, ids, requiredApprovals);
        },
      ),
      { numRuns: 400 },
    );
    // Hundreds of whole lifecycles: seconds on a busy machine, more than the default allows.
  }, 120_000);
});
