import { describe, expect, it } from "vitest";
import { chunks, errorOf, makeHarness, people, unwrap } from "./support/harness.js";

const create = (h: ReturnType<typeof makeHarness>, who = people.rita) =>
  h.airlock.create(who, h.ws, { type: "import", title: "Quota", businessJustification: "x" });

describe("open drafts per person", () => {
  it("refuses a draft beyond maxOpenDrafts with QuotaExceeded, storing nothing, and has room again once one is submitted or cancelled", async () => {
    const h = makeHarness({ maxOpenDrafts: 2 });
    const first = (await unwrap(create(h))).airlockRequest;
    await unwrap(create(h));
    const before = (await unwrap(h.ports.repository.list({ pageSize: 100 }))).items.length;

    expect(await errorOf(create(h))).toMatchObject({
      kind: "QuotaExceeded",
      message: expect.stringContaining("2 open draft(s)"),
    });
    expect((await unwrap(h.ports.repository.list({ pageSize: 100 }))).items).toHaveLength(before);
    // Someone else's drafts are theirs.
    await unwrap(create(h, people.otto));

    await unwrap(h.airlock.cancel(people.rita, h.ws, first.id));
    await unwrap(create(h));
  });

  it("holds under concurrent creations by one person", async () => {
    const h = makeHarness({ maxOpenDrafts: 3 });
    const results = await Promise.all(Array.from({ length: 12 }, () => create(h)));
    expect(results.filter((result) => result.isOk())).toHaveLength(3);
    for (const result of results) if (result.isErr()) expect(result.error.kind).toBe("QuotaExceeded");
  });
});

describe("bytes in flight per workspace", () => {
  const held = () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* bytes(text: string) {
      yield new TextEncoder().encode(text);
      await gate;
    }
    return { bytes, release: () => release() };
  };

  it("refuses an upload that would pass maxBytesInFlight with Busy, leaving nothing, and takes it once the others finish", async () => {
    const h = makeHarness({ maxFiles: 5, maxBytesInFlight: 100, maxFileSize: 100 });
    const draft = (await unwrap(create(h))).airlockRequest;
    const slow = held();
    const first = h.airlock.upload(draft.id, "a.csv", slow.bytes("1"), { declaredBytes: 60 });
    while (!(await unwrap(h.ports.repository.get(draft.id))).draftFiles.includes("a.csv")) {
      await new Promise((resolve) => setImmediate(resolve));
    }

    expect(
      await errorOf(h.airlock.upload(draft.id, "b.csv", chunks("2"), { declaredBytes: 50 })),
    ).toMatchObject({
      kind: "Busy",
    });
    // Without a declared length an upload counts maxFileSize.
    expect(await errorOf(h.airlock.upload(draft.id, "c.csv", chunks("3")))).toMatchObject({ kind: "Busy" });
    expect((await unwrap(h.ports.repository.get(draft.id))).draftFiles).toEqual(["a.csv"]);
    expect([...h.ports.storage.contents("draft", draft.id).keys()]).toEqual([]);
    // What still fits goes through meanwhile.
    await unwrap(h.airlock.upload(draft.id, "d.csv", chunks("4"), { declaredBytes: 40 }));

    slow.release();
    await unwrap(first);
    await unwrap(h.airlock.upload(draft.id, "b.csv", chunks("2"), { declaredBytes: 50 }));
    expect([...h.ports.storage.contents("draft", draft.id).keys()].sort()).toEqual([
      "a.csv",
      "b.csv",
      "d.csv",
    ]);
  });

  it("always lets one upload through when nothing else is in flight, and refuses a declared length over maxFileSize at once", async () => {
    const h = makeHarness({ maxFiles: 2, maxBytesInFlight: 10, maxFileSize: 100 });
    const draft = (await unwrap(create(h))).airlockRequest;
    await unwrap(h.airlock.upload(draft.id, "a.csv", chunks("x".repeat(50)), { declaredBytes: 50 }));
    expect(
      await errorOf(h.airlock.upload(draft.id, "b.csv", chunks("x"), { declaredBytes: 101 })),
    ).toMatchObject({
      kind: "TooLarge",
    });
    expect((await unwrap(h.ports.repository.get(draft.id))).draftFiles).toEqual(["a.csv"]);
  });
});

describe("a workspace policy stored before the quotas existed", () => {
  it("takes the defaults instead of refusing every draft and upload", async () => {
    const h = makeHarness();
    const stored = await unwrap(h.ports.workspaces.get(h.ws));
    const { maxOpenDrafts: _drafts, maxBytesInFlight: _bytes, ...older } = stored.policy;
    await unwrap(h.ports.workspaces.put({ ...stored, policy: older as typeof stored.policy }));
    const draft = (await unwrap(create(h))).airlockRequest;
    await unwrap(h.airlock.upload(draft.id, "data.csv", chunks("1")));
  });
});
