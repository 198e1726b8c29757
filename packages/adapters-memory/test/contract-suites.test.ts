// The contract suites are only worth something if they fail for adapters that break the contract:
// each case here runs one suite against a deliberately broken memory adapter and names the tests
// that must catch it. (These check @airlock/core/testing itself; they live here because the memory
// adapters are the reference the broken variants are made from.)

import { createHash } from "node:crypto";
import {
  AirlockRequestSchema,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditLog,
  type AuditSealing,
  checkpointEntry,
  GENESIS_HASH,
  hashAuditEntry,
  unhashedAuditEntry,
  WorkspaceSchema,
} from "@airlock/core";
import {
  type AuditLogUnderTest,
  assertEqual,
  auditCheckpointsContract,
  auditLogContract,
  type ContractRunner,
  EICAR,
  eventPublisherContract,
  firstDifference,
  malwareScannerContract,
  notifierContract,
  requestRepositoryContract,
  sampleRequest,
  sampleWorkspace,
  sha256Hex,
  storageContract,
  streamOf,
  workspaceRegistryContract,
} from "@airlock/core/testing";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import {
  createMemoryAuditCheckpoints,
  createMemoryAuditLog,
  createMemoryEventPublisher,
  createMemoryNotifier,
  createMemoryRequestRepository,
  createMemoryScanner,
  createMemoryStorage,
  createMemoryWorkspaceRegistry,
} from "../src/index.js";

interface Collected {
  readonly suites: string[];
  readonly tests: { readonly name: string; readonly fn: () => Promise<void> | void }[];
}

const collect = (define: (t: ContractRunner) => void): Collected => {
  const collected: Collected = { suites: [], tests: [] };
  define({
    describe: (name, fn) => {
      collected.suites.push(name);
      fn();
    },
    it: (name, fn) => {
      collected.tests.push({ name, fn });
    },
  });
  return collected;
};

/** Runs every collected test and answers the names of those that failed. */
const memoryUnderTest = (sealing: AuditSealing): AuditLogUnderTest => {
  const audit = createMemoryAuditLog({ sealing });
  return {
    audit,
    backdoor: {
      overwrite: async (entry) => audit.overwrite(entry),
      removeFrom: async (stream, seq) => audit.removeFrom(stream, seq),
    },
  };
};

const failing = async (define: (t: ContractRunner) => void): Promise<string[]> => {
  const failed: string[] = [];
  for (const test of collect(define).tests) {
    try {
      await test.fn();
    } catch (error) {
      expect(error).toBeInstanceOf(Error);
      failed.push(test.name);
    }
  }
  return failed;
};

describe("contract suites", () => {
  it("pass for the memory adapters they are checked against here", async () => {
    expect(await failing((t) => requestRepositoryContract(t, () => createMemoryRequestRepository()))).toEqual(
      [],
    );
    expect(await failing((t) => auditLogContract(t, (sealing) => memoryUnderTest(sealing)))).toEqual([]);
    expect(await failing((t) => auditCheckpointsContract(t, () => createMemoryAuditCheckpoints()))).toEqual(
      [],
    );
  });

  it("an opted-out test is not registered at all", () => {
    const all = collect((t) => workspaceRegistryContract(t, () => createMemoryWorkspaceRegistry()));
    const some = collect((t) =>
      workspaceRegistryContract(t, () => createMemoryWorkspaceRegistry(), {
        skip: [{ test: "list contains every workspace put", reason: "the backend cannot list" }],
      }),
    );
    expect(all.tests.map((test) => test.name)).toContain("list contains every workspace put");
    expect(some.tests.map((test) => test.name)).toEqual(
      all.tests.map((test) => test.name).filter((name) => name !== "list contains every workspace put"),
    );
  });

  it("refuses an opt-out without a reason or naming no test", () => {
    const registry = () => createMemoryWorkspaceRegistry();
    expect(() =>
      collect((t) =>
        workspaceRegistryContract(t, registry, {
          skip: [{ test: "get of an unknown workspace is NotFound", reason: " " }],
        }),
      ),
    ).toThrow(/needs a reason/);
    expect(() =>
      collect((t) =>
        workspaceRegistryContract(t, registry, { skip: [{ test: "no such test", reason: "typo" }] }),
      ),
    ).toThrow(/"no such test"/);
  });

  it("request repository: catch an update that ignores the etag", async () => {
    const failed = await failing((t) =>
      requestRepositoryContract(t, () => {
        const inner = createMemoryRequestRepository();
        return {
          ...inner,
          // Last writer wins: a refused update is forced through with the stored etag.
          update: (request) =>
            inner
              .update(request)
              .orElse((error) =>
                error.kind === "Conflict"
                  ? inner.get(request.id).andThen((stored) => inner.update({ ...request, etag: stored.etag }))
                  : errAsync(error),
              ),
        };
      }),
    );
    expect(failed).toContain("update with a stale etag is a Conflict and changes nothing");
    expect(failed).toContain("of two concurrent updates from the same read exactly one wins");
  });

  it("request repository: catch answers that share objects with the store", async () => {
    const failed = await failing((t) =>
      requestRepositoryContract(t, () => {
        const stored = new Map<string, ReturnType<typeof sampleRequest> & { etag: string }>();
        const inner = createMemoryRequestRepository();
        return {
          ...inner,
          create: (request) =>
            inner.create(request).map((created) => {
              const shared = { ...request, etag: created.etag };
              stored.set(request.id, shared);
              return shared;
            }),
          get: (id) =>
            inner.get(id).map((request) => {
              const shared = stored.get(id);
              return shared && shared.etag === request.etag ? shared : request;
            }),
        };
      }),
    );
    expect(failed).toEqual([
      "answers share nothing mutable: changing a returned or passed request changes nothing stored",
    ]);
  });

  it("request repository: catch an update that keeps the caller's object", async () => {
    const failed = await failing((t) =>
      requestRepositoryContract(t, () => {
        const kept = new Map<string, ReturnType<typeof sampleRequest> & { etag: string }>();
        const inner = createMemoryRequestRepository();
        return {
          ...inner,
          update: (request) =>
            inner.update(request).map((updated) => {
              const shared = Object.assign(request, { etag: updated.etag });
              kept.set(request.id, shared);
              return shared;
            }),
          get: (id) =>
            inner.get(id).map((request) => {
              const shared = kept.get(id);
              return shared && shared.etag === request.etag ? shared : request;
            }),
        };
      }),
    );
    expect(failed).toContain(
      "an update copies what it is given: changing it afterwards changes nothing stored",
    );
  });

  it("request repository: catch a wrong tie-break, paging that ignores pageSize, or a needless extra page", async () => {
    const reversedTies = await failing((t) =>
      requestRepositoryContract(t, () => {
        const inner = createMemoryRequestRepository();
        return {
          ...inner,
          list: (query) =>
            inner.list(query).map((page) => {
              const key = query.orderBy ?? "createdWhen";
              // Each run of equal keys comes back in reverse: ties broken against the id order.
              const items: (typeof page.items)[number][] = [];
              let run: (typeof page.items)[number][] = [];
              for (const item of page.items) {
                if (run.length > 0 && run[0]?.[key] !== item[key]) {
                  items.push(...run.reverse());
                  run = [];
                }
                run.push(item);
              }
              items.push(...run.reverse());
              return { ...page, items };
            }),
        };
      }),
    );
    expect(reversedTies).toContain("list orders by createdWhen, newest first by default, ties by id");
    expect(reversedTies).toContain("list orders by createdWhen ascending, ties by id");
    expect(reversedTies).toContain("list orders by updatedWhen in both directions, ties by id");

    const onePage = await failing((t) =>
      requestRepositoryContract(t, () => {
        const inner = createMemoryRequestRepository();
        return {
          ...inner,
          list: ({ pageSize: _ignored, ...query }) => inner.list({ ...query, pageSize: 100 }),
        };
      }),
    );
    expect(onePage).toContain("paging returns every request exactly once and ends with a null continuation");

    const extraPage = await failing((t) =>
      requestRepositoryContract(t, () => {
        const inner = createMemoryRequestRepository();
        return {
          ...inner,
          list: (query) =>
            inner
              .list(query)
              .map((page) =>
                page.continuation === null &&
                page.items.length === query.pageSize &&
                query.continuation === undefined
                  ? { ...page, continuation: "more" }
                  : page,
              ),
        };
      }),
    );
    expect(extraPage).toContain("a page that ends exactly at the last request has a null continuation");
  });

  it("storage: catch an upload that keeps what it read past maxBytes or from a failing stream", async () => {
    const failed = await failing((t) =>
      storageContract(t, () => {
        const inner = createMemoryStorage();
        return {
          ...inner,
          upload: (ref, stage, name, content, options) => {
            const kept: Uint8Array[] = [];
            const tee = {
              async *[Symbol.asyncIterator]() {
                for await (const chunk of content) {
                  kept.push(chunk);
                  yield chunk;
                }
              },
            };
            // Keeps whatever arrived before the failure, as a naive streaming upload would.
            return inner
              .upload(ref, stage, name, tee, options)
              .orElse((error) =>
                inner
                  .upload(ref, stage, name, streamOf(kept), { maxBytes: Number.MAX_SAFE_INTEGER })
                  .andThen(() => errAsync(error)),
              );
          },
        };
      }),
    );
    expect(failed).toContain("an upload over maxBytes is TooLarge and leaves no file");
    expect(failed).toContain("an upload whose stream fails part way leaves no file");
  });

  it("storage: catch a move that deletes the source even when the copy does not match", async () => {
    const failed = await failing((t) =>
      storageContract(t, () => {
        const inner = createMemoryStorage();
        return { ...inner, move: (ref, from, to) => inner.move(ref, from, to) };
      }),
    );
    expect(failed).toEqual([
      "a move whose copy does not match the expected sha256 keeps the source",
      "a file replaced after describe is described and moved by its new bytes",
    ]);
  });

  it("storage: catch describe answering a hash of something else", async () => {
    const failed = await failing((t) =>
      storageContract(t, () => {
        const inner = createMemoryStorage();
        return {
          ...inner,
          describe: (ref, stage) =>
            inner.describe(ref, stage).map((files) =>
              files.map((file) => ({
                ...file,
                sha256: createHash("sha256").update(file.name).digest("hex"),
              })),
            ),
        };
      }),
    );
    expect(failed).toContain("an uploaded file is listed and described with its size and sha256");
    expect(failed).toContain("a large upload in many chunks round-trips by hash");
  });

  it("audit log: catch appends that race for the same seq", async () => {
    const failed = await failing((t) =>
      auditLogContract(t, (sealing) => {
        const entries = new Map<string, AuditEntry[]>();
        const { audit: inner, backdoor } = memoryUnderTest(sealing);
        const audit: AuditLog = {
          ...inner,
          // Reads the chain before hashing and writes after: the classic lost update.
          append: (record) =>
            ResultAsync.fromSafePromise(
              (async () => {
                const chain = entries.get(record.stream) ?? [];
                const unhashed = unhashedAuditEntry(record, chain.length, chain.at(-1)?.hash ?? GENESIS_HASH);
                const entry = { ...unhashed, hash: await hashAuditEntry(unhashed, sealing.keys.chainKey) };
                entries.set(record.stream, [...(entries.get(record.stream) ?? []), entry]);
                return entry;
              })(),
            ).andThrough((entry) => checkpointEntry(sealing, entry)),
          list: (stream, page) => {
            const chain = entries.get(stream) ?? [];
            const slice = chain.slice(page.fromSeq, page.fromSeq + page.limit);
            const more = page.fromSeq + page.limit < chain.length;
            return okAsync({ entries: slice, nextSeq: more ? page.fromSeq + page.limit : null });
          },
        };
        return { audit, backdoor };
      }),
    );
    expect(failed).toContain("concurrent appends to one stream all land once, in a valid chain");
  });

  it("audit log: catch a log that appends a keyed record twice", async () => {
    const failed = await failing((t) =>
      auditLogContract(t, (sealing) => {
        const { audit: inner, backdoor } = memoryUnderTest(sealing);
        // Forgets keys: every append lands, so a recovered record would be audited twice.
        return { audit: { ...inner, append: (record) => inner.append({ ...record, key: null }) }, backdoor };
      }),
    );
    expect(failed).toEqual([
      "a keyed record is appended once, however often and however concurrently it is sent",
      "concurrent first appends of one keyed record land once",
    ]);
  });

  it("audit log: catch a log that writes no checkpoints, so truncation goes unseen", async () => {
    const failed = await failing((t) =>
      auditLogContract(t, (sealing) =>
        memoryUnderTest({
          ...sealing,
          checkpoints: { ...sealing.checkpoints, put: () => okAsync(undefined) },
        }),
      ),
    );
    expect(failed).toEqual(
      expect.arrayContaining([
        "each append leaves a signed checkpoint of its entry before it answers",
        "verify finds entries removed from the tail",
        "verify finds a stream removed whole",
        "verify finds a stream rewritten with the chain key by its signed checkpoint",
      ]),
    );
  });

  it("audit log: catch a log that pages by position instead of by seq", async () => {
    const failed = await failing((t) =>
      auditLogContract(t, (sealing) => {
        const { audit: inner, backdoor } = memoryUnderTest(sealing);
        // Answers one entry fewer than asked and says nothing more follows.
        const list: AuditLog["list"] = (stream, page) =>
          inner
            .list(stream, { ...page, limit: Math.max(1, page.limit - 1) })
            .map((answer) => ({ ...answer, nextSeq: null }));
        return { audit: { ...inner, list }, backdoor };
      }),
    );
    expect(failed).toContain("list answers a stream a page at a time, in seq order");
  });

  it("audit checkpoints: catch a store where a late checkpoint replaces a later one", async () => {
    const failed = await failing((t) =>
      auditCheckpointsContract(t, () => {
        const inner = createMemoryAuditCheckpoints();
        const last = new Map<string, AuditCheckpoint>();
        return {
          ...inner,
          put: (checkpoint) => {
            last.set(checkpoint.stream, checkpoint);
            return okAsync(undefined);
          },
          latest: (stream) => okAsync(last.get(stream) ?? null),
        };
      }),
    );
    expect(failed).toContain("a checkpoint arriving late never hides a later one");
  });

  it("event publisher: catch a publisher that reorders a batch", async () => {
    const failed = await failing((t) =>
      eventPublisherContract(t, () => {
        const publisher = createMemoryEventPublisher();
        return {
          publisher: { publish: (events) => publisher.publish([...events].reverse()) },
          published: async () => publisher.published(),
        };
      }),
    );
    expect(failed).toEqual([
      "published events arrive in the order given, unchanged",
      "batches published one after another keep their order",
    ]);
  });

  it("notifier: catch a notifier that drops a recipient", async () => {
    const failed = await failing((t) =>
      notifierContract(t, () => {
        const notifier = createMemoryNotifier();
        return {
          notifier: { notify: (n) => notifier.notify({ ...n, recipients: n.recipients.slice(1) }) },
          delivered: async () => notifier.sent(),
        };
      }),
    );
    expect(failed).toEqual([
      "a notification is delivered with its recipients and request summary",
      "a notification with a status message and several recipients is delivered whole",
    ]);
  });

  it("scanner: catch a scanner that finds nothing, or answers pending while claiming to be synchronous", async () => {
    const blind = await failing((t) =>
      malwareScannerContract(t, () => {
        const storage = createMemoryStorage();
        return {
          scanner: { scan: () => okAsync({ verdict: "clean" as const }) },
          storage,
          asynchronous: false,
        };
      }),
    );
    expect(blind).toHaveLength(3);
    const lazy = await failing((t) =>
      malwareScannerContract(t, () => {
        const storage = createMemoryStorage();
        const scanner = createMemoryScanner({ storage });
        scanner.answerPending(true);
        return { scanner, storage, asynchronous: false };
      }),
    );
    expect(lazy).toHaveLength(4);
  });

  it("workspace registry: catch a put that keeps the first version", async () => {
    const failed = await failing((t) =>
      workspaceRegistryContract(t, () => {
        const inner = createMemoryWorkspaceRegistry();
        return {
          ...inner,
          put: (workspace) => inner.get(workspace.id).orElse(() => inner.put(workspace)),
        };
      }),
    );
    expect(failed).toEqual(["put of an existing id replaces the workspace"]);
  });
});

describe("fixtures", () => {
  it("sample requests and workspaces validate against the model", () => {
    expect(AirlockRequestSchema.omit({ etag: true }).safeParse(sampleRequest()).success).toBe(true);
    expect(WorkspaceSchema.safeParse(sampleWorkspace()).success).toBe(true);
    expect(sampleRequest().id).not.toBe(sampleRequest().id);
  });

  it("EICAR is the 68-byte standard test file", async () => {
    expect(EICAR).toHaveLength(68);
    expect(createHash("md5").update(EICAR).digest("hex")).toBe("44d88612fea8a8f36de82e1278abb02f");
    expect(await sha256Hex(new TextEncoder().encode(EICAR))).toBe(
      createHash("sha256").update(EICAR).digest("hex"),
    );
  });
});

describe("structural comparison", () => {
  it("names the first difference, treating undefined keys as absent", () => {
    expect(firstDifference({ a: [1, { b: "x" }] }, { a: [1, { b: "y" }] })).toBe('$.a[1].b: "x" is not "y"');
    expect(firstDifference({ a: 1, b: undefined }, { a: 1 })).toBeNull();
    expect(firstDifference(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe("$[1]: byte 2 is not 3");
    expect(firstDifference(new Date(5), new Date(5))).toBeNull();
    expect(firstDifference([1], { 0: 1 })).not.toBeNull();
    expect(() => assertEqual({ a: 1 }, { a: 2 }, "thing")).toThrow("thing: $.a: 1 is not 2");
  });
});
