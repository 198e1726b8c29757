import type { AuditEntry } from "@airlock/core";
import { afterEach, describe, expect, it } from "vitest";
import { blobUrl, expectProblem, getBlob, linkOf, peopleOf, putBlob, requestsUrl } from "./support/flow.js";
import { call, startTestServer, type TestServer, workspace } from "./support/server.js";
import { requestInStatus } from "./support/statuses.js";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

const start = async () => {
  server = await startTestServer({ workspaces: [workspace("ws1"), workspace("ws2")] });
  return peopleOf(server, "ws1");
};

const streamOf = async (stream: string): Promise<readonly AuditEntry[]> =>
  (await server.ports.audit.listAll(stream))._unsafeUnwrap();

const listUrl = (containerUrl: string) => `${containerUrl}&restype=container&comp=list`;

describe("a link's holder over HTTP", () => {
  it("the requester's link from a submitted request stops reading once it is in review; the owner's reads on", async () => {
    const people = await start();
    const id = await requestInStatus(server, "ws1", people, "submitted");
    const alices = await linkOf(server, "ws1", id, people.alice);
    const olivias = await linkOf(server, "ws1", id, people.olivia);
    expect(new URL(alices).searchParams.get("hid")).toBe("alice");
    expect((await getBlob(alices, "data.csv")).status).toBe(200);

    (await server.airlock.recordScanResult(id, { verdict: "clean" }))._unsafeUnwrap();
    await server.idle();

    const refused = await call(blobUrl(alices, "data.csv"));
    expectProblem(refused, 403, "Forbidden");
    expectProblem(await call(listUrl(alices)), 403, "Forbidden");
    expect((await getBlob(olivias, "data.csv")).status).toBe(200);
  });

  it("cannot be handed to someone else: a changed holder breaks the signature", async () => {
    const people = await start();
    const id = await requestInStatus(server, "ws1", people, "draft");
    const link = new URL(await linkOf(server, "ws1", id, people.alice));
    link.searchParams.set("hid", "rita");
    expectProblem(await call(blobUrl(link.toString(), "data.csv")), 401, "Unauthorized");
  });
});

describe("calls through a link in the request's audit trail", () => {
  it("records each read, write, listing and delete as the holder's, and refusals too", async () => {
    const people = await start();
    const id = await requestInStatus(server, "ws1", people, "draft");
    const link = await linkOf(server, "ws1", id, people.alice);
    expect((await getBlob(link, "data.csv")).status).toBe(200);
    expect((await call(listUrl(link))).status).toBe(200);
    expect((await fetch(blobUrl(link, "data.csv"), { method: "DELETE" })).status).toBe(202);
    expect((await putBlob(link, "data.csv", "again")).status).toBe(201);

    // A link that grants the call no more: a submitted request's draft link writes nothing.
    const submitted = await call(`${requestsUrl(server, "ws1")}/${id}/submit`, {
      method: "POST",
      token: people.alice,
    });
    expect(submitted.status).toBe(200);
    await server.idle();
    expectProblem(await putBlob(link, "late.csv", "x"), 403, "Forbidden");

    const trail = await call<{ entries: AuditEntry[] }>(`${requestsUrl(server, "ws1")}/${id}/audit`, {
      token: people.olivia,
    });
    const calls = trail.body.entries
      .filter((entry) => entry.action.startsWith("file-"))
      .map(({ action, outcome, actor, reason }) => [action, outcome, actor.id, reason]);
    expect(calls).toEqual([
      ["file-write", "allowed", "alice", '"data.csv" in draft'],
      ["file-read", "allowed", "alice", '"data.csv" in draft'],
      ["file-list", "allowed", "alice", "the file list in draft"],
      ["file-delete", "allowed", "alice", '"data.csv" in draft'],
      ["file-write", "allowed", "alice", '"data.csv" in draft'],
      ["file-write", "denied", "alice", expect.stringMatching(/^Forbidden: .+; "late.csv" in draft$/)],
    ]);
  });

  it("records a correctly signed link that has expired, or does not grant the call, as its holder's refusal", async () => {
    const people = await start();
    const id = await requestInStatus(server, "ws1", people, "approved");
    const link = await linkOf(server, "ws1", id, people.alice);
    expectProblem(await putBlob(link, "x.csv", "x"), 403, "Forbidden");
    server.ports.clock.advance(2 * 3_600_000);
    expectProblem(await call(blobUrl(link, "data.csv")), 401, "Unauthorized");
    const forged = new URL(link);
    forged.searchParams.set("sig", "AAAA");
    expectProblem(await call(blobUrl(forged.toString(), "data.csv")), 401, "Unauthorized");

    const denied = (await streamOf(id)).filter(
      (entry) => entry.action.startsWith("file-") && entry.outcome === "denied",
    );
    expect(denied.map(({ action, actor, reason }) => [action, actor.id, reason])).toEqual([
      ["file-write", "alice", "Forbidden: the link does not grant write access"],
      ["file-read", "alice", "Unauthorized: the link has expired"],
    ]);
  });
});

describe("refusals of known callers over HTTP", () => {
  it("records an expired or misaddressed token in the workspace's stream, and a TRE-wide refusal in the tre stream", async () => {
    const people = await start();
    const expired = await server.token({
      user: "alice",
      roles: ["WorkspaceResearcher"],
      workspace: "ws1",
      ttlSeconds: 60,
    });
    server.ports.clock.advance(3_600_000);
    expectProblem(await call(requestsUrl(server, "ws1"), { token: expired }), 401, "Unauthorized");
    const elsewhere = await server.token({ user: "rita", roles: ["WorkspaceResearcher"], workspace: "ws2" });
    expectProblem(
      await call(`${requestsUrl(server, "ws1")}/some-id`, { token: elsewhere }),
      401,
      "Unauthorized",
    );
    // No signature to trust: nobody to record.
    expectProblem(
      await call(requestsUrl(server, "ws1"), { token: `${people.alice.slice(0, -4)}AAAA` }),
      401,
      "Unauthorized",
    );

    const noAdmin = await server.token({ user: "rita", roles: [] });
    expectProblem(await call(`${server.url}/api/workspaces/ws1`, { token: noAdmin }), 403, "Forbidden");

    expect(
      (await streamOf("workspace:ws1")).map(({ actor, action, reason }) => [actor.id, action, reason]),
    ).toEqual([
      ["alice", "authenticate", "Unauthorized: the token has expired (GET /api/workspaces/:ws/requests)"],
      [
        "rita",
        "authenticate",
        'Unauthorized: the token\'s audience is not this workspace (GET /api/workspaces/:ws/requests/:id, request "some-id")',
      ],
    ]);
    expect(
      (await streamOf("tre")).map(({ actor, action, workspaceId, reason }) => [
        actor.id,
        action,
        workspaceId,
        reason,
      ]),
    ).toEqual([
      [
        "rita",
        "authorize",
        "",
        expect.stringMatching(/^Forbidden: this needs the TREAdmin role \(GET \/api\/workspaces\/:ws\)$/),
      ],
    ]);
  });

  it("records a cross-workspace address in both streams, answering as for any absent id", async () => {
    const people = await start();
    const others = await peopleOf(server, "ws2");
    const id = await requestInStatus(server, "ws2", others, "draft");
    const answer = await call(`${requestsUrl(server, "ws1")}/${id}`, { token: people.olivia });
    expectProblem(answer, 404, "NotFound");
    expect(JSON.stringify(answer.body)).not.toContain("ws2");

    expect((await streamOf("workspace:ws1")).at(-1)).toMatchObject({
      actor: { id: "olivia" },
      action: "get",
      requestId: null,
      reason: `NotFound: request ${id} not found`,
    });
    expect((await streamOf(id)).at(-1)).toMatchObject({
      actor: { id: "olivia" },
      action: "get",
      outcome: "denied",
      reason: 'NotFound: addressed under workspace "ws1", where the request is not',
    });
  });
});

describe("repeated link asks over HTTP", () => {
  it("answer the same link within the window and leave one audit entry", async () => {
    const people = await start();
    const id = await requestInStatus(server, "ws1", people, "in_review");
    const links = new Set<string>();
    for (let n = 0; n < 20; n += 1) links.add(await linkOf(server, "ws1", id, people.bob));
    expect(links.size).toBe(1);
    expect(
      (await streamOf(id)).filter((entry) => entry.action === "link" && entry.actor.id === "bob"),
    ).toHaveLength(1);
  });
});
