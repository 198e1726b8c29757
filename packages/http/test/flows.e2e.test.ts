import { EICAR } from "@airlock/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  act,
  createRequest,
  expectProblem,
  getBlob,
  getRequest,
  linkOf,
  type People,
  peopleOf,
  putBlob,
  type RequestBody,
  requestInReview,
  requestsUrl,
} from "./support/flow.js";
import { call, startTestServer, type TestServer, workspace } from "./support/server.js";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

/** A server whose workspace `ws1` is registered through the API, as an operator would. */
const withRegisteredWorkspace = async (policy: Record<string, unknown> = {}): Promise<People> => {
  server = await startTestServer();
  const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
  const registered = await call(`${server.url}/api/workspaces/ws1`, {
    method: "PUT",
    token: admin,
    json: {
      displayName: "Workspace one",
      airlock: { maxFileSize: 1024 * 1024, ...policy },
      members: workspace("ws1").members,
    },
  });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  return peopleOf(server, "ws1");
};

describe("an import through the HTTP API", () => {
  it("goes from draft to approved, and the approved file can be downloaded by the workspace", async () => {
    const people = await withRegisteredWorkspace();
    const id = await createRequest(server, "ws1", people.alice, "import");

    const draftLink = await linkOf(server, "ws1", id, people.alice);
    expect(draftLink).toMatch(new RegExp(`^${server.url}/blob/${id}\\?`));
    const content = "patient,score\n1,42\n";
    expect((await putBlob(draftLink, "scores.csv", content)).status).toBe(201);

    const submitted = await act(server, "ws1", id, "submit", people.alice);
    expect(submitted.status).toBe(200);
    expect(submitted.body.airlockRequest.status).toBe("submitted");
    await server.idle();

    const inReview = await getRequest(server, "ws1", id, people.bob);
    expect(inReview.body.airlockRequest.status).toBe("in_review");
    expect(inReview.body.allowedUserActions).toContain("review");

    const reviewed = await act(server, "ws1", id, "review", people.bob, {
      approval: true,
      decisionExplanation: "Aggregated, no identifiers",
    });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    await server.idle();

    const approved = await getRequest(server, "ws1", id, people.rita);
    expect(approved.body.airlockRequest.status).toBe("approved");
    expect(approved.body.airlockRequest.files).toEqual([
      expect.objectContaining({ name: "scores.csv", size: Buffer.byteLength(content) }),
    ]);
    // The engine's bookkeeping stays inside: the audit outbox, the write counter, scan and upload progress.
    for (const answer of [submitted, inReview, reviewed, approved]) {
      for (const internal of ["pendingAudit", "revision", "cleanFiles", "scanRequestedWhen", "draftFiles"]) {
        expect(answer.body.airlockRequest).not.toHaveProperty(internal);
      }
    }
    expect(approved.body.airlockRequest).toMatchObject({ etag: expect.any(String), dataStage: "approved" });

    // Inside the workspace, any researcher may take the imported data.
    const download = await getBlob(await linkOf(server, "ws1", id, people.rita), "scores.csv");
    expect(download.status).toBe(200);
    expect(download.bytes.toString()).toBe(content);
  });
});

describe("an export through the HTTP API", () => {
  it("is approved by a manager and downloaded by its requester only", async () => {
    const people = await withRegisteredWorkspace();
    const id = await requestInReview(server, "ws1", people, { type: "export", content: "summary\n" });
    expect((await getRequest(server, "ws1", id, people.alice)).body.airlockRequest.status).toBe("in_review");

    // The reviewer reads the data through a read-only link before deciding.
    const reviewLink = await linkOf(server, "ws1", id, people.bob);
    expect((await getBlob(reviewLink, "data.csv")).bytes.toString()).toBe("summary\n");

    expect(
      (await act(server, "ws1", id, "review", people.bob, { approval: true, decisionExplanation: "fine" }))
        .status,
    ).toBe(200);
    await server.idle();

    const download = await getBlob(await linkOf(server, "ws1", id, people.alice), "data.csv");
    expect(download.bytes.toString()).toBe("summary\n");
    expectProblem(
      await call(`${requestsUrl(server, "ws1")}/${id}/link`, { token: people.rita }),
      403,
      "Forbidden",
    );
  });
});

describe("the outcomes of a request", () => {
  it("a file holding the EICAR signature ends blocked_by_scan", async () => {
    const people = await withRegisteredWorkspace();
    const id = await requestInReview(server, "ws1", people, { content: EICAR });
    const blocked = await getRequest(server, "ws1", id, people.alice);
    expect(blocked.body.airlockRequest.status).toBe("blocked_by_scan");
    expect(blocked.body.airlockRequest.statusMessage).toBeTruthy();
  });

  it("a rejection ends rejected and leaves no link", async () => {
    const people = await withRegisteredWorkspace();
    const id = await requestInReview(server, "ws1", people);
    const rejected = await act(server, "ws1", id, "review", people.bob, {
      approval: false,
      decisionExplanation: "Identifiable",
    });
    expect(rejected.status).toBe(200);
    await server.idle();
    expect((await getRequest(server, "ws1", id, people.alice)).body.airlockRequest.status).toBe("rejected");
    expectProblem(
      await call(`${requestsUrl(server, "ws1")}/${id}/link`, { token: people.alice }),
      400,
      "NoLink",
    );
  });

  it("the requester cancels a draft", async () => {
    const people = await withRegisteredWorkspace();
    const id = await createRequest(server, "ws1", people.alice);
    const cancelled = await act(server, "ws1", id, "cancel", people.alice);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.airlockRequest.status).toBe("cancelled");
    expect(cancelled.body.allowedUserActions).toEqual([]);
  });

  it("a revoked request refuses the links issued before the revocation", async () => {
    const people = await withRegisteredWorkspace();
    const id = await requestInReview(server, "ws1", people);
    await act(server, "ws1", id, "review", people.bob, { approval: true, decisionExplanation: "ok" });
    await server.idle();
    const issued = await linkOf(server, "ws1", id, people.alice);
    expect((await getBlob(issued, "data.csv")).status).toBe(200);

    const revoked = await act(server, "ws1", id, "revoke", people.bob, { reason: "Consent withdrawn" });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body.airlockRequest.status).toBe("revoked");
    await server.idle();

    expect((await getBlob(issued, "data.csv")).status).toBe(403);
    expectProblem(
      await call(`${requestsUrl(server, "ws1")}/${id}/link`, { token: people.alice }),
      400,
      "NoLink",
    );
  });

  it("the requester cannot review their own request, even holding the manager role", async () => {
    const people = await withRegisteredWorkspace();
    const both = await server.token({
      user: "alice",
      roles: ["WorkspaceResearcher", "AirlockManager"],
      workspace: "ws1",
    });
    const id = await requestInReview(server, "ws1", { ...people, alice: both });
    const own = await act(server, "ws1", id, "review", both, { approval: true, decisionExplanation: "mine" });
    expectProblem(own, 403, "Forbidden");
    expect((await getRequest(server, "ws1", id, people.bob)).body.airlockRequest.status).toBe("in_review");
  });

  it("with two approvals required, the request waits for a second manager", async () => {
    const people = await withRegisteredWorkspace({ requiredApprovals: 2 });
    const id = await requestInReview(server, "ws1", people);

    const first = await act(server, "ws1", id, "review", people.bob, {
      approval: true,
      decisionExplanation: "one",
    });
    expect(first.body.airlockRequest.status).toBe("in_review");
    expectProblem(
      await act(server, "ws1", id, "review", people.bob, { approval: true, decisionExplanation: "again" }),
      403,
      "Forbidden",
    );

    const second = await act(server, "ws1", id, "review", people.mona, {
      approval: true,
      decisionExplanation: "two",
    });
    expect(second.status).toBe(200);
    await server.idle();
    const approved = await getRequest(server, "ws1", id, people.alice);
    expect(approved.body.airlockRequest.status).toBe("approved");
    expect(approved.body.airlockRequest.reviews.map((review) => review.reviewer.id)).toEqual(["bob", "mona"]);
  });

  it("a workspace with the airlock disabled refuses new requests with 405", async () => {
    const people = await withRegisteredWorkspace({ enabled: false });
    const created = await call(requestsUrl(server, "ws1"), {
      method: "POST",
      token: people.alice,
      json: { type: "import", title: "t", businessJustification: "j" },
    });
    expectProblem(created, 405, "AirlockDisabled");
  });
});

describe("listing requests", () => {
  it("pages a workspace's requests and lists a manager's review queue across workspaces", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1"), workspace("ws2")] });
    const people = await peopleOf(server, "ws1");
    for (let i = 0; i < 3; i++) await createRequest(server, "ws1", people.alice);
    const inReview = await requestInReview(server, "ws1", people);

    const first = await call<{ airlockRequests: RequestBody[]; continuation: string | null }>(
      `${requestsUrl(server, "ws1")}?page_size=2&order_by=createdWhen`,
      { token: people.olivia },
    );
    expect(first.status).toBe(200);
    expect(first.body.airlockRequests).toHaveLength(2);
    expect(first.body.continuation).toEqual(expect.any(String));
    const rest = await call<{ airlockRequests: RequestBody[]; continuation: string | null }>(
      `${requestsUrl(server, "ws1")}?page_size=2&order_by=createdWhen&continuation=${encodeURIComponent(first.body.continuation ?? "")}`,
      { token: people.olivia },
    );
    expect(rest.body.airlockRequests).toHaveLength(2);
    expect(rest.body.continuation).toBeNull();

    const bobApi = await server.token({ user: "bob", roles: ["TREUser"] });
    const queue = await call<{ airlockRequests: RequestBody[] }>(
      `${server.url}/api/requests?airlock_manager=true`,
      {
        token: bobApi,
      },
    );
    expect(queue.status).toBe(200);
    expect(queue.body.airlockRequests.map((view) => view.airlockRequest.id)).toEqual([inReview]);

    const aliceApi = await server.token({ user: "alice", roles: ["TREUser"] });
    const own = await call<{ airlockRequests: RequestBody[] }>(`${server.url}/api/requests`, {
      token: aliceApi,
    });
    expect(own.body.airlockRequests).toHaveLength(4);
  });

  it("refuses a page size out of range with 422", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const people = await peopleOf(server, "ws1");
    const answer = await call(`${requestsUrl(server, "ws1")}?page_size=101`, { token: people.alice });
    expectProblem(answer, 422, "InvalidInput");
    expect(answer.body.errors).toEqual([expect.objectContaining({ path: "page_size" })]);
  });
});

describe("the audit trail", () => {
  it("records each step and verifies its chain", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const people = await peopleOf(server, "ws1");
    const id = await requestInReview(server, "ws1", people);
    const trail = await call<{ entries: { action: string }[]; continuation: string | null }>(
      `${requestsUrl(server, "ws1")}/${id}/audit`,
      { token: people.olivia },
    );
    expect(trail.status).toBe(200);
    const verification = await call<{ ok: boolean }>(
      `${requestsUrl(server, "ws1")}/${id}/audit/verification`,
      {
        token: people.olivia,
      },
    );
    expect(verification.body.ok).toBe(true);
    expect(trail.body.entries.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(["create", "submit"]),
    );
  });
});
