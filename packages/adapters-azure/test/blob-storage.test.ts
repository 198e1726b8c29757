import { createHash, randomBytes } from "node:crypto";
import type { ContainerRef, FileRecord } from "@airlock/core";
import { assertErr, assertOk, readAll, streamOf } from "@airlock/core/testing";
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import type { Result } from "neverthrow";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBlobStorage } from "../src/blob-storage.js";
import { accountsByConvention } from "../src/storage-accounts.js";
import { type BlobBackend, startBlobBackend } from "./support/backends.js";
import { uploadThroughSas } from "./support/sas-upload.js";

const MIB = 1024 * 1024;

let backend: BlobBackend;
beforeAll(async () => {
  backend = await startBlobBackend();
});
afterAll(async () => {
  await backend?.stop();
});

const newRef = (type: ContainerRef["type"] = "import"): ContainerRef => ({
  requestId: crypto.randomUUID(),
  workspaceId: crypto.randomUUID(),
  type,
});

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

const recordOf = (name: string, bytes: Uint8Array | string): FileRecord => ({
  name,
  size: typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.byteLength,
  sha256: sha256(bytes),
});

const inAnHour = () => new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);

const value = <T, E>(result: Result<T, E>): T => assertOk(result, "storage call");

describe("a blob whose name storage cannot address (written through a SAS link)", () => {
  it("is listed as it is, and reading or describing it is InvalidInput, not Unavailable", async () => {
    const storage = backend.storage();
    const ref = newRef();
    value(await storage.provision(ref, "draft"));
    const link = value(await storage.link(ref, "draft", ["read", "write", "list"], inAnHour()));
    await uploadThroughSas(link.containerUrl, "../../etc/passwd", "x");

    expect(value(await storage.listFiles(ref, "draft"))).toEqual([{ name: "../../etc/passwd", size: 1 }]);
    assertErr(await storage.describe(ref, "draft"), "InvalidInput", "describe");
    assertErr(await storage.openRead(ref, "draft", "../../etc/passwd"), "InvalidInput", "read");
  });
});

/** A debug logger and the containers of the blobs the adapter hashed from their bytes, in order. */
const hashWatch = () => {
  const hashed: string[] = [];
  const logger = pino(
    { level: "debug" },
    {
      write: (line: string) => {
        const entry = JSON.parse(line) as { msg?: string; container?: string };
        if (entry.msg === "hashed a blob from its bytes" && entry.container) hashed.push(entry.container);
      },
    },
  );
  return { logger, hashed };
};

describe("links signed by the blob storage adapter", () => {
  it("a read and list link reads and lists through the real SDK but refuses a write", async () => {
    const storage = backend.storage();
    const ref = newRef();
    value(await storage.provision(ref, "draft"));
    value(await storage.upload(ref, "draft", "data.csv", streamOf(["a,b\n"]), { maxBytes: 100 }));
    const link = value(await storage.link(ref, "draft", ["read", "list"], inAnHour()));
    const container = new ContainerClient(link.containerUrl);

    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    expect(names).toEqual(["data.csv"]);
    expect((await container.getBlobClient("data.csv").downloadToBuffer()).toString()).toBe("a,b\n");

    const write = container.getBlockBlobClient("smuggled.bin").upload("payload", 7);
    await expect(write).rejects.toMatchObject({ statusCode: 403 });
    expect(value(await storage.listFiles(ref, "draft"))).toEqual([{ name: "data.csv", size: 4 }]);
  });

  it("a draft link with write access uploads, and describe hashes the bytes, not the uploader's claim", async () => {
    const storage = backend.storage();
    const ref = newRef();
    value(await storage.provision(ref, "draft"));
    const link = value(await storage.link(ref, "draft", ["read", "write", "list", "delete"], inAnHour()));
    const content = "the real bytes";
    await new ContainerClient(link.containerUrl)
      .getBlockBlobClient("upload.txt")
      .upload(content, content.length, { metadata: { sha256: "0".repeat(64) } });
    expect(value(await storage.describe(ref, "draft"))).toEqual([recordOf("upload.txt", content)]);
  });

  it("a link starts 15 minutes early, ends when asked and grants exactly the asked rights", async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const storage = backend.storage({ now: () => now });
    const ref = newRef();
    const expiresAt = new Date(now + 3_600_000);
    const url = new URL(value(await storage.link(ref, "draft", ["read", "list"], expiresAt)).containerUrl);
    expect(url.searchParams.get("st")).toBe("2026-01-01T11:45:00Z");
    expect(url.searchParams.get("se")).toBe("2026-01-01T13:00:00Z");
    expect(url.searchParams.get("sr")).toBe("c");
    const rights = (access: Parameters<typeof storage.link>[2]) =>
      storage
        .link(ref, "draft", access, expiresAt)
        .map((link) => [...(new URL(link.containerUrl).searchParams.get("sp") ?? "")].sort().join(""));
    expect(value(await rights(["read", "list"]))).toBe("lr");
    expect(value(await rights(["write"]))).toBe("cw");
    expect(value(await rights(["read", "write", "list", "delete"]))).toBe("cdlrw");
  });

  it("a link without any access right is InvalidInput", async () => {
    const storage = backend.storage();
    assertErr(await storage.link(newRef(), "draft", [], inAnHour()), "InvalidInput", "storage call");
  });
});

describe("uploads to blob storage", () => {
  it("an upload into a container never provisioned is NotFound", async () => {
    const storage = backend.storage();
    const result = await storage.upload(newRef(), "draft", "a.txt", streamOf(["a"]), { maxBytes: 10 });
    assertErr(result, "NotFound", "upload");
  });

  it("an upload over maxBytes stops pulling from the stream", async () => {
    const storage = backend.storage({ blockSize: 4 });
    const ref = newRef();
    value(await storage.provision(ref, "draft"));
    let pulled = 0;
    let closed = false;
    const endless: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            pulled++;
            yield new Uint8Array(4);
          }
        } finally {
          closed = true;
        }
      },
    };
    const result = await storage.upload(ref, "draft", "endless.bin", endless, { maxBytes: 10 });
    expect(assertErr(result, "TooLarge", "upload").limit).toBe(10);
    expect(pulled).toBe(3);
    expect(closed).toBe(true);
    expect(value(await storage.listFiles(ref, "draft"))).toEqual([]);
  });

  it("concurrent uploads of one name leave one whole file, never a mix of both", async () => {
    const storage = backend.storage({ blockSize: 1024 });
    const ref = newRef();
    value(await storage.provision(ref, "draft"));
    const first = new Uint8Array(16 * 1024).fill(1);
    const second = new Uint8Array(16 * 1024).fill(2);
    const chunks = (bytes: Uint8Array) =>
      Array.from({ length: 16 }, (_, i) => bytes.subarray(i * 1024, (i + 1) * 1024));
    const results = await Promise.all([
      storage.upload(ref, "draft", "same.bin", streamOf(chunks(first)), { maxBytes: MIB }),
      storage.upload(ref, "draft", "same.bin", streamOf(chunks(second)), { maxBytes: MIB }),
    ]);
    // Committing a block list discards every other uncommitted block of that blob, so when the
    // uploads overlap the later commit fails (InvalidBlockList) and the caller may retry it.
    expect(results.some((result) => result.isOk())).toBe(true);
    for (const result of results) if (result.isErr()) expect(result.error.kind).toBe("Unavailable");
    const stored = value(await storage.describe(ref, "draft"));
    expect([[recordOf("same.bin", first)], [recordOf("same.bin", second)]]).toContainEqual(stored);
  });

  it("a failed or oversized upload over an existing name keeps the earlier file", async () => {
    const storage = backend.storage();
    const ref = newRef();
    value(await storage.provision(ref, "draft"));
    value(await storage.upload(ref, "draft", "data.csv", streamOf(["version 1"]), { maxBytes: 100 }));
    const broken: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        yield new TextEncoder().encode("version 2, half");
        throw new Error("connection reset by peer");
      },
    };
    assertErr(
      await storage.upload(ref, "draft", "data.csv", broken, { maxBytes: 100 }),
      "Unavailable",
      "broken",
    );
    assertErr(
      await storage.upload(ref, "draft", "data.csv", streamOf(["x".repeat(101)]), { maxBytes: 100 }),
      "TooLarge",
      "oversized",
    );
    expect(value(await storage.describe(ref, "draft"))).toEqual([recordOf("data.csv", "version 1")]);
  });

  it("a request id that cannot name a container is InvalidInput", async () => {
    const storage = backend.storage();
    const ref = { ...newRef(), requestId: "Not_A.Container" };
    assertErr(await storage.provision(ref, "draft"), "InvalidInput", "storage call");
  });
});

describe("moving data between stages", () => {
  it("a 64 MiB file uploads and moves with its sha256 intact", async () => {
    const storage = backend.storage();
    const ref = newRef("export");
    const chunks = Array.from({ length: 64 }, () => randomBytes(MIB));
    const hash = createHash("sha256");
    for (const chunk of chunks) hash.update(chunk);
    const expected: FileRecord[] = [{ name: "big.bin", size: 64 * MIB, sha256: hash.digest("hex") }];

    value(await storage.provision(ref, "draft"));
    expect(
      value(await storage.upload(ref, "draft", "big.bin", streamOf(chunks), { maxBytes: 64 * MIB })),
    ).toEqual({
      name: "big.bin",
      size: 64 * MIB,
    });
    expect(value(await storage.describe(ref, "draft"))).toEqual(expected);
    expect(value(await storage.move(ref, "draft", "in_progress", expected))).toEqual(expected);
    expect(value(await storage.listFiles(ref, "draft"))).toEqual([]);
    const read = await readAll(value(await storage.openRead(ref, "in_progress", "big.bin")));
    expect(read.byteLength).toBe(64 * MIB);
    expect(sha256(read)).toBe(expected[0]?.sha256);
  });

  it("files above the synchronous copy limit move by an asynchronous copy", async () => {
    const storage = backend.storage({ syncCopyMaxBytes: 4, copyPollIntervalMs: 20 });
    const ref = newRef();
    value(await storage.provision(ref, "in_progress"));
    value(
      await storage.upload(ref, "in_progress", "large.txt", streamOf(["over the limit"]), { maxBytes: 100 }),
    );
    value(await storage.upload(ref, "in_progress", "tiny.txt", streamOf(["ok"]), { maxBytes: 100 }));
    const expected = [recordOf("large.txt", "over the limit"), recordOf("tiny.txt", "ok")];
    expect(value(await storage.move(ref, "in_progress", "approved", expected))).toEqual(expected);
    expect(value(await storage.listFiles(ref, "in_progress"))).toEqual([]);
    expect(value(await storage.describe(ref, "approved"))).toEqual(expected);
  });

  it("a move from draft stores the hash of the bytes on the copy, even when the uploader's metadata lied", async () => {
    const storage = backend.storage();
    const ref = newRef();
    value(await storage.provision(ref, "draft"));
    const link = value(await storage.link(ref, "draft", ["write"], inAnHour()));
    await new ContainerClient(link.containerUrl)
      .getBlockBlobClient("claimed.txt")
      .upload("actual", 6, { metadata: { sha256: "f".repeat(64) } });
    const actual = [recordOf("claimed.txt", "actual")];
    expect(value(await storage.move(ref, "draft", "in_progress"))).toEqual(actual);
    expect(value(await storage.listFiles(ref, "draft"))).toEqual([]);
    // In progress the adapter trusts metadata, so this reads the hash the move verified.
    expect(value(await storage.describe(ref, "in_progress"))).toEqual(actual);
  });

  it("a move reads each copy once and the source not at all when its carried hash matches the copy", async () => {
    const { logger, hashed } = hashWatch();
    const storage = backend.storage({ logger });
    const ref = newRef();
    value(await storage.provision(ref, "draft"));
    value(await storage.upload(ref, "draft", "a.csv", streamOf(["alpha"]), { maxBytes: 100 }));
    value(await storage.upload(ref, "draft", "b.csv", streamOf(["bravo"]), { maxBytes: 100 }));
    const expected = [recordOf("a.csv", "alpha"), recordOf("b.csv", "bravo")];
    expect(value(await storage.move(ref, "draft", "in_progress"))).toEqual(expected);
    expect(value(await storage.listFiles(ref, "draft"))).toEqual([]);
    // Both files' copies, in the in-progress container; never the draft sources.
    expect(hashed).toHaveLength(2);
    expect(new Set(hashed).size).toBe(1);
    const copies = new Set(hashed);
    hashed.length = 0;
    expect(value(await storage.move(ref, "in_progress", "approved", expected))).toEqual(expected);
    expect(hashed).toHaveLength(2);
    expect(hashed.some((container) => copies.has(container))).toBe(false);
  });

  it("a move from draft whose carried hash does not match the copy hashes the source to decide", async () => {
    const { logger, hashed } = hashWatch();
    const storage = backend.storage({ logger });
    const ref = newRef();
    value(await storage.provision(ref, "draft"));
    const link = value(await storage.link(ref, "draft", ["write"], inAnHour()));
    await new ContainerClient(link.containerUrl)
      .getBlockBlobClient("claimed.txt")
      .upload("actual", 6, { metadata: { sha256: "f".repeat(64) } });
    expect(value(await storage.move(ref, "draft", "in_progress"))).toEqual([
      recordOf("claimed.txt", "actual"),
    ]);
    expect(value(await storage.listFiles(ref, "draft"))).toEqual([]);
    // The copy, then the source: its carried hash was a lie, so only its bytes could say.
    expect(hashed).toHaveLength(2);
    expect(new Set(hashed).size).toBe(2);
  });

  it("a move with a file the expected records do not list keeps the source", async () => {
    const storage = backend.storage();
    const ref = newRef();
    value(await storage.provision(ref, "in_progress"));
    value(await storage.upload(ref, "in_progress", "a.txt", streamOf(["a"]), { maxBytes: 10 }));
    value(await storage.upload(ref, "in_progress", "extra.txt", streamOf(["x"]), { maxBytes: 10 }));
    const found = value(await storage.move(ref, "in_progress", "approved", [recordOf("a.txt", "a")]));
    expect(found).toEqual([recordOf("a.txt", "a"), recordOf("extra.txt", "x")]);
    expect(value(await storage.listFiles(ref, "in_progress"))).toHaveLength(2);
  });

  it("a move of a request that holds nothing answers an empty list", async () => {
    const storage = backend.storage();
    expect(value(await storage.move(newRef(), "draft", "in_progress"))).toEqual([]);
  });
});

describe("the accounts layout", () => {
  it("puts each stage in its own account and names the container by the request id", async () => {
    const storage = createBlobStorage({
      accounts: accountsByConvention({ treId: "mytre", workspaceSuffix: () => "ab12" }),
      credential: new StorageSharedKeyCredential("unused", Buffer.from("not a real key").toString("base64")),
    });
    const ref = newRef();
    const urlOf = async (type: ContainerRef["type"], stage: Parameters<typeof storage.link>[1]) => {
      const url = new URL(
        value(await storage.link({ ...ref, type }, stage, ["read"], inAnHour())).containerUrl,
      );
      return `${url.origin}${url.pathname}`;
    };
    expect(await urlOf("import", "draft")).toBe(
      `https://stalimexmytre.blob.core.windows.net/${ref.requestId}`,
    );
    expect(await urlOf("import", "approved")).toBe(
      `https://stalimappwsab12.blob.core.windows.net/${ref.requestId}`,
    );
    expect(await urlOf("export", "approved")).toBe(
      `https://stalexappmytre.blob.core.windows.net/${ref.requestId}`,
    );
  });

  it("a resolver that names an invalid account is InvalidInput", async () => {
    const storage = createBlobStorage({
      accounts: () => ({ accountName: "Not-Valid", blobEndpoint: "https://example.invalid" }),
      credential: new StorageSharedKeyCredential("unused", Buffer.from("key").toString("base64")),
    });
    assertErr(await storage.provision(newRef(), "draft"), "InvalidInput", "storage call");
  });
});
