import { type AuditEntry, TRE_STREAM } from "@airlock/core";
import { afterEach, describe, expect, it } from "vitest";
import { expectProblem, type People, peopleOf, requestsUrl } from "./support/flow.js";
import { type ApiAnswer, call, startTestServer, type TestServer, workspace } from "./support/server.js";
import { snapshotState } from "./support/state.js";
import { requestInStatus } from "./support/statuses.js";

interface Page {
  readonly entries: readonly AuditEntry[];
  readonly continuation: string | null;
}

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

const start = async (): Promise<People> => {
  server = await startTestServer({ workspaces: [workspace("ws1"), workspace("ws2")] });
  return peopleOf(server, "ws1");
};

/** A TREAdmin's token for the API's own audience. */
const adminToken = () => server.token({ user: "root", roles: ["TREAdmin"] });

const streamOf = async (stream: string): Promise<readonly AuditEntry[]> =>
  (await server.ports.audit.listAll(stream))._unsafeUnwrap();

/** Every entry of every stream, denials included: what a call that changes nothing leaves alone. */
const everyEntry = async (): Promise<Record<string, readonly AuditEntry[]>> => {
  const names = (await server.ports.audit.streams({ after: null, limit: 1000 }))._unsafeUnwrap().streams;
  const all: Record<string, readonly AuditEntry[]> = {};
  for (const name of names) all[name] = await streamOf(name);
  return all;
};

const trailUrl = (id: string) => `${requestsUrl(server, "ws1")}/${id}/audit`;
const workspaceTrailUrl = (ws: string) => `${server.url}/api/workspaces/${ws}/audit`;
const treTrailUrl = () => `${server.url}/api/audit`;

const withQuery = (url: string, query: Record<string, string>) => {
  const target = new URL(url);
  for (const [name, value] of Object.entries(query)) target.searchParams.set(name, value);
  return target.toString();
};

/** Reads a trail page by page, `pageSize` at a time, until the continuation is null. */
const readAllPages = async (url: string, token: string, pageSize: number): Promise<Page[]> => {
  const pages: Page[] = [];
  let continuation: string | null = null;
  do {
    const query: Record<string, string> = { pageSize: String(pageSize) };
    if (continuation !== null) query.continuation = continuation;
    const answer: ApiAnswer<Page> = await call<Page>(withQuery(url, query), { token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    pages.push(answer.body);
    continuation = answer.body.continuation;
    if (pages.length > 100) throw new Error("the continuation never reached null");
  } while (continuation !== null);
  return pages;
};

/** A few refusals of a TRE-wide route, each recorded in the TRE-wide stream. */
const refuseOnTreRoutes = async (count: number) => {
  const treUser = await server.token({ user: "tess", roles: ["TREUser"] });
  for (let n = 0; n < count; n += 1) {
    expectProblem(await call(`${server.url}/api/workspaces/ws1`, { token: treUser }), 403, "Forbidden");
  }
};

const BAD_QUERIES: readonly Record<string, string>[] = [
  { continuation: "abc" },
  { continuation: "-1" },
  { continuation: "1.5" },
  { continuation: "1234567890123" },
  { continuation: "" },
  { pageSize: "0" },
  { pageSize: "1001" },
  { pageSize: "-5" },
  { pageSize: "2.5" },
  { pageSize: "ten" },
];

describe("a request's audit trail, a page at a time", () => {
  it("gives every entry once, in seq order, page by page until the continuation is null", async () => {
    const people = await start();
    const id = await requestInStatus(server, "ws1", people, "approved");
    const stored = await streamOf(id);
    expect(stored.length).toBeGreaterThan(7);

    const pages = await readAllPages(trailUrl(id), people.olivia, 3);
    expect(pages.length).toBe(Math.ceil(stored.length / 3));
    expect(pages.slice(0, -1).every((page) => page.entries.length === 3)).toBe(true);
    const read = pages.flatMap((page) => page.entries);
    expect(read.map((entry) => entry.seq)).toEqual(stored.map((_, index) => index));
    expect(read).toEqual(stored);
    // Each continuation is where the next page starts.
    expect(pages.slice(0, -1).map((page) => page.continuation)).toEqual(
      pages.slice(1).map((page) => String(page.entries[0]?.seq)),
    );
  });

  it("answers the whole of a short trail in one page by default, and an empty last page past the end", async () => {
    const people = await start();
    const id = await requestInStatus(server, "ws1", people, "in_review");
    const whole = await call<Page>(trailUrl(id), { token: people.bob });
    expect(whole.status).toBe(200);
    expect(whole.body).toEqual({ entries: await streamOf(id), continuation: null });
    const past = await call<Page>(withQuery(trailUrl(id), { continuation: "999999" }), { token: people.bob });
    expect(past.body).toEqual({ entries: [], continuation: null });
  });

  it.each(BAD_QUERIES)("answers %o with 422 InvalidInput and changes nothing", async (query) => {
    const people = await start();
    const id = await requestInStatus(server, "ws1", people, "in_review");
    const admin = await adminToken();
    await refuseOnTreRoutes(1);
    const before = { state: await snapshotState(server), audit: await everyEntry() };
    const calls: readonly [string, string][] = [
      [trailUrl(id), people.olivia],
      [workspaceTrailUrl("ws1"), admin],
      [treTrailUrl(), admin],
    ];
    for (const [url, token] of calls) {
      const answer = await call<{ errors: { path: string }[] }>(withQuery(url, query), { token });
      expectProblem(answer, 422, "InvalidInput");
      expect(answer.body.errors.map((error) => error.path)).toEqual(Object.keys(query));
    }
    expect({ state: await snapshotState(server), audit: await everyEntry() }).toEqual(before);
  });
});

describe("a workspace's own audit trail", () => {
  it("is a TREAdmin's to read, on the API audience, a page at a time", async () => {
    const people = await start();
    const nobody = await server.token({ user: "nemo", roles: [], workspace: "ws1" });
    for (let n = 0; n < 4; n += 1) {
      expectProblem(await call(requestsUrl(server, "ws1"), { token: nobody }), 403, "Forbidden");
    }
    expectProblem(await call(workspaceTrailUrl("ws1"), { token: people.olivia }), 403, "Forbidden");
    const stored = await streamOf("workspace:ws1");
    expect(stored).toHaveLength(5);

    const pages = await readAllPages(workspaceTrailUrl("ws1"), await adminToken(), 2);
    expect(pages.map((page) => page.entries.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((page) => page.entries)).toEqual(stored);
  });

  it("refuses every workspace role with 403, and records each refusal in that workspace's stream", async () => {
    const people = await start();
    const claimsAdmin = await server.token({
      user: "alice",
      roles: ["WorkspaceOwner", "AirlockManager", "TREAdmin"],
      workspace: "ws1",
    });
    const callers = [people.alice, people.bob, people.olivia, claimsAdmin];
    for (const token of callers) {
      expectProblem(await call(workspaceTrailUrl("ws1"), { token }), 403, "Forbidden");
      expectProblem(await call(`${workspaceTrailUrl("ws1")}/verification`, { token }), 403, "Forbidden");
    }
    const recorded = await streamOf("workspace:ws1");
    expect(
      recorded.map(({ actor, action, outcome, requestId }) => [actor.id, action, outcome, requestId]),
    ).toEqual(
      ["alice", "alice", "bob", "bob", "olivia", "olivia", "alice", "alice"].map((user) => [
        user,
        "audit",
        "denied",
        null,
      ]),
    );
    expect(recorded[0]?.reason).toBe(
      "Forbidden: reading the workspace's audit trail needs one of the roles TREAdmin",
    );
    expect(await streamOf("workspace:ws2")).toEqual([]);
  });

  it("answers 401 to a token for another workspace, and to a TREAdmin token without the API audience's", async () => {
    await start();
    const otherWorkspace = await server.token({ user: "rita", roles: ["WorkspaceOwner"], workspace: "ws2" });
    const elsewhere = await server.token({ user: "root", roles: ["TREAdmin"], audience: "some-other-app" });
    for (const token of [otherWorkspace, elsewhere]) {
      expectProblem(await call(workspaceTrailUrl("ws1"), { token }), 401, "Unauthorized");
    }
    expectProblem(await call(workspaceTrailUrl("ws1")), 401, "Unauthorized");
  });
});

describe("the TRE-wide audit trail over HTTP", () => {
  it("shows a TREAdmin the refusal of a token on a TRE-wide route, a page at a time", async () => {
    await start();
    await refuseOnTreRoutes(3);
    const admin = await adminToken();
    const pages = await readAllPages(treTrailUrl(), admin, 2);
    expect(pages.map((page) => page.entries.length)).toEqual([2, 1]);
    const entries = pages.flatMap((page) => page.entries);
    expect(entries).toEqual(await streamOf(TRE_STREAM));
    expect(
      entries.map(({ stream, actor, action, outcome, workspaceId, reason }) => ({
        stream,
        actor: actor.id,
        action,
        outcome,
        workspaceId,
        reason,
      })),
    ).toEqual(
      Array(3).fill({
        stream: "tre",
        actor: "tess",
        action: "authorize",
        outcome: "denied",
        workspaceId: "",
        reason: "Forbidden: this needs the TREAdmin role (GET /api/workspaces/:ws)",
      }),
    );
  });

  it("answers 403 to an API token without TREAdmin, and records the refusal in the TRE-wide stream", async () => {
    await start();
    const treUser = await server.token({ user: "tess", roles: ["TREUser"] });
    expectProblem(await call(treTrailUrl(), { token: treUser }), 403, "Forbidden");
    expectProblem(await call(`${treTrailUrl()}/verification`, { token: treUser }), 403, "Forbidden");
    const recorded = await streamOf(TRE_STREAM);
    expect(
      recorded.map(({ actor, action, outcome, workspaceId }) => [actor.id, action, outcome, workspaceId]),
    ).toEqual([
      ["tess", "audit", "denied", ""],
      ["tess", "audit", "denied", ""],
    ]);
    expect(recorded[0]?.reason).toBe(
      "Forbidden: reading the TRE's audit trail needs one of the roles TREAdmin",
    );

    const page = await call<Page>(treTrailUrl(), { token: await adminToken() });
    expect(page.status).toBe(200);
    expect(page.body).toEqual({ entries: recorded, continuation: null });
  });

  it("answers 401 to no token, and to a workspace's token whatever roles it claims (recorded as TRE-wide)", async () => {
    const people = await start();
    expectProblem(await call(treTrailUrl()), 401, "Unauthorized");
    expect(await streamOf(TRE_STREAM)).toEqual([]);

    const claimsAdmin = await server.token({ user: "olivia", roles: ["TREAdmin"], workspace: "ws1" });
    for (const token of [people.olivia, people.bob, claimsAdmin]) {
      expectProblem(await call(treTrailUrl(), { token }), 401, "Unauthorized");
      expectProblem(await call(`${treTrailUrl()}/verification`, { token }), 401, "Unauthorized");
    }
    const recorded = await streamOf(TRE_STREAM);
    expect(recorded).toHaveLength(6);
    expect(recorded.every((entry) => entry.action === "authenticate" && entry.workspaceId === "")).toBe(true);
    expect(recorded[0]?.reason).toBe("Unauthorized: the token's audience is not this API (GET /api/audit)");
    expect(await streamOf("workspace:ws1")).toEqual([]);
  });
});

describe("verifying audit trails over HTTP", () => {
  it("answers ok for intact trails: a request's, a workspace's and the TRE-wide one", async () => {
    const people = await start();
    const id = await requestInStatus(server, "ws1", people, "approved");
    const nobody = await server.token({ user: "nemo", roles: [], workspace: "ws1" });
    expectProblem(await call(requestsUrl(server, "ws1"), { token: nobody }), 403, "Forbidden");
    await refuseOnTreRoutes(2);
    const admin = await adminToken();

    const requestEntries = (await streamOf(id)).length;
    for (const token of [people.olivia, people.bob, admin]) {
      const verified = await call(`${trailUrl(id)}/verification`, { token });
      expect(verified.status).toBe(200);
      expect(verified.body).toEqual({ ok: true, entries: requestEntries, checkpointSeq: requestEntries - 1 });
    }
    const workspaceVerified = await call(`${workspaceTrailUrl("ws1")}/verification`, { token: admin });
    expect(workspaceVerified.body).toEqual({ ok: true, entries: 1, checkpointSeq: 0 });
    const treVerified = await call(`${treTrailUrl()}/verification`, { token: admin });
    expect(treVerified.status).toBe(200);
    expect(treVerified.body).toEqual({ ok: true, entries: 2, checkpointSeq: 1 });
  });

  it("answers not ok, naming the first entry, for a trail changed behind the log's back", async () => {
    const people = await start();
    const id = await requestInStatus(server, "ws1", people, "approved");
    const nobody = await server.token({ user: "nemo", roles: [], workspace: "ws1" });
    expectProblem(await call(requestsUrl(server, "ws1"), { token: nobody }), 403, "Forbidden");
    await refuseOnTreRoutes(3);
    const admin = await adminToken();

    server.ports.audit.tamper(id, 2, { reason: "nothing to see here" });
    server.ports.audit.tamper("workspace:ws1", 0, { actor: { id: "someone-else", name: "Someone" } });
    server.ports.audit.removeFrom(TRE_STREAM, 1);

    const requestVerified = await call(`${trailUrl(id)}/verification`, { token: people.olivia });
    expect(requestVerified.status).toBe(200);
    expect(requestVerified.body).toEqual({ ok: false, firstTampered: 2, reason: "content changed" });
    const workspaceVerified = await call(`${workspaceTrailUrl("ws1")}/verification`, { token: admin });
    expect(workspaceVerified.body).toEqual({ ok: false, firstTampered: 0, reason: "content changed" });
    const treVerified = await call(`${treTrailUrl()}/verification`, { token: admin });
    expect(treVerified.body).toEqual({ ok: false, firstTampered: 1, reason: "truncated" });
  });
});
