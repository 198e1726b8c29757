import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerRef } from "@airlock/core";
import { readAll, sha256Hex, streamOf } from "@airlock/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileStorage } from "../src/index.js";

const GENEROUS = 1024 * 1024;

let base: string;
let root: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "airlock-files-"));
  root = join(base, "root");
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const newRef = (): ContainerRef => ({
  requestId: crypto.randomUUID(),
  workspaceId: crypto.randomUUID(),
  type: "import",
});

const recordOf = async (name: string, text: string) => {
  const bytes = new TextEncoder().encode(text);
  return { name, size: bytes.length, sha256: await sha256Hex(bytes) };
};

const setUp = async (files: Record<string, string> = {}, stage: "draft" | "in_progress" = "draft") => {
  const storage = createFileStorage({ root });
  const ref = newRef();
  (await storage.provision(ref, stage))._unsafeUnwrap();
  for (const [name, text] of Object.entries(files)) {
    (await storage.upload(ref, stage, name, streamOf([text]), { maxBytes: GENEROUS }))._unsafeUnwrap();
  }
  return { storage, ref, folder: join(root, stage, ref.requestId) };
};

describe("file storage layout", () => {
  it("keeps each file in its stage's folder, in a folder named by the request id", async () => {
    const { ref } = await setUp({ "data.csv": "a,b\n" });
    expect(await readFile(join(root, "draft", ref.requestId, "files", "data.csv"), "utf8")).toBe("a,b\n");
  });
});

describe("file storage confines names to their folder", () => {
  it.each([
    "../escape.txt",
    "../../escape.txt",
    "a/b.txt",
    "..",
    ".",
    "/etc/passwd",
    "a\\b",
    "nul\0.txt",
    "",
  ])("refuses the file name %j and writes nothing", async (name) => {
    const { storage, ref } = await setUp();
    const upload = await storage.upload(ref, "draft", name, streamOf(["x"]), { maxBytes: GENEROUS });
    expect(upload._unsafeUnwrapErr().kind).toBe("InvalidInput");
    expect((await storage.openRead(ref, "draft", name))._unsafeUnwrapErr().kind).toBe("InvalidInput");
    expect((await storage.deleteFile(ref, "draft", name))._unsafeUnwrapErr().kind).toBe("InvalidInput");
    expect((await storage.listFiles(ref, "draft"))._unsafeUnwrap()).toEqual([]);
    expect(await readdir(base)).toEqual(["root"]);
  });

  it.each(["../other", "..", "a/b", "", ".hidden"])("refuses the request id %j", async (requestId) => {
    const storage = createFileStorage({ root });
    const ref = { ...newRef(), requestId };
    expect((await storage.provision(ref, "draft"))._unsafeUnwrapErr().kind).toBe("InvalidInput");
    expect((await storage.deleteContainer(ref, "draft"))._unsafeUnwrapErr().kind).toBe("InvalidInput");
    expect(await readdir(base)).toEqual([]);
  });
});

describe("file storage follows no symbolic link", () => {
  it("a link planted in a request folder is neither listed, described, read nor written through", async () => {
    const { storage, ref, folder } = await setUp({ "real.txt": "real" });
    const secret = join(base, "secret.txt");
    await writeFile(secret, "outside the storage");
    await symlink(secret, join(folder, "files", "link.txt"));

    expect((await storage.listFiles(ref, "draft"))._unsafeUnwrap()).toEqual([{ name: "real.txt", size: 4 }]);
    expect((await storage.describe(ref, "draft"))._unsafeUnwrap()).toEqual([
      await recordOf("real.txt", "real"),
    ]);
    expect((await storage.openRead(ref, "draft", "link.txt"))._unsafeUnwrapErr().kind).toBe("NotFound");

    // An upload under the link's name replaces the link, not the file it points at.
    (
      await storage.upload(ref, "draft", "link.txt", streamOf(["new"]), { maxBytes: GENEROUS })
    )._unsafeUnwrap();
    expect(await readFile(secret, "utf8")).toBe("outside the storage");
    const read = (await storage.openRead(ref, "draft", "link.txt"))._unsafeUnwrap();
    expect(new TextDecoder().decode(await readAll(read))).toBe("new");
  });

  it("deleting a planted link or the container leaves what the link points at", async () => {
    const { storage, ref, folder } = await setUp();
    const secret = join(base, "secret.txt");
    await writeFile(secret, "outside the storage");
    await symlink(secret, join(folder, "files", "link.txt"));
    await symlink(base, join(folder, "files", "dir-link"));
    (await storage.deleteFile(ref, "draft", "link.txt"))._unsafeUnwrap();
    (await storage.deleteContainer(ref, "draft"))._unsafeUnwrap();
    expect(await readFile(secret, "utf8")).toBe("outside the storage");
  });

  it("a request folder replaced by a link is refused, not followed", async () => {
    const { storage, ref, folder } = await setUp();
    const elsewhere = join(base, "elsewhere");
    await mkdir(join(elsewhere, "files"), { recursive: true });
    await mkdir(join(elsewhere, "sha256"), { recursive: true });
    await writeFile(join(elsewhere, "files", "secret.txt"), "outside the storage");
    await rm(folder, { recursive: true });
    await symlink(elsewhere, folder);
    expect((await storage.listFiles(ref, "draft"))._unsafeUnwrapErr().kind).toBe("Unavailable");
    expect((await storage.openRead(ref, "draft", "secret.txt"))._unsafeUnwrapErr().kind).toBe("Unavailable");
    const upload = await storage.upload(ref, "draft", "x.txt", streamOf(["x"]), { maxBytes: GENEROUS });
    expect(upload._unsafeUnwrapErr().kind).toBe("Unavailable");
    expect(await readdir(join(elsewhere, "files"))).toEqual(["secret.txt"]);
  });
});

describe("file storage after a crash", () => {
  it("an upload interrupted before its rename leaves no visible file, and a retry succeeds", async () => {
    const { storage, ref } = await setUp();
    // What a crash between writing the upload and renaming it into place leaves behind.
    await mkdir(join(root, "draft", ".incoming"), { recursive: true });
    await writeFile(join(root, "draft", ".incoming", crypto.randomUUID()), "half an upl");

    expect((await storage.listFiles(ref, "draft"))._unsafeUnwrap()).toEqual([]);
    expect((await storage.openRead(ref, "draft", "data.csv"))._unsafeUnwrapErr().kind).toBe("NotFound");

    (
      await storage.upload(ref, "draft", "data.csv", streamOf(["whole upload"]), { maxBytes: GENEROUS })
    )._unsafeUnwrap();
    expect((await storage.describe(ref, "draft"))._unsafeUnwrap()).toEqual([
      await recordOf("data.csv", "whole upload"),
    ]);
  });

  it("a refused or failed upload leaves nothing in the incoming folder", async () => {
    const { storage, ref } = await setUp();
    const tooBig = await storage.upload(ref, "draft", "big.bin", streamOf(["12345", "678"]), { maxBytes: 6 });
    expect(tooBig._unsafeUnwrapErr().kind).toBe("TooLarge");
    const failing = {
      async *[Symbol.asyncIterator]() {
        yield new Uint8Array([1, 2, 3]);
        throw new Error("connection reset");
      },
    };
    expect((await storage.upload(ref, "draft", "broken.bin", failing, { maxBytes: GENEROUS })).isErr()).toBe(
      true,
    );
    expect(await readdir(join(root, "draft", ".incoming"))).toEqual([]);
  });

  it("a file renamed into place before its recorded sha256 was written is described by its bytes", async () => {
    const { storage, ref, folder } = await setUp({ "data.csv": "first" });
    const kept = await readFile(join(folder, "sha256", "data.csv.json"), "utf8");
    (
      await storage.upload(ref, "draft", "data.csv", streamOf(["second"]), { maxBytes: GENEROUS })
    )._unsafeUnwrap();
    // The old record back in place: as if the crash came between the rename and the record's write.
    await writeFile(join(folder, "sha256", "data.csv.json"), kept);
    expect((await storage.describe(ref, "draft"))._unsafeUnwrap()).toEqual([
      await recordOf("data.csv", "second"),
    ]);
  });

  it("a file larger than one read piece, changed behind the storage's back, is described by all its bytes", async () => {
    const { storage, ref, folder } = await setUp();
    // Three and a half 64 KiB pieces, each byte its position, so a piece read twice or cut short shows.
    const bytes = Uint8Array.from({ length: 3.5 * 64 * 1024 }, (_, index) => index % 251);
    await writeFile(join(folder, "files", "big.bin"), bytes);
    expect((await storage.describe(ref, "draft"))._unsafeUnwrap()).toEqual([
      { name: "big.bin", size: bytes.length, sha256: await sha256Hex(bytes) },
    ]);
  });

  it("a move retried after the source files were already renamed finishes", async () => {
    const { storage, ref, folder } = await setUp({ "a.csv": "alpha", "b.csv": "bravo" }, "in_progress");
    const expected = [await recordOf("a.csv", "alpha"), await recordOf("b.csv", "bravo")];
    // A crash part way through the renames: a.csv moved with its record, b.csv not yet.
    const target = join(root, "approved", ref.requestId);
    await mkdir(join(target, "files"), { recursive: true });
    await mkdir(join(target, "sha256"), { recursive: true });
    await rename(join(folder, "files", "a.csv"), join(target, "files", "a.csv"));
    await rename(join(folder, "sha256", "a.csv.json"), join(target, "sha256", "a.csv.json"));

    expect((await storage.move(ref, "in_progress", "approved", expected))._unsafeUnwrap()).toEqual(expected);
    expect((await storage.listFiles(ref, "in_progress"))._unsafeUnwrap()).toEqual([]);
    expect(await readdir(join(root, "in_progress"))).not.toContain(ref.requestId);
  });

  it("a move retried after every file was renamed but before the source folder was removed finishes", async () => {
    const { storage, ref, folder } = await setUp({ "a.csv": "alpha" }, "in_progress");
    const expected = [await recordOf("a.csv", "alpha")];
    const target = join(root, "approved", ref.requestId);
    await mkdir(join(target, "files"), { recursive: true });
    await mkdir(join(target, "sha256"), { recursive: true });
    await rename(join(folder, "files", "a.csv"), join(target, "files", "a.csv"));

    expect((await storage.move(ref, "in_progress", "approved", expected))._unsafeUnwrap()).toEqual(expected);
    expect(await readdir(join(root, "in_progress"))).not.toContain(ref.requestId);
    const read = (await storage.openRead(ref, "approved", "a.csv"))._unsafeUnwrap();
    expect(new TextDecoder().decode(await readAll(read))).toBe("alpha");
  });
});

describe("file storage's staged blocks", () => {
  const DAY = 24 * 3600 * 1000;
  const stageText = (
    storage: ReturnType<typeof createFileStorage>,
    ref: ContainerRef,
    name: string,
    id: string,
    text: string,
  ) =>
    storage.stageBlock(ref, "draft", name, id, streamOf([text]), {
      size: Buffer.byteLength(text),
      maxStagedBytes: GENEROUS,
    });

  it("keeps blocks under the stage's incoming folder, and nothing of them once committed", async () => {
    const storage = createFileStorage({ root });
    const ref = newRef();
    (await storage.provision(ref, "draft"))._unsafeUnwrap();
    (await stageText(storage, ref, "data.csv", "YQ==", "a,b\n"))._unsafeUnwrap();
    const blocks = join(root, "draft", ".incoming", "blocks", ref.requestId);
    expect(await readdir(blocks)).toHaveLength(1);
    (await storage.commitBlocks(ref, "draft", "data.csv", ["YQ=="], { maxBytes: GENEROUS }))._unsafeUnwrap();
    expect(await readdir(blocks)).toEqual([]);
    expect(await readFile(join(root, "draft", ref.requestId, "files", "data.csv"), "utf8")).toBe("a,b\n");
  });

  it("drops blocks left uncommitted longer than their lifetime", async () => {
    let offset = 0;
    const storage = createFileStorage({
      root,
      uncommittedBlockLifetimeMs: DAY,
      now: () => Date.now() + offset,
    });
    const ref = newRef();
    (await storage.provision(ref, "draft"))._unsafeUnwrap();
    const first = await stageText(storage, ref, "old.csv", "YQ==", "old");
    expect(first.isOk() ? "ok" : first.error).toBe("ok");
    offset = DAY + 60_000;
    // Staging any block of the container drops its stale ones.
    const second = await stageText(storage, ref, "new.csv", "YQ==", "new");
    expect(second.isOk() ? "ok" : second.error).toBe("ok");
    // Back to the files' own clock: the block just staged is young.
    offset = 0;
    const stale = await storage.commitBlocks(ref, "draft", "old.csv", ["YQ=="], { maxBytes: GENEROUS });
    expect(stale._unsafeUnwrapErr().kind).toBe("InvalidInput");
    const committed = await storage.commitBlocks(ref, "draft", "new.csv", ["YQ=="], { maxBytes: GENEROUS });
    expect(committed.isOk() ? "ok" : committed.error).toBe("ok");
  });
});

describe("file storage's sweep of what crashes leave", () => {
  const HOUR = 3600 * 1000;
  const DAY = 24 * HOUR;

  it("removes partial uploads and stale blocks, and keeps young ones and every stored file", async () => {
    let offset = 0;
    const storage = createFileStorage({
      root,
      uncommittedBlockLifetimeMs: DAY,
      now: () => Date.now() + offset,
    });
    const ref = newRef();
    (await storage.provision(ref, "draft"))._unsafeUnwrap();
    (
      await storage.upload(ref, "draft", "kept.csv", streamOf(["kept"]), { maxBytes: GENEROUS })
    )._unsafeUnwrap();
    (
      await storage.stageBlock(ref, "draft", "big.csv", "YQ==", streamOf(["staged"]), {
        size: 6,
        maxStagedBytes: GENEROUS,
      })
    )._unsafeUnwrap();
    // What a process killed in the middle of an upload and of a block leaves behind.
    const incoming = join(root, "draft", ".incoming");
    await writeFile(join(incoming, ".cut-off-upload.tmp"), "half an upl");
    const blockDir = join(incoming, "blocks", ref.requestId);
    const [fileDir] = await readdir(blockDir);
    await writeFile(join(blockDir, String(fileDir), ".cut-off-block.tmp"), "half a blo");

    // An hour on, the partial files are abandoned; the staged block is still within its lifetime.
    offset = HOUR + 60_000;
    expect(await storage.sweepIncoming({ abandonedAfterMs: HOUR })).toBe(2);
    expect(await readdir(incoming)).toEqual(["blocks"]);
    expect(await readdir(join(blockDir, String(fileDir)))).toHaveLength(1);
    // A day on, the block is stale too.
    offset = DAY + 60_000;
    expect(await storage.sweepIncoming({ abandonedAfterMs: HOUR })).toBe(1);
    expect(await readdir(join(blockDir, String(fileDir)))).toEqual([]);
    expect((await storage.describe(ref, "draft"))._unsafeUnwrap()).toEqual([
      await recordOf("kept.csv", "kept"),
    ]);
  });

  it("leaves an upload that is still being written alone", async () => {
    const storage = createFileStorage({ root });
    const incoming = join(root, "in_progress", ".incoming");
    await mkdir(incoming, { recursive: true });
    await writeFile(join(incoming, ".arriving.tmp"), "still arriving");
    expect(await storage.sweepIncoming({ abandonedAfterMs: HOUR })).toBe(0);
    expect(await readdir(incoming)).toEqual([".arriving.tmp"]);
    // At start-up nothing is in flight: everything there is abandoned.
    expect(await storage.sweepIncoming({ abandonedAfterMs: -1 })).toBe(1);
  });
});
