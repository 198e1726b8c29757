import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uploadThroughSas } from "../../adapters-azure/test/support/sas-upload.js";
import type { RequestBody } from "../../http/test/support/flow.js";
import { call, workspace } from "../../http/test/support/server.js";
import {
  type AzureBackends,
  type AzureTestServer,
  startAzureBackends,
  startAzureTestServer,
} from "./support/azure-stack.js";

let backends: AzureBackends;
let server: AzureTestServer;

beforeAll(async () => {
  backends = await startAzureBackends();
  server = await startAzureTestServer(backends, {
    workspaces: [workspace("ws1", { policy: { maxFiles: 5, maxFileSize: 100 } })],
  });
});

afterAll(async () => {
  await server?.close();
  await backends?.stop();
});

const requestsUrl = () => `${server.url}/api/workspaces/ws1/requests`;
const alice = () => server.token({ user: "alice", roles: ["WorkspaceResearcher"], workspace: "ws1" });

/** A draft holding `good.csv`, uploaded through its SAS link, and the link. */
const draftWithLink = async () => {
  const token = await alice();
  const created = await call<RequestBody>(requestsUrl(), {
    method: "POST",
    token,
    json: { type: "import", title: "Hostile", businessJustification: "Names and sizes" },
  });
  expect(created.status).toBe(201);
  const id = created.body.airlockRequest.id;
  const link = await call<{ containerUrl: string }>(`${requestsUrl()}/${id}/link`, { token });
  await uploadThroughSas(link.body.containerUrl, "good.csv", "a,b\n");
  return { id, token, containerUrl: link.body.containerUrl };
};

type Problem = { status: number; code: string; detail: string; errors?: { path: string; message: string }[] };

describe("files written straight into Blob Storage through a draft's SAS link", () => {
  const cases: readonly (readonly [string, string, string, string])[] = [
    ["a traversal name", "../../etc/passwd", "x", "path separator"],
    ["a bidi override", "report\u202Efdp.exe", "x", "bidirectional"],
    ["an oversized file", "big.bin", "x".repeat(1000), "over the workspace's limit of 100 bytes"],
  ];

  it.each(cases)(
    "make the submit of %s a 400 naming the file, and change nothing",
    async (_what, name, content, why) => {
      const { id, token, containerUrl } = await draftWithLink();
      expect(await uploadThroughSas(containerUrl, name, content)).toBe(name);
      expect(await server.placement(id)).toEqual({ draft: [name, "good.csv"].sort() });
      const before = await server.request(id);

      const submitted = await call<Problem>(`${requestsUrl()}/${id}/submit`, { method: "POST", token });
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(400);
      expect(submitted.body).toMatchObject({ code: "InvalidFile", detail: expect.stringContaining(why) });
      expect(submitted.body.errors).toEqual([{ path: name, message: expect.stringContaining(why) }]);
      await server.idle();
      const after = await server.request(id);
      expect({ status: after.status, files: after.files, revision: after.revision }).toEqual({
        status: before.status,
        files: before.files,
        revision: before.revision,
      });
      expect(await server.placement(id)).toEqual({ draft: [name, "good.csv"].sort() });
    },
  );
});
