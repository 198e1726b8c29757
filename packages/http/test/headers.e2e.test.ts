import { createMemoryPorts } from "@airlock/adapters-memory";
import { createAirlock } from "@airlock/core";
import { buildServer, redactUrl } from "@airlock/http";
import { afterEach, describe, expect, it } from "vitest";
import { blobUrl, createRequest, linkOf, peopleOf, putBlob, requestsUrl } from "./support/flow.js";
import { rawCall } from "./support/raw.js";
import { call, startTestServer, type TestServer, workspace } from "./support/server.js";
import { head, logSink, openSocket } from "./support/socket.js";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

const start = async (options: Parameters<typeof startTestServer>[0] = {}) => {
  server = await startTestServer({ workspaces: [workspace("ws1")], ...options });
  const people = await peopleOf(server, "ws1");
  const id = await createRequest(server, "ws1", people.alice);
  return { people, id };
};

describe("security headers", () => {
  it("are on every answer, errors included, with a CSP that lets nothing load", async () => {
    await start();
    for (const answer of [await call(`${server.url}/health`), await call(`${server.url}/api/nowhere`)]) {
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
      expect(answer.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
      expect(answer.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(answer.headers.get("referrer-policy")).toBe("no-referrer");
      expect(answer.headers.get("content-security-policy")).toBe("default-src 'none';frame-ancestors 'none'");
    }
  });

  it("give the docs page a CSP that allows its own scripts and styles only", async () => {
    await start();
    const docs = await fetch(`${server.url}/api/docs/`);
    expect(docs.status).toBe(200);
    const csp = docs.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it("keep a link's answer out of every cache", async () => {
    const { people, id } = await start();
    const answer = await call(`${requestsUrl(server, "ws1")}/${id}/link`, { token: people.alice });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
  });

  it("make a download an attachment named safely, in ASCII and in UTF-8", async () => {
    const { people, id } = await start();
    const link = await linkOf(server, "ws1", id, people.alice);
    // The file name rules already refuse quotes and slashes; `%` and non-ASCII remain to be made safe.
    const name = "résumé 100% final; 数据.html";
    expect((await putBlob(link, name, "<script>alert(1)</script>")).status).toBe(201);
    const container = new URL(link);
    const download = await rawCall(
      server.url,
      `${container.pathname}/${encodeURIComponent(name)}${container.search}`,
    );
    expect(download.status).toBe(200);
    expect(download.headers.get("x-content-type-options")).toBe("nosniff");
    expect(download.headers.get("content-type")).toBe("application/octet-stream");
    expect(download.headers.get("content-disposition")).toBe(
      `attachment; filename="resume 100_ final; __.html"; filename*=UTF-8''${encodeURIComponent(name)}`,
    );
  });
});

describe("links and the Host header", () => {
  it("ignore the Host header once a public URL is configured", async () => {
    const { people, id } = await start({ publicBaseUrl: "https://airlock.example.org" });
    const answer = await rawCall(server.url, `/api/workspaces/ws1/requests/${id}/link`, {
      token: people.alice,
      headers: { host: "attacker.example" },
    });
    expect((answer.body as { containerUrl: string }).containerUrl).toMatch(
      /^https:\/\/airlock\.example\.org\/blob\//,
    );
  });

  it("refuse to build an embedded link endpoint without a public URL outside development", () => {
    const ports = createMemoryPorts({ workspaces: [] });
    expect(() =>
      buildServer({
        airlock: createAirlock(ports),
        workspaces: ports.workspaces,
        auth: {
          mode: "entra",
          issuer: "https://issuer.example",
          jwksUri: "https://issuer.example/keys",
          apiAudience: "api",
        },
        blobEndpoint: "embedded",
        logger: false,
      }),
    ).toThrow(/publicBaseUrl/);
  });
});

describe("log redaction", () => {
  it("hides a signature whose parameter name is percent-encoded", () => {
    expect(redactUrl("/blob/r1/a.csv?sv=airlock1&%73ig=SECRET&SIG=SECRET2&%73%49%67=SECRET3&code=K")).toBe(
      "/blob/r1/a.csv?sv=airlock1&%73ig=[REDACTED]&SIG=[REDACTED]&%73%49%67=[REDACTED]&code=[REDACTED]",
    );
    expect(redactUrl("/blob/r1?sig%ZZ=SECRET")).not.toContain("SECRET");
  });

  it("keeps an encoded signature that the link endpoint accepts out of the log", async () => {
    const log = logSink();
    const { people, id } = await start({ logStream: log.stream });
    const link = new URL(await linkOf(server, "ws1", id, people.alice));
    const signature = link.searchParams.get("sig") ?? "";
    const encoded = `${link.pathname}?${link.search.slice(1).replace("sig=", "%73ig=")}&restype=container&comp=list`;
    expect((await rawCall(server.url, encoded)).status).toBe(200);
    expect(JSON.stringify(log.lines)).not.toContain(signature);
  });
});

describe("a client that aborts an upload", () => {
  it("is logged as the client's doing at info level, not as a backing service's failure", async () => {
    const log = logSink();
    const { people, id } = await start({ logStream: log.stream });
    const link = await linkOf(server, "ws1", id, people.alice);
    const client = await openSocket(server.url);
    client.socket.write(
      head("PUT", blobUrl(link, "half.bin"), { "x-ms-blob-type": "BlockBlob", "content-length": 1024 }),
    );
    client.socket.write("x".repeat(100));
    await log.waitFor("incoming request");
    client.socket.destroy();
    const aborted = await log.waitFor("upload ended early");
    expect(aborted.level).toBe(30);
    await server.close();
    // Nothing about a request above info (the start-up warning of development tokens aside).
    expect(log.lines.filter((line) => line.reqId !== undefined && Number(line.level) >= 40)).toEqual([]);
    expect(server.ports.storage.contents("draft", id).size).toBe(0);
  });
});
