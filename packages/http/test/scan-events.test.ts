import { createMemoryPorts } from "@airlock/adapters-memory";
import { createAirlock } from "@airlock/core";
import { buildServer, type LimitOptions, type ScanEvent, type ScanEventsOptions } from "@airlock/http";
import type { FastifyInstance } from "fastify";
import { err, ok, okAsync } from "neverthrow";
import { afterEach, describe, expect, it } from "vitest";
import { expectProblem } from "./support/flow.js";
import { call, TEST_SECRET, workspace } from "./support/server.js";

// The events route with a reader of its own: whatever the scanning service's format, the route
// authenticates, refuses what the reader cannot read, answers handshakes and records verdicts.

const KEY = "scan-events-key-0123456789abcdef0123";
const LOCATION = { accountName: "account", container: "in-progress" };
const actor = {
  id: "alice",
  name: "Alice",
  email: "alice@example.org",
  roles: ["WorkspaceResearcher" as const],
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A reader of a toy format: `{verdict: "clean", request, file}`, `{hello: answer}`, `{bad: true}`. */
const toyEvents: Pick<ScanEventsOptions, "parse" | "handshake"> = {
  parse: (events) => {
    const bad = events.flatMap((event, index) =>
      (event as { bad?: boolean }).bad ? [{ path: `${index}.bad`, message: "is bad" }] : [],
    );
    if (bad.length > 0) return err(bad);
    return ok(
      events.map((event): ScanEvent => {
        const e = event as { verdict?: string; request?: string; file?: string; hello?: string };
        if (e.hello !== undefined) return { kind: "handshake", answer: { hello: e.hello } };
        if (e.verdict === "clean" && e.request && e.file) {
          return {
            kind: "verdict",
            requestId: e.request,
            location: LOCATION,
            file: e.file,
            outcome: { verdict: "clean" },
          };
        }
        return e.verdict === undefined ? { kind: "other" } : { kind: "unrelated", reason: "no request" };
      }),
    );
  },
  handshake: (origin) => (origin === "scanner.example.org" ? { "WebHook-Allowed-Origin": origin } : null),
};

const start = async (limits: LimitOptions = {}) => {
  const ports = createMemoryPorts({ workspaces: [workspace("ws1")] });
  ports.scanner.answerPending(true);
  const airlock = createAirlock(ports, { processing: "inline" });
  app = buildServer({
    airlock,
    workspaces: ports.workspaces,
    clock: ports.clock,
    auth: { mode: "development", secret: TEST_SECRET },
    blobEndpoint: "embedded",
    scanEvents: { ...toyEvents, key: KEY, locator: { inProgressLocationOf: () => okAsync(LOCATION) } },
    limits,
    logger: false,
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const post = (body: unknown, code = KEY) =>
    call(`${url}/api/events?code=${code}`, { method: "POST", json: body });
  return { url, ports, airlock, post };
};

describe("the events route with the reader the application passes", () => {
  it("records a verdict the reader found, and acknowledges what is no verdict", async () => {
    const { ports, airlock, post } = await start();
    const id = (
      await airlock.create(actor, "ws1", { type: "import", title: "t", businessJustification: "j" })
    )._unsafeUnwrap().airlockRequest.id;
    (
      await airlock.upload(
        id,
        "data.csv",
        (async function* () {
          yield new TextEncoder().encode("x");
        })(),
      )
    )._unsafeUnwrap();
    (await airlock.submit(actor, "ws1", id))._unsafeUnwrap();
    await airlock.processor.idle();

    const answer = await post([{ verdict: "clean", request: id, file: "data.csv" }, { verdict: "odd" }, {}]);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ received: 3, applied: 1, ignored: 2, unknown: 0 });
    await airlock.processor.idle();
    expect((await ports.repository.get(id))._unsafeUnwrap().status).toBe("in_review");
  });

  it("refuses a body the reader cannot read with its issues, and answers its handshakes", async () => {
    const { url, post } = await start();
    const refused = await post([{}, { bad: true }]);
    expectProblem(refused, 422, "InvalidInput");
    expect(refused.body.errors).toEqual([{ path: "1.bad", message: "is bad" }]);

    expect((await post([{ hello: "proof" }])).body).toEqual({ hello: "proof" });
    const allowed = await fetch(`${url}/api/events?code=${KEY}`, {
      method: "OPTIONS",
      headers: { "WebHook-Request-Origin": "scanner.example.org" },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("webhook-allowed-origin")).toBe("scanner.example.org");
    const other = await call(`${url}/api/events?code=${KEY}`, {
      method: "OPTIONS",
      headers: { "WebHook-Request-Origin": "elsewhere.example.org" },
    });
    expectProblem(other, 403, "Forbidden");
    expectProblem(await post([{}], "wrong"), 401, "Unauthorized");
  });

  it("takes a burst of deliveries beyond the per-address rate limit", async () => {
    const { post } = await start({ rateLimit: { perAddress: 2 } });
    for (let delivery = 0; delivery < 5; delivery += 1) expect((await post([{}])).status).toBe(200);
  });
});
