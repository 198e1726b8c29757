import { readFileSync } from "node:fs";
import { deflateRawSync } from "node:zlib";
import type { GateFile, GateSettingsOf } from "@airlock/core";
import { gateContract } from "@airlock/core/testing";
import { okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { createFileTypeGate } from "../src/index.js";

type Settings = GateSettingsOf<"file-type">;
const SETTINGS: Settings = { type: "file-type", allow: ["csv", "txt", "png", "pdf"] };
const text = (value: string) => new TextEncoder().encode(value);

/** The head of a real ELF executable: the Node binary running these tests. */
const ELF = readFileSync(process.execPath).subarray(0, 64 * 1024);

/** A minimal Windows PE: the DOS header pointing at a PE signature and a COFF header. */
const PE = (() => {
  const bytes = new Uint8Array(512);
  bytes.set(text("MZ"), 0);
  new DataView(bytes.buffer).setUint32(0x3c, 0x80, true);
  bytes.set(text("PE\0\0"), 0x80);
  new DataView(bytes.buffer).setUint16(0x84, 0x14c, true);
  return bytes;
})();

/** A real one-entry zip archive (deflated), built byte by byte as the format describes. */
const zipOf = (name: string, content: Uint8Array): Uint8Array => {
  const data = deflateRawSync(content);
  const nameBytes = text(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(0, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const end = Buffer.alloc(22);
  const centralAt = local.length + nameBytes.length + data.length;
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(centralAt, 16);
  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
};

/** A 1×1 PNG, as an image editor writes it. */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f0b1a80000000049454e44ae426082",
  "hex",
);

const PDF = text("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

/** A file whose bytes come in `chunks`, counting what the gate pulled and whether it let go. */
const fileOf = (name: string, chunks: () => Iterable<Uint8Array>, settings: Settings = SETTINGS) => {
  const seen = { bytes: 0, closed: false };
  const file: GateFile<Settings> = {
    name,
    size: 0,
    settings,
    request: { files: 1, bytes: 0 },
    signal: new AbortController().signal,
    open: () =>
      okAsync({
        async *[Symbol.asyncIterator]() {
          try {
            for (const chunk of chunks()) {
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

const check = async (name: string, bytes: Uint8Array, settings: Settings = SETTINGS) => {
  const answer = await createFileTypeGate().check(fileOf(name, () => [bytes], settings).file);
  if (answer.isErr()) throw new Error(answer.error.message);
  return answer.value;
};

describe("the file-type gate", () => {
  it("passes a CSV that is UTF-8 text, accents and all", async () => {
    expect(await check("table.csv", text("région,nombre\nÎle-de-France,12\n"))).toEqual({
      verdict: "pass",
      findings: [],
    });
  });

  it.each([
    ["an ELF executable", ELF, /the content is application\/x-elf \(\.elf\), not what the name \.csv says/],
    ["a Windows PE executable", PE, /the content is application\/x-msdownload \(\.exe\)/],
    ["a zip archive", zipOf("inner.csv", text("a,b\n1,2\n")), /the content is application\/zip \(\.zip\)/],
    ["a PNG image", PNG, /the content is image\/png \(\.png\)/],
  ])("fails a .csv that is %s", async (_, bytes, message) => {
    const answer = await check("results.csv", bytes);
    expect(answer.verdict).toBe("fail");
    expect(answer.findings).toEqual([
      { gate: "file-type", file: "results.csv", verdict: "fail", message: expect.stringMatching(message) },
    ]);
  });

  it("passes a PNG and a PDF named as what they are", async () => {
    expect((await check("plot.png", PNG)).verdict).toBe("pass");
    expect((await check("Report.PDF", PDF)).verdict).toBe("pass");
  });

  it("fails text named as an image", async () => {
    expect((await check("plot.png", text("not an image"))).findings[0]?.message).toBe(
      "the content is text, not what the name .png says",
    );
  });

  it("fails bytes that are neither text nor a known format (Latin-1 under a .csv name)", async () => {
    const answer = await check("latin1.csv", Uint8Array.from([0x72, 0xe9, 0x67, 0x69, 0x6f, 0x6e, 0x0a]));
    expect(answer.verdict).toBe("fail");
    expect(answer.findings[0]?.message).toMatch(/neither UTF-8 text nor a format the gate recognises/);
  });

  it("fails an extension the workspace does not allow, and a name without one", async () => {
    expect((await check("script.py", text("print(1)\n"))).findings[0]?.message).toBe(
      "the extension .py is not allowed here (allowed: .csv, .txt, .png, .pdf)",
    );
    expect((await check("README", text("hello\n"))).findings[0]?.message).toMatch(
      /^a name without an extension is not allowed here/,
    );
  });

  it("stops reading once the format is known: the rest of a large binary is never pulled", async () => {
    const { file, seen } = fileOf("big.csv", function* () {
      yield ELF;
      for (let i = 0; i < 1024; i += 1) yield new Uint8Array(1024 * 1024);
    });
    const answer = await createFileTypeGate().check(file);
    expect(answer.isOk() && answer.value.verdict).toBe("fail");
    expect(seen.bytes).toBeLessThan(2 * 1024 * 1024);
    expect(seen.closed).toBe(true);
  });

  it("validates text to its last byte, a chunk at a time", async () => {
    const line = text("1,2,3,4,5,6,7,8,9\n".repeat(1000));
    const { file, seen } = fileOf("long.csv", function* () {
      for (let i = 0; i < 200; i += 1) yield line;
      yield Uint8Array.from([0xff]);
    });
    const answer = await createFileTypeGate().check(file);
    expect(answer.isOk() && answer.value.verdict).toBe("fail");
    expect(seen.bytes).toBe(200 * line.length + 1);
  });

  it("keeps a character split between two chunks whole", async () => {
    const bytes = text("é,ü\n");
    const { file } = fileOf("split.csv", () => [bytes.subarray(0, 1), bytes.subarray(1)]);
    const answer = await createFileTypeGate().check(file);
    expect(answer.isOk() && answer.value.verdict).toBe("pass");
  });
});

gateContract({ describe, it }, () => ({
  gate: createFileTypeGate(),
  settings: SETTINGS,
  reads: true,
  samples: [
    { name: "table.csv", bytes: text("a,b\n1,2\n"), verdict: "pass" as const },
    { name: "plot.png", bytes: PNG, verdict: "pass" as const },
    { name: "tool.csv", bytes: PE, verdict: "fail" as const },
    { name: "archive.csv", bytes: zipOf("x.txt", text("x")), verdict: "fail" as const },
  ],
}));
