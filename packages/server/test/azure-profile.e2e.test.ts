import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startAcsEmailServer,
  startEventGridServer,
} from "../../adapters-azure/test/support/checking-servers.js";
import { blobUrl, getBlob, putBlob, type RequestBody } from "../../http/test/support/flow.js";
import { call, workspace } from "../../http/test/support/server.js";
import {
  type AzureBackends,
  type AzureTestServer,
  eventGridScanResult,
  postEvents,
  startAzureBackends,
  startAzureTestServer,
} from "./support/azure-stack.js";

let backends: AzureBackends;
let server: AzureTestServer;

beforeAll(async () => {
  backends = await startAzureBackends();
  server = await startAzureTestServer(backends, { workspaces: [workspace("ws1")] });
});

afterAll(async () => {
  await server?.close();
  await backends?.stop();
});

const requestsUrl = () => `${server.url}/api/workspaces/ws1/requests`;
const people = async () => ({
  alice: await server.token({ user: "alice", roles: ["WorkspaceResearcher"], workspace: "ws1" }),
  rita: await server.token({ user: "rita", roles: ["WorkspaceResearcher"], workspace: "ws1" }),
  bob: await server.token({ user: "bob", roles: ["AirlockManager"], workspace: "ws1" }),
});

const act = (id: string, action: string, token: string, json?: unknown) =>
  call<RequestBody>(`${requestsUrl()}/${id}/${action}`, {
    method: "POST",
    token,
    ...(json === undefined ? {} : { json }),
  });

const linkOf = async (id: string, token: string) => {
  const link = await call<{ containerUrl: string }>(`${requestsUrl()}/${id}/link`, { token });
  expect(link.status, JSON.stringify(link.body)).toBe(200);
  return link.body.containerUrl;
};

const statusOf = async (id: string) => {
  await server.idle();
  return (await server.request(id)).status;
};

/** Create, upload through the SAS link, submit, Defender's clean verdict: in review. */
const inReview = async (content: string) => {
  const { alice } = await people();
  const created = await call<RequestBody>(requestsUrl(), {
    method: "POST",
    token: alice,
    json: { type: "import", title: "Reference data", businessJustification: "Calibration" },
  });
  expect(created.status).toBe(201);
  const id = created.body.airlockRequest.id;
  expect((await putBlob(await linkOf(id, alice), "data.csv", content)).status).toBe(201);
  expect((await act(id, "submit", alice)).status).toBe(200);
  await server.idle();
  const verdict = await postEvents(server, [
    eventGridScanResult(await server.blobUrlIn(id, "in_progress", "data.csv")),
  ]);
  expect(verdict.status).toBe(200);
  expect(await statusOf(id)).toBe("in_review");
  return id;
};

const approved = async (content: string) => {
  const { bob } = await people();
  const id = await inReview(content);
  const reviewed = await act(id, "review", bob, {
    approval: true,
    decisionExplanation: "Nothing identifiable",
  });
  expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
  expect(await statusOf(id)).toBe("approved");
  return id;
};

describe("the azure profile over HTTP, on Blob Storage and Cosmos DB", () => {
  it("imports a file end to end: SAS upload, Defender's verdict, review, SAS download", async () => {
    const { alice, rita, bob } = await people();
    const created = await call<RequestBody>(requestsUrl(), {
      method: "POST",
      token: alice,
      json: { type: "import", title: "Reference data", businessJustification: "Calibration" },
    });
    expect(created.status).toBe(201);
    const id = created.body.airlockRequest.id;

    // The link is the storage's own SAS URL: the bytes never pass through the API.
    const draftLink = await linkOf(id, alice);
    const blobEndpoint = /BlobEndpoint=([^;]+)/.exec(backends.blob.connectionString)?.[1] ?? "https://";
    expect(draftLink.startsWith(`${blobEndpoint}/stalimex`)).toBe(true);
    const sas = new URL(draftLink).searchParams;
    expect(sas.get("sp")).toBe("rcwdl");
    expect(sas.get("sig")).toBeTruthy();
    const content = "site,value\nA,42\nB,17\n";
    const upload = await putBlob(draftLink, "reference.csv", content);
    expect(upload.status).toBe(201);

    const submitted = await act(id, "submit", alice);
    expect(submitted.status).toBe(200);
    await server.idle();
    const waiting = await server.request(id);
    expect(waiting.status).toBe("submitted");
    expect(waiting.files).toEqual([
      {
        name: "reference.csv",
        size: Buffer.byteLength(content),
        sha256: createHash("sha256").update(content).digest("hex"),
        state: "active",
      },
    ]);
    expect(await server.placement(id)).toEqual({ in_progress: ["reference.csv"] });

    const verdict = await postEvents(server, [
      eventGridScanResult(await server.blobUrlIn(id, "in_progress", "reference.csv")),
    ]);
    expect(verdict.body).toMatchObject({ applied: 1 });
    expect(await statusOf(id)).toBe("in_review");

    // The reviewer reads the files through a read-only link to the in-progress stage.
    const reviewLink = await linkOf(id, bob);
    expect(new URL(reviewLink).searchParams.get("sp")).toBe("rl");
    expect((await getBlob(reviewLink, "reference.csv")).bytes.toString()).toBe(content);

    const reviewed = await act(id, "review", bob, {
      approval: true,
      decisionExplanation: "Public reference data",
    });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    expect(await statusOf(id)).toBe("approved");
    expect(await server.placement(id)).toEqual({ approved: ["reference.csv"] });

    const approvedLink = await linkOf(id, rita);
    expect(approvedLink).not.toBe(reviewLink);
    const download = await getBlob(approvedLink, "reference.csv");
    expect(download.status).toBe(200);
    expect(download.bytes.toString()).toBe(content);

    const audit = await call<{ entries: { action: string }[] }>(`${requestsUrl()}/${id}/audit`, {
      token: bob,
    });
    const verification = await call<{ ok: boolean }>(`${requestsUrl()}/${id}/audit/verification`, {
      token: bob,
    });
    expect(verification.body.ok).toBe(true);
    expect(audit.body.entries.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(["create", "submit", "scan-clean", "review", "data-moved"]),
    );
  });

  it("a read-only link cannot write: the storage itself refuses (403)", async () => {
    const { bob } = await people();
    const id = await inReview("a,b\n");
    const reviewLink = await linkOf(id, bob);
    const write = await putBlob(reviewLink, "smuggled.csv", "x");
    expect(write.status).toBe(403);

    const { rita } = await people();
    const approvedId = await approved("c,d\n");
    const approvedLink = await linkOf(approvedId, rita);
    expect(new URL(approvedLink).searchParams.get("sp")).toBe("rl");
    expect((await putBlob(approvedLink, "data.csv", "overwritten")).status).toBe(403);
    const remove = await fetch(blobUrl(approvedLink, "data.csv"), { method: "DELETE" });
    expect(remove.status).toBe(403);
    expect((await getBlob(approvedLink, "data.csv")).bytes.toString()).toBe("c,d\n");
    expect(await server.placement(approvedId)).toEqual({ approved: ["data.csv"] });
  });

  it("a revoked request's links stop working: no new link, the old one finds nothing", async () => {
    const { rita, bob } = await people();
    const id = await approved("secret,1\n");
    const before = await linkOf(id, rita);
    expect((await getBlob(before, "data.csv")).status).toBe(200);

    const revoked = await act(id, "revoke", bob, { reason: "Consent withdrawn" });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(await statusOf(id)).toBe("revoked");

    const again = await call(`${requestsUrl()}/${id}/link`, { token: rita });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
    const old = await getBlob(before, "data.csv");
    expect(old.status).toBe(404);
    expect(await server.placement(id)).toEqual({ rejected: ["data.csv"] });
  });

  it("a verdict that arrives before the files were staged still counts once they are", async () => {
    const { alice } = await people();
    const created = await call<RequestBody>(requestsUrl(), {
      method: "POST",
      token: alice,
      json: { type: "import", title: "Early", businessJustification: "Race with Defender" },
    });
    const id = created.body.airlockRequest.id;
    expect((await putBlob(await linkOf(id, alice), "data.csv", "x")).status).toBe(201);
    expect((await act(id, "submit", alice)).status).toBe(200);
    // Not waiting for the processor: the verdict may overtake the copy into the in-progress stage.
    const verdict = await postEvents(server, [
      eventGridScanResult(await server.blobUrlIn(id, "in_progress", "data.csv")),
    ]);
    expect(verdict.status).toBe(200);
    expect(await statusOf(id)).toBe("in_review");
  });

  it("publishes to Event Grid and emails through ACS when their settings are given", async () => {
    const [eventGrid, acs] = await Promise.all([startEventGridServer(), startAcsEmailServer()]);
    const wired = await startAzureTestServer(backends, {
      workspaces: [workspace("ws2")],
      services: {
        eventGrid: { endpoint: eventGrid.endpoint, key: eventGrid.key },
        email: { connectionString: acs.connectionString, sender: "DoNotReply@example.azurecomm.net" },
        portalUrl: "https://tre.example.org",
      },
    });
    try {
      const alice = await wired.token({ user: "alice", roles: ["WorkspaceResearcher"], workspace: "ws2" });
      const created = await call<RequestBody>(`${wired.url}/api/workspaces/ws2/requests`, {
        method: "POST",
        token: alice,
        json: { type: "import", title: "Announced", businessJustification: "Events and email" },
      });
      const id = created.body.airlockRequest.id;
      const link = await call<{ containerUrl: string }>(
        `${wired.url}/api/workspaces/ws2/requests/${id}/link`,
        {
          token: alice,
        },
      );
      expect((await putBlob(link.body.containerUrl, "data.csv", "x")).status).toBe(201);
      expect(
        (
          await call(`${wired.url}/api/workspaces/ws2/requests/${id}/submit`, {
            method: "POST",
            token: alice,
          })
        ).status,
      ).toBe(200);
      await wired.idle();
      const verdict = await postEvents(wired, [
        eventGridScanResult(await wired.blobUrlIn(id, "in_progress", "data.csv")),
      ]);
      expect(verdict.body).toMatchObject({ applied: 1 });
      await wired.idle();

      expect(eventGrid.refusals()).toEqual([]);
      const statuses = eventGrid
        .accepted()
        .filter((event) => event.type === "org.airlock.request.status_changed.v1")
        .map((event) => (event.data as { newStatus: string }).newStatus);
      expect(statuses).toEqual(["draft", "submitted", "in_review"]);

      expect(acs.refusals()).toEqual([]);
      const mails = acs.delivered().map((email) => ({
        to: email.message.recipients.to.map((to) => to.address).sort(),
        subject: email.message.content.subject,
        html: email.message.content.html ?? "",
      }));
      // The requester hears of her own steps; the reviewers once it waits for them, with a link.
      expect(mails.filter((mail) => mail.to.includes("alice@example.org")).length).toBeGreaterThanOrEqual(2);
      const forReview = mails.find((mail) => mail.to.includes("bob@example.org"));
      expect(forReview?.to).toEqual(["bob@example.org", "mona@example.org", "olivia@example.org"]);
      expect(forReview?.html).toContain(`https://tre.example.org/workspaces/ws2/requests/${id}`);
    } finally {
      await wired.close();
      await Promise.all([eventGrid.close(), acs.close()]);
    }
  });
});

describe("the azure profile's security gates", () => {
  it("runs a workspace's in-process gates on the blob stream: an executable named .csv is blocked before Defender is asked", async () => {
    const gated = await startAzureTestServer(backends, {
      workspaces: [workspace("wsgated", { policy: { gates: [{ type: "file-type", allow: ["csv"] }] } })],
    });
    try {
      const alice = await gated.token({
        user: "alice",
        roles: ["WorkspaceResearcher"],
        workspace: "wsgated",
      });
      const requests = `${gated.url}/api/workspaces/wsgated/requests`;
      const submitFile = async (content: string | Uint8Array) => {
        const created = await call<RequestBody>(requests, {
          method: "POST",
          token: alice,
          json: { type: "import", title: "Table", businessJustification: "For the paper" },
        });
        const id = created.body.airlockRequest.id;
        const link = await call<{ containerUrl: string }>(`${requests}/${id}/link`, { token: alice });
        expect((await putBlob(link.body.containerUrl, "table.csv", content)).status).toBe(201);
        expect(
          (await call<RequestBody>(`${requests}/${id}/submit`, { method: "POST", token: alice })).status,
        ).toBe(200);
        await gated.idle();
        return gated.request(id);
      };
      // A CSV passes the gate and waits for Defender's verdict, as without gates.
      expect((await submitFile("region,count\nnorth,12\n")).status).toBe("submitted");
      const executable = new Uint8Array(
        await readFile(process.execPath).then((bytes) => bytes.subarray(0, 4096)),
      );
      const blocked = await submitFile(executable);
      expect(blocked.status).toBe("blocked_by_scan");
      expect(blocked.statusMessage).toMatch(/file-type/);
      expect(blocked.statusMessage).toMatch(/table\.csv/);
    } finally {
      await gated.close();
    }
  });
});
