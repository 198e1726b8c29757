import { afterEach, describe, expect, it } from "vitest";
import { expectProblem } from "./support/flow.js";
import { call, startTestServer, type TestServer } from "./support/server.js";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

const members = [{ id: "alice", name: "Alice", email: "alice@example.org", roles: ["WorkspaceResearcher"] }];

describe("a server that runs no malware scanner", () => {
  it("refuses (422) a workspace whose policy asks for a scan, and registers one that does not", async () => {
    server = await startTestServer({
      decoratePorts: ({ scanner: _none, ...ports }) => ports,
    });
    const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
    const url = `${server.url}/api/workspaces/ws9`;
    const put = (airlock: unknown) =>
      call<{ errors: unknown }>(url, {
        method: "PUT",
        token: admin,
        json: { displayName: "Nine", members, airlock },
      });

    const byDefault = await put({});
    expectProblem(byDefault, 422, "InvalidInput");
    expect(byDefault.body.errors).toEqual([
      { path: "airlock.scanning", message: expect.stringMatching(/^this server runs no malware scanner/) },
    ]);
    const byGate = await put({ scanning: false, gates: [{ type: "malware" }] });
    expectProblem(byGate, 422, "InvalidInput");
    expect((await call(url, { token: admin })).status).toBe(404);

    expect((await put({ scanning: false })).status).toBe(201);
  });
});
