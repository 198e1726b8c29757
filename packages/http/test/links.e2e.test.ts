import type { Workspace } from "@airlock/core";
import { afterEach, describe, expect, it } from "vitest";
import {
  act,
  blobUrl,
  createRequest,
  expectProblem,
  getBlob,
  linkOf,
  peopleOf,
  putBlob,
  requestInReview,
} from "./support/flow.js";
import { call, startTestServer, type TestServer, workspace } from "./support/server.js";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

const start = async (policy: Partial<Workspace["policy"]> = {}) => {
  server = await startTestServer({ workspaces: [workspace("ws1", { policy })] });
  return peopleOf(server, "ws1");
};

const listUrl = (containerUrl: string) => `${containerUrl}&restype=container&comp=list`;

describe("a link in the embedded profile", () => {
  it("works like a container SAS URL: upload, list, download, delete", async () => {
    const people = await start({ maxFiles: 2 });
    const id = await createRequest(server, "ws1", people.alice);
    const link = await linkOf(server, "ws1", id, people.alice);
    expect(new URL(link).searchParams.get("sp")).toBe("rwdl");

    expect((await putBlob(link, "a & b.txt", "first")).status).toBe(201);
    expect((await putBlob(link, "second.bin", new Uint8Array([0, 1, 2, 255]))).status).toBe(201);

    const listing = await call(listUrl(link));
    expect(listing.status).toBe(200);
    expect(listing.contentType).toMatch(/^application\/xml/);
    expect(listing.body).toContain(
      "<Name>a &amp; b.txt</Name><Properties><Content-Length>5</Content-Length>",
    );
    expect(listing.body).toContain("<Name>second.bin</Name>");

    const binary = await getBlob(link, "second.bin");
    expect([...binary.bytes]).toEqual([0, 1, 2, 255]);
    expect(binary.contentType).toBe("application/octet-stream");

    const deleted = await fetch(blobUrl(link, "a & b.txt"), { method: "DELETE" });
    expect(deleted.status).toBe(202);
    expect([...server.ports.storage.contents("draft", id).keys()]).toEqual(["second.bin"]);
  });

  it("answers the public base URL when one is configured", async () => {
    server = await startTestServer({
      workspaces: [workspace("ws1")],
      publicBaseUrl: "https://airlock.example.org/tre/",
    });
    const people = await peopleOf(server, "ws1");
    const id = await createRequest(server, "ws1", people.alice);
    expect(await linkOf(server, "ws1", id, people.alice)).toMatch(
      new RegExp(`^https://airlock\\.example\\.org/tre/blob/${id}\\?sv=`),
    );
  });

  it("stops writing once its draft is submitted", async () => {
    const people = await start();
    const id = await createRequest(server, "ws1", people.alice);
    const link = await linkOf(server, "ws1", id, people.alice);
    expect((await putBlob(link, "data.csv", "x")).status).toBe(201);
    expect((await act(server, "ws1", id, "submit", people.alice)).status).toBe(200);
    await server.idle();

    expectProblem(await putBlob(link, "more.csv", "y"), 403, "Forbidden");
    expectProblem(await putBlob(link, "data.csv", "overwritten"), 403, "Forbidden");
    expect(server.ports.storage.stagesHolding(id)).not.toContain("draft");
  });

  it("granting read access refuses writes and deletes", async () => {
    const people = await start();
    const id = await requestInReview(server, "ws1", people);
    const reviewLink = await linkOf(server, "ws1", id, people.bob);
    expect(new URL(reviewLink).searchParams.get("sp")).toBe("rl");

    expectProblem(await putBlob(reviewLink, "data.csv", "tampered"), 403, "Forbidden");
    const deleted = await call(blobUrl(reviewLink, "data.csv"), { method: "DELETE" });
    expectProblem(deleted, 403, "Forbidden");
    expect((await getBlob(reviewLink, "data.csv")).bytes.toString()).toBe("a,b\n1,2\n");
  });

  it("refuses an upload over the workspace's size limit with 413 and keeps nothing of it", async () => {
    const people = await start({ maxFileSize: 1024 });
    const id = await createRequest(server, "ws1", people.alice);
    const link = await linkOf(server, "ws1", id, people.alice);

    expectProblem(await putBlob(link, "big.bin", new Uint8Array(64 * 1024)), 413, "TooLarge");
    expect(server.ports.storage.contents("draft", id).size).toBe(0);
    expect((await putBlob(link, "small.bin", new Uint8Array(1024))).status).toBe(201);
  });

  it("refuses a second file when the policy allows one", async () => {
    const people = await start({ maxFiles: 1 });
    const id = await createRequest(server, "ws1", people.alice);
    const link = await linkOf(server, "ws1", id, people.alice);
    expect((await putBlob(link, "one.csv", "1")).status).toBe(201);
    expectProblem(await putBlob(link, "two.csv", "2"), 400, "PolicyViolation");
  });

  it("refuses a file name that could escape the container with 422", async () => {
    const people = await start();
    const id = await createRequest(server, "ws1", people.alice);
    const link = await linkOf(server, "ws1", id, people.alice);
    const answer = await putBlob(link, "a..b", "x");
    expectProblem(answer, 422, "InvalidInput");
    expect(answer.body.errors).toEqual([expect.objectContaining({ path: "name" })]);
    expect(server.ports.storage.contents("draft", id).size).toBe(0);
  });

  it("needs the block blob header to upload", async () => {
    const people = await start();
    const id = await createRequest(server, "ws1", people.alice);
    const link = await linkOf(server, "ws1", id, people.alice);
    const answer = await call(blobUrl(link, "data.csv"), { method: "PUT", body: "x" });
    expectProblem(answer, 422, "InvalidInput");
    expect(answer.body.errors).toEqual([expect.objectContaining({ path: "x-ms-blob-type" })]);
  });

  it("refuses a tampered, borrowed, missing or expired token with 401", async () => {
    const people = await start();
    const id = await createRequest(server, "ws1", people.alice);
    const other = await createRequest(server, "ws1", people.alice);
    const link = await linkOf(server, "ws1", id, people.alice);

    const widened = new URL(
      await linkOf(server, "ws1", await requestInReview(server, "ws1", people), people.bob),
    );
    widened.searchParams.set("sp", "rwdl");
    expectProblem(await putBlob(widened.toString(), "x.csv", "x"), 401, "Unauthorized");

    const borrowed = link.replace(`/blob/${id}?`, `/blob/${other}?`);
    expectProblem(await putBlob(borrowed, "x.csv", "x"), 401, "Unauthorized");

    const bare = link.split("?")[0] ?? "";
    expectProblem(await call(`${bare}/x.csv`), 401, "Unauthorized");

    server.ports.clock.advance(3600 * 1000 + 1000);
    expectProblem(await putBlob(link, "late.csv", "x"), 401, "Unauthorized");
    expect(server.ports.storage.contents("draft", id).size).toBe(0);
  });

  it("answers 404 for a file that is not there", async () => {
    const people = await start();
    const id = await createRequest(server, "ws1", people.alice);
    const link = await linkOf(server, "ws1", id, people.alice);
    expectProblem(await call(blobUrl(link, "absent.csv")), 404, "NotFound");
  });
});

describe("a link in the storage profile", () => {
  it("is the storage port's own URL, and the server serves no blob endpoint", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")], blobEndpoint: "storage" });
    const people = await peopleOf(server, "ws1");
    const id = await createRequest(server, "ws1", people.alice);
    const link = await linkOf(server, "ws1", id, people.alice);
    expect(link.startsWith(`${server.url}/blob/`)).toBe(false);
    expectProblem(
      await call(`${server.url}/blob/${id}/x.csv`, { method: "PUT", body: "x" }),
      404,
      "NotFound",
    );
  });
});
