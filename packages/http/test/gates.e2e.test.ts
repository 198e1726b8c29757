import { createSizeGate } from "@airlock/core";
import { okAsync } from "neverthrow";
import { afterEach, describe, expect, it } from "vitest";
import { expectProblem, getRequest, peopleOf, requestInReview } from "./support/flow.js";
import { call, startTestServer, type TestServer, workspace } from "./support/server.js";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

const members = [{ id: "alice", name: "Alice", email: "alice@example.org", roles: ["WorkspaceResearcher"] }];

describe("security gates through the API", () => {
  it("a workspace's policy lists its gates, with their defaults; an unknown gate, or one the server does not run, is refused (422)", async () => {
    server = await startTestServer({
      decoratePorts: (ports) => ({ ...ports, gates: { size: createSizeGate() } }),
    });
    const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
    const url = `${server.url}/api/workspaces/ws9`;
    const put = (gates: unknown) =>
      call<{ airlock: { gates: unknown }; errors: unknown }>(url, {
        method: "PUT",
        token: admin,
        json: { displayName: "Nine", members, airlock: { gates } },
      });
    expectProblem(await put([{ type: "magic" }]), 422, "InvalidInput");
    const notRun = await put([{ type: "size" }, { type: "disclosure" }]);
    expectProblem(notRun, 422, "InvalidInput");
    expect(notRun.body.errors).toEqual([
      {
        path: "airlock.gates.1.type",
        message: "this server does not run the disclosure gate (it runs: malware, size)",
      },
    ]);
    expect((await call(url, { token: admin })).status).toBe(404);

    const created = await put([{ type: "malware" }, { type: "size", maxFileBytes: 100 }]);
    expect(created.status).toBe(201);
    expect(created.body.airlock.gates).toEqual([{ type: "malware" }, { type: "size", maxFileBytes: 100 }]);
  });

  it("a file-type gate's extensions are answered as stored: without their dot, in lower case", async () => {
    const passes = {
      type: "file-type" as const,
      check: () => okAsync({ verdict: "pass" as const, findings: [] }),
    };
    server = await startTestServer({
      decoratePorts: (ports) => ({ ...ports, gates: { "file-type": passes } }),
    });
    const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
    const url = `${server.url}/api/workspaces/ws9`;
    const created = await call<{ airlock: { gates: unknown } }>(url, {
      method: "PUT",
      token: admin,
      json: {
        displayName: "Nine",
        members,
        airlock: { gates: [{ type: "file-type", allow: [".CSV", "txt"] }] },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.airlock.gates).toEqual([{ type: "file-type", allow: ["csv", "txt"] }]);
    const read = await call<{ airlock: { gates: unknown } }>(url, { token: admin });
    expect(read.body.airlock.gates).toEqual([{ type: "file-type", allow: ["csv", "txt"] }]);
  });

  it("the request carries its findings: a file over the size gate's limit is blocked, and its requester reads why", async () => {
    server = await startTestServer({
      workspaces: [workspace("ws1", { policy: { gates: [{ type: "size", maxFileBytes: 4 }] } })],
      decoratePorts: (ports) => ({ ...ports, gates: { size: createSizeGate() } }),
    });
    const people = await peopleOf(server, "ws1");
    const id = await requestInReview(server, "ws1", people);
    const read = await getRequest(server, "ws1", id, people.alice);
    expect(read.status).toBe(200);
    expect(read.body.airlockRequest).toMatchObject({
      status: "blocked_by_scan",
      statusMessage: 'size gate: "data.csv": is 8 bytes, over the limit of 4 bytes per file',
      findings: [
        {
          gate: "size",
          file: "data.csv",
          verdict: "fail",
          message: "is 8 bytes, over the limit of 4 bytes per file",
          turn: 1,
        },
      ],
    });
    expect(read.body.airlockRequest).not.toHaveProperty("gatedTurn");
  });
});
