import { createManualClock, createMemoryPorts, createSequentialIds } from "@airlock/adapters-memory";
import { describe, expect, it } from "vitest";
import { type AirlockOptions, createAirlock, grantHolderOf, TRE_STREAM } from "../src/index.js";
import {
  chunks,
  draftWithFile,
  errorOf,
  type Harness,
  makeHarness,
  people,
  START,
  unwrap,
  WORKSPACE_ID,
  workspaceWith,
} from "./support/harness.js";

const entriesOf = async (h: Pick<Harness, "ports">, stream: string) => unwrap(h.ports.audit.listAll(stream));

const drain = async (stream: AsyncIterable<Uint8Array>) => {
  let text = "";
  for await (const chunk of stream) text += new TextDecoder().decode(chunk);
  return text;
};

/** A request of Rita's resting in review, with the manual processor moved on. */
const inReview = async (h: Harness) => {
  const draft = await draftWithFile(h);
  await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
  await unwrap(h.airlock.processor.process(draft.id));
  expect((await unwrap(h.airlock.get(people.rita, h.ws, draft.id))).airlockRequest.status).toBe("in_review");
  return draft;
};

describe("a link's holder, checked again on every call", () => {
  it("stops the requester's link of a submitted request once it is in review; the owner's reads on", async () => {
    const h = makeHarness({}, { processing: "manual" });
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    const ritas = await unwrap(h.airlock.link(people.rita, h.ws, draft.id));
    const olgas = await unwrap(h.airlock.link(people.olga, h.ws, draft.id));
    expect(ritas.holder).toEqual({ id: "rita", roles: ["WorkspaceResearcher"] });
    expect(ritas.stage).toBe("in_progress");
    await unwrap(h.airlock.processor.process(draft.id));

    expect(await errorOf(h.airlock.readFile(ritas.holder, draft.id, ritas.stage, "data.csv"))).toEqual({
      kind: "Forbidden",
      message: "while the request is in_review its link is not for this link's holder",
    });
    expect(await errorOf(h.airlock.listFiles(ritas.holder, draft.id, ritas.stage))).toMatchObject({
      kind: "Forbidden",
    });
    expect(
      await drain(await unwrap(h.airlock.readFile(olgas.holder, draft.id, olgas.stage, "data.csv"))),
    ).toBe("a,b\n1,2\n");
  });

  it("refuses a holder that does not validate, without touching the data", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    const forged = { id: "rita", roles: ["TREAdmin"] } as unknown as ReturnType<typeof grantHolderOf>;
    expect(await errorOf(h.airlock.readFile(forged, draft.id, "draft", "data.csv"))).toMatchObject({
      kind: "InvalidInput",
    });
  });
});

describe("calls through a link in the audit trail", () => {
  it("records every read, write, listing and delete with its holder, the file and the stage, before the data is touched", async () => {
    const h = makeHarness({ maxFiles: 2 });
    const draft = await draftWithFile(h);
    const rita = grantHolderOf(people.rita);
    await unwrap(h.airlock.writeFile(rita, draft.id, "draft", "more.csv", chunks("3\n")));
    await drain(await unwrap(h.airlock.readFile(rita, draft.id, "draft", "more.csv")));
    await unwrap(h.airlock.listFiles(rita, draft.id, "draft"));
    await unwrap(h.airlock.deleteFile(rita, draft.id, "draft", "more.csv"));

    const calls = (await entriesOf(h, draft.id)).filter((entry) => entry.action.startsWith("file-"));
    const actor = { id: "rita", name: "rita" };
    expect(
      calls.map(({ action, outcome, reason, actor: who }) => ({ action, outcome, reason, who })),
    ).toEqual([
      // The embedder's own upload, made for the requester.
      { action: "file-write", outcome: "allowed", reason: '"data.csv" in draft', who: actor },
      { action: "file-write", outcome: "allowed", reason: '"more.csv" in draft', who: actor },
      { action: "file-read", outcome: "allowed", reason: '"more.csv" in draft', who: actor },
      { action: "file-list", outcome: "allowed", reason: "the file list in draft", who: actor },
      { action: "file-delete", outcome: "allowed", reason: '"more.csv" in draft', who: actor },
    ]);
    expect(calls.every((entry) => entry.fromStatus === "draft" && entry.toStatus === "draft")).toBe(true);
  });

  it("records a refused call as denied, naming the refusal, the file and the stage", async () => {
    const h = makeHarness({}, { processing: "manual" });
    const draft = await inReview(h);
    const rita = grantHolderOf(people.rita);
    await errorOf(h.airlock.readFile(rita, draft.id, "in_progress", "data.csv"));
    await errorOf(
      h.airlock.writeFile(grantHolderOf(people.mo), draft.id, "in_progress", "x.csv", chunks("x")),
    );

    const denied = (await entriesOf(h, draft.id)).filter((entry) => entry.outcome === "denied");
    expect(denied).toEqual([
      expect.objectContaining({
        action: "file-read",
        actor: { id: "rita", name: "rita" },
        fromStatus: "in_review",
        reason:
          'Forbidden: while the request is in_review its link is not for this link\'s holder; "data.csv" in in_progress',
      }),
      expect.objectContaining({
        action: "file-write",
        actor: { id: "mo", name: "mo" },
        reason:
          'Forbidden: a write in the in_progress stage is not allowed while the request is in_review; "x.csv" in in_progress',
      }),
    ]);
  });

  it("answers Unavailable and reads nothing when the access cannot be recorded", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    h.ports.audit.failNext("append");
    expect(
      await errorOf(h.airlock.readFile(grantHolderOf(people.rita), draft.id, "draft", "data.csv")),
    ).toMatchObject({ kind: "Unavailable" });
    h.ports.audit.failNext("append");
    expect(
      await errorOf(h.airlock.deleteFile(grantHolderOf(people.rita), draft.id, "draft", "data.csv")),
    ).toMatchObject({ kind: "Unavailable" });
    expect([...h.ports.storage.contents("draft", draft.id).keys()]).toEqual(["data.csv"]);
  });
});

describe("refused reads in the audit trail", () => {
  it("records get, list, audit and link refused for the role in the workspace's stream", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    const nobody = { ...people.rita, id: "nemo", name: "Nemo", roles: [] };
    await errorOf(h.airlock.get(nobody, h.ws, draft.id));
    await errorOf(h.airlock.list(nobody, h.ws, {}));
    await errorOf(h.airlock.auditTrail(people.rita, h.ws, draft.id));
    await errorOf(h.airlock.link(nobody, h.ws, draft.id));

    const denied = await entriesOf(h, `workspace:${WORKSPACE_ID}`);
    expect(
      denied.map(({ action, outcome, requestId, reason }) => ({ action, outcome, requestId, reason })),
    ).toEqual([
      {
        action: "get",
        outcome: "denied",
        requestId: null,
        reason: expect.stringMatching(/^Forbidden: reading requests needs/),
      },
      {
        action: "list",
        outcome: "denied",
        requestId: null,
        reason: expect.stringMatching(/^Forbidden: listing requests needs/),
      },
      {
        action: "audit",
        outcome: "denied",
        requestId: null,
        reason: expect.stringMatching(/^Forbidden: reading the audit trail needs/),
      },
      {
        action: "link",
        outcome: "denied",
        requestId: null,
        reason: expect.stringMatching(/^Forbidden: getting a link needs/),
      },
    ]);
    // Nothing was read: the request's own trail learns nothing of these.
    expect((await entriesOf(h, draft.id)).some((entry) => entry.outcome === "denied")).toBe(false);
  });
});

describe("a request addressed under the wrong workspace", () => {
  const twoWorkspaces = (options: AirlockOptions = {}) => {
    const clock = createManualClock(START);
    const ports = createMemoryPorts({
      clock,
      ids: createSequentialIds(),
      workspaces: [workspaceWith({}, "ws1"), workspaceWith({}, "ws2")],
    });
    return { ports, clock, airlock: createAirlock(ports, options), ws: "ws1" };
  };

  it("is NotFound as any absent id, recorded in the addressed workspace's stream alike and in its own", async () => {
    const h = twoWorkspaces();
    const elsewhere = await draftWithFile({ ...h, ws: "ws2" });
    const absent = "00000000-0000-4000-8000-00000000dead";
    const refusals = [
      await errorOf(h.airlock.get(people.olga, "ws1", elsewhere.id)),
      await errorOf(h.airlock.link(people.rita, "ws1", elsewhere.id)),
      await errorOf(h.airlock.auditTrail(people.olga, "ws1", elsewhere.id)),
      await errorOf(h.airlock.cancel(people.rita, "ws1", elsewhere.id)),
    ];
    expect(refusals).toEqual(
      Array(4).fill({ kind: "NotFound", message: `request ${elsewhere.id} not found` }),
    );
    await errorOf(h.airlock.get(people.olga, "ws1", absent));

    const addressed = await entriesOf(h, "workspace:ws1");
    expect(
      addressed.map(({ action, requestId, workspaceId, reason }) => ({
        action,
        requestId,
        workspaceId,
        reason,
      })),
    ).toEqual([
      ...["get", "link", "audit", "cancel"].map((action) => ({
        action,
        requestId: null,
        workspaceId: "ws1",
        reason: `NotFound: request ${elsewhere.id} not found`,
      })),
      { action: "get", requestId: null, workspaceId: "ws1", reason: `NotFound: request ${absent} not found` },
    ]);
    const own = (await entriesOf(h, elsewhere.id)).filter((entry) => entry.outcome === "denied");
    expect(
      own.map(({ action, actor, workspaceId, reason }) => ({ action, actor: actor.id, workspaceId, reason })),
    ).toEqual(
      [
        ["get", "olga"],
        ["link", "rita"],
        ["audit", "olga"],
        ["cancel", "rita"],
      ].map(([action, actor]) => ({
        action,
        actor,
        workspaceId: "ws2",
        reason: 'NotFound: addressed under workspace "ws1", where the request is not',
      })),
    );
  });
});

describe("refusals made outside the engine", () => {
  const denial = {
    subject: { id: "alice", name: "Alice" },
    workspaceId: null,
    requestId: null,
    action: "authenticate",
    code: "Unauthorized" as const,
    message: "the token has expired (GET /api/workspaces/:ws/requests)",
  };

  it("go to the addressed workspace's stream, the TRE-wide one, or a link's request", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.recordDenial({ ...denial, workspaceId: h.ws }));
    await unwrap(h.airlock.recordDenial({ ...denial, workspaceId: "nowhere" }));
    await unwrap(h.airlock.recordDenial({ ...denial, action: "authorize", code: "Forbidden" }));
    await unwrap(h.airlock.recordDenial({ ...denial, requestId: draft.id, action: "file-read" }));

    expect(await entriesOf(h, `workspace:${h.ws}`)).toEqual([
      expect.objectContaining({
        workspaceId: h.ws,
        requestId: null,
        actor: { id: "alice", name: "Alice" },
        action: "authenticate",
        outcome: "denied",
        reason: "Unauthorized: the token has expired (GET /api/workspaces/:ws/requests)",
      }),
    ]);
    expect(
      (await entriesOf(h, TRE_STREAM)).map(({ workspaceId, action }) => ({ workspaceId, action })),
    ).toEqual([
      { workspaceId: "", action: "authenticate" },
      { workspaceId: "", action: "authorize" },
    ]);
    expect(await entriesOf(h, "workspace:nowhere")).toEqual([]);
    expect((await entriesOf(h, draft.id)).at(-1)).toMatchObject({
      action: "file-read",
      outcome: "denied",
      requestId: draft.id,
      workspaceId: h.ws,
      fromStatus: "draft",
    });
  });

  it("refuse a denial that does not validate", async () => {
    const h = makeHarness();
    expect(await errorOf(h.airlock.recordDenial({ ...denial, action: "" }))).toMatchObject({
      kind: "InvalidInput",
    });
    expect(await entriesOf(h, TRE_STREAM)).toEqual([]);
  });
});

describe("repeated identical link asks", () => {
  it("get the same link within a window, recorded once with a key and a reason saying so", async () => {
    const h = makeHarness({}, { processing: "manual" });
    const draft = await inReview(h);
    h.clock.advance(5_000);
    const first = await unwrap(h.airlock.link(people.mo, h.ws, draft.id));
    h.clock.advance(20_000);
    const again = await unwrap(h.airlock.link(people.mo, h.ws, draft.id));
    const other = await unwrap(h.airlock.link(people.meg, h.ws, draft.id));
    expect(again).toEqual(first);
    expect(other.expiresAt).toEqual(first.expiresAt);
    expect(other.holder).not.toEqual(first.holder);

    const links = (await entriesOf(h, draft.id)).filter((entry) => entry.action === "link");
    expect(links.map((entry) => entry.actor.id)).toEqual(["mo", "meg"]);
    expect(links[0]?.key).toMatch(/^link:\d+:in_progress:rl:M:mo$/);
    expect(links[0]?.reason).toMatch(
      /^read,list on in_progress; the same link \(expiring .+\) for every identical ask by this holder from .+ until .+, recorded once$/,
    );

    h.clock.advance(60_000);
    const later = await unwrap(h.airlock.link(people.mo, h.ws, draft.id));
    expect(later.expiresAt.getTime()).toBeGreaterThan(first.expiresAt.getTime());
    expect((await entriesOf(h, draft.id)).filter((entry) => entry.action === "link")).toHaveLength(3);
  });

  it("never outlive their lifetime, and are each recorded when reuse is off", async () => {
    const h = makeHarness({}, { processing: "manual", linkReuseSeconds: 0, linkTtlSeconds: 600 });
    const draft = await inReview(h);
    const first = await unwrap(h.airlock.link(people.mo, h.ws, draft.id));
    expect(first.expiresAt.getTime()).toBe(h.clock.now() + 600_000);
    await unwrap(h.airlock.link(people.mo, h.ws, draft.id));
    const links = (await entriesOf(h, draft.id)).filter((entry) => entry.action === "link");
    expect(links.map((entry) => [entry.key, entry.reason])).toEqual([
      [null, "read,list on in_progress"],
      [null, "read,list on in_progress"],
    ]);
  });

  it("expire within their lifetime from the ask, and at least half of it after", async () => {
    const h = makeHarness({}, { processing: "manual", linkTtlSeconds: 100, linkReuseSeconds: 3600 });
    const draft = await inReview(h);
    h.clock.advance(49_000);
    const now = h.clock.now();
    const link = await unwrap(h.airlock.link(people.mo, h.ws, draft.id));
    expect(link.expiresAt.getTime()).toBeLessThanOrEqual(now + 100_000);
    expect(link.expiresAt.getTime()).toBeGreaterThanOrEqual(now + 50_000);
  });
});
