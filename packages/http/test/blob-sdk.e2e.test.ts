import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { ContainerClient, RestError } from "@azure/storage-blob";
import { afterEach, describe, expect, it } from "vitest";
import { act, createRequest, getRequest, linkOf, peopleOf, requestInReview } from "./support/flow.js";
import { localPorts } from "./support/local-ports.js";
import {
  call,
  startTestServer,
  type TestServer,
  type TestServerOptions,
  workspace,
} from "./support/server.js";

// The embedded blob endpoint driven by the official Azure SDK, as a researcher would with the link
// the API handed them: the SDK must find in each answer what it finds on Azure.

const MIB = 1024 * 1024;

/** `size` bytes that differ at nearly every offset, so a range served one byte off shows. */
const patterned = (size: number, seed = 0) =>
  Buffer.from(new Uint8Array(size).map((_, index) => (index * 7 + (index >> 10) + seed) % 251));

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Base64 block ids of equal length, as the SDK makes them. */
const blockId = (index: number) => Buffer.from(`block-${String(index).padStart(6, "0")}`).toString("base64");

/** The Azure error code an SDK call was refused with. */
const codeOf = async (pending: Promise<unknown>) => {
  const error = await pending.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RestError);
  return { status: (error as RestError).statusCode, code: (error as RestError).code };
};

/**
 * A Put Block whose connection drops half way through its body, as a flaky network does: the
 * headers promise `size` bytes, half are sent, then the socket is destroyed.
 */
const droppedPutBlock = (blockUrl: string, size: number) =>
  new Promise<void>((resolve) => {
    const url = new URL(blockUrl);
    const request = httpRequest(url, {
      method: "PUT",
      headers: { "content-length": String(size), "x-ms-version": "2025-01-05" },
    });
    request.on("error", () => resolve());
    request.on("close", () => resolve());
    request.write(patterned(size / 2, 99), () => {
      // Long enough for the server to have started reading the body; the drop comes either way.
      setTimeout(() => request.destroy(), 50);
    });
  });

const suite = (profile: string, options: () => { server: TestServerOptions; dispose?: () => void }) =>
  describe(`the Azure SDK through a link (${profile})`, () => {
    let server: TestServer;
    let dispose: (() => void) | undefined;
    afterEach(async () => {
      // The SDK keeps its connections alive: every call has been answered, so none is waited for.
      server?.app.server.closeAllConnections();
      await server?.close();
      dispose?.();
    });

    const start = async (policy: Partial<NonNullable<Parameters<typeof workspace>[1]>["policy"]> = {}) => {
      const chosen = options();
      dispose = chosen.dispose;
      server = await startTestServer({ workspaces: [workspace("ws1", { policy })], ...chosen.server });
      const people = await peopleOf(server, "ws1");
      const id = await createRequest(server, "ws1", people.alice);
      const link = await linkOf(server, "ws1", id, people.alice);
      return { people, id, link, container: new ContainerClient(link) };
    };

    it("uploads in one shot and downloads the same bytes, with the headers the SDK reads", async () => {
      const { container } = await start();
      const blob = container.getBlockBlobClient("cohort.csv");
      await blob.uploadData(Buffer.from("id,age\n1,42\n"));

      const properties = await blob.getProperties();
      expect(properties.contentLength).toBe(12);
      expect(properties.contentType).toBe("application/octet-stream");
      expect(properties.blobType).toBe("BlockBlob");
      expect(properties.etag).toMatch(/^".+"$/);
      expect(properties.lastModified).toBeInstanceOf(Date);
      expect(properties.requestId).toBeTruthy();
      expect(properties.version).toBeTruthy();
      expect((await blob.downloadToBuffer()).toString()).toBe("id,age\n1,42\n");
    });

    it("answers HEAD and GET with length, etag, modification and byte ranges", async () => {
      const { link, container } = await start();
      const bytes = patterned(1000);
      await container.getBlockBlobClient("data.bin").uploadData(bytes);
      const url = new URL(link);
      url.pathname += "/data.bin";

      const head = await fetch(url, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe("1000");
      expect(head.headers.get("accept-ranges")).toBe("bytes");
      expect(head.headers.get("x-ms-blob-type")).toBe("BlockBlob");
      expect(head.headers.get("etag")).toMatch(/^".+"$/);
      expect(new Date(head.headers.get("last-modified") ?? "").getTime()).not.toBeNaN();

      const ranged = await fetch(url, { headers: { "x-ms-range": "bytes=10-19", range: "bytes=0-0" } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get("content-range")).toBe("bytes 10-19/1000");
      expect(ranged.headers.get("content-length")).toBe("10");
      expect(Buffer.from(await ranged.arrayBuffer())).toEqual(bytes.subarray(10, 20));

      const suffix = await fetch(url, { headers: { range: "bytes=-5" } });
      expect(suffix.status).toBe(206);
      expect(Buffer.from(await suffix.arrayBuffer())).toEqual(bytes.subarray(995));

      const beyond = await fetch(url, { headers: { range: "bytes=1000-" } });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get("content-range")).toBe("bytes */1000");

      const etag = head.headers.get("etag") ?? "";
      expect((await fetch(url, { headers: { "if-match": etag } })).status).toBe(200);
      const changed = await fetch(url, {
        headers: { "if-match": '"another"', "x-ms-version": "2025-01-05" },
      });
      expect(changed.status).toBe(412);
      expect(changed.headers.get("x-ms-error-code")).toBe("ConditionNotMet");
      await container.getBlockBlobClient("data.bin").uploadData(patterned(1000, 5));
      expect(
        await codeOf(container.getBlobClient("data.bin").download(0, 10, { conditions: { ifMatch: etag } })),
      ).toEqual({ status: 412, code: "ConditionNotMet" });

      const viaSdk = await container.getBlobClient("data.bin").download(990, 10);
      expect(viaSdk.contentRange).toBe("bytes 990-999/1000");
      expect(viaSdk.contentLength).toBe(10);
      viaSdk.readableStreamBody?.resume();
    });

    it("stages several blocks and commits them in the order listed", async () => {
      const { container } = await start();
      const blob = container.getBlockBlobClient("joined.bin");
      const parts = [patterned(3000, 1), patterned(5000, 2), patterned(7, 3)];
      // Staged out of order: the list's order is the file's.
      await blob.stageBlock(blockId(2), parts[2] as Buffer, 7);
      await blob.stageBlock(blockId(0), parts[0] as Buffer, 3000);
      await blob.stageBlock(blockId(1), parts[1] as Buffer, 5000);
      expect((await codeOf(blob.getProperties())).status).toBe(404);
      await blob.commitBlockList([blockId(0), blockId(1), blockId(2)]);
      expect(await blob.downloadToBuffer()).toEqual(Buffer.concat(parts));
    });

    it("uploads a large file in staged blocks (uploadData over the single-shot size) and downloads it in parallel ranges", async () => {
      const { container } = await start({ maxFileSize: 64 * MIB });
      const blob = container.getBlockBlobClient("large.bin");
      const bytes = patterned(9 * MIB + 123);
      await blob.uploadData(bytes, { maxSingleShotSize: MIB, blockSize: 2 * MIB, concurrency: 3 });
      const listed = [];
      for await (const item of container.listBlobsFlat()) listed.push(item);
      expect(listed.map((item) => [item.name, item.properties.contentLength])).toEqual([
        ["large.bin", bytes.length],
      ]);
      const downloaded = await blob.downloadToBuffer(0, undefined, { blockSize: MIB, concurrency: 4 });
      expect(downloaded.length).toBe(bytes.length);
      expect(sha256(downloaded)).toBe(sha256(bytes));
    });

    it("resumes a staged upload after a dropped connection: staged blocks survive, the retried block replaces", async () => {
      const { container } = await start();
      const blob = container.getBlockBlobClient("resumed.bin");
      await blob.stageBlock(blockId(0), patterned(4096, 1), 4096);
      await blob.stageBlock(blockId(1), patterned(4096, 2), 4096);
      await droppedPutBlock(`${blob.url}&comp=block&blockid=${encodeURIComponent(blockId(2))}`, 4096);
      // The client retries the block that did not arrive, then commits as if nothing happened.
      await blob.stageBlock(blockId(2), patterned(4096, 3), 4096);
      await blob.commitBlockList([blockId(0), blockId(1), blockId(2)]);
      expect(await blob.downloadToBuffer()).toEqual(
        Buffer.concat([patterned(4096, 1), patterned(4096, 2), patterned(4096, 3)]),
      );
    });

    it("lists and deletes through the SDK", async () => {
      const { container } = await start({ maxFiles: 2 });
      await container.getBlockBlobClient("a.csv").uploadData(Buffer.from("a"));
      await container.getBlockBlobClient("b.csv").uploadData(Buffer.from("bb"));
      const names = async () => {
        const found: string[] = [];
        for await (const item of container.listBlobsFlat()) found.push(item.name);
        return found;
      };
      expect(await names()).toEqual(["a.csv", "b.csv"]);
      const prefixed: string[] = [];
      for await (const item of container.listBlobsFlat({ prefix: "b" })) prefixed.push(item.name);
      expect(prefixed).toEqual(["b.csv"]);
      await container.getBlobClient("a.csv").delete();
      expect(await names()).toEqual(["b.csv"]);
    });

    it("answers Azure's error codes where the SDK expects them", async () => {
      const { container, link } = await start({ maxFileSize: 10_000 });
      expect(await codeOf(container.getBlobClient("absent.csv").download())).toEqual({
        status: 404,
        code: "BlobNotFound",
      });

      const blob = container.getBlockBlobClient("listed.bin");
      await blob.stageBlock(blockId(0), Buffer.from("staged"), 6);
      expect(await codeOf(blob.commitBlockList([blockId(0), blockId(7)]))).toEqual({
        status: 400,
        code: "InvalidBlockList",
      });
      expect(await codeOf(blob.stageBlock("not base64!", Buffer.from("x"), 1))).toEqual({
        status: 400,
        code: "InvalidBlockId",
      });

      expect(await codeOf(blob.stageBlock(blockId(1), patterned(10_001), 10_001))).toEqual({
        status: 413,
        code: "RequestBodyTooLarge",
      });
      // Every block fits, the blocks together do not: the file's limit counts the committed blob.
      await blob.stageBlock(blockId(1), patterned(6000), 6000);
      await blob.stageBlock(blockId(2), patterned(3000), 3000);
      expect(
        await codeOf(
          container
            .getBlockBlobClient("single.bin")
            .uploadData(patterned(10_001), { maxSingleShotSize: MIB }),
        ),
      ).toEqual({ status: 413, code: "RequestBodyTooLarge" });

      const forged = new URL(link);
      forged.searchParams.set("sig", "A".repeat(43));
      expect(
        await codeOf(
          new ContainerClient(forged.toString()).getBlockBlobClient("x.csv").uploadData(Buffer.from("x")),
        ),
      ).toEqual({ status: 403, code: "AuthenticationFailed" });

      server.ports.clock.advance(3600 * 1000 + 1000);
      expect(await codeOf(container.getBlockBlobClient("late.csv").uploadData(Buffer.from("x")))).toEqual({
        status: 403,
        code: "AuthenticationFailed",
      });
    });

    it("refuses a link that grants reading only with AuthorizationPermissionMismatch", async () => {
      const chosen = options();
      dispose = chosen.dispose;
      server = await startTestServer({ workspaces: [workspace("ws1")], ...chosen.server });
      const people = await peopleOf(server, "ws1");
      const id = await requestInReview(server, "ws1", people);
      const review = new ContainerClient(await linkOf(server, "ws1", id, people.bob));
      expect((await review.getBlobClient("data.csv").downloadToBuffer()).toString()).toBe("a,b\n1,2\n");
      expect(
        await codeOf(review.getBlockBlobClient("data.csv").stageBlock(blockId(0), Buffer.from("x"), 1)),
      ).toEqual({ status: 403, code: "AuthorizationPermissionMismatch" });
    });

    it("records every block write and ranged read in the request's audit trail", async () => {
      const { container, id, people } = await start();
      const blob = container.getBlockBlobClient("audited.bin");
      await blob.stageBlock(blockId(0), Buffer.from("abc"), 3);
      await blob.commitBlockList([blockId(0)]);
      await blob.getProperties();
      await blob.download(1, 1);
      const trail = await call<{ entries: { action: string; outcome: string; reason: string }[] }>(
        `${server.url}/api/workspaces/ws1/requests/${id}/audit`,
        { token: people.olivia },
      );
      expect(trail.status, JSON.stringify(trail.body)).toBe(200);
      const calls = trail.body.entries
        .filter((entry) => entry.action.startsWith("file-"))
        .map((entry) => [entry.action, entry.outcome]);
      expect(calls).toEqual([
        ["file-write", "allowed"],
        ["file-write", "allowed"],
        ["file-read", "allowed"],
        ["file-read", "allowed"],
      ]);
    });

    it("stops a draft link's block writes once the request is submitted, recording the refusal", async () => {
      const { container, id, people } = await start({ maxFiles: 2 });
      const blob = container.getBlockBlobClient("late.bin");
      await container.getBlockBlobClient("data.csv").uploadData(Buffer.from("a,b\n"));
      await blob.stageBlock(blockId(0), Buffer.from("staged before"), 13);
      expect((await act(server, "ws1", id, "submit", people.alice)).status).toBe(200);
      await server.idle();
      expect(await codeOf(blob.stageBlock(blockId(1), Buffer.from("after"), 5))).toEqual({
        status: 403,
        code: "AuthorizationPermissionMismatch",
      });
      expect(await codeOf(blob.commitBlockList([blockId(0)]))).toEqual({
        status: 403,
        code: "AuthorizationPermissionMismatch",
      });
      const trail = await call<{ entries: { action: string; outcome: string }[] }>(
        `${server.url}/api/workspaces/ws1/requests/${id}/audit`,
        { token: people.olivia },
      );
      expect(
        trail.body.entries.filter((entry) => entry.action === "file-write" && entry.outcome === "denied"),
      ).toHaveLength(2);
    });

    it("a committed file is the request's file, submitted with the sha256 of its bytes", async () => {
      const { container, id, people } = await start({ maxFileSize: 64 * MIB });
      const bytes = patterned(3 * MIB + 1);
      await container
        .getBlockBlobClient("study.bin")
        .uploadData(bytes, { maxSingleShotSize: MIB, blockSize: MIB, concurrency: 2 });
      expect((await act(server, "ws1", id, "submit", people.alice)).status).toBe(200);
      await server.idle();
      const request = await getRequest(server, "ws1", id, people.alice);
      expect(request.body.airlockRequest.files).toEqual([
        expect.objectContaining({ name: "study.bin", size: bytes.length, sha256: sha256(bytes) }),
      ]);
    });
  });

suite("memory ports", () => ({ server: {} }));
suite("local ports: files and SQLite", () => {
  const local = localPorts();
  return { server: { decoratePorts: local.decorate }, dispose: local.dispose };
});
