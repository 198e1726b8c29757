import type { FileRecord, RequestType, Stage } from "../model/request.js";
import type { AirlockStorage, ByteRange, ContainerRef } from "../ports/storage.js";
import { assert, assertAnyErr, assertEqual, assertErr, assertNotEqual, assertOk } from "./assert.js";
import { type ContractOptions, type ContractRunner, defineContract, fresh } from "./contract.js";
import { bytesOf, eventLoopTurnsDuring, readAll, sha256Hex, streamOf } from "./fixtures.js";

const MIB = 1024 * 1024;
const GENEROUS = 64 * MIB;

const newRef = (type: RequestType = "import"): ContainerRef => ({
  requestId: crypto.randomUUID(),
  workspaceId: crypto.randomUUID(),
  type,
});

const byName = <T extends { readonly name: string }>(files: readonly T[]): T[] =>
  [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const recordOf = async (name: string, text: string): Promise<FileRecord> => {
  const bytes = bytesOf(text);
  return { name, size: bytes.length, sha256: await sha256Hex(bytes) };
};

const put = async (
  storage: AirlockStorage,
  ref: ContainerRef,
  stage: Stage,
  files: Record<string, string>,
) => {
  assertOk(await storage.provision(ref, stage), `provision ${stage}`);
  for (const [name, text] of Object.entries(files)) {
    assertOk(
      await storage.upload(ref, stage, name, streamOf([text]), { maxBytes: GENEROUS }),
      `upload ${name}`,
    );
  }
};

const filesIn = async (storage: AirlockStorage, ref: ContainerRef, stage: Stage) =>
  byName(assertOk(await storage.listFiles(ref, stage), `listFiles ${stage}`));

/** `mib` chunks of 1 MiB, each made on demand and filled with its index: a stream that never waits. */
const largeStream = (mib: number): AsyncIterable<Uint8Array> => ({
  async *[Symbol.asyncIterator]() {
    for (let index = 0; index < mib; index += 1) yield new Uint8Array(MIB).fill(index);
  },
});

/** Reads a stream to its end, keeping only the byte count. */
const countBytes = async (content: AsyncIterable<Uint8Array>): Promise<number> => {
  let size = 0;
  for await (const chunk of content) size += chunk.length;
  return size;
};

/** A stream that yields `before` and then fails, as a dropped client connection does. */
const failingStream = (before: readonly Uint8Array[]): AsyncIterable<Uint8Array> => ({
  async *[Symbol.asyncIterator]() {
    yield* before;
    throw new Error("connection reset by peer");
  },
});

/** A block id as Blob clients make them: base64 of a fixed-length label. */
const blockIdOf = (index: number) => btoa(`block-${String(index).padStart(6, "0")}`);

const stage = (
  storage: AirlockStorage,
  ref: ContainerRef,
  name: string,
  index: number,
  text: string,
  maxStagedBytes = GENEROUS,
) =>
  storage.stageBlock(ref, "draft", name, blockIdOf(index), streamOf([text]), {
    size: bytesOf(text).length,
    maxStagedBytes,
  });

const textOf = async (storage: AirlockStorage, ref: ContainerRef, name: string, range?: ByteRange) =>
  new TextDecoder().decode(
    await readAll(assertOk(await storage.openRead(ref, "draft", name, range), `openRead ${name}`)),
  );

/**
 * The `AirlockStorage` contract (see its JSDoc). Every test takes a fresh storage from `make` and
 * uses containers named by random request ids.
 */
export function storageContract(
  t: ContractRunner,
  make: () => Promise<AirlockStorage> | AirlockStorage,
  options?: ContractOptions,
): void {
  defineContract(t, "AirlockStorage contract", options, (test) => {
    test("provision is idempotent and a new container is empty", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      assertOk(await storage.provision(ref, "draft"), "first provision");
      assertOk(await storage.provision(ref, "draft"), "second provision");
      assertEqual(await filesIn(storage, ref, "draft"), [], "files of a new container");
    });

    test("provisioning again keeps the files already uploaded", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", { "data.csv": "a,b\n1,2\n" });
      assertOk(await storage.provision(ref, "draft"), "provision again");
      assertEqual(await filesIn(storage, ref, "draft"), [{ name: "data.csv", size: 8 }], "files");
    });

    test("an uploaded file is listed and described with its size and sha256", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      const stored = assertOk(
        await storage.upload(ref, "draft", "cohort.csv", streamOf(["id,age\n", "1,42\n", "2,37\n"]), {
          maxBytes: GENEROUS,
        }),
        "upload",
      );
      assertEqual(stored, { name: "cohort.csv", size: 17 }, "upload answer");
      await put(storage, ref, "draft", { "notes.txt": "über 🔒" });
      assertEqual(
        await filesIn(storage, ref, "draft"),
        [
          { name: "cohort.csv", size: 17 },
          { name: "notes.txt", size: bytesOf("über 🔒").length },
        ],
        "listFiles",
      );
      assertEqual(
        byName(assertOk(await storage.describe(ref, "draft"), "describe")),
        [await recordOf("cohort.csv", "id,age\n1,42\n2,37\n"), await recordOf("notes.txt", "über 🔒")],
        "describe",
      );
    });

    test("an empty file can be uploaded", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      assertEqual(
        assertOk(await storage.upload(ref, "draft", "empty.txt", streamOf([]), { maxBytes: 10 }), "upload"),
        { name: "empty.txt", size: 0 },
        "upload answer",
      );
      assertEqual(
        assertOk(await storage.describe(ref, "draft"), "describe"),
        [await recordOf("empty.txt", "")],
        "describe",
      );
    });

    test("uploading a name again replaces the file", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", { "data.csv": "first version" });
      await put(storage, ref, "draft", { "data.csv": "second" });
      assertEqual(
        assertOk(await storage.describe(ref, "draft"), "describe"),
        [await recordOf("data.csv", "second")],
        "describe",
      );
      const read = assertOk(await storage.openRead(ref, "draft", "data.csv"), "openRead");
      assertEqual(new TextDecoder().decode(await readAll(read)), "second", "content");
    });

    test("an upload of exactly maxBytes is accepted", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      assertOk(
        await storage.upload(ref, "draft", "ten.bin", streamOf(["12345", "67890"]), { maxBytes: 10 }),
        "upload",
      );
      assertEqual(await filesIn(storage, ref, "draft"), [{ name: "ten.bin", size: 10 }], "files");
    });

    test("an upload over maxBytes is TooLarge and leaves no file", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      const error = assertErr(
        await storage.upload(ref, "draft", "big.bin", streamOf(["12345", "67890", "X"]), { maxBytes: 10 }),
        "TooLarge",
        "upload",
      );
      assertEqual(error.limit, 10, "limit reported");
      assertEqual(await filesIn(storage, ref, "draft"), [], "files after a refused upload");
      assertErr(await storage.openRead(ref, "draft", "big.bin"), "NotFound", "openRead of the refused file");
    });

    test("an upload whose stream fails part way leaves no file", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", { "kept.txt": "keep me" });
      assertAnyErr(
        await storage.upload(
          ref,
          "draft",
          "broken.bin",
          failingStream([bytesOf("partial "), bytesOf("content")]),
          {
            maxBytes: GENEROUS,
          },
        ),
        "upload of a failing stream",
      );
      assertEqual(
        await filesIn(storage, ref, "draft"),
        [{ name: "kept.txt", size: 7 }],
        "files after the failure",
      );
    });

    test("openRead streams the exact bytes", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      const bytes = new Uint8Array(256 * 3 + 7).map((_, index) => index % 256);
      assertOk(
        await storage.upload(
          ref,
          "draft",
          "all-bytes.bin",
          streamOf([bytes.slice(0, 100), bytes.slice(100)]),
          {
            maxBytes: GENEROUS,
          },
        ),
        "upload",
      );
      const read = assertOk(await storage.openRead(ref, "draft", "all-bytes.bin"), "openRead");
      assertEqual(await readAll(read), bytes, "bytes read");
    });

    test("openRead of a missing file or container is NotFound", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", { "present.txt": "here" });
      assertErr(await storage.openRead(ref, "draft", "absent.txt"), "NotFound", "missing file");
      assertErr(await storage.openRead(ref, "in_progress", "present.txt"), "NotFound", "missing container");
      assertErr(await storage.openRead(newRef(), "draft", "present.txt"), "NotFound", "unknown request");
    });

    test("listFiles and describe of a missing container are empty", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      assertEqual(assertOk(await storage.listFiles(ref, "approved"), "listFiles"), [], "listFiles");
      assertEqual(assertOk(await storage.describe(ref, "approved"), "describe"), [], "describe");
    });

    test("stages and requests are separate containers", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      const other = { ...newRef(), workspaceId: ref.workspaceId };
      await put(storage, ref, "draft", { "a.txt": "a" });
      await put(storage, other, "draft", { "b.txt": "bb" });
      await put(storage, ref, "in_progress", { "c.txt": "ccc" });
      assertEqual(await filesIn(storage, ref, "draft"), [{ name: "a.txt", size: 1 }], "draft of the request");
      assertEqual(
        await filesIn(storage, other, "draft"),
        [{ name: "b.txt", size: 2 }],
        "draft of another request",
      );
      assertEqual(await filesIn(storage, ref, "in_progress"), [{ name: "c.txt", size: 3 }], "in progress");
    });

    test("move copies every file to the next stage and empties the source", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", { "a.csv": "alpha", "b.csv": "bravo!" });
      const expected = [await recordOf("a.csv", "alpha"), await recordOf("b.csv", "bravo!")];
      const moved = assertOk(await storage.move(ref, "draft", "in_progress"), "move");
      assertEqual(byName(moved), expected, "records answered by move");
      assertEqual(await filesIn(storage, ref, "draft"), [], "source after the move");
      assertEqual(
        byName(assertOk(await storage.describe(ref, "in_progress"), "describe")),
        expected,
        "destination",
      );
      const read = assertOk(await storage.openRead(ref, "in_progress", "b.csv"), "openRead");
      assertEqual(new TextDecoder().decode(await readAll(read)), "bravo!", "moved content");
    });

    test("move with matching expected records moves the files", async () => {
      const storage = await fresh(make);
      const ref = newRef("export");
      await put(storage, ref, "in_progress", { "result.csv": "summary" });
      const expected = [await recordOf("result.csv", "summary")];
      assertEqual(
        assertOk(await storage.move(ref, "in_progress", "approved", expected), "move"),
        expected,
        "records answered by move",
      );
      assertEqual(await filesIn(storage, ref, "in_progress"), [], "source after the move");
      assertEqual(await filesIn(storage, ref, "approved"), [{ name: "result.csv", size: 7 }], "destination");
    });

    test("a move repeated after it completed answers the same records", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "in_progress", { "a.csv": "alpha" });
      const expected = [await recordOf("a.csv", "alpha")];
      const first = assertOk(await storage.move(ref, "in_progress", "rejected", expected), "first move");
      const again = assertOk(await storage.move(ref, "in_progress", "rejected", expected), "repeated move");
      assertEqual(again, first, "records answered by the repeated move");
      assertEqual(await filesIn(storage, ref, "rejected"), [{ name: "a.csv", size: 5 }], "destination");
      assertEqual(await filesIn(storage, ref, "in_progress"), [], "source");
    });

    test("a move interrupted after copying finishes when repeated", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      // The state a crash between copy and delete leaves: both stages hold the same file.
      await put(storage, ref, "in_progress", { "a.csv": "alpha" });
      await put(storage, ref, "blocked", { "a.csv": "alpha" });
      const expected = [await recordOf("a.csv", "alpha")];
      assertEqual(
        assertOk(await storage.move(ref, "in_progress", "blocked", expected), "repeated move"),
        expected,
        "records answered",
      );
      assertEqual(await filesIn(storage, ref, "in_progress"), [], "source");
      assertEqual(await filesIn(storage, ref, "blocked"), [{ name: "a.csv", size: 5 }], "destination");
    });

    test("a move whose copy does not match the expected sha256 keeps the source", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "in_progress", { "a.csv": "tampered" });
      const recorded = await recordOf("a.csv", "original");
      const found = assertOk(await storage.move(ref, "in_progress", "approved", [recorded]), "move");
      const actual = await recordOf("a.csv", "tampered");
      assertEqual(byName(found), [actual], "records answered: what the move found");
      assertNotEqual(found[0]?.sha256, recorded.sha256, "sha256 answered");
      assertEqual(await filesIn(storage, ref, "in_progress"), [{ name: "a.csv", size: 8 }], "source kept");
    });

    test("a file replaced after describe is described and moved by its new bytes", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "in_progress", { "a.csv": "as described" });
      const described = assertOk(await storage.describe(ref, "in_progress"), "first describe");
      assertEqual(described, [await recordOf("a.csv", "as described")], "first describe");
      await put(storage, ref, "in_progress", { "a.csv": "replaced" });
      const now = await recordOf("a.csv", "replaced");
      assertEqual(
        assertOk(await storage.describe(ref, "in_progress"), "describe after the replacement"),
        [now],
        "describe after the replacement",
      );
      const found = assertOk(await storage.move(ref, "in_progress", "approved", described), "move");
      assertEqual(found, [now], "records answered: what the move found");
      assertEqual(await filesIn(storage, ref, "in_progress"), [{ name: "a.csv", size: 8 }], "source kept");
    });

    test("a large file streams in and out while the event loop keeps turning", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      // 16 MiB from a stream that never waits: an adapter working through it without yielding
      // (hashing or copying it in one go, say) would let no other turn of the loop run meanwhile.
      const uploaded = await eventLoopTurnsDuring(async () =>
        assertOk(
          await storage.upload(ref, "draft", "large.bin", largeStream(16), { maxBytes: 16 * MIB }),
          "upload",
        ),
      );
      assertEqual(uploaded.value, { name: "large.bin", size: 16 * MIB }, "upload answer");
      assert(
        uploaded.turns >= 8,
        `the loop turned ${uploaded.turns} times during the upload, expected 8 or more`,
      );
      const read = await eventLoopTurnsDuring(async () =>
        countBytes(assertOk(await storage.openRead(ref, "draft", "large.bin"), "openRead")),
      );
      assertEqual(read.value, 16 * MIB, "bytes read");
      assert(read.turns >= 8, `the loop turned ${read.turns} times while reading, expected 8 or more`);
    });

    test("deleteFile removes one file and succeeds when it is already gone", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", { "a.txt": "a", "b.txt": "b" });
      assertOk(await storage.deleteFile(ref, "draft", "a.txt"), "delete");
      assertEqual(await filesIn(storage, ref, "draft"), [{ name: "b.txt", size: 1 }], "files after delete");
      assertOk(await storage.deleteFile(ref, "draft", "a.txt"), "delete again");
      assertOk(await storage.deleteFile(newRef(), "draft", "a.txt"), "delete in a missing container");
    });

    test("deleteContainer removes every file and succeeds when it is already gone", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "approved", { "a.txt": "a", "b.txt": "b" });
      await put(storage, ref, "draft", { "c.txt": "c" });
      assertOk(await storage.deleteContainer(ref, "approved"), "deleteContainer");
      assertEqual(await filesIn(storage, ref, "approved"), [], "files after deleteContainer");
      assertEqual(await filesIn(storage, ref, "draft"), [{ name: "c.txt", size: 1 }], "other stage");
      assertOk(await storage.deleteContainer(ref, "approved"), "deleteContainer again");
      assertOk(await storage.deleteContainer(newRef(), "approved"), "deleteContainer of a missing container");
    });

    test("link answers an absolute URL expiring when asked", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      assertOk(await storage.provision(ref, "draft"), "provision");
      // Whole seconds: SAS tokens carry no milliseconds.
      const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
      const link = assertOk(
        await storage.link(ref, "draft", ["read", "write", "list", "delete"], expiresAt),
        "link",
      );
      let url: URL | null = null;
      try {
        url = new URL(link.containerUrl);
      } catch (error) {
        assert(
          false,
          `containerUrl ${JSON.stringify(link.containerUrl)} is not an absolute URL: ${String(error)}`,
        );
      }
      assert(url !== null && url.protocol.length > 1, "containerUrl has a scheme");
      assertEqual(link.expiresAt, expiresAt, "expiresAt");
      const readOnly = assertOk(
        await storage.link(ref, "draft", ["read", "list"], expiresAt),
        "read-only link",
      );
      assertNotEqual(readOnly.containerUrl, link.containerUrl, "URLs of links with different access");
    });

    test("link takes the holder the link is for", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      assertOk(await storage.provision(ref, "draft"), "provision");
      const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
      const holder = { id: "holder-1", roles: ["WorkspaceOwner" as const] };
      const link = assertOk(await storage.link(ref, "draft", ["read", "list"], expiresAt, holder), "link");
      assert(URL.canParse(link.containerUrl), "containerUrl is an absolute URL");
      assertEqual(link.expiresAt, expiresAt, "expiresAt");
    });

    test("a large upload in many chunks round-trips by hash", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      const chunkSize = 64 * 1024;
      const chunks = Array.from({ length: (8 * MIB) / chunkSize }, () =>
        crypto.getRandomValues(new Uint8Array(chunkSize)),
      );
      const whole = await readAll(streamOf(chunks));
      const stored = assertOk(
        await storage.upload(ref, "draft", "large.bin", streamOf(chunks), { maxBytes: 8 * MIB }),
        "upload",
      );
      assertEqual(stored, { name: "large.bin", size: 8 * MIB }, "upload answer");
      const sha256 = await sha256Hex(whole);
      assertEqual(
        assertOk(await storage.describe(ref, "draft"), "describe"),
        [{ name: "large.bin", size: 8 * MIB, sha256 }],
        "describe",
      );
      const read = await readAll(assertOk(await storage.openRead(ref, "draft", "large.bin"), "openRead"));
      assertEqual(read.length, 8 * MIB, "bytes read");
      assertEqual(await sha256Hex(read), sha256, "sha256 of the bytes read");
    });

    test("properties answer a file's size, etag and last modification; a new upload changes the etag", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", { "data.csv": "first version" });
      const first = assertOk(await storage.properties(ref, "draft", "data.csv"), "properties");
      assertEqual(first.name, "data.csv", "name");
      assertEqual(first.size, 13, "size");
      assert(first.etag.length > 0, "an etag");
      assert(!Number.isNaN(first.lastModified.getTime()), "a last modification time");
      assertEqual(
        assertOk(await storage.properties(ref, "draft", "data.csv"), "properties again").etag,
        first.etag,
        "the etag of unchanged bytes",
      );
      await put(storage, ref, "draft", { "data.csv": "second" });
      const second = assertOk(await storage.properties(ref, "draft", "data.csv"), "properties after");
      assertEqual(second.size, 6, "size after the replacement");
      assertNotEqual(second.etag, first.etag, "the etag after the replacement");
      assertErr(await storage.properties(ref, "draft", "absent.csv"), "NotFound", "properties of no file");
      assertErr(
        await storage.properties(newRef(), "draft", "data.csv"),
        "NotFound",
        "properties in no container",
      );
    });

    test("openRead with a range streams that part of the file, cut at its end", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", { "digits.txt": "0123456789" });
      assertEqual(await textOf(storage, ref, "digits.txt", { offset: 2, count: 3 }), "234", "middle");
      assertEqual(await textOf(storage, ref, "digits.txt", { offset: 7 }), "789", "to the end");
      assertEqual(await textOf(storage, ref, "digits.txt", { offset: 8, count: 50 }), "89", "past the end");
      assertEqual(await textOf(storage, ref, "digits.txt", { offset: 0, count: 10 }), "0123456789", "whole");
    });

    test("a ranged read of a large file hands out exactly the bytes asked for", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      // Bytes that differ at every offset near the chunk edges, so a range read one off shows.
      const bytes = new Uint8Array(3 * MIB + 5).map((_, index) => (index * 31 + (index >> 8)) % 251);
      assertOk(
        await storage.upload(ref, "draft", "large.bin", streamOf([bytes]), { maxBytes: GENEROUS }),
        "upload",
      );
      const range = { offset: MIB - 3, count: MIB + 11 };
      const read = await readAll(assertOk(await storage.openRead(ref, "draft", "large.bin", range), "read"));
      assertEqual(
        await sha256Hex(read),
        await sha256Hex(bytes.slice(range.offset, range.offset + range.count)),
        "sha256 of the range",
      );
    });

    test("staged blocks become the file only when committed, in the order listed", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      assertOk(await stage(storage, ref, "joined.txt", 1, "world"), "stage block 1");
      assertOk(await stage(storage, ref, "joined.txt", 0, "hello "), "stage block 0");
      assertEqual(await filesIn(storage, ref, "draft"), [], "files before the commit");
      assertErr(await storage.openRead(ref, "draft", "joined.txt"), "NotFound", "read before the commit");
      const stored = assertOk(
        await storage.commitBlocks(ref, "draft", "joined.txt", [blockIdOf(0), blockIdOf(1)], {
          maxBytes: GENEROUS,
        }),
        "commit",
      );
      assertEqual(stored, { name: "joined.txt", size: 11 }, "commit answer");
      assertEqual(await textOf(storage, ref, "joined.txt"), "hello world", "content");
      assertEqual(
        assertOk(await storage.describe(ref, "draft"), "describe"),
        [await recordOf("joined.txt", "hello world")],
        "describe",
      );
      assertEqual(
        assertOk(await storage.properties(ref, "draft", "joined.txt"), "properties").size,
        11,
        "size in the properties",
      );
    });

    test("staging a block again replaces it, and a failed staging keeps the block staged before", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      assertOk(await stage(storage, ref, "data.txt", 0, "old"), "stage");
      assertOk(await stage(storage, ref, "data.txt", 0, "new"), "stage again");
      assertOk(await stage(storage, ref, "data.txt", 1, "-tail"), "stage the second block");
      assertAnyErr(
        await storage.stageBlock(ref, "draft", "data.txt", blockIdOf(1), failingStream([bytesOf("-ta")]), {
          size: 5,
          maxStagedBytes: GENEROUS,
        }),
        "a staging whose stream fails",
      );
      assertAnyErr(
        await storage.stageBlock(ref, "draft", "data.txt", blockIdOf(1), streamOf(["-tai"]), {
          size: 5,
          maxStagedBytes: GENEROUS,
        }),
        "a staging shorter than its size",
      );
      assertOk(
        await storage.commitBlocks(ref, "draft", "data.txt", [blockIdOf(0), blockIdOf(1)], { maxBytes: 10 }),
        "commit",
      );
      assertEqual(await textOf(storage, ref, "data.txt"), "new-tail", "content");
    });

    test("a commit naming a block that is not staged is InvalidInput and changes nothing", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", { "data.txt": "kept" });
      assertOk(await stage(storage, ref, "data.txt", 0, "new"), "stage");
      assertErr(
        await storage.commitBlocks(ref, "draft", "data.txt", [blockIdOf(0), blockIdOf(9)], {
          maxBytes: GENEROUS,
        }),
        "InvalidInput",
        "commit with an unknown block",
      );
      assertEqual(await textOf(storage, ref, "data.txt"), "kept", "the file before");
      assertOk(
        await storage.commitBlocks(ref, "draft", "data.txt", [blockIdOf(0)], { maxBytes: GENEROUS }),
        "commit of the staged block",
      );
      assertEqual(await textOf(storage, ref, "data.txt"), "new", "the file after");
    });

    test("a commit drops the file's uncommitted blocks, and one over maxBytes is TooLarge", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      assertOk(await stage(storage, ref, "data.txt", 0, "12345"), "stage 0");
      assertOk(await stage(storage, ref, "data.txt", 1, "67890"), "stage 1");
      assertErr(
        await storage.commitBlocks(ref, "draft", "data.txt", [blockIdOf(0), blockIdOf(1)], { maxBytes: 9 }),
        "TooLarge",
        "commit over maxBytes",
      );
      assertEqual(await filesIn(storage, ref, "draft"), [], "files after the refused commit");
      assertOk(
        await storage.commitBlocks(ref, "draft", "data.txt", [blockIdOf(1)], { maxBytes: 9 }),
        "commit of one block",
      );
      assertErr(
        await storage.commitBlocks(ref, "draft", "data.txt", [blockIdOf(0)], { maxBytes: 9 }),
        "InvalidInput",
        "commit of a block dropped by the earlier commit",
      );
      assertEqual(await textOf(storage, ref, "data.txt"), "67890", "content");
    });

    test("a file's uncommitted blocks hold at most maxStagedBytes; a replaced block counts once", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      assertOk(await stage(storage, ref, "data.txt", 0, "12345", 10), "stage 0");
      assertOk(await stage(storage, ref, "data.txt", 0, "12345", 10), "stage 0 again");
      assertOk(await stage(storage, ref, "data.txt", 1, "67890", 10), "stage 1");
      assertErr(await stage(storage, ref, "data.txt", 2, "X", 10), "TooLarge", "one byte too many");
      assertOk(await stage(storage, ref, "other.txt", 0, "12345", 10), "another file's blocks");
      assertOk(
        await storage.commitBlocks(ref, "draft", "data.txt", [blockIdOf(0), blockIdOf(1)], { maxBytes: 10 }),
        "commit",
      );
      assertEqual(await textOf(storage, ref, "data.txt"), "1234567890", "content");
    });

    test("deleting a file or its container drops its uncommitted blocks", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      assertOk(await stage(storage, ref, "data.txt", 0, "staged"), "stage");
      assertOk(await storage.deleteFile(ref, "draft", "data.txt"), "delete the file");
      assertErr(
        await storage.commitBlocks(ref, "draft", "data.txt", [blockIdOf(0)], { maxBytes: GENEROUS }),
        "InvalidInput",
        "commit after the delete",
      );
      assertOk(await stage(storage, ref, "data.txt", 0, "staged"), "stage again");
      assertOk(await storage.deleteContainer(ref, "draft"), "delete the container");
      assertOk(await storage.provision(ref, "draft"), "provision again");
      assertAnyErr(
        await storage.commitBlocks(ref, "draft", "data.txt", [blockIdOf(0)], { maxBytes: GENEROUS }),
        "commit after the container was deleted",
      );
      assertEqual(await filesIn(storage, ref, "draft"), [], "files");
    });

    test("an upload under the name replaces the file whole and drops its uncommitted blocks", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      assertOk(await stage(storage, ref, "data.txt", 0, "staged"), "stage");
      await put(storage, ref, "draft", { "data.txt": "uploaded" });
      assertErr(
        await storage.commitBlocks(ref, "draft", "data.txt", [blockIdOf(0)], { maxBytes: GENEROUS }),
        "InvalidInput",
        "commit after the upload",
      );
      assertEqual(await textOf(storage, ref, "data.txt"), "uploaded", "content");
    });

    test("large blocks stage and commit while the event loop keeps turning", async () => {
      const storage = await fresh(make);
      const ref = newRef();
      await put(storage, ref, "draft", {});
      const staged = await eventLoopTurnsDuring(async () => {
        for (const index of [0, 1]) {
          assertOk(
            await storage.stageBlock(ref, "draft", "large.bin", blockIdOf(index), largeStream(8), {
              size: 8 * MIB,
              maxStagedBytes: 16 * MIB,
            }),
            `stage block ${index}`,
          );
        }
      });
      assert(staged.turns >= 8, `the loop turned ${staged.turns} times while staging, expected 8 or more`);
      const committed = await eventLoopTurnsDuring(async () =>
        assertOk(
          await storage.commitBlocks(ref, "draft", "large.bin", [blockIdOf(0), blockIdOf(1)], {
            maxBytes: 16 * MIB,
          }),
          "commit",
        ),
      );
      assertEqual(committed.value, { name: "large.bin", size: 16 * MIB }, "commit answer");
      const read = await eventLoopTurnsDuring(async () =>
        countBytes(
          assertOk(
            await storage.openRead(ref, "draft", "large.bin", { offset: 3 * MIB, count: 10 * MIB }),
            "openRead",
          ),
        ),
      );
      assertEqual(read.value, 10 * MIB, "bytes of the range");
      assert(read.turns >= 4, `the loop turned ${read.turns} times while reading, expected 4 or more`);
    });

    test("staging into a container never provisioned is NotFound", async () => {
      const storage = await fresh(make);
      assertErr(await stage(storage, newRef(), "data.txt", 0, "x"), "NotFound", "stage");
    });
  });
}
