import { Hash } from "node:crypto";
import { assertOk, bytesOf, eventLoopTurnsDuring, readAll, sha256Hex, streamOf } from "@airlock/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMemoryStorage, INJECTED_FAULT } from "../src/index.js";

const newRef = () => ({
  requestId: crypto.randomUUID(),
  workspaceId: crypto.randomUUID(),
  type: "import" as const,
});
const limit = { maxBytes: 1024 * 1024 };

const MIB = 1024 * 1024;

describe("memory storage", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("hashes a file once, as it arrives: describe and move answer that hash without reading it again", async () => {
    const hashed = vi.spyOn(Hash.prototype, "update");
    const hashedBytes = () =>
      hashed.mock.calls.reduce((sum, [data]) => sum + Buffer.byteLength(data as Uint8Array | string), 0);
    const storage = createMemoryStorage();
    const ref = newRef();
    await storage.provision(ref, "draft");
    const bytes = new Uint8Array(4 * MIB).map((_, index) => index % 251);
    await storage.upload(ref, "draft", "data.bin", streamOf([bytes.subarray(0, MIB), bytes.subarray(MIB)]), {
      maxBytes: 4 * MIB,
    });
    expect(hashedBytes()).toBe(4 * MIB);

    const described = assertOk(await storage.describe(ref, "draft"), "describe");
    assertOk(await storage.describe(ref, "draft"), "describe again");
    const moved = assertOk(await storage.move(ref, "draft", "in_progress", described), "move");
    assertOk(await storage.move(ref, "in_progress", "approved", moved), "second move");
    expect(hashedBytes()).toBe(4 * MIB);
    hashed.mockRestore();
    expect(described).toEqual([{ name: "data.bin", size: 4 * MIB, sha256: await sha256Hex(bytes) }]);
    expect(moved).toEqual(described);
    expect(storage.stagesHolding(ref.requestId)).toEqual(["approved"]);
  });

  it("copies and hashes one huge chunk in pieces, letting the event loop turn in between", async () => {
    const storage = createMemoryStorage();
    const ref = newRef();
    await storage.provision(ref, "draft");
    const whole = new Uint8Array(8 * MIB).fill(1);
    const { value, turns } = await eventLoopTurnsDuring(async () =>
      storage.upload(ref, "draft", "one-chunk.bin", streamOf([whole]), { maxBytes: 8 * MIB }),
    );
    expect(assertOk(value, "upload")).toEqual({ name: "one-chunk.bin", size: 8 * MIB });
    expect(turns).toBeGreaterThanOrEqual(4);
    expect(assertOk(await storage.describe(ref, "draft"), "describe")[0]?.sha256).toBe(
      await sha256Hex(whole),
    );
  });

  it("refuses an upload into a container that was never provisioned", async () => {
    const storage = createMemoryStorage();
    const ref = newRef();
    const result = await storage.upload(ref, "draft", "a.txt", streamOf(["x"]), limit);
    expect(result._unsafeUnwrapErr().kind).toBe("NotFound");
    expect(storage.stagesHolding(ref.requestId)).toEqual([]);
  });

  it("contents shows each file's bytes and stagesHolding the stages with files", async () => {
    const storage = createMemoryStorage();
    const ref = newRef();
    await storage.provision(ref, "draft");
    await storage.provision(ref, "approved");
    await storage.upload(ref, "draft", "a.txt", streamOf(["al", "pha"]), limit);
    expect(storage.contents("draft", ref.requestId)).toEqual(new Map([["a.txt", bytesOf("alpha")]]));
    expect(storage.stagesHolding(ref.requestId)).toEqual(["draft"]);
    await storage.move(ref, "draft", "in_progress");
    expect(storage.stagesHolding(ref.requestId)).toEqual(["in_progress"]);
    expect(storage.contents("draft", ref.requestId).size).toBe(0);
  });

  it("keeps its own copy of each chunk, so a caller reusing its buffer changes nothing", async () => {
    const storage = createMemoryStorage();
    const ref = newRef();
    await storage.provision(ref, "draft");
    const buffer = bytesOf("first");
    const reused = {
      async *[Symbol.asyncIterator]() {
        yield buffer;
        buffer.set(bytesOf("XXXXX"));
        yield buffer;
      },
    };
    await storage.upload(ref, "draft", "a.txt", reused, limit);
    expect(new TextDecoder().decode(storage.contents("draft", ref.requestId).get("a.txt"))).toBe(
      "firstXXXXX",
    );
  });

  it("openRead hands out chunks of at most 64 KiB however the file was uploaded", async () => {
    const storage = createMemoryStorage();
    const ref = newRef();
    await storage.provision(ref, "draft");
    await storage.upload(ref, "draft", "big.bin", streamOf([new Uint8Array(200 * 1024).fill(7)]), limit);
    const sizes: number[] = [];
    for await (const chunk of assertOk(await storage.openRead(ref, "draft", "big.bin"), "openRead")) {
      sizes.push(chunk.length);
    }
    expect(sizes).toEqual([65536, 65536, 65536, 8192]);
  });

  it("stops reading an upload as soon as it passes maxBytes", async () => {
    const storage = createMemoryStorage();
    const ref = newRef();
    await storage.provision(ref, "draft");
    let pulled = 0;
    const endless = {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          pulled += 1;
          yield new Uint8Array(10);
        }
      },
    };
    const result = await storage.upload(ref, "draft", "endless.bin", endless, { maxBytes: 25 });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: "TooLarge", limit: 25 });
    expect(pulled).toBe(3);
  });

  it("the default link names the stage, request, access and expiry", async () => {
    const storage = createMemoryStorage();
    const ref = newRef();
    const expiresAt = new Date("2026-01-01T01:00:00.000Z");
    const link = assertOk(await storage.link(ref, "approved", ["read", "list"], expiresAt), "link");
    const url = new URL(link.containerUrl);
    expect(url.protocol).toBe("memory:");
    expect(url.host).toBe("approved");
    expect(url.pathname).toBe(`/${ref.requestId}`);
    expect(url.searchParams.get("access")).toBe("read,list");
    expect(url.searchParams.get("expires")).toBe("2026-01-01T01:00:00.000Z");
  });

  it("a link signer decides the container URL", async () => {
    const seen: unknown[] = [];
    const storage = createMemoryStorage({
      linkSigner: (link) => {
        seen.push(link);
        return `http://127.0.0.1:8080/blob/${link.stage}/${link.ref.requestId}?sig=test`;
      },
    });
    const ref = newRef();
    const expiresAt = new Date("2026-01-01T01:00:00Z");
    const link = assertOk(await storage.link(ref, "draft", ["write"], expiresAt), "link");
    expect(link.containerUrl).toBe(`http://127.0.0.1:8080/blob/draft/${ref.requestId}?sig=test`);
    expect(seen).toEqual([{ ref, stage: "draft", access: ["write"], expiresAt }]);
    const holder = { id: "alice", roles: ["WorkspaceResearcher" as const] };
    assertOk(await storage.link(ref, "draft", ["write"], expiresAt, holder), "link with a holder");
    expect(seen[1]).toEqual({ ref, stage: "draft", access: ["write"], expiresAt, holder });
  });

  it("failNext makes the next move Unavailable and leaves the files where they were", async () => {
    const storage = createMemoryStorage();
    const ref = newRef();
    await storage.provision(ref, "draft");
    await storage.upload(ref, "draft", "a.txt", streamOf(["a"]), limit);
    storage.failNext("move");
    const failed = await storage.move(ref, "draft", "in_progress");
    expect(failed._unsafeUnwrapErr()).toEqual({ kind: "Unavailable", message: INJECTED_FAULT });
    expect(storage.stagesHolding(ref.requestId)).toEqual(["draft"]);
    expect((await storage.move(ref, "draft", "in_progress")).isOk()).toBe(true);
    expect(storage.stagesHolding(ref.requestId)).toEqual(["in_progress"]);
  });

  it("an injected upload fault does not read the stream", async () => {
    const storage = createMemoryStorage();
    const ref = newRef();
    await storage.provision(ref, "draft");
    storage.failNext("upload");
    let pulled = false;
    const watched = {
      async *[Symbol.asyncIterator]() {
        pulled = true;
        yield bytesOf("x");
      },
    };
    expect((await storage.upload(ref, "draft", "a.txt", watched, limit))._unsafeUnwrapErr().kind).toBe(
      "Unavailable",
    );
    expect(pulled).toBe(false);
    expect(storage.contents("draft", ref.requestId).size).toBe(0);
  });

  it("a move to a stage holding a different copy answers what it found and keeps the source", async () => {
    const storage = createMemoryStorage();
    const ref = newRef();
    await storage.provision(ref, "in_progress");
    await storage.upload(ref, "in_progress", "a.txt", streamOf(["same"]), limit);
    const expected = assertOk(await storage.describe(ref, "in_progress"), "describe");
    await storage.provision(ref, "approved");
    await storage.upload(ref, "approved", "stray.txt", streamOf(["left over"]), limit);
    const found = assertOk(await storage.move(ref, "in_progress", "approved", expected), "move");
    expect(found.map((file) => file.name)).toEqual(["a.txt", "stray.txt"]);
    expect(storage.stagesHolding(ref.requestId)).toEqual(["in_progress", "approved"]);
  });

  it("a file replaced after openRead still streams the bytes it had when opened", async () => {
    const storage = createMemoryStorage();
    const ref = newRef();
    await storage.provision(ref, "draft");
    await storage.upload(ref, "draft", "a.txt", streamOf(["old"]), limit);
    const reading = assertOk(await storage.openRead(ref, "draft", "a.txt"), "openRead");
    await storage.upload(ref, "draft", "a.txt", streamOf(["new"]), limit);
    expect(new TextDecoder().decode(await readAll(reading))).toBe("old");
  });
});

describe("memory storage's staged blocks", () => {
  it("drops blocks left uncommitted longer than their lifetime", async () => {
    let now = 0;
    const storage = createMemoryStorage({ uncommittedBlockLifetimeMs: 1000, now: () => now });
    const ref = newRef();
    await storage.provision(ref, "draft");
    const stage = (name: string) =>
      storage.stageBlock(ref, "draft", name, "YQ==", streamOf(["abc"]), { size: 3, maxStagedBytes: 10 });
    assertOk(await stage("old.csv"), "stage");
    now = 1001;
    assertOk(await stage("new.csv"), "stage another file");
    const stale = await storage.commitBlocks(ref, "draft", "old.csv", ["YQ=="], limit);
    expect(stale._unsafeUnwrapErr().kind).toBe("InvalidInput");
    assertOk(await storage.commitBlocks(ref, "draft", "new.csv", ["YQ=="], limit), "commit");
  });
});
