import { errAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { createAirlock, grantHolderOf, PublicRequestSchema, unavailable } from "../src/index.js";
import { chunks, draftWithFile, errorOf, makeHarness, people, unwrap } from "./support/harness.js";

/** Rita's draft link, as the API signs it in. */
const RITA_LINK = grantHolderOf(people.rita);

const newDraft = async (h: ReturnType<typeof makeHarness>) =>
  (
    await unwrap(
      h.airlock.create(people.rita, h.ws, { type: "import", title: "Files", businessJustification: "x" }),
    )
  ).airlockRequest;

describe("the policy's file count under concurrent uploads", () => {
  it("lets exactly 20 of 60 concurrent uploads of distinct names into a draft with maxFiles 20 through", async () => {
    // Room for every upload in flight at once: only the file count may refuse them here.
    const h = makeHarness({ maxFiles: 20, maxBytesInFlight: 100 * 1024 ** 3 });
    const draft = await newDraft(h);

    const results = await Promise.all(
      Array.from({ length: 60 }, (_, n) => h.airlock.upload(draft.id, `file-${n}.csv`, chunks(`${n}\n`))),
    );

    expect(results.filter((result) => result.isOk())).toHaveLength(20);
    const refusals = results.flatMap((result) => (result.isErr() ? [result.error] : []));
    expect(refusals).toHaveLength(40);
    for (const refusal of refusals) {
      expect(refusal).toEqual({
        kind: "PolicyViolation",
        message: "the workspace allows at most 20 file(s) per request",
      });
    }
    expect(h.ports.storage.contents("draft", draft.id).size).toBe(20);
    const stored = await unwrap(h.ports.repository.get(draft.id));
    expect([...stored.draftFiles].sort()).toEqual(
      [...h.ports.storage.contents("draft", draft.id).keys()].sort(),
    );
  });

  it("always has room to replace a file the full draft holds", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.upload(draft.id, "data.csv", chunks("replaced")));
    expect(new TextDecoder().decode(h.ports.storage.contents("draft", draft.id).get("data.csv"))).toBe(
      "replaced",
    );
  });

  it("gives the room of a failed upload back", async () => {
    const h = makeHarness({ maxFileSize: 4 });
    const draft = await newDraft(h);
    expect(await errorOf(h.airlock.upload(draft.id, "big.bin", chunks("123456")))).toMatchObject({
      kind: "TooLarge",
    });
    await unwrap(h.airlock.upload(draft.id, "small.bin", chunks("1234")));
    expect((await unwrap(h.ports.repository.get(draft.id))).draftFiles).toEqual(["small.bin"]);
  });

  it("gives the room of a file deleted through the service back", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    expect(await errorOf(h.airlock.upload(draft.id, "other.csv", chunks("x")))).toMatchObject({
      kind: "PolicyViolation",
    });
    await unwrap(h.airlock.deleteFile(RITA_LINK, draft.id, "draft", "data.csv"));
    await unwrap(h.airlock.upload(draft.id, "other.csv", chunks("x")));
    expect([...h.ports.storage.contents("draft", draft.id).keys()]).toEqual(["other.csv"]);
  });

  it("audits each name the draft records, as an upload by the requester", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    const uploads = (await unwrap(h.ports.audit.listAll(draft.id))).filter(
      (entry) => entry.action === "upload",
    );
    expect(uploads).toEqual([
      expect.objectContaining({ outcome: "allowed", actor: { id: "rita", name: people.rita.name } }),
    ]);
    expect(uploads[0]?.reason).toBe("data.csv");
  });

  it("keeps the draft's file names out of what the API shows", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    const { airlockRequest } = await unwrap(h.airlock.get(people.rita, h.ws, draft.id));
    expect(airlockRequest.draftFiles).toEqual(["data.csv"]);
    expect(PublicRequestSchema.parse(airlockRequest)).not.toHaveProperty("draftFiles");
  });
});

describe("a submit racing an upload", () => {
  it("is refused while an upload is under way, names the file, changes nothing, and goes through once it landed", async () => {
    const h = makeHarness({ maxFiles: 2 });
    const draft = await newDraft(h);
    await unwrap(h.airlock.upload(draft.id, "first.csv", chunks("1\n")));
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* slowBytes() {
      yield new TextEncoder().encode("2\n");
      await held;
    }
    const uploading = h.airlock.upload(draft.id, "second.csv", slowBytes());
    // The name is recorded before the bytes go: wait until the draft names it.
    while (!(await unwrap(h.ports.repository.get(draft.id))).draftFiles.includes("second.csv")) {
      await new Promise((resolve) => setImmediate(resolve));
    }

    const refused = await errorOf(h.airlock.submit(people.rita, h.ws, draft.id));
    expect(refused).toMatchObject({ kind: "Conflict", message: expect.stringContaining("second.csv") });
    const stillDraft = await unwrap(h.ports.repository.get(draft.id));
    expect(stillDraft.status).toBe("draft");
    const denials = (await unwrap(h.ports.audit.listAll(draft.id))).filter((e) => e.outcome === "denied");
    expect(denials.at(-1)).toMatchObject({ action: "submit", reason: expect.stringContaining("Conflict") });

    release();
    await unwrap(uploading);
    const submitted = await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    expect(submitted.airlockRequest.files.map((file) => file.name).sort()).toEqual([
      "first.csv",
      "second.csv",
    ]);
  });
});

describe("a crash between recording a file name and its audit entry", () => {
  it("is repaired by processor.recover() even in a draft created long before the recovery window", async () => {
    const h = makeHarness({ maxFiles: 2 });
    const draft = await newDraft(h);
    h.clock.advance(3 * 86_400_000);
    // The name's own entry is lost; the entry of the write through the link, made before it, is not.
    let lost = false;
    const airlock = createAirlock({
      ...h.ports,
      audit: {
        ...h.ports.audit,
        append: (record) => {
          if (record.action !== "upload" || lost) return h.ports.audit.append(record);
          lost = true;
          return errAsync(unavailable("injected fault"));
        },
      },
    });
    expect((await airlock.upload(draft.id, "late.csv", chunks("1\n"))).isErr()).toBe(true);
    const uploads = async () =>
      (await unwrap(h.ports.audit.listAll(draft.id))).filter((entry) => entry.action === "upload");
    expect(await uploads()).toHaveLength(0);

    expect(await unwrap(h.airlock.processor.recover())).toEqual({ recovered: 1 });
    expect(await uploads()).toHaveLength(1);
  });
});

describe("an upload the audit log cannot record", () => {
  it("writes nothing: no data is touched that the audit trail does not know of", async () => {
    const h = makeHarness();
    const draft = await newDraft(h);
    h.ports.audit.failNext("append");
    expect(await errorOf(h.airlock.upload(draft.id, "data.csv", chunks("1\n")))).toMatchObject({
      kind: "Unavailable",
    });
    expect(h.ports.storage.stagesHolding(draft.id)).toEqual([]);
    expect((await unwrap(h.ports.repository.get(draft.id))).draftFiles).toEqual([]);
  });
});
