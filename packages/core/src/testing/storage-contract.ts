import type { FileRecord, RequestType, Stage } from "../model/request.js";
import type { AirlockStorage, ContainerRef } from "../ports/storage.js";
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
  });
}
