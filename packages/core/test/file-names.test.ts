import { describe, expect, it } from "vitest";
import { FileName, FileNameInput, fileNameProblem, visibleFileName } from "../src/index.js";
import { chunks, errorOf, makeHarness, observable, people, unwrap } from "./support/harness.js";

const ACCEPTED = [
  "data.csv",
  "Cohort table 2026.xlsx",
  "caf\u00e9.txt",
  "résumé (final).pdf",
  "数据.csv",
  ".hidden",
  "a.b.c",
  "CONSOLE.txt",
  "COM10",
  "x".repeat(255),
];

const REFUSED: readonly (readonly [string, string])[] = [
  ["", "empty"],
  ["x".repeat(256), "at most 255"],
  ["../../etc/passwd", "path separator"],
  ["a\\b", "path separator"],
  [".", "only of dots"],
  ["..", "'..'"],
  ["a..b", "'..'"],
  ["\u2024\u2024", "only of dots"],
  ["\uff0e", "only of dots"],
  ["report\u202Efdp.exe", "bidirectional"],
  ["\u2066name\u2069.txt", "bidirectional"],
  ["a\u200b.txt", "invisible"],
  ["a\u200d.txt", "invisible"],
  ["\ufeffdata.csv", "invisible"],
  ["soft\u00adhyphen.txt", "invisible"],
  ["a\u3164.txt", "invisible"],
  ["tab\there", "control"],
  ["bell\u0007", "control"],
  ["del\u007f", "control"],
  ["c1\u0085", "control"],
  ["no\u00a0break.txt", "spaces other than the plain space"],
  ["ideographic\u3000space", "spaces other than the plain space"],
  ["<img src=x onerror=alert(1)>.html", "'<'"],
  ['say"hi".txt', "'\"'"],
  ["a:b", "':'"],
  ["what?.txt", "'?'"],
  ["star*.txt", "'*'"],
  ["pipe|.txt", "'|'"],
  [" lead.txt", "white space"],
  ["trail.txt ", "white space"],
  ["a.", "end with a dot"],
  ["CON", "device name"],
  ["con.txt", "device name"],
  ["Nul.tar.gz", "device name"],
  ["aux", "device name"],
  ["PRN.csv", "device name"],
  ["COM1", "device name"],
  ["lpt9.log", "device name"],
  ["COM\u00b9.txt", "device name"],
  ["cafe\u0301.txt", "normal form C"],
];

describe("file names", () => {
  it.each(ACCEPTED)("accepts %j", (name) => {
    expect(fileNameProblem(name)).toBeNull();
    expect(FileName.safeParse(name).success).toBe(true);
  });

  it.each(REFUSED)("refuses %j, saying why", (name, why) => {
    expect(fileNameProblem(name)).toContain(why);
    const parsed = FileName.safeParse(name);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain(why);
  });

  it("normalises a name a person gives to NFC, so the two spellings of café are one name", () => {
    expect(FileNameInput.parse("cafe\u0301.txt")).toBe("caf\u00e9.txt");
    expect(FileNameInput.parse("caf\u00e9.txt")).toBe("caf\u00e9.txt");
  });

  it("spells out what a name hides when a message shows it", () => {
    expect(visibleFileName("report\u202Efdp.exe")).toBe('"report\\u{202E}fdp.exe"');
    expect(visibleFileName('a\u200b"b')).toBe('"a\\u{200B}\\"b"');
    expect(visibleFileName("caf\u00e9 data.csv")).toBe('"caf\u00e9 data.csv"');
  });
});

const newDraft = async (h: ReturnType<typeof makeHarness>) =>
  (
    await unwrap(
      h.airlock.create(people.rita, h.ws, { type: "import", title: "Files", businessJustification: "x" }),
    )
  ).airlockRequest;

const ref = (id: string) => ({ requestId: id, workspaceId: "ws1", type: "import" as const });

describe("files arriving through the engine", () => {
  it("stores composed and decomposed café.txt as one file", async () => {
    const h = makeHarness({ maxFiles: 2 });
    const draft = await newDraft(h);
    await unwrap(h.airlock.upload(draft.id, "caf\u00e9.txt", chunks("one")));
    await unwrap(h.airlock.upload(draft.id, "cafe\u0301.txt", chunks("two")));
    expect([...h.ports.storage.contents("draft", draft.id).keys()]).toEqual(["caf\u00e9.txt"]);
    expect((await unwrap(h.ports.repository.get(draft.id))).draftFiles).toEqual(["caf\u00e9.txt"]);
  });

  it.each(["report\u202Efdp.exe", "a\u200b.txt", "\u2024\u2024", "a.", "CON", "<b>x</b>"])(
    "refuses an upload named %j as invalid input, storing and recording nothing",
    async (name) => {
      const h = makeHarness({ maxFiles: 2 });
      const draft = await newDraft(h);
      expect(await errorOf(h.airlock.upload(draft.id, name, chunks("x")))).toMatchObject({
        kind: "InvalidInput",
        issues: [{ message: expect.any(String) }],
      });
      expect(h.ports.storage.stagesHolding(draft.id)).toEqual([]);
      expect((await unwrap(h.ports.repository.get(draft.id))).draftFiles).toEqual([]);
    },
  );
});

describe("files that arrived past the engine (a storage link)", () => {
  const cases: readonly (readonly [string, string, string])[] = [
    ["a traversal", "../../etc/passwd", "path separator"],
    ["a bidi override", "report\u202Efdp.exe", "bidirectional"],
    ["a decomposed name", "cafe\u0301.txt", "normal form C"],
  ];

  it.each(cases)(
    "make a submit of %s a 400-kind InvalidFile naming the file, changing nothing",
    async (_what, name, why) => {
      const h = makeHarness({ maxFiles: 3 });
      const draft = await newDraft(h);
      await unwrap(h.airlock.upload(draft.id, "good.csv", chunks("1")));
      await unwrap(h.ports.storage.upload(ref(draft.id), "draft", name, chunks("x"), { maxBytes: 100 }));
      const before = await observable(h, draft.id);

      const refused = await errorOf(h.airlock.submit(people.rita, h.ws, draft.id));
      expect(refused).toMatchObject({
        kind: "InvalidFile",
        message: expect.stringContaining(why),
        issues: [{ path: name, message: expect.stringContaining(why) }],
      });
      expect(await observable(h, draft.id)).toEqual(before);
    },
  );

  it("refuses a submit holding a file over maxFileSize, and two names equal once normalised", async () => {
    const h = makeHarness({ maxFiles: 3, maxFileSize: 100 });
    const draft = await newDraft(h);
    await unwrap(
      h.ports.storage.upload(ref(draft.id), "draft", "big.bin", chunks("x".repeat(1000)), {
        maxBytes: 10_000,
      }),
    );
    expect(await errorOf(h.airlock.submit(people.rita, h.ws, draft.id))).toMatchObject({
      kind: "InvalidFile",
      issues: [{ path: "big.bin", message: expect.stringContaining("1000 bytes") }],
    });
    await unwrap(h.ports.storage.deleteFile(ref(draft.id), "draft", "big.bin"));
    await unwrap(h.airlock.upload(draft.id, "caf\u00e9.txt", chunks("1")));
    await unwrap(
      h.ports.storage.upload(ref(draft.id), "draft", "cafe\u0301.txt", chunks("2"), { maxBytes: 100 }),
    );
    const twice = await errorOf(h.airlock.submit(people.rita, h.ws, draft.id));
    expect(twice).toMatchObject({ kind: "InvalidFile", message: expect.stringContaining("once normalised") });
    expect((await unwrap(h.ports.repository.get(draft.id))).status).toBe("draft");
  });

  it("fail the request before a move when one appears after submit, and is not moved on", async () => {
    const h = makeHarness({ maxFiles: 3 }, { processing: "manual" });
    const draft = await newDraft(h);
    await unwrap(h.airlock.upload(draft.id, "good.csv", chunks("1")));
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    // The draft's storage link outlives the submit: a file written through it afterwards.
    await unwrap(
      h.ports.storage.upload(ref(draft.id), "draft", "report\u202Efdp.exe", chunks("x"), { maxBytes: 100 }),
    );

    const processed = await unwrap(h.airlock.processor.process(draft.id));
    expect(processed.status).toBe("failed");
    expect(processed.statusMessage).toContain('"report\\u{202E}fdp.exe"');
    expect(h.ports.storage.stagesHolding(draft.id)).toEqual(["draft"]);
  });

  it("fail the request before a move out of review when a file not recorded at submit appears", async () => {
    const h = makeHarness({ scanning: false, maxFiles: 3 }, { processing: "manual" });
    const draft = await newDraft(h);
    await unwrap(h.airlock.upload(draft.id, "good.csv", chunks("1")));
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    expect((await unwrap(h.airlock.processor.process(draft.id))).status).toBe("in_review");
    await unwrap(
      h.ports.storage.upload(ref(draft.id), "in_progress", "late.csv", chunks("x"), { maxBytes: 100 }),
    );
    await unwrap(
      h.airlock.review(people.mo, h.ws, draft.id, { approval: true, decisionExplanation: "fine" }),
    );

    const processed = await unwrap(h.airlock.processor.process(draft.id));
    expect(processed).toMatchObject({
      status: "failed",
      statusMessage: expect.stringContaining('"late.csv" was not part of the request'),
    });
    expect(h.ports.storage.stagesHolding(draft.id)).toEqual(["in_progress"]);
  });
});
