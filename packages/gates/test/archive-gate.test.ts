import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { GateFile, GateSettingsOf } from "@airlock/core";
import { gateContract } from "@airlock/core/testing";
import { okAsync } from "neverthrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createArchiveGate } from "../src/index.js";
import { type ForgedEntry, noise, zeros, zip } from "./support/zip.js";

type Settings = GateSettingsOf<"archive">;
const DEFAULTS: Settings = {
  type: "archive",
  maxEntries: 10_000,
  maxExpandedBytes: 4 * 1024 ** 3,
  maxRatio: 100,
  maxDepth: 2,
};
const MIB = 1024 * 1024;
const text = (value: string) => new TextEncoder().encode(value);
const CSV = text("region,count\nnorth,12\nsouth,31\n");

let tempDir: string;
beforeEach(async () => {
  tempDir = await mkdtemp(join(tmpdir(), "archive-gate-test-"));
});
afterEach(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

interface FileOptions {
  readonly settings?: Partial<Settings>;
  readonly signal?: AbortSignal;
  readonly size?: number;
  /** Called before each chunk is handed out, with the number of chunks handed out so far. */
  readonly beforeChunk?: (index: number) => Promise<void> | void;
}

/** A file of `bytes` handed out in 64 KiB chunks, counting what the gate pulled. */
const fileOf = (name: string, bytes: Uint8Array, options: FileOptions = {}) => {
  const seen = { bytes: 0, closed: false };
  const file: GateFile<Settings> = {
    name,
    size: options.size ?? bytes.length,
    settings: { ...DEFAULTS, ...options.settings },
    request: { files: 1, bytes: bytes.length },
    signal: options.signal ?? new AbortController().signal,
    open: () =>
      okAsync({
        async *[Symbol.asyncIterator]() {
          try {
            for (let at = 0, index = 0; at < bytes.length; at += 64 * 1024, index += 1) {
              await options.beforeChunk?.(index);
              const chunk = bytes.slice(at, at + 64 * 1024);
              seen.bytes += chunk.length;
              yield chunk;
            }
          } finally {
            seen.closed = true;
          }
        },
      }),
  };
  return { file, seen };
};

const gate = () => createArchiveGate({ tempDir });

const check = async (name: string, bytes: Uint8Array, options: FileOptions = {}) => {
  const answer = await gate().check(fileOf(name, bytes, options).file);
  if (answer.isErr()) throw new Error(`${answer.error.kind}: ${answer.error.message}`);
  return answer.value;
};

/** The one finding of a failed check. */
const failure = async (name: string, bytes: Uint8Array, options: FileOptions = {}) => {
  const answer = await check(name, bytes, options);
  expect(answer.verdict).toBe("fail");
  expect(answer.findings.length).toBeGreaterThan(0);
  return answer.findings[0];
};

const leftInTempDir = () => readdir(tempDir, { recursive: true });

describe("the archive gate on clean files", () => {
  it("passes a zip of tables and a folder, and leaves no copy behind", async () => {
    const clean = zip([
      { name: "tables/", method: 0 },
      { name: "tables/counts.csv", content: CSV },
      { name: "tables/notes.txt", content: text("rounded to 5\n".repeat(100)) },
      { name: "raw.bin", content: noise(200_000), method: 0 },
    ]);
    expect(await check("outputs.zip", clean)).toEqual({ verdict: "pass", findings: [] });
    expect(await leftInTempDir()).toEqual([]);
  });

  it("passes a file that is not an archive, without reading past its first bytes", async () => {
    const big = new Uint8Array(4 * MIB).fill(0x61);
    const { file, seen } = fileOf("letters.txt", big);
    const answer = await gate().check(file);
    expect(answer._unsafeUnwrap()).toEqual({ verdict: "pass", findings: [] });
    expect(seen.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(seen.closed).toBe(true);
  });

  it("passes an empty zip and an empty file", async () => {
    expect((await check("empty.zip", zip([]))).verdict).toBe("pass");
    expect((await check("empty.csv", new Uint8Array(0))).verdict).toBe("pass");
  });

  it("inspects office documents as the zips they are", async () => {
    const docx = (extra: ForgedEntry[] = []) =>
      zip([
        { name: "[Content_Types].xml", content: text("<Types/>") },
        { name: "word/document.xml", content: text("<w:document/>") },
        ...extra,
      ]);
    expect((await check("report.docx", docx())).verdict).toBe("pass");
    const hostile = await failure("report.docx", docx([{ name: "../../.bashrc", content: text("x") }]));
    expect(hostile).toMatchObject({
      message: "the entry's name climbs out of its folder (..)",
      location: "../../.bashrc",
    });
  });
});

describe("the archive gate on bombs, from the central directory alone", () => {
  it("fails an archive with more entries than allowed", async () => {
    const many = zip(Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.csv`, content: CSV })));
    expect(await check("many.zip", many, { settings: { maxEntries: 10 } })).toEqual({
      verdict: "fail",
      findings: [
        {
          gate: "archive",
          file: "many.zip",
          verdict: "fail",
          message: "the archive holds 11 entries, over the limit of 10",
        },
      ],
    });
    expect((await check("many.zip", many, { settings: { maxEntries: 11 } })).verdict).toBe("pass");
  });

  it("fails a ratio bomb: one entry of 64 MiB of zeros", async () => {
    const bomb = zip([{ name: "zeros.bin", content: zeros(64 * MIB) }]);
    expect(bomb.length).toBeLessThan(100 * 1024);
    const answer = await check("bomb.zip", bomb);
    expect(answer.verdict).toBe("fail");
    expect(answer.findings).toContainEqual(
      expect.objectContaining({
        message: expect.stringMatching(
          /^the entry expands \d+ times its compressed size, over the limit of 100$/,
        ),
        location: "zeros.bin",
      }),
    );
    expect(answer.findings).toContainEqual(
      expect.objectContaining({
        message: expect.stringMatching(/^the archive expands \d+ times its size, over the limit of 100$/),
      }),
    );
  });

  it("passes an entry compressed past the ratio when it is small: a ratio says nothing under 1 MiB", async () => {
    expect((await check("blank.zip", zip([{ name: "blank.txt", content: zeros(512 * 1024) }]))).verdict).toBe(
      "pass",
    );
  });

  it("fails a declared-size bomb before inflating anything: the headers alone are judged", async () => {
    // Four entries that claim 3 GiB each from a few bytes: inflating them would show the lie
    // (yauzl counts), so a message about the declared sizes proves nothing was inflated.
    const tiny = zeros(1000);
    const bomb = zip(
      Array.from({ length: 4 }, (_, i) => ({
        name: `part${i}.bin`,
        content: tiny,
        declaredSize: 3 * 1024 ** 3,
      })),
    );
    const answer = await check("declared.zip", bomb, { settings: { maxRatio: 10_000 } });
    expect(answer.verdict).toBe("fail");
    expect(answer.findings.map((f) => f.message)).toContain(
      `the archive expands to ${4 * 3 * 1024 ** 3} bytes, over the limit of ${4 * 1024 ** 3}`,
    );
    expect(answer.findings.some((f) => /inflate/.test(f.message))).toBe(false);
  });

  it("fails an archive whose real content expands past maxExpandedBytes", async () => {
    const two = zip([
      { name: "a.bin", content: noise(600 * 1024), method: 0 },
      { name: "b.bin", content: noise(600 * 1024) },
    ]);
    expect((await failure("two.zip", two, { settings: { maxExpandedBytes: MIB } }))?.message).toBe(
      `the archive expands to ${1200 * 1024} bytes, over the limit of ${MIB}`,
    );
    expect((await check("two.zip", two, { settings: { maxExpandedBytes: 2 * MIB } })).verdict).toBe("pass");
  });

  it("fails overlapping entries: many names for one entry's data, each below the ratio", async () => {
    const first: ForgedEntry = { name: "data.bin", content: noise(64 * 1024), method: 0 };
    const overlapping = zip([
      first,
      ...Array.from({ length: 50 }, (_, i) => ({ name: `copy${i}.bin`, sameDataAs: 0 })),
    ]);
    const answer = await check("overlap.zip", overlapping);
    expect(answer.findings).toEqual([
      {
        gate: "archive",
        file: "overlap.zip",
        verdict: "fail",
        message:
          "the entries' compressed data adds up to more than the archive holds: entries overlap, as in a zip bomb",
      },
    ]);
  });

  it("fails an overlapping bomb: one deflated kernel of zeros shared by many entries", async () => {
    const kernel: ForgedEntry = { name: "k", content: zeros(8 * MIB) };
    const bomb = zip([kernel, ...Array.from({ length: 200 }, (_, i) => ({ name: `f${i}`, sameDataAs: 0 }))]);
    const answer = await check("fifield.zip", bomb);
    expect(answer.verdict).toBe("fail");
    expect(answer.findings.map((f) => f.message)).toContain(
      "the entries' compressed data adds up to more than the archive holds: entries overlap, as in a zip bomb",
    );
  });
});

describe("the archive gate on nested archives", () => {
  /** A zip holding `inner` as `name`, stored so its bytes are the inner zip's. */
  const holding = (name: string, inner: Uint8Array, method = 0) => zip([{ name, content: inner, method }]);

  it("inspects a zip inside a zip: a traversal name one level down fails, located through both", async () => {
    const inner = zip([{ name: "../escape.sh", content: text("echo\n") }]);
    const answer = await check("outer.zip", holding("inner.zip", inner, 8));
    expect(answer.findings).toEqual([
      {
        gate: "archive",
        file: "outer.zip",
        verdict: "fail",
        message: "the entry's name climbs out of its folder (..)",
        location: "inner.zip > ../escape.sh",
      },
    ]);
  });

  it("fails a zip nested deeper than maxDepth, and passes it at the limit", async () => {
    const three = holding("a.zip", holding("b.zip", zip([{ name: "t.csv", content: CSV }])));
    expect(await failure("deep.zip", three, { settings: { maxDepth: 1 } })).toEqual({
      gate: "archive",
      file: "deep.zip",
      verdict: "fail",
      message: "the entry is a zip nested 2 levels deep, over the limit of 1",
      location: "a.zip > b.zip",
    });
    expect((await check("deep.zip", three, { settings: { maxDepth: 2 } })).verdict).toBe("pass");
    expect((await failure("deep.zip", three, { settings: { maxDepth: 0 } }))?.location).toBe("a.zip");
  });

  it("fails a nested bomb once the levels together pass the expanded-size limit, each level under it alone", async () => {
    // Each inner zip expands to 3 MiB; the limit of 8 MiB is passed at the third.
    const inner = zip([{ name: "zeros.bin", content: zeros(3 * MIB) }]);
    const outer = zip(["a", "b", "c", "d"].map((n) => ({ name: `${n}.zip`, content: inner, method: 0 })));
    const settings = { maxExpandedBytes: 8 * MIB, maxRatio: 10_000 };
    expect((await check("a.zip", inner, { settings })).verdict).toBe("pass");
    expect(await failure("nested.zip", outer, { settings })).toMatchObject({
      message: `the archive expands to ${3 * MIB} bytes, which with the archives around it is over the limit of ${8 * MIB}`,
      location: "c.zip",
    });
  });

  it("fails a 42.zip-style bomb (16 zips of 16 zips of …) at the depth limit, without reaching its core", async () => {
    let level = zip([{ name: "0.bin", content: zeros(2 * MIB) }]);
    for (let depth = 0; depth < 4; depth += 1) {
      level = zip(Array.from({ length: 16 }, (_, i) => ({ name: `${i.toString(16)}.zip`, content: level })));
    }
    const answer = await check("42.zip", level);
    expect(answer.verdict).toBe("fail");
    expect(answer.findings[0]).toMatchObject({
      message: "the entry is a zip nested 3 levels deep, over the limit of 2",
      location: "0.zip > 0.zip > 0.zip",
    });
  });

  it("shares the entry limit across levels", async () => {
    const inner = zip(Array.from({ length: 6 }, (_, i) => ({ name: `${i}.csv`, content: CSV })));
    const outer = zip([
      { name: "a.zip", content: inner, method: 0 },
      { name: "b.zip", content: inner, method: 0 },
    ]);
    expect(await failure("nested.zip", outer, { settings: { maxEntries: 12 } })).toMatchObject({
      message: "the archive holds 6 entries, which with the entries around it is over the limit of 12",
      location: "b.zip",
    });
  });

  it("fails an inner zip whose header declares fewer bytes than it inflates to", async () => {
    const inner = zip([{ name: "t.csv", content: CSV }]);
    const outer = zip([{ name: "inner.zip", content: inner, declaredSize: 100 }]);
    expect(await failure("lying.zip", outer)).toMatchObject({
      message: expect.stringMatching(/^the entry does not inflate to the size its header declares/),
      location: "inner.zip",
    });
  });

  it("asks a person to look at a gzip inside a zip: its content is not inspected", async () => {
    const answer = await check("bundle.zip", zip([{ name: "logs.gz", content: gzipSync(CSV) }]));
    expect(answer).toEqual({
      verdict: "review",
      findings: [
        {
          gate: "archive",
          file: "bundle.zip",
          verdict: "review",
          message: "the entry is a gzip archive, which the gate cannot open: its content was not inspected",
          location: "logs.gz",
        },
      ],
    });
  });
});

describe("the archive gate on unsafe entries", () => {
  it.each([
    ["../x", "the entry's name climbs out of its folder (..)"],
    ["a/../../x", "the entry's name climbs out of its folder (..)"],
    ["/etc/passwd", "the entry's name is an absolute path"],
    ["C:\\x", "the entry's name starts with a drive letter (an absolute Windows path)"],
    ["C:x", "the entry's name starts with a drive letter (an absolute Windows path)"],
    ["a\\..\\..\\x", "the entry's name climbs out of its folder (..)"],
    ["dir\\x", "the entry's name holds a backslash (a Windows path separator)"],
    ["safe.txt\0.exe", "the entry's name holds a NUL character"],
  ])("fails an entry named %j", async (name, message) => {
    const bytes = zip([
      { name: "ok.csv", content: CSV },
      { name, content: text("x") },
    ]);
    expect(await failure("names.zip", bytes)).toMatchObject({
      message,
      location: name.replace("\0", "\\u{0}"),
    });
  });

  it("fails a symbolic link entry", async () => {
    const link = zip([
      { name: "etc", content: text("/etc"), method: 0, externalAttributes: (0o120777 << 16) >>> 0 },
    ]);
    expect(await failure("link.zip", link)).toMatchObject({
      message: "the entry is a symbolic link",
      location: "etc",
    });
  });

  it("fails an encrypted entry: its content cannot be checked", async () => {
    const encrypted = zip([{ name: "secret.csv", content: CSV, flags: 0x1 }]);
    expect(await failure("locked.zip", encrypted)).toMatchObject({
      message: "the entry is encrypted: its content cannot be checked",
      location: "secret.csv",
    });
  });

  it("fails an entry with strong encryption", async () => {
    const encrypted = zip([{ name: "secret.csv", content: CSV, flags: 0x41 }]);
    expect((await failure("locked.zip", encrypted))?.message).toBe(
      "an entry is encrypted: its content cannot be checked",
    );
  });

  it("escapes control characters in a location and caps its length", async () => {
    const long = `${"d/".repeat(300)}x.csv`;
    const bytes = zip([
      { name: "a\nb\u202e.csv", content: text("x"), flags: 0x801 },
      { name: long, content: text("x"), flags: 0x801 },
    ]);
    const answer = await check("names.zip", bytes);
    expect(answer.findings.map((f) => f.location)).toEqual([
      "a\\u{a}b\\u{202e}.csv",
      `${long.slice(0, 199)}…`,
    ]);
  });

  it("asks a person to look at an entry compressed with a method it cannot read", async () => {
    const bzip2 = zip([{ name: "t.csv", content: CSV, method: 12, data: text("BZh91AY&SY") }]);
    expect(await check("bz.zip", bzip2)).toMatchObject({
      verdict: "review",
      findings: [
        {
          verdict: "review",
          message: expect.stringMatching(/^the entry is compressed with method 12/),
          location: "t.csv",
        },
      ],
    });
  });
});

describe("the archive gate on broken and lying files", () => {
  it("fails a truncated zip as not readable", async () => {
    const whole = zip([{ name: "t.csv", content: noise(10_000), method: 0 }]);
    expect((await failure("cut.zip", whole.subarray(0, 5000)))?.message).toMatch(
      /^not a readable zip: End of central directory record signature not found/,
    );
  });

  it("fails a zip whose central directory points at garbage", async () => {
    const bytes = zip([{ name: "t.csv", content: CSV }]);
    const centralAt = bytes.readUInt32LE(bytes.length - 6);
    bytes.writeUInt32LE(0xdeadbeef, centralAt);
    expect((await failure("bad.zip", bytes))?.message).toBe(
      "not a readable zip: invalid central directory file header signature: 0xdeadbeef",
    );
  });

  it("fails an entry that inflates to more than its header declares", async () => {
    const lying = zip([{ name: "t.csv", content: text("a,b\n".repeat(5000)), declaredSize: 100 }]);
    expect(await failure("lying.zip", lying)).toMatchObject({
      message: expect.stringMatching(
        /^the entry does not inflate to the size its header declares: too many bytes in the stream\. expected 100\. got at least \d+$/,
      ),
      location: "t.csv",
    });
  });

  it("fails an entry that inflates to less than its header declares", async () => {
    const lying = zip([{ name: "t.csv", content: CSV, declaredSize: CSV.length + 10 }]);
    expect((await failure("short.zip", lying))?.message).toMatch(
      /^the entry does not inflate to the size its header declares/,
    );
  });

  it("fails a deflate stream that is not one", async () => {
    const broken = zip([{ name: "t.csv", content: CSV, data: new Uint8Array([0xff, 0xff, 0xff, 0xff]) }]);
    expect((await failure("broken.zip", broken))?.message).toMatch(
      /^not a readable zip: the entry's content is damaged: /,
    );
  });

  it("asks a person to look at a gzip file: the gate cannot open it", async () => {
    expect(await check("table.csv.gz", gzipSync(CSV))).toEqual({
      verdict: "review",
      findings: [
        {
          gate: "archive",
          file: "table.csv.gz",
          verdict: "review",
          message: "the file is a gzip archive, which the gate cannot open: its content was not inspected",
        },
      ],
    });
  });

  it("asks a person to look at a tar file", async () => {
    const header = new Uint8Array(1024);
    header.set(text("table.csv"), 0);
    header.set(text("ustar\u000000"), 257);
    expect((await check("t.tar", header)).findings[0]?.message).toBe(
      "the file is a tar archive, which the gate cannot open: its content was not inspected",
    );
  });
});

describe("the archive gate's temporary copy", () => {
  const bigZip = zip([{ name: "raw.bin", content: noise(512 * 1024), method: 0 }]);

  it("is readable by its owner alone while it is written", async () => {
    const modes: number[] = [];
    const answer = await gate().check(
      fileOf("raw.zip", bigZip, {
        beforeChunk: async (index) => {
          if (index !== 2) return;
          const [folder] = await readdir(tempDir);
          modes.push((await stat(join(tempDir, folder ?? "", "0.zip"))).mode & 0o777);
        },
      }).file,
    );
    expect(answer._unsafeUnwrap().verdict).toBe("pass");
    expect(modes).toEqual([0o600]);
  });

  it("is removed when the check is stopped, and the gate answers that it was", async () => {
    const controller = new AbortController();
    const { file, seen } = fileOf("raw.zip", bigZip, {
      signal: controller.signal,
      beforeChunk: (index) => {
        if (index === 3) controller.abort();
      },
    });
    const answer = await gate().check(file);
    expect(answer._unsafeUnwrapErr()).toEqual({ kind: "GateFailed", message: "the check was stopped" });
    expect(seen.closed).toBe(true);
    expect(await leftInTempDir()).toEqual([]);
  });

  it("is removed when the check is stopped while the zip is inspected", async () => {
    const controller = new AbortController();
    const nested = zip([{ name: "inner.zip", content: zip([{ name: "t.csv", content: noise(300_000) }]) }]);
    const file: GateFile<Settings> = {
      ...fileOf("nested.zip", nested).file,
      signal: controller.signal,
      open: () =>
        okAsync({
          async *[Symbol.asyncIterator]() {
            yield nested;
            // The whole file was handed over: the time limit passes as the inspection starts.
            controller.abort();
          },
        }),
    };
    const answer = await gate().check(file);
    expect(answer._unsafeUnwrapErr()).toEqual({ kind: "GateFailed", message: "the check was stopped" });
    expect(await leftInTempDir()).toEqual([]);
  });

  it("is removed when reading the file breaks, and the gate answers Unavailable", async () => {
    const answer = await gate().check(
      fileOf("raw.zip", bigZip, {
        beforeChunk: (index) => {
          if (index === 2) throw new Error("connection reset");
        },
      }).file,
    );
    expect(answer._unsafeUnwrapErr()).toEqual({
      kind: "Unavailable",
      message: "reading the file failed: connection reset",
    });
    expect(await leftInTempDir()).toEqual([]);
  });

  it("holds no more than the file's recorded size", async () => {
    const answer = await gate().check(fileOf("raw.zip", bigZip, { size: 100_000 }).file);
    expect(answer._unsafeUnwrapErr()).toEqual({
      kind: "GateFailed",
      message: "the file holds more than its recorded 100000 bytes",
    });
    expect(await leftInTempDir()).toEqual([]);
  });

  it("is removed after a failing nested inspection too", async () => {
    const three = zip([
      { name: "a.zip", content: zip([{ name: "b.zip", content: zip([{ name: "../x", content: CSV }]) }]) },
    ]);
    expect((await check("deep.zip", three)).verdict).toBe("fail");
    expect(await leftInTempDir()).toEqual([]);
  });

  it("answers GateFailed when no temporary folder can be made", async () => {
    const answer = await createArchiveGate({ tempDir: join(tempDir, "missing", "deeper") }).check(
      fileOf("raw.zip", bigZip).file,
    );
    expect(answer._unsafeUnwrapErr().kind).toBe("GateFailed");
  });
});

gateContract({ describe, it }, () => ({
  gate: createArchiveGate(),
  settings: DEFAULTS,
  reads: true,
  samples: [
    { name: "outputs.zip", bytes: zip([{ name: "t.csv", content: CSV }]), verdict: "pass" as const },
    { name: "table.csv", bytes: CSV, verdict: "pass" as const },
    { name: "escape.zip", bytes: zip([{ name: "../t.csv", content: CSV }]), verdict: "fail" as const },
    { name: "bomb.zip", bytes: zip([{ name: "z", content: zeros(4 * MIB) }]), verdict: "fail" as const },
    { name: "logs.gz", bytes: gzipSync(CSV), verdict: "review" as const },
  ],
}));
