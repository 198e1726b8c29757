import { Writable } from "node:stream";
import { accountsByConvention } from "@airlock/adapters-azure";
import { createMemoryPorts } from "@airlock/adapters-memory";
import { createAirlock } from "@airlock/core";
import { buildServer } from "@airlock/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, putBlob } from "../../http/test/support/flow.js";
import { call, TEST_SECRET, workspace } from "../../http/test/support/server.js";
import { createScanBlobLocator } from "../src/profiles/blob-locator.js";
import { defenderScanEvents } from "../src/profiles/defender-scan-events.js";
import {
  type AzureBackends,
  type AzureTestServer,
  cloudEventScanResult,
  EVENT_GRID_PRINCIPAL,
  eventGridScanResult,
  postEvents,
  startAzureBackends,
  startAzureTestServer,
} from "./support/azure-stack.js";

let backends: AzureBackends;
let server: AzureTestServer;
const logLines: Record<string, unknown>[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split("\n")) if (line.trim() !== "") logLines.push(JSON.parse(line));
    done();
  },
});

beforeAll(async () => {
  backends = await startAzureBackends();
  server = await startAzureTestServer(backends, {
    workspaces: [workspace("ws1", { policy: { maxFiles: 2 } })],
    logStream,
  });
});

afterAll(async () => {
  await server?.close();
  await backends?.stop();
});

const requestsUrl = () => `${server.url}/api/workspaces/ws1/requests`;
const alice = () => server.token({ user: "alice", roles: ["WorkspaceResearcher"], workspace: "ws1" });

/** A request whose files went through its SAS link into Azurite, submitted and waiting for Defender. */
const submitted = async (files: Record<string, string>): Promise<string> => {
  const token = await alice();
  const created = await call<{ airlockRequest: { id: string } }>(requestsUrl(), {
    method: "POST",
    token,
    json: { type: "import", title: "Scan me", businessJustification: "Testing verdicts" },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.airlockRequest.id;
  const link = await call<{ containerUrl: string }>(`${requestsUrl()}/${id}/link`, { token });
  expect(
    link.body.containerUrl.startsWith(
      backends.blob.connectionString.match(/BlobEndpoint=([^;]+)/)?.[1] ?? "https://",
    ),
  ).toBe(true);
  for (const [name, content] of Object.entries(files)) {
    expect((await putBlob(link.body.containerUrl, name, content)).status).toBe(201);
  }
  const submit = await call(`${requestsUrl()}/${id}/submit`, { method: "POST", token });
  expect(submit.status, JSON.stringify(submit.body)).toBe(200);
  await server.idle();
  const request = await server.request(id);
  expect(request.status).toBe("submitted");
  expect(request.dataStage).toBe("in_progress");
  return id;
};

const statusOf = async (id: string) => {
  await server.idle();
  return (await server.request(id)).status;
};

describe("Event Grid's handshakes at /api/events", () => {
  it("answers a subscription validation event (Event Grid schema) with its code", async () => {
    const answer = await postEvents(server, [
      {
        id: "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
        topic: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct",
        subject: "",
        eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
        eventTime: "2026-11-23T18:41:00.9584103Z",
        data: {
          validationCode: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6",
          validationUrl: "https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/x/validate?id=y",
        },
        dataVersion: "",
        metadataVersion: "1",
      },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ validationResponse: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" });
  });

  it("answers the CloudEvents webhook handshake for Event Grid and refuses another origin", async () => {
    const allowed = await fetch(`${server.url}/api/events?code=${server.eventsKey}`, {
      method: "OPTIONS",
      headers: { "WebHook-Request-Origin": "eventgrid.azure.net" },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
    expect(allowed.headers.get("webhook-allowed-rate")).toBe("*");

    const other = await call(`${server.url}/api/events?code=${server.eventsKey}`, {
      method: "OPTIONS",
      headers: { "WebHook-Request-Origin": "attacker.example.org" },
    });
    expectProblem(other, 403, "Forbidden");
    expect(other.headers.get("webhook-allowed-origin")).toBeNull();
  });
});

describe("who may post to /api/events", () => {
  const event = () => [eventGridScanResult("http://127.0.0.1:1/devstoreaccount1/nothing-here/x.csv")];

  it("refuses a call without the key, with a wrong key, and with a token for a workspace (401)", async () => {
    expectProblem(await postEvents(server, event(), { code: null }), 401, "Unauthorized");
    expectProblem(await postEvents(server, event(), { code: "not-the-key" }), 401, "Unauthorized");
    expectProblem(await postEvents(server, event(), { code: `${server.eventsKey}x` }), 401, "Unauthorized");
    const workspaceToken = await alice();
    expectProblem(
      await postEvents(server, event(), { code: null, token: workspaceToken }),
      401,
      "Unauthorized",
    );
    const handshake = await call(`${server.url}/api/events`, {
      method: "OPTIONS",
      headers: { "WebHook-Request-Origin": "eventgrid.azure.net" },
    });
    expectProblem(handshake, 401, "Unauthorized");
  });

  it("accepts a bearer token for the API audience from Event Grid's principal, and from no one else", async () => {
    const eventGrid = await server.token({ user: EVENT_GRID_PRINCIPAL, roles: [] });
    const answer = await postEvents(server, event(), { code: null, token: eventGrid });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);

    // Every TRE user holds a token for the API audience: none of them may post a verdict.
    const researcher = await server.token({ user: "alice", roles: ["TREUser"] });
    expectProblem(await postEvents(server, event(), { code: null, token: researcher }), 403, "Forbidden");
    const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
    expectProblem(await postEvents(server, event(), { code: null, token: admin }), 403, "Forbidden");
  });

  it("never writes the key to the log", async () => {
    await postEvents(server, event());
    const text = JSON.stringify(logLines);
    expect(text).toContain("/api/events?code=[REDACTED]");
    expect(text).not.toContain(server.eventsKey);
  });
});

describe("Defender's verdicts at /api/events", () => {
  it("a clean verdict (Event Grid schema) moves a submitted request to in_review", async () => {
    const id = await submitted({ "data.csv": "a,b\n1,2\n" });
    const blobUri = await server.blobUrlIn(id, "in_progress", "data.csv");
    expect(blobUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/stalimip/);
    const answer = await postEvents(server, [eventGridScanResult(blobUri)]);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ received: 1, applied: 1 });
    expect(await statusOf(id)).toBe("in_review");
  });

  it("a threat (CloudEvents, one event) blocks the request and moves its data to the blocked stage", async () => {
    const id = await submitted({ "data.csv": "harmless-looking" });
    const blobUri = await server.blobUrlIn(id, "in_progress", "data.csv");
    const answer = await postEvents(
      server,
      cloudEventScanResult(blobUri, "Malicious", ["Virus:DOS/EICAR_Test_File"]),
      {
        contentType: "application/cloudevents+json; charset=utf-8",
      },
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(await statusOf(id)).toBe("blocked_by_scan");
    const request = await server.request(id);
    expect(request.statusMessage).toContain("Virus:DOS/EICAR_Test_File");
    expect(await server.placement(id)).toEqual({ blocked: ["data.csv"] });
  });

  it("anything but 'No threats found' blocks: a scan error fails closed", async () => {
    const id = await submitted({ "data.csv": "x" });
    const blobUri = await server.blobUrlIn(id, "in_progress", "data.csv");
    expect((await postEvents(server, [eventGridScanResult(blobUri, "Error")])).status).toBe(200);
    expect(await statusOf(id)).toBe("blocked_by_scan");
  });

  it("a clean verdict for one file waits for the other (CloudEvents batch)", async () => {
    const id = await submitted({ "a.csv": "1", "b.csv": "2" });
    const first = await postEvents(
      server,
      [cloudEventScanResult(await server.blobUrlIn(id, "in_progress", "a.csv"))],
      {
        contentType: "application/cloudevents-batch+json; charset=utf-8",
      },
    );
    expect(first.status).toBe(200);
    expect(await statusOf(id)).toBe("submitted");
    expect((await server.request(id)).cleanFiles).toEqual(["a.csv"]);

    // Delivered twice: nothing changes.
    const again = await postEvents(
      server,
      [cloudEventScanResult(await server.blobUrlIn(id, "in_progress", "a.csv"))],
      {
        contentType: "application/cloudevents-batch+json",
      },
    );
    expect(again.status).toBe(200);
    expect(await statusOf(id)).toBe("submitted");

    const second = await postEvents(
      server,
      [cloudEventScanResult(await server.blobUrlIn(id, "in_progress", "b.csv"))],
      {
        contentType: "application/cloudevents-batch+json",
      },
    );
    expect(second.status).toBe(200);
    expect(await statusOf(id)).toBe("in_review");
  });

  it("a threat in one of two files blocks at once", async () => {
    const id = await submitted({ "a.csv": "1", "b.csv": "2" });
    const batch = [
      eventGridScanResult(await server.blobUrlIn(id, "in_progress", "a.csv")),
      eventGridScanResult(await server.blobUrlIn(id, "in_progress", "b.csv"), "Malicious"),
    ];
    const answer = await postEvents(server, batch);
    expect(answer.body).toMatchObject({ received: 2, applied: 2 });
    expect(await statusOf(id)).toBe("blocked_by_scan");
  });

  it("ignores a verdict about another stage or another account (200, logged)", async () => {
    const id = await submitted({ "data.csv": "x" });
    const inProgress = await server.blobUrlIn(id, "in_progress", "data.csv");
    const draft = await server.blobUrlIn(id, "draft", "data.csv");
    const otherAccount = inProgress.replace("/devstoreaccount1/", "/otheraccount/");
    const exportStage = inProgress.replace("/stalimip", "/stalexip");
    for (const blobUri of [draft, otherAccount, exportStage]) {
      const answer = await postEvents(server, [eventGridScanResult(blobUri, "Malicious")]);
      expect(answer.status, blobUri).toBe(200);
      expect(answer.body).toMatchObject({ applied: 0, ignored: 1 });
    }
    expect(await statusOf(id)).toBe("submitted");
    expect(logLines.some((line) => line.msg === "scan result about another stage or account: ignored")).toBe(
      true,
    );
  });

  it("acknowledges a verdict for an unknown request or file, so Event Grid stops retrying", async () => {
    const id = await submitted({ "data.csv": "x" });
    const inProgress = await server.blobUrlIn(id, "in_progress", "data.csv");
    const unknownRequest = inProgress.replace(id, "00000000-0000-4000-8000-000000000000");
    const unknownFile = inProgress.replace("data.csv", "other.csv");
    for (const blobUri of [unknownRequest, unknownFile]) {
      const answer = await postEvents(server, [eventGridScanResult(blobUri)]);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ unknown: 1, applied: 0 });
    }
    expect(await statusOf(id)).toBe("submitted");
    expect(
      logLines.filter((line) => line.level === 40 && String(line.msg).includes("unknown")).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it("acknowledges events that are not scan results, and blobs that are no request's", async () => {
    const answer = await postEvents(server, [
      { id: "1", eventType: "Microsoft.Storage.BlobCreated", subject: "x", data: { url: "http://x/y/z" } },
      eventGridScanResult("https://stalimiptre.blob.core.windows.net/$logs/2026/file.log"),
      eventGridScanResult("https://stalimiptre.blob.core.windows.net/not-a-request-container/file"),
    ]);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    // The last container could be a request's (`{account}-{id}`), so it is looked up, and not found.
    expect(answer.body).toMatchObject({ received: 3, applied: 0, ignored: 2, unknown: 1 });
  });
});

describe("a malformed body at /api/events", () => {
  const cases: [string, number, string, string][] = [
    ["text that is not JSON", 400, "BadRequest", "{not json"],
    ["an empty body", 400, "BadRequest", ""],
    ["an empty batch", 422, "InvalidInput", "[]"],
    ["a number", 422, "InvalidInput", "42"],
    ["an array of strings", 422, "InvalidInput", '["a","b"]'],
    ["an event with no type", 422, "InvalidInput", '[{"id":"1","data":{}}]'],
    ["a CloudEvent with no type", 422, "InvalidInput", '{"specversion":"1.0","id":"1","source":"s"}'],
    [
      "a scan result without blobUri",
      422,
      "InvalidInput",
      '[{"eventType":"Microsoft.Security.MalwareScanningResult","data":{"scanResultType":"Malicious"}}]',
    ],
    [
      "a scan result whose blobUri is no URL",
      422,
      "InvalidInput",
      '[{"eventType":"Microsoft.Security.MalwareScanningResult","data":{"blobUri":"x","scanResultType":"Malicious"}}]',
    ],
    [
      "a scan result with an empty result type",
      422,
      "InvalidInput",
      '[{"eventType":"Microsoft.Security.MalwareScanningResult","data":{"blobUri":"https://a.blob.core.windows.net/c0c/b","scanResultType":" "}}]',
    ],
    [
      "a validation event without a code",
      422,
      "InvalidInput",
      '[{"eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{}}]',
    ],
  ];

  it.each(cases)("%s answers %i %s, never a 5xx", async (_what, status, code, body) => {
    expectProblem(await postEvents(server, body), status, code);
  });

  it("names the field of the event that is wrong", async () => {
    const answer = await postEvents(
      server,
      '[{"eventType":"x"},{"eventType":"Microsoft.Security.MalwareScanningResult","data":{"scanResultType":"Malicious"}}]',
    );
    expectProblem(answer, 422, "InvalidInput");
    expect(answer.body.errors).toEqual([{ path: "1.data.blobUri", message: expect.any(String) }]);
  });

  it("refuses another content type (415) and a batch over 1 MiB (413)", async () => {
    expectProblem(await postEvents(server, "[]", { contentType: "text/plain" }), 415, "UnsupportedMediaType");
    const huge = JSON.stringify([{ eventType: "x", data: "y".repeat(1024 * 1024) }]);
    expectProblem(await postEvents(server, huge), 413, "BodyTooLarge");
  });
});

describe("a backing service that fails while a verdict arrives", () => {
  it("answers 503 so Event Grid delivers the batch again, and the retry applies it", async () => {
    const ports = createMemoryPorts({ workspaces: [workspace("ws1")] });
    ports.scanner.answerPending(true);
    const airlock = createAirlock(ports, { processing: "inline" });
    const key = "k".repeat(32);
    const accounts = accountsByConvention({ treId: "tre" });
    const app = buildServer({
      airlock,
      workspaces: ports.workspaces,
      clock: ports.clock,
      auth: { mode: "development", secret: TEST_SECRET },
      blobEndpoint: "embedded",
      scanEvents: defenderScanEvents({
        key,
        containers: createScanBlobLocator({
          layout: "single-account-prefixes",
          accountName: "devstoreaccount1",
          accounts,
          requests: ports.repository,
        }),
      }),
      logger: false,
    });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const actor = {
        id: "alice",
        name: "Alice",
        email: "alice@example.org",
        roles: ["WorkspaceResearcher" as const],
      };
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
      const blobUri = `http://127.0.0.1:10000/devstoreaccount1/${accounts("import", "in_progress", "ws1").accountName}-${id}/data.csv`;

      ports.repository.failNext("get", 1);
      const failed = await postEvents({ url, eventsKey: key }, [eventGridScanResult(blobUri)]);
      expectProblem(failed, 503, "Unavailable");
      expect((await ports.repository.get(id))._unsafeUnwrap().status).toBe("submitted");

      ports.repository.failNext("update", 1);
      expectProblem(
        await postEvents({ url, eventsKey: key }, [eventGridScanResult(blobUri)]),
        503,
        "Unavailable",
      );

      const retried = await postEvents({ url, eventsKey: key }, [eventGridScanResult(blobUri)]);
      expect(retried.status).toBe(200);
      await airlock.processor.idle();
      expect((await ports.repository.get(id))._unsafeUnwrap().status).toBe("in_review");
    } finally {
      await app.close();
      await airlock.processor.idle();
    }
  });
});
