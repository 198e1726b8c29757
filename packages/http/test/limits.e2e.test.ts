import type { AirlockPorts } from "@airlock/core";
import { afterEach, describe, expect, it } from "vitest";
import {
  blobUrl,
  createRequest,
  expectProblem,
  linkOf,
  peopleOf,
  putBlob,
  requestsUrl,
} from "./support/flow.js";
import { rawCall } from "./support/raw.js";
import {
  call,
  startTestServer,
  type TestServer,
  type TestServerOptions,
  workspace,
} from "./support/server.js";
import { head, logSink, openSocket } from "./support/socket.js";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

const start = async (options: TestServerOptions = {}) => {
  server = await startTestServer({
    workspaces: [workspace("ws1", { policy: { maxFiles: 10 } })],
    ...options,
  });
  const people = await peopleOf(server, "ws1");
  const id = await createRequest(server, "ws1", people.alice);
  return { people, id, link: await linkOf(server, "ws1", id, people.alice) };
};

/** Headers of an upload through `link` that declares `size` bytes. */
const uploadHead = (link: string, name: string, size: number) =>
  head("PUT", blobUrl(link, name), { "x-ms-blob-type": "BlockBlob", "content-length": size });

/** Storage that reports each upload (or block) it starts, so a test knows an upload is in progress. */
const reportingUploads =
  (onUpload: () => void) =>
  (ports: AirlockPorts): AirlockPorts => ({
    ...ports,
    storage: new Proxy(ports.storage, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if ((property !== "upload" && property !== "stageBlock") || typeof value !== "function") {
          return typeof value === "function" ? value.bind(target) : value;
        }
        return (...args: unknown[]) => {
          onUpload();
          return value.apply(target, args);
        };
      },
    }),
  });

describe("timeouts", () => {
  it("closes an upload that declares a size and then sends nothing, and logs it as the client's doing", async () => {
    const log = logSink();
    const { link } = await start({ logStream: log.stream, limits: { idleTimeoutMs: 300 } });
    const client = await openSocket(server.url);
    client.socket.write(uploadHead(link, "stalled.bin", 1024 * 1024));
    await client.closed;
    const cut = await log.waitFor("upload ended early");
    expect(cut.level).toBe(30);
    expect(log.lines.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });

  it("cuts an upload that trickles slower than the minimum transfer rate", async () => {
    const log = logSink();
    const { link } = await start({
      logStream: log.stream,
      limits: { idleTimeoutMs: 60_000, minUploadBytesPerSecond: 1_000, uploadRateWindowMs: 200 },
    });
    const client = await openSocket(server.url);
    client.socket.write(uploadHead(link, "trickle.bin", 1024));
    // A byte every 50 ms keeps the connection from ever being idle, at 20 bytes/s.
    const trickle = setInterval(() => client.socket.writable && client.socket.write("x"), 50);
    await client.closed;
    clearInterval(trickle);
    expect((await log.waitFor("upload cut")).level).toBe(30);
    expect(log.lines.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });

  it("lets an upload at a steady rate through", async () => {
    const { link } = await start({ limits: { minUploadBytesPerSecond: 10, uploadRateWindowMs: 200 } });
    expect((await putBlob(link, "steady.bin", new Uint8Array(64 * 1024))).status).toBe(201);
  });

  it("closes an authenticated command that stalls after its headers", async () => {
    const { people, id } = await start({ limits: { idleTimeoutMs: 300 } });
    const client = await openSocket(server.url);
    client.socket.write(
      head("POST", `${requestsUrl(server, "ws1")}/${id}/submit`, {
        authorization: `Bearer ${people.alice}`,
        "content-type": "application/json",
        "content-length": 100,
      }),
    );
    await client.closed;
    expect(client.received()).not.toMatch(/^HTTP\/1\.1 200/);
  });

  it("closes the connection of a refusal sent before the body arrived", async () => {
    await start({ limits: { idleTimeoutMs: 60_000 } });
    const client = await openSocket(server.url);
    client.socket.write(
      head("POST", requestsUrl(server, "ws1"), { "content-type": "application/json", "content-length": 100 }),
    );
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 401 /);
  });

  it("answers 408 to headers that do not arrive in time", async () => {
    await start({ limits: { headersTimeoutMs: 200, idleTimeoutMs: 60_000 } });
    const client = await openSocket(server.url);
    client.socket.write("GET /health HTTP/1.1\r\nhost: localhost\r\n");
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(client.received()).toContain('"code":"RequestTimeout"');
  });

  it("closes a kept-alive connection that stays idle", async () => {
    await start({ limits: { keepAliveTimeoutMs: 200, idleTimeoutMs: 60_000 } });
    const client = await openSocket(server.url);
    client.socket.write("GET /health HTTP/1.1\r\nhost: localhost\r\n\r\n");
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe("the cap on connections", () => {
  it("closes a connection beyond the cap without an answer, and takes new ones once others end", async () => {
    await start({ limits: { maxConnections: 2 } });
    const held = [await openSocket(server.url), await openSocket(server.url)];
    const refused = await openSocket(server.url);
    refused.socket.write("GET /health HTTP/1.1\r\nhost: localhost\r\n\r\n");
    await refused.closed;
    expect(refused.received()).toBe("");
    for (const client of held) client.socket.destroy();
    await Promise.all(held.map((client) => client.closed));
    expect((await call(`${server.url}/health`)).status).toBe(200);
  });
});

describe("concurrent uploads through one link", () => {
  it("refuses one upload more than the cap with 429 and Retry-After, and takes it once one ends", async () => {
    let started = 0;
    const { link } = await start({
      limits: { uploadsPerLink: 2 },
      decoratePorts: reportingUploads(() => {
        started += 1;
      }),
    });
    const stalled = [await openSocket(server.url), await openSocket(server.url)];
    stalled.forEach((client, index) => {
      client.socket.write(uploadHead(link, `stalled-${index}.bin`, 100));
    });
    while (started < 2) await new Promise((resolve) => setTimeout(resolve, 10));

    const refused = await putBlob(link, "third.bin", "x");
    expectProblem(refused, 429, "TooManyRequests");
    expect(refused.headers.get("retry-after")).toBe("5");

    stalled[0]?.socket.destroy();
    await stalled[0]?.closed;
    // The release happens when the cut upload's handler ends; the next one is taken from then on.
    let retried = await putBlob(link, "third.bin", "x");
    while (retried.status === 429) retried = await putBlob(link, "third.bin", "x");
    expect(retried.status).toBe(201);
    stalled[1]?.socket.destroy();
  });

  it("closes the connection of a refused upload, so its unread body holds nothing", async () => {
    let started = 0;
    const { link } = await start({
      limits: { uploadsPerLink: 1 },
      decoratePorts: reportingUploads(() => {
        started += 1;
      }),
    });
    const first = await openSocket(server.url);
    first.socket.write(uploadHead(link, "first.bin", 100));
    while (started < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const second = await openSocket(server.url);
    second.socket.write(uploadHead(link, "second.bin", 1024 * 1024));
    await second.closed;
    expect(second.received()).toMatch(/^HTTP\/1\.1 429 /);
    expect(second.received()).toMatch(/\r\nretry-after: 5\r\n/i);
    first.socket.destroy();
  });
});

describe("concurrent uploads by one person", () => {
  it("counts a person's uploads over all their links, and refuses one more with 429", async () => {
    let started = 0;
    const { link, people } = await start({
      limits: { uploadsPerLink: 4, uploadsPerPerson: 1 },
      decoratePorts: reportingUploads(() => {
        started += 1;
      }),
    });
    const stalled = await openSocket(server.url);
    stalled.socket.write(uploadHead(link, "stalled.bin", 100));
    while (started < 1) await new Promise((resolve) => setTimeout(resolve, 10));

    // Alice's second draft has its own link, with room of its own: she has none left.
    const other = await createRequest(server, "ws1", people.alice);
    const otherLink = await linkOf(server, "ws1", other, people.alice);
    const refused = await putBlob(otherLink, "second.bin", "x");
    expectProblem(refused, 429, "TooManyRequests");
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(refused.body).toMatchObject({ detail: expect.stringContaining("of your uploads") });

    // Another person's upload is not hers to count.
    const olivia = await createRequest(server, "ws1", people.olivia);
    const oliviaLink = await linkOf(server, "ws1", olivia, people.olivia);
    expect((await putBlob(oliviaLink, "theirs.bin", "x")).status).toBe(201);
    stalled.socket.destroy();
  });
});

/** Headers of a Put Block through `link` that declares `size` bytes. */
const blockHead = (link: string, name: string, size: number) =>
  head("PUT", `${blobUrl(link, name)}&comp=block&blockid=${encodeURIComponent(btoa("block-0"))}`, {
    "content-length": size,
  });

const putBlock = (link: string, name: string, content: string, headers: Record<string, string> = {}) =>
  call(`${blobUrl(link, name)}&comp=block&blockid=${encodeURIComponent(btoa("block-1"))}`, {
    method: "PUT",
    body: content,
    headers,
  });

describe("staged uploads (Put Block)", () => {
  it("count against a link's concurrent uploads: one more is 429, or 503 ServerBusy to a Blob client", async () => {
    let started = 0;
    const { link } = await start({
      limits: { uploadsPerLink: 1 },
      decoratePorts: reportingUploads(() => {
        started += 1;
      }),
    });
    const stalled = await openSocket(server.url);
    stalled.socket.write(blockHead(link, "stalled.bin", 100));
    while (started < 1) await new Promise((resolve) => setTimeout(resolve, 10));

    const refused = await putBlock(link, "other.bin", "x");
    expectProblem(refused, 429, "TooManyRequests");
    expect(refused.headers.get("retry-after")).toBe("5");
    const blobClient = await putBlock(link, "other.bin", "x", { "x-ms-version": "2025-01-05" });
    expect(blobClient.status).toBe(503);
    expect(blobClient.headers.get("x-ms-error-code")).toBe("ServerBusy");
    expect(blobClient.headers.get("retry-after")).toBe("5");
    expect(String(blobClient.body)).toContain("<Error><Code>ServerBusy</Code>");
    stalled.socket.destroy();
  });

  it("count against the workspace's bytes in flight", async () => {
    let started = 0;
    const { link } = await start({
      workspaces: [workspace("ws1", { policy: { maxFiles: 10, maxBytesInFlight: 1000 } })],
      decoratePorts: reportingUploads(() => {
        started += 1;
      }),
    });
    const stalled = await openSocket(server.url);
    stalled.socket.write(blockHead(link, "stalled.bin", 800));
    while (started < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expectProblem(await putBlock(link, "second.bin", "x".repeat(300)), 429, "Busy");
    expectProblem(await putBlob(link, "third.bin", "x".repeat(300)), 429, "Busy");
    stalled.socket.destroy();
  });

  it("needs a Content-Length: 411 MissingContentLengthHeader to a Blob client", async () => {
    const { link } = await start();
    const client = await openSocket(server.url);
    const url = `${blobUrl(link, "data.bin")}&comp=block&blockid=${encodeURIComponent(btoa("block-0"))}`;
    client.socket.write(
      `${head("PUT", url, { "transfer-encoding": "chunked", "x-ms-version": "2025-01-05", connection: "close" })}1\r\nx\r\n0\r\n\r\n`,
    );
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 411 /);
    expect(client.received()).toMatch(/\r\nx-ms-error-code: MissingContentLengthHeader\r\n/i);
  });
});

describe("bytes in flight per workspace", () => {
  it("refuses an upload that would pass the policy's maxBytesInFlight with 429 Busy and Retry-After, storing nothing", async () => {
    let started = 0;
    const { link } = await start({
      workspaces: [workspace("ws1", { policy: { maxFiles: 10, maxBytesInFlight: 1000 } })],
      decoratePorts: reportingUploads(() => {
        started += 1;
      }),
    });
    const stalled = await openSocket(server.url);
    stalled.socket.write(uploadHead(link, "stalled.bin", 800));
    while (started < 1) await new Promise((resolve) => setTimeout(resolve, 10));

    const refused = await putBlob(link, "second.bin", "x".repeat(300));
    expectProblem(refused, 429, "Busy");
    expect(refused.headers.get("retry-after")).toBe("5");
    stalled.socket.destroy();
    await stalled.closed;

    // Once the stalled upload is gone, the same file fits.
    let retried = await putBlob(link, "second.bin", "x".repeat(300));
    while (retried.status === 429) retried = await putBlob(link, "second.bin", "x".repeat(300));
    expect(retried.status).toBe(201);
    const listed = await rawGet(`${link}&restype=container&comp=list`);
    expect(String(listed.body)).not.toContain("stalled.bin");
  });
});

describe("rate limits", () => {
  it("answers 429 problem+json with Retry-After once a link has made its calls in the window", async () => {
    const { link, people } = await start({ limits: { rateLimit: { perLink: 3 } } });
    const list = `${link}&restype=container&comp=list`;
    for (let call = 0; call < 3; call += 1) expect((await rawGet(list)).status).toBe(200);
    const limited = await rawGet(list);
    expectProblem(limited, 429, "TooManyRequests");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);

    // A Blob client is told ServerBusy, which it retries after a pause.
    const busy = await call(list, { headers: { "x-ms-version": "2025-01-05" } });
    expect(busy.status).toBe(503);
    expect(busy.headers.get("x-ms-error-code")).toBe("ServerBusy");
    expect(Number(busy.headers.get("retry-after"))).toBeGreaterThan(0);

    // Another link has its own count; so does the API caller.
    const other = await createRequest(server, "ws1", people.alice);
    const otherLink = await linkOf(server, "ws1", other, people.alice);
    expect((await rawGet(`${otherLink}&restype=container&comp=list`)).status).toBe(200);
  });

  it("counts an API caller by the token's subject", async () => {
    const { people, id } = await start({ limits: { rateLimit: { perPrincipal: 3, perAddress: 100 } } });
    const url = `${requestsUrl(server, "ws1")}/${id}`;
    // start() used alice's token twice: its first call (not yet verified) counted against the
    // address, the link against alice.
    expect((await call(url, { token: people.alice })).status).toBe(200);
    expect((await call(url, { token: people.alice })).status).toBe(200);
    expectProblem(await call(url, { token: people.alice }), 429, "TooManyRequests");
    expect((await call(url, { token: people.bob })).status).toBe(200);
    expect((await call(url, { token: people.bob })).status).toBe(200);
  });

  it("counts calls without a known token or a valid link by the client address", async () => {
    // start() made one call counted against the address: alice's first.
    await start({ limits: { rateLimit: { perAddress: 3 } } });
    const url = `${requestsUrl(server, "ws1")}`;
    expectProblem(await call(url, { token: "not-a-token" }), 401, "Unauthorized");
    expectProblem(await call(url, { token: "another-bad-token" }), 401, "Unauthorized");
    expectProblem(await call(url, { token: "a-third-bad-token" }), 429, "TooManyRequests");
    // The platform's probes are never limited.
    expect((await call(`${server.url}/health`)).status).toBe(200);
  });
});

const rawGet = (url: string) => {
  const parsed = new URL(url);
  return rawCall(parsed.origin, `${parsed.pathname}${parsed.search}`);
};
