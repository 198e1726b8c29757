import { FINDINGS_PER_FILE_MAX, type GateAnswer, type GateFile, type GateSettingsOf } from "@airlock/core";
import { gateContract } from "@airlock/core/testing";
import { okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { createDisclosureGate, MAX_ROW_BYTES } from "../src/index.js";

type Settings = GateSettingsOf<"disclosure">;
const SETTINGS: Settings = { type: "disclosure", threshold: 10 };
const text = (value: string) => new TextEncoder().encode(value);

/** The bytes as a stream of pieces of `piece` bytes, so rows and characters split across chunks. */
const fileOf = (
  name: string,
  bytes: Uint8Array,
  settings: Settings = SETTINGS,
  piece = 7,
): GateFile<Settings> => ({
  name,
  size: bytes.length,
  settings,
  request: { files: 1, bytes: bytes.length },
  signal: new AbortController().signal,
  open: () =>
    okAsync({
      async *[Symbol.asyncIterator]() {
        for (let at = 0; at < bytes.length; at += piece) yield bytes.subarray(at, at + piece);
      },
    }),
});

const check = async (name: string, content: string | Uint8Array, settings?: Settings) => {
  const bytes = typeof content === "string" ? text(content) : content;
  const result = await createDisclosureGate().check(fileOf(name, bytes, settings));
  if (result.isErr()) throw new Error(`the gate answered an error: ${result.error.message}`);
  return result.value;
};

/** The findings as `location: message`, the way a reviewer reads them. */
const read = (answer: GateAnswer) =>
  answer.findings.map((finding) => `${finding.location ?? "-"}: ${finding.message}`);

describe("the disclosure gate", () => {
  it("passes a frequency table whose every count is at or over the threshold", async () => {
    const answer = await check("table.csv", "area,count\nNorth,10\nSouth,120\nEast,1234\n");
    expect(answer).toEqual({ verdict: "pass", findings: [] });
  });

  it("asks for review of a count under the threshold, naming its row and column", async () => {
    const answer = await check("table.csv", "area,count\nNorth,3\nSouth,120\n");
    expect(answer.verdict).toBe("review");
    expect(answer.findings).toEqual([
      {
        gate: "disclosure",
        file: "table.csv",
        verdict: "review",
        message: "a count of 3 is under the threshold of 10",
        location: 'row 1, column 2 ("count")',
      },
    ]);
  });

  it("asks for review of zeros, negative and missing values", async () => {
    const answer = await check("table.csv", "area,count\nNorth,0\nSouth,-4\nEast,\nWest,NA\nMid,50\n");
    expect(read(answer)).toEqual([
      'row 1, column 2 ("count"): a zero count, which can reveal that no one in a group shares a trait',
      'row 2, column 2 ("count"): a negative value (-4) where counts are expected',
      'row 3, column 2 ("count"): a missing value where counts are expected: a person must check what it stands for',
      'row 4, column 2 ("count"): a missing value where counts are expected: a person must check what it stands for',
    ]);
  });

  it("takes its threshold from the workspace's settings", async () => {
    const table = "area,count\nNorth,7\nSouth,4\n";
    const strict = await check("table.csv", table, { type: "disclosure", threshold: 5 });
    expect(read(strict)).toEqual(['row 2, column 2 ("count"): a count of 4 is under the threshold of 5']);
  });

  it("reads leading columns up to the last one holding text as labels, numeric labels such as years included", async () => {
    const table = "region,year,sex,count\nNorth,2023,F,12\nNorth,2024,M,8\n";
    expect(read(await check("table.csv", table))).toEqual([
      'row 2, column 4 ("count"): a count of 8 is under the threshold of 10',
    ]);
    // A cross-tabulation: row labels, then one count column per category.
    const crosstab = "grant,N,R,R/G\nA,40,3,12\nB,15,22,0\n";
    expect(read(await check("table.csv", crosstab))).toEqual([
      'row 1, column 3 ("R"): a count of 3 is under the threshold of 10',
      'row 2, column 4 ("R/G"): a zero count, which can reveal that no one in a group shares a trait',
    ]);
    // No text at all: the first column labels the rows.
    expect(read(await check("table.csv", "year,count\n2023,5\n2024,60\n"))).toEqual([
      'row 1, column 2 ("count"): a count of 5 is under the threshold of 10',
    ]);
  });

  it("reports a column of magnitudes as not evaluable for dominance, never as a pass", async () => {
    const answer = await check("means.csv", "area,mean_income\nNorth,31250.5\nSouth,28000.25\n");
    expect(answer.verdict).toBe("review");
    expect(read(answer)).toEqual([
      'column 2 ("mean_income"): holds magnitudes (values that are not whole numbers): dominance rules (p%, n-k) need the records behind the table and are not evaluated here',
    ]);
  });

  it("accepts suppressed cells as written (<10, *, [c]) and thousands in quotes", async () => {
    const answer = await check("table.csv", 'area,count\nNorth,<10\nSouth,*\nEast,[c]\nWest,"1,234"\n');
    expect(answer).toEqual({ verdict: "pass", findings: [] });
  });

  it("reads quoted fields with delimiters and line breaks, a BOM, CRLF lines and semicolons", async () => {
    const quoted = '\uFEFFarea,count\r\n"North, upper",4\r\n"South\nlower",40\r\n';
    expect(read(await check("table.csv", quoted))).toEqual([
      'row 1, column 2 ("count"): a count of 4 is under the threshold of 10',
    ]);
    expect(read(await check("table.csv", "area;count\nNorth;2\nSouth;40\n"))).toEqual([
      'row 1, column 2 ("count"): a count of 2 is under the threshold of 10',
    ]);
    expect(read(await check("table.tsv", "area\tcount\nNorth\t2\n"))).toEqual([
      'row 1, column 2 ("count"): a count of 2 is under the threshold of 10',
    ]);
  });

  it("treats the cells a short row lacks as missing, and a long row's extra cells as a column of its own", async () => {
    const answer = await check("table.csv", "area,a,b\nNorth,40\nSouth,50,60,3\n");
    expect(read(answer)).toEqual([
      'row 1, column 3 ("b"): a missing value where counts are expected: a person must check what it stands for',
      "row 2, column 4: a count of 3 is under the threshold of 10",
    ]);
  });

  it("keeps to the findings the engine records per file, the last one counting the rest", async () => {
    const rows = Array.from({ length: 80 }, (_, row) => `g${row},1`).join("\n");
    const answer = await check("table.csv", `group,count\n${rows}\n`);
    expect(answer.findings).toHaveLength(FINDINGS_PER_FILE_MAX);
    expect(answer.findings.at(-2)?.location).toBe(`row ${FINDINGS_PER_FILE_MAX - 1}, column 2 ("count")`);
    expect(answer.findings.at(-1)?.message).toBe(
      `and ${80 - FINDINGS_PER_FILE_MAX + 1} more cells like these`,
    );
    const exactly = Array.from({ length: FINDINGS_PER_FILE_MAX }, (_, row) => `g${row},1`).join("\n");
    const full = await check("table.csv", `group,count\n${exactly}\n`);
    expect(full.findings.map((finding) => finding.location)).toEqual(
      Array.from({ length: FINDINGS_PER_FILE_MAX }, (_, row) => `row ${row + 1}, column 2 ("count")`),
    );
  });

  it("never quotes a text cell, and escapes what a header hides", async () => {
    const answer = await check("table.csv", "patient\u202e,count\nJane Doe 1970-01-01,2\n");
    const said = JSON.stringify(answer.findings);
    expect(said).not.toContain("Jane");
    expect(answer.findings[0]?.location).toBe('row 1, column 2 ("count")');
    const hidden = await check("table.csv", "area,count\u202e\nNorth,2\n");
    expect(hidden.findings[0]?.location).toBe('row 1, column 2 ("count\\u{202e}")');
  });

  it("headers named like object properties change nothing", async () => {
    const answer = await check("table.csv", "__proto__,constructor,toString\nx,3,40\n");
    expect(read(answer)).toEqual([
      'row 1, column 2 ("constructor"): a count of 3 is under the threshold of 10',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("asks for review of what it cannot read as a table: binary bytes, an unclosed quote, an endless row", async () => {
    const binary = await check("table.csv", new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0xff, 0xfe, 0x00]));
    expect(read(binary)).toEqual(["-: not a table the gate can check: the content is not UTF-8 text"]);
    const unclosed = await check("table.csv", 'area,count\nNorth,4\n"South,5\n');
    expect(read(unclosed)).toEqual([
      "line 3: not a table the gate can check: a quoted field is never closed",
    ]);
    const endless = await check("table.csv", `area,count\nNorth,${"9".repeat(MAX_ROW_BYTES + 10)}\n`);
    expect(endless.verdict).toBe("review");
    expect(endless.findings[0]?.message).toBe("not a table the gate can check: a row is longer than 1 MiB");
  });

  it("passes an empty table, a header alone, and files that are not tables, without reading them", async () => {
    expect(await check("empty.csv", "")).toEqual({ verdict: "pass", findings: [] });
    expect(await check("header.csv", "area,count\n")).toEqual({ verdict: "pass", findings: [] });
    let opened = false;
    const notes = fileOf("notes.txt", text("count\n3\n"));
    const notTable = await createDisclosureGate().check({
      ...notes,
      open: () => {
        opened = true;
        return notes.open();
      },
    });
    expect(notTable._unsafeUnwrap()).toEqual({ verdict: "pass", findings: [] });
    expect(opened).toBe(false);
  });

  it("stops when the engine stops waiting", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await createDisclosureGate().check({
      ...fileOf("table.csv", text("area,count\nNorth,40\n")),
      signal: controller.signal,
    });
    expect(result._unsafeUnwrapErr()).toEqual({ kind: "GateFailed", message: "the check was stopped" });
  });

  it("answers Unavailable when reading the file breaks", async () => {
    const result = await createDisclosureGate().check({
      ...fileOf("table.csv", text("")),
      open: () =>
        okAsync({
          // biome-ignore lint/correctness/useYield: a stream that breaks before its first byte
          async *[Symbol.asyncIterator]() {
            throw new Error("the disk went away");
          },
        }),
    });
    expect(result._unsafeUnwrapErr()).toEqual({
      kind: "Unavailable",
      message: "reading the file failed: the disk went away",
    });
  });
});

gateContract({ describe, it }, () => ({
  gate: createDisclosureGate(),
  settings: SETTINGS,
  reads: true,
  samples: [
    { name: "table.csv", bytes: text("area,count\nNorth,40\n"), verdict: "pass" as const },
    { name: "small.csv", bytes: text("area,count\nNorth,4\n"), verdict: "review" as const },
    { name: "notes.txt", bytes: text("anything"), verdict: "pass" as const },
  ],
}));
