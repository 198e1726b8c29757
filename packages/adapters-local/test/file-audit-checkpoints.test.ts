import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditCheckpoint } from "@airlock/core";
import { afterAll, describe, expect, it } from "vitest";
import { createFileAuditCheckpoints } from "../src/index.js";

const root = mkdtempSync(join(tmpdir(), "airlock-checkpoint-files-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let count = 0;
/** A directory that does not exist yet: the store creates it. */
const freshDir = () => join(root, `store-${++count}`);

const checkpoint = (stream: string, seq: number): AuditCheckpoint => ({
  stream,
  seq,
  hash: seq.toString(16).padStart(64, "0"),
  at: 1_700_000_000 + seq,
  signature: `signature-${seq}`,
});

const fileOf = (dir: string, stream: string) => join(dir, `${Buffer.from(stream).toString("hex")}.jsonl`);

const allStreams = async (checkpoints: ReturnType<typeof createFileAuditCheckpoints>) =>
  (await checkpoints.streams({ after: null, limit: 1000 }))._unsafeUnwrap().streams;

describe("File audit checkpoints", () => {
  it("keeps each stream in one file of JSON lines named by the hex of its name, for its owner only", async () => {
    const dir = freshDir();
    const checkpoints = createFileAuditCheckpoints({ dir });
    const stream = "workspace:ws-1";
    for (const seq of [0, 1]) (await checkpoints.put(checkpoint(stream, seq)))._unsafeUnwrap();
    expect(readdirSync(dir)).toEqual(["776f726b73706163653a77732d31.jsonl"]);
    const lines = readFileSync(fileOf(dir, stream), "utf8").split("\n");
    expect(lines).toEqual([JSON.stringify(checkpoint(stream, 0)), JSON.stringify(checkpoint(stream, 1)), ""]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(fileOf(dir, stream)).mode & 0o777).toBe(0o600);
  });

  it("a new store on the same directory reads what an earlier one wrote", async () => {
    const dir = freshDir();
    const stream = "request-1";
    const first = createFileAuditCheckpoints({ dir });
    for (const seq of [0, 2, 1]) (await first.put(checkpoint(stream, seq)))._unsafeUnwrap();
    const second = createFileAuditCheckpoints({ dir });
    expect((await second.latest(stream))._unsafeUnwrap()).toEqual(checkpoint(stream, 2));
    expect(await allStreams(second)).toEqual([stream]);
  });

  it("a last line torn by a crash is skipped, and the next checkpoint starts a line of its own", async () => {
    const dir = freshDir();
    const checkpoints = createFileAuditCheckpoints({ dir });
    const stream = "request-2";
    for (const seq of [0, 1]) (await checkpoints.put(checkpoint(stream, seq)))._unsafeUnwrap();
    const torn = JSON.stringify(checkpoint(stream, 7)).slice(0, 40);
    appendFileSync(fileOf(dir, stream), torn);
    expect((await checkpoints.latest(stream))._unsafeUnwrap()).toEqual(checkpoint(stream, 1));

    (await checkpoints.put(checkpoint(stream, 2)))._unsafeUnwrap();
    expect((await checkpoints.latest(stream))._unsafeUnwrap()).toEqual(checkpoint(stream, 2));
    const lines = readFileSync(fileOf(dir, stream), "utf8").split("\n");
    expect(lines.slice(-3)).toEqual([torn, JSON.stringify(checkpoint(stream, 2)), ""]);
  });

  it("a stream whose file holds only a torn line has no checkpoint and is not listed", async () => {
    const dir = freshDir();
    const checkpoints = createFileAuditCheckpoints({ dir });
    (await checkpoints.put(checkpoint("request-a", 0)))._unsafeUnwrap();
    writeFileSync(fileOf(dir, "request-b"), JSON.stringify(checkpoint("request-b", 0)).slice(0, 30));
    expect((await checkpoints.latest("request-b"))._unsafeUnwrap()).toBeNull();
    expect(await allStreams(checkpoints)).toEqual(["request-a"]);
  });

  it("a line naming another stream does not count for this one", async () => {
    const dir = freshDir();
    const checkpoints = createFileAuditCheckpoints({ dir });
    (await checkpoints.put(checkpoint("request-c", 1)))._unsafeUnwrap();
    appendFileSync(fileOf(dir, "request-c"), `${JSON.stringify(checkpoint("request-d", 9))}\n`);
    expect((await checkpoints.latest("request-c"))._unsafeUnwrap()).toEqual(checkpoint("request-c", 1));
  });

  it("a stream name too long for a file name is stored under its sha256 and listed by its name", async () => {
    const dir = freshDir();
    const checkpoints = createFileAuditCheckpoints({ dir });
    const long = `workspace:${"w".repeat(200)}`;
    (await checkpoints.put(checkpoint(long, 3)))._unsafeUnwrap();
    (await checkpoints.put(checkpoint("a-short-one", 0)))._unsafeUnwrap();
    expect(readdirSync(dir).some((name) => /^sha256-[0-9a-f]{64}\.jsonl$/.test(name))).toBe(true);
    expect((await checkpoints.latest(long))._unsafeUnwrap()).toEqual(checkpoint(long, 3));
    expect(await allStreams(checkpoints)).toEqual(["a-short-one", long]);
  });

  it("files the store did not write are not streams", async () => {
    const dir = freshDir();
    const checkpoints = createFileAuditCheckpoints({ dir });
    (await checkpoints.put(checkpoint("request-e", 0)))._unsafeUnwrap();
    writeFileSync(join(dir, "notes.txt"), "operator notes\n");
    writeFileSync(join(dir, "zz.jsonl"), `${JSON.stringify(checkpoint("zz", 0))}\n`);
    writeFileSync(join(dir, "ff.jsonl"), `${JSON.stringify(checkpoint("\ufffd", 0))}\n`);
    expect(await allStreams(checkpoints)).toEqual(["request-e"]);
  });

  it("a link in place of a stream's file is neither written through nor read", async () => {
    const dir = freshDir();
    const checkpoints = createFileAuditCheckpoints({ dir });
    (await checkpoints.put(checkpoint("request-f", 0)))._unsafeUnwrap();
    const elsewhere = join(root, `elsewhere-${count}.jsonl`);
    writeFileSync(elsewhere, `${JSON.stringify(checkpoint("request-g", 5))}\n`);
    symlinkSync(elsewhere, fileOf(dir, "request-g"));
    expect((await checkpoints.put(checkpoint("request-g", 6)))._unsafeUnwrapErr().kind).toBe("Unavailable");
    expect((await checkpoints.latest("request-g"))._unsafeUnwrapErr().kind).toBe("Unavailable");
    expect(readFileSync(elsewhere, "utf8")).toBe(`${JSON.stringify(checkpoint("request-g", 5))}\n`);
  });
});
