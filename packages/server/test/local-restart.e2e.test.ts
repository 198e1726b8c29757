import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintDevToken } from "@airlock/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_SECRET } from "../../http/test/support/server.js";
import { type ChildApi, startChildApi } from "./support/child-api.js";
import { freePort } from "./support/free-port.js";

// The local profile as `pnpm start` runs it, stopped and started again on the same data directory:
// what was there before is there after, and a link handed out before still works.

const WS = "ws1";
let dataDir: string;
let api: ChildApi | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "airlock-restart-"));
});
afterAll(async () => {
  await api?.kill("SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("the local profile across a restart", () => {
  it("keeps the request, its file, its audit trail and the links handed out", async () => {
    const port = await freePort();
    const env = { AIRLOCK_DATA_DIR: dataDir, AIRLOCK_DEV_SECRET: TEST_SECRET, LOG_LEVEL: "warn" };
    const start = () => startChildApi({ env, port, timeoutMs: 60_000 });
    api = await start();
    const alice = await mintDevToken({
      secret: TEST_SECRET,
      userId: "alice",
      roles: ["WorkspaceResearcher"],
      audience: WS,
    });
    const bob = await mintDevToken({
      secret: TEST_SECRET,
      userId: "bob",
      roles: ["AirlockManager"],
      audience: WS,
    });
    const call = async (path: string, token: string, init: { method?: string; json?: unknown } = {}) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        method: init.method ?? "GET",
        headers: {
          authorization: `Bearer ${token}`,
          ...(init.json === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
      });
      const text = await response.text();
      // biome-ignore lint/suspicious/noExplicitAny: the API's JSON answers, read field by field below
      return { status: response.status, body: (text === "" ? {} : JSON.parse(text)) as Record<string, any> };
    };

    const created = await call(`/api/workspaces/${WS}/requests`, alice, {
      method: "POST",
      json: { type: "import", title: "Survives a restart", businessJustification: "Restart test" },
    });
    expect(created.status).toBe(201);
    const id = created.body.airlockRequest.id as string;
    const path = `/api/workspaces/${WS}/requests/${id}`;
    const bytes = new TextEncoder().encode("name,count\nsurvives,1\n".repeat(1000));
    const draftLink = await call(`${path}/link`, alice);
    const upload = new URL(draftLink.body.containerUrl);
    upload.pathname = `${upload.pathname}/data.csv`;
    const put = await fetch(upload, {
      method: "PUT",
      headers: { "x-ms-blob-type": "BlockBlob" },
      body: bytes,
    });
    expect(put.status).toBe(201);
    expect((await call(`${path}/submit`, alice, { method: "POST" })).status).toBe(200);
    let status = "";
    for (let n = 0; n < 100 && status !== "in_review"; n++) {
      status = (await call(path, bob)).body.airlockRequest.status;
      if (status !== "in_review") await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe("in_review");
    const reviewLink = await call(`${path}/link`, bob);
    expect(reviewLink.status).toBe(200);
    const auditBefore = await call(`${path}/audit`, bob);
    expect(auditBefore.status).toBe(200);

    expect(await api.kill("SIGTERM")).toBe(0);
    api = await start();

    const after = await call(path, bob);
    expect(after.body.airlockRequest).toMatchObject({ id, status: "in_review" });
    expect(after.body.airlockRequest.files).toEqual([
      expect.objectContaining({ name: "data.csv", size: bytes.length, sha256: sha256(bytes) }),
    ]);
    // The link from before the restart still reads the file.
    const download = new URL(reviewLink.body.containerUrl);
    download.pathname = `${download.pathname}/data.csv`;
    const read = await fetch(download);
    expect(read.status).toBe(200);
    expect(sha256(new Uint8Array(await read.arrayBuffer()))).toBe(sha256(bytes));
    // The trail from before is there, unchanged, and verifies against its checkpoints.
    const auditAfter = await call(`${path}/audit`, bob);
    expect(auditAfter.body.entries.slice(0, auditBefore.body.entries.length)).toEqual(
      auditBefore.body.entries,
    );
    const verification = await call(`${path}/audit/verification`, bob);
    expect(verification.body).toMatchObject({ ok: true });

    // And the request goes on from where it was.
    const reviewed = await call(`${path}/review`, bob, {
      method: "POST",
      json: { approval: true, decisionExplanation: "Fine after a restart" },
    });
    expect(reviewed.status).toBe(200);
  }, 120_000);
});
