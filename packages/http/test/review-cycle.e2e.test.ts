import { afterEach, describe, expect, it } from "vitest";
import {
  act,
  createRequest,
  expectProblem,
  getBlob,
  linkOf,
  peopleOf,
  putBlob,
  requestsUrl,
} from "./support/flow.js";
import { rawCall } from "./support/raw.js";
import { type ApiAnswer, call, startTestServer, type TestServer, workspace } from "./support/server.js";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

const WS = "ws1";

interface Comment {
  readonly id: string;
  readonly text: string;
  readonly visibility: string;
  readonly file?: string;
  readonly turn: number;
}
interface ReviewedRequest {
  readonly airlockRequest: {
    readonly status: string;
    readonly turn: number;
    readonly files: readonly { name: string; sha256: string; state: string; description?: string }[];
    readonly votes: readonly { reviewer: { id: string }; file: string; vote: string; turn: number }[];
    readonly comments: readonly Comment[];
    readonly fileDecisions: readonly { file: string; turn: number; decision: string }[];
  };
  readonly allowedUserActions: readonly string[];
}

/** An export of two files, with two independent reviewers required (registered through the API). */
const startReviewWorld = async () => {
  server = await startTestServer();
  const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
  const registered = await call(`${server.url}/api/workspaces/${WS}`, {
    method: "PUT",
    token: admin,
    json: {
      displayName: "Workspace one",
      airlock: { maxFiles: 2, requiredApprovals: 2, independentReview: true, maxFileSize: 1024 * 1024 },
      members: workspace(WS).members,
    },
  });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  return peopleOf(server, WS);
};

describe("a review cycle through the HTTP API", () => {
  it("returns a two-file export once, then releases only the replaced file after two independent approvals", async () => {
    const people = await startReviewWorld();
    const base = requestsUrl(server, WS);
    const SECRET = "Reviewers only: cell (3, 4) is a count of 2";
    const FOR_REQUESTER = "Please round the counts in tables.csv to the nearest 10";

    // Every answer alice (the requester) receives, to check none of them holds the reviewers' note.
    const aliceSaw: string[] = [];
    const asAlice = async <T>(url: string, init: Parameters<typeof call>[1] = {}): Promise<ApiAnswer<T>> => {
      const answer = await call<T>(url, { ...init, token: people.alice });
      aliceSaw.push(JSON.stringify(answer.body));
      return answer;
    };
    const ok = <T>(answer: ApiAnswer<T>, status = 200): T => {
      expect(answer.status, JSON.stringify(answer.body)).toBe(status);
      return answer.body;
    };

    // Alice drafts the export with two files, each with its context for the checkers.
    const id = await createRequest(server, WS, people.alice, "export");
    const draftLink = await linkOf(server, WS, id, people.alice);
    ok(await putBlob(draftLink, "tables.csv", "area,count\nA,3\nB,17\n"), 201);
    ok(await putBlob(draftLink, "notes.txt", "method notes\n"), 201);
    const described = ok(
      await asAlice<ReviewedRequest>(`${base}/${id}/files/tables.csv`, {
        method: "PATCH",
        json: { description: "Counts per area", controls: "none yet" },
      }),
    );
    expect(described.airlockRequest.status).toBe("draft");
    expect(described.allowedUserActions).toEqual(expect.arrayContaining(["submit", "withdraw", "comment"]));
    ok(await act(server, WS, id, "submit", people.alice));
    await server.idle();

    // Bob votes on one file: under independent review he does not see Mona's votes yet.
    const bobOnTables = ok(
      await call<ReviewedRequest>(`${base}/${id}/files/tables.csv/vote`, {
        method: "PUT",
        token: people.bob,
        json: { vote: "approve" },
      }),
    );
    expect(bobOnTables.airlockRequest.status).toBe("in_review");
    expect(bobOnTables.allowedUserActions).toEqual(expect.arrayContaining(["vote", "return", "comment"]));
    ok(
      await call(`${base}/${id}/files/tables.csv/vote`, {
        method: "PUT",
        token: people.mona,
        json: { vote: "request_changes", comment: "Small counts" },
      }),
    );
    const bobBeforeAll = ok(await call<ReviewedRequest>(`${base}/${id}`, { token: people.bob }));
    expect(bobBeforeAll.airlockRequest.votes.map((v) => v.reviewer.id)).toEqual(["bob"]);
    expect(bobBeforeAll.airlockRequest.comments).toEqual([]);
    // Once he has voted on every file, he sees Mona's vote and her note.
    const bobAfterAll = ok(
      await call<ReviewedRequest>(`${base}/${id}/files/notes.txt/vote`, {
        method: "PUT",
        token: people.bob,
        json: { vote: "approve" },
      }),
    );
    expect(bobAfterAll.airlockRequest.votes.map((v) => v.reviewer.id).sort()).toEqual(["bob", "bob", "mona"]);
    expect(bobAfterAll.airlockRequest.comments.map((c) => c.text)).toEqual(["Small counts"]);
    // The requester sees no vote of a turn under review.
    const aliceInReview = ok(await asAlice<ReviewedRequest>(`${base}/${id}`));
    expect(aliceInReview.airlockRequest.votes).toEqual([]);
    expect(aliceInReview.airlockRequest.comments).toEqual([]);

    // Mona returns it: one comment for the requester, one for the reviewers only.
    const returned = ok(
      await call<ReviewedRequest>(`${base}/${id}/return`, {
        method: "POST",
        token: people.mona,
        json: {
          comments: [
            { text: FOR_REQUESTER, file: "tables.csv" },
            { text: SECRET, visibility: "reviewers" },
          ],
        },
      }),
    );
    expect(returned.airlockRequest.status).toBe("returning_in_progress");
    expect(returned.airlockRequest.comments.map((c) => c.text)).toEqual(
      expect.arrayContaining([FOR_REQUESTER, SECRET]),
    );
    await server.idle();

    const aliceReturned = ok(await asAlice<ReviewedRequest>(`${base}/${id}`));
    expect(aliceReturned.airlockRequest.status).toBe("changes_requested");
    expect(aliceReturned.airlockRequest.comments.map((c) => c.text)).toEqual([FOR_REQUESTER]);
    expect(aliceReturned.airlockRequest.fileDecisions).toEqual(
      expect.arrayContaining([
        { file: "tables.csv", turn: 1, decision: "changes_requested" },
        { file: "notes.txt", turn: 1, decision: "undecided" },
      ]),
    );
    expect(aliceReturned.allowedUserActions).toEqual(expect.arrayContaining(["submit", "withdraw"]));
    // Every field of the review cycle is in the answer, the engine's bookkeeping is not.
    for (const field of ["turn", "votes", "comments", "fileDecisions", "fileContext", "previousFiles"]) {
      expect(aliceReturned.airlockRequest).toHaveProperty(field);
    }
    for (const internal of ["pendingAudit", "revision", "cleanFiles", "scanRequestedWhen", "draftFiles"]) {
      expect(aliceReturned.airlockRequest).not.toHaveProperty(internal);
    }
    // Lists show the request as the request's own answer does.
    ok(await asAlice(base));
    const aliceAcrossWorkspaces = await call(`${server.url}/api/requests`, {
      token: await server.token({ user: "alice", roles: ["TREUser"] }),
    });
    aliceSaw.push(JSON.stringify(ok(aliceAcrossWorkspaces)));
    expect(JSON.stringify(aliceAcrossWorkspaces.body)).toContain(FOR_REQUESTER);
    const aliceComments = ok(await asAlice<{ comments: Comment[] }>(`${base}/${id}/comments`));
    expect(aliceComments.comments.map((c) => c.text)).toEqual([FOR_REQUESTER]);
    // A reviewer reads both comments through the same route.
    const bobComments = ok(
      await call<{ comments: Comment[] }>(`${base}/${id}/comments`, { token: people.bob }),
    );
    expect(bobComments.comments.map((c) => c.text)).toEqual(["Small counts", FOR_REQUESTER, SECRET]);
    // Alice answers for everyone; a reviewers-only comment is not hers to write.
    const reply = ok(
      await asAlice<Comment>(`${base}/${id}/comments`, {
        method: "POST",
        json: { text: "Rounded to 10 as asked", file: "tables.csv", visibility: "everyone" },
      }),
      201,
    );
    expect(reply).toMatchObject({ visibility: "everyone", file: "tables.csv", turn: 2 });
    expectProblem(
      await asAlice(`${base}/${id}/comments`, {
        method: "POST",
        json: { text: "psst", visibility: "reviewers" },
      }),
      403,
      "Forbidden",
    );

    // She replaces one file through the draft link again, withdraws the other, and resubmits.
    const rounded = "area,count\nA,0\nB,20\n";
    ok(await putBlob(await linkOf(server, WS, id, people.alice), "tables.csv", rounded), 201);
    ok(
      await asAlice(`${base}/${id}/files/tables.csv`, {
        method: "PATCH",
        json: { controls: "counts rounded to the nearest 10" },
      }),
    );
    const withdrawn = ok(
      await asAlice<ReviewedRequest>(`${base}/${id}/files/notes.txt/withdraw`, { method: "POST" }),
    );
    expect(withdrawn.airlockRequest.files.find((f) => f.name === "notes.txt")?.state).toBe("withdrawn");
    ok(await act(server, WS, id, "submit", people.alice));
    await server.idle();

    const aliceChanges = ok(await asAlice<{ turn: number; files: unknown[] }>(`${base}/${id}/changes`));
    expect(aliceChanges).toEqual({
      turn: 3,
      files: expect.arrayContaining([
        { file: "tables.csv", change: "changed" },
        { file: "notes.txt", change: "withdrawn" },
      ]),
    });
    expect(aliceChanges.files).toHaveLength(2);

    // Both reviewers approve the one active file; the second approval approves the request.
    const voteOnTables = (token: string) =>
      call<ReviewedRequest>(`${base}/${id}/files/tables.csv/vote`, {
        method: "PUT",
        token,
        json: { vote: "approve" },
      });
    expectProblem(
      await call(`${base}/${id}/files/notes.txt/vote`, {
        method: "PUT",
        token: people.bob,
        json: { vote: "approve" },
      }),
      400,
      "IllegalTransition",
    );
    expect(ok(await voteOnTables(people.bob)).airlockRequest.status).toBe("in_review");
    expect(ok(await voteOnTables(people.mona)).airlockRequest.status).toBe("approval_in_progress");
    await server.idle();

    const approved = ok(await asAlice<ReviewedRequest>(`${base}/${id}`));
    expect(approved.airlockRequest.status).toBe("approved");
    expect(approved.airlockRequest.files.map((f) => [f.name, f.state])).toEqual(
      expect.arrayContaining([
        ["tables.csv", "active"],
        ["notes.txt", "withdrawn"],
      ]),
    );
    // Once the turn is over, the requester sees the votes that decided it.
    expect(approved.airlockRequest.votes.filter((v) => v.turn === 3)).toHaveLength(2);
    ok(await asAlice(`${base}/${id}/comments`));
    ok(await asAlice(`${base}/${id}/changes`));

    // The approved export holds the replaced file only, with its new bytes.
    const approvedLink = await linkOf(server, WS, id, people.alice);
    const listing = await fetch(`${approvedLink}&restype=container&comp=list`).then((r) => r.text());
    expect([...listing.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1])).toEqual(["tables.csv"]);
    expect((await getBlob(approvedLink, "tables.csv")).bytes.toString()).toBe(rounded);
    expect((await getBlob(approvedLink, "notes.txt")).status).toBe(404);

    // Not one answer the requester received held the reviewers' note.
    expect(aliceSaw.length).toBeGreaterThan(8);
    for (const seen of aliceSaw) expect(seen).not.toContain(SECRET);
    expect(aliceSaw.join("\n")).not.toContain("Small counts");
  });
});

describe("file names in the review routes' paths", () => {
  it("are percent-decoded and held to the file name rules, as the link routes hold them", async () => {
    const people = await startReviewWorld();
    const id = await createRequest(server, WS, people.alice, "export");
    ok201(await putBlob(await linkOf(server, WS, id, people.alice), "résumé.csv", "a\n"));
    const base = `${requestsUrl(server, WS)}/${id}/files`;
    const path = `/api/workspaces/${WS}/requests/${id}/files`;
    // Percent-encoded, and in another Unicode form (e + combining accent): the same file.
    const decomposed = encodeURIComponent("re\u0301sume\u0301.csv");
    const described = await call<ReviewedRequest>(`${base}/${decomposed}`, {
      method: "PATCH",
      token: people.alice,
      json: { description: "a CV" },
    });
    expect(described.status, JSON.stringify(described.body)).toBe(200);
    for (const bad of ["..", "a%2Fb.csv", "a%5Cb.csv", "%E2%80%AE.csv"]) {
      // Sent as written: fetch would resolve `..` before it leaves.
      const answer = await rawCall(server.url, `${path}/${bad}/withdraw`, {
        method: "POST",
        token: people.alice,
      });
      expectProblem(answer, 422, "InvalidInput");
      expect((answer.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(["name"]);
    }
    const missing = await call(`${base}/other.csv/withdraw`, { method: "POST", token: people.alice });
    expectProblem(missing, 404, "NotFound");
  });
});

const ok201 = (answer: ApiAnswer) => expect(answer.status, JSON.stringify(answer.body)).toBe(201);
