import { afterEach, describe, expect, it } from "vitest";
import { expectProblem, peopleOf, requestsUrl } from "./support/flow.js";
import { call, startTestServer, type TestServer, workspace } from "./support/server.js";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

describe("workspace quotas over HTTP", () => {
  it("a draft beyond maxOpenDrafts is 409 QuotaExceeded problem+json", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1", { policy: { maxOpenDrafts: 1 } })] });
    const { alice } = await peopleOf(server, "ws1");
    const body = { type: "import", title: "t", businessJustification: "j" };
    expect(
      (await call(requestsUrl(server, "ws1"), { method: "POST", token: alice, json: body })).status,
    ).toBe(201);
    const refused = await call(requestsUrl(server, "ws1"), { method: "POST", token: alice, json: body });
    expectProblem(refused, 409, "QuotaExceeded");
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
  });
});
