import { randomBytes } from "node:crypto";
import { auditCheckpointsContract } from "@airlock/core/testing";
import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBlobAuditCheckpoints } from "../src/blob-audit-checkpoints.js";
import { type BlobBackend, startBlobBackend } from "./support/backends.js";

let backend: BlobBackend;
beforeAll(async () => {
  backend = await startBlobBackend();
});
afterAll(async () => {
  await backend?.stop();
});

const freshContainer = () =>
  BlobServiceClient.fromConnectionString(backend.connectionString).getContainerClient(
    `checkpoints${backend.tag}-${randomBytes(6).toString("hex")}`,
  );

const checkpointsIn = async (segmentSize?: number) => {
  const container = freshContainer();
  const checkpoints = createBlobAuditCheckpoints({ container, ...(segmentSize ? { segmentSize } : {}) });
  (await checkpoints.ensure())._unsafeUnwrap();
  return { checkpoints, container };
};

auditCheckpointsContract({ describe, it }, async () => (await checkpointsIn()).checkpoints);
auditCheckpointsContract({ describe, it }, async () => (await checkpointsIn(2)).checkpoints);

describe("Blob audit checkpoints", () => {
  it("appends each checkpoint as a line of an append blob, never rewriting one", async () => {
    const { checkpoints, container } = await checkpointsIn(3);
    const stream = "workspace:ws-1";
    for (const seq of [0, 1, 2, 3]) {
      (
        await checkpoints.put({ stream, seq, hash: "a".repeat(64), at: seq, signature: `s${seq}` })
      )._unsafeUnwrap();
    }
    const names: { name: string; type: string | undefined }[] = [];
    for await (const blob of container.listBlobsFlat())
      names.push({ name: blob.name, type: blob.properties.blobType });
    const folder = Buffer.from(stream).toString("hex");
    expect(names).toEqual([
      { name: `${folder}/00000000.jsonl`, type: "AppendBlob" },
      { name: `${folder}/00000001.jsonl`, type: "AppendBlob" },
    ]);
    const first = await container.getBlobClient(`${folder}/00000000.jsonl`).downloadToBuffer();
    expect(
      first
        .toString()
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).seq),
    ).toEqual([0, 1, 2]);
  });

  it("latest looks past a last segment left empty by a failed first append", async () => {
    const { checkpoints, container } = await checkpointsIn(2);
    const stream = "request-1";
    (await checkpoints.put({ stream, seq: 1, hash: "b".repeat(64), at: 1, signature: "s" }))._unsafeUnwrap();
    await container.getAppendBlobClient(`${Buffer.from(stream).toString("hex")}/00000001.jsonl`).create();
    expect((await checkpoints.latest(stream))._unsafeUnwrap()?.seq).toBe(1);
  });
});
