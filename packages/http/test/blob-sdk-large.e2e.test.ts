import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { ContainerClient } from "@azure/storage-blob";
import { afterEach, describe, expect, it } from "vitest";
import { act, createRequest, getRequest, linkOf, peopleOf } from "./support/flow.js";
import { localPorts } from "./support/local-ports.js";
import { startTestServer, type TestServer, workspace } from "./support/server.js";

// A 1 GiB staged upload through the Azure SDK into the local file storage, as a researcher's
// large file goes: the SDK cuts a stream into blocks and stages several at once. Part of the normal
// test run; it takes some seconds (the bytes are written, fsynced, joined and hashed on disk).

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/**
 * `total` bytes made 1 MiB at a time as they are read (never held whole), each MiB different,
 * hashed on the way so the test knows the sha256 of what it sent.
 */
const generated = (total: number) => {
  const hash = createHash("sha256");
  const base = new Uint8Array(MIB).map((_, index) => (index * 13 + (index >> 9)) % 251);
  let sent = 0;
  const stream = Readable.from(
    (function* () {
      for (let index = 0; sent < total; index += 1) {
        const chunk = Buffer.from(base);
        chunk.writeUInt32BE(index, 0);
        const piece = chunk.subarray(0, Math.min(MIB, total - sent));
        sent += piece.length;
        hash.update(piece);
        yield piece;
      }
    })(),
    { objectMode: false },
  );
  return { stream, sha256: () => hash.digest("hex") };
};

describe("a 1 GiB staged upload through the Azure SDK (local ports)", () => {
  let server: TestServer;
  const local = localPorts();
  afterEach(async () => {
    server?.app.server.closeAllConnections();
    await server?.close();
    local.dispose();
  });

  it("arrives whole: the request records the sha256 of the bytes sent", { timeout: 180_000 }, async () => {
    server = await startTestServer({
      workspaces: [workspace("ws1", { policy: { maxFileSize: 2 * GIB, maxBytesInFlight: 4 * GIB } })],
      decoratePorts: local.decorate,
    });
    const people = await peopleOf(server, "ws1");
    const id = await createRequest(server, "ws1", people.alice);
    const container = new ContainerClient(await linkOf(server, "ws1", id, people.alice));
    const content = generated(GIB);
    await container.getBlockBlobClient("large.bin").uploadStream(content.stream, 8 * MIB, 4);

    expect((await act(server, "ws1", id, "submit", people.alice)).status).toBe(200);
    await server.idle();
    const request = await getRequest(server, "ws1", id, people.alice);
    expect(request.body.airlockRequest.files).toEqual([
      expect.objectContaining({ name: "large.bin", size: GIB, sha256: content.sha256() }),
    ]);
  });
});
