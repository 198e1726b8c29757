import { spawn } from "node:child_process";
import { readdir, readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestView } from "../src/client.js";
import { CLI, runCli, runJson, userEnv } from "./support/cli.js";
import { filesIn, ok, randomFile, refOf, sha256 } from "./support/fixtures.js";
import { startCuttingProxy } from "./support/proxy.js";
import { runInPty } from "./support/pty.js";
import { startServer, TEST_WORKSPACE, type TestServer } from "./support/server.js";

const WS = TEST_WORKSPACE.id;
const MIB = 1024 * 1024;
let server: TestServer;
let alice: Record<string, string>;
let bob: Record<string, string>;

beforeAll(async () => {
  server = await startServer();
  alice = await userEnv(server.url);
  bob = await userEnv(server.url);
  await ok(["login", "--dev", "--user", "alice", "--role", "WorkspaceResearcher"], alice);
  await ok(["login", "--dev", "--user", "bob", "--role", "AirlockManager"], bob);
});
afterAll(async () => {
  await server?.close();
});

const newDraft = async (who = alice) =>
  refOf(await ok(["new", "export", "-w", WS, "--title", "Transfers", "--why", "tests"], who));

/** Uploads `files`, submits, and has bob approve: an approved export of alice's. */
const approvedWith = async (files: Record<string, Buffer | string>) => {
  const ref = await newDraft();
  const dir = await filesIn(files);
  await ok(["upload", ref, ...Object.keys(files).map((name) => join(dir, name))], alice);
  await ok(["submit", ref], alice);
  await ok(["status", ref, "--wait"], alice);
  await ok(["approve", ref, "--why", "fine"], bob);
  expect((await ok(["status", ref, "--wait"], alice)).airlockRequest.status).toBe("approved");
  return ref;
};

describe("uploads", () => {
  it("a connection dropped halfway through is retried with a clear message, and the file arrives whole", async () => {
    const bytes = randomFile(24 * MIB);
    const dir = await filesIn({ "cohort.bin": bytes });
    const ref = await newDraft();
    // Cut once when 10 MiB have been sent: in the third of six 4 MiB blocks.
    const proxy = await startCuttingProxy(server.url, 10 * MIB);
    try {
      const through = { ...alice, AIRLOCK_URL: proxy.url };
      await ok(["login", "--dev", "--user", "alice", "--role", "WorkspaceResearcher"], through);
      const run = await runCli(["upload", ref, join(dir, "cohort.bin"), "--block-size", "4"], through);
      expect(run.code, run.stderr).toBe(0);
      expect(proxy.cuts()).toBe(1);
      const retries = run.stderr.trim().split("\n");
      expect(retries).toHaveLength(1);
      expect(retries[0]).toMatch(
        /^uploading block 3 of 6 of cohort\.bin: the connection dropped \(\w+\); sending block 3 of 6 of cohort\.bin again in 0\.5 s \(try 2 of 6\), the blocks already sent are kept$/,
      );
    } finally {
      await proxy.close();
    }
    await ok(["submit", ref], alice);
    const view = await ok(["status", ref, "--wait"], alice);
    expect(view.airlockRequest.files).toEqual([
      expect.objectContaining({ name: "cohort.bin", size: bytes.length, sha256: sha256(bytes) }),
    ]);
  });

  it("a server that fails a block (503) gets the block again, and the upload completes", async () => {
    const bytes = randomFile(3 * MIB);
    const dir = await filesIn({ "busy.bin": bytes });
    const ref = await newDraft();
    server.storage.failNext("stageBlock", 1);
    const run = await runCli(["upload", ref, join(dir, "busy.bin"), "--block-size", "1"], alice);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^uploading block 1 of 3 of busy\.bin answered 503 Unavailable; sending block 1 of 3 of busy\.bin again in [\d.]+ s \(try 2 of 6\)/,
      ),
    ]);
    await ok(["submit", ref], alice);
    const view = await ok(["status", ref, "--wait"], alice);
    expect(view.airlockRequest.files).toEqual([expect.objectContaining({ sha256: sha256(bytes) })]);
  });

  it("a refusal is not retried: one line with the API's problem and its exit code", async () => {
    const ref = await newDraft();
    const dir = await filesIn({ "late.bin": randomFile(1024) });
    await ok(["cancel", ref], alice);
    const run = await runCli(["upload", ref, join(dir, "late.bin")], alice);
    expect(run.code).toBe(5);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("[400 NoLink]");
  });

  it("a 1 GiB file streams through in blocks while the command's memory stays flat", async () => {
    const dir = await filesIn({});
    const path = join(dir, "large.bin");
    // A sparse file: 1 GiB to read and send, no disk to fill.
    await writeFile(path, "");
    await truncate(path, 1024 * MIB);
    const ref = await newDraft();
    const child = spawn(process.execPath, [CLI, "upload", ref, path, "--json"], {
      env: alice,
      stdio: "pipe",
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    const samples: number[] = [];
    const sample = async () => {
      const status = await readFile(`/proc/${child.pid}/status`, "utf8").catch(() => "");
      const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
      if (Number.isFinite(kib)) samples.push(kib * 1024);
    };
    const sampler = setInterval(() => void sample(), 100);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearInterval(sampler);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).uploaded).toEqual([{ name: "large.bin", size: 1024 * MIB }]);
    expect(samples.length).toBeGreaterThan(3);
    // One 8 MiB block buffer whatever the file's size: a command that held the file would pass 1 GiB.
    expect(Math.max(...samples)).toBeLessThan(256 * MIB);
    await ok(["cancel", ref], alice);
  });
});

describe("downloads", () => {
  it("a connection dropped halfway through asks for the rest only, and the file is whole and verified", async () => {
    const bytes = randomFile(24 * MIB);
    const ref = await approvedWith({ "results.bin": bytes });
    const proxy = await startCuttingProxy(server.url, 10 * MIB, "down");
    const target = await filesIn({});
    try {
      const through = { ...alice, AIRLOCK_URL: proxy.url };
      await ok(["login", "--dev", "--user", "alice", "--role", "WorkspaceResearcher"], through);
      const run = await runCli(["download", ref, target], through);
      expect(run.code, run.stderr).toBe(0);
      expect(proxy.cuts()).toBe(1);
      const lines = run.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^downloading results\.bin: the connection dropped \(\w+\); asking for the rest from [\d.]+ MiB in 0\.5 s \(try 2 of 6\), the bytes already received are kept$/,
      );
    } finally {
      await proxy.close();
    }
    expect(sha256(await readFile(join(target, "results.bin")))).toBe(sha256(bytes));
  });

  it("a file whose bytes were altered in storage is refused with exit code 8, and nothing is left behind", async () => {
    const original = randomFile(2 * MIB);
    const ref = await approvedWith({ "table.csv": original, "readme.txt": "about the table\n" });
    const id = ref.split("/")[1] ?? "";
    const altered = Buffer.from(original);
    altered[1000] = (altered[1000] ?? 0) ^ 0xff;
    const replaced = await server.storage.upload(
      { requestId: id, workspaceId: WS, type: "export" },
      "approved",
      "table.csv",
      (async function* () {
        yield altered;
      })(),
      { maxBytes: 10 * MIB },
    );
    expect(replaced.isOk()).toBe(true);

    const target = await filesIn({});
    const run = await runJson<{ error: { exitCode: number } }>(["download", ref, target], alice);
    expect(run.run.code).toBe(8);
    expect(run.value.error.exitCode).toBe(8);
    expect(run.run.stderr).toContain(
      `table.csv does not match the request: its sha256 is ${sha256(altered)}`,
    );
    expect(await readdir(target)).not.toContain("table.csv");
    expect((await readdir(target)).filter((name) => name.includes("partial"))).toEqual([]);
  });
});

describe("audit verification", () => {
  it("an audit trail altered behind the API does not verify: exit code 8, with where it breaks", async () => {
    const ref = await newDraft();
    const id = ref.split("/")[1] ?? "";
    const owner = await userEnv(server.url);
    await ok(["login", "--dev", "--user", "olivia", "--role", "WorkspaceOwner"], owner);
    expect(await ok(["audit", ref, "--verify"], owner)).toMatchObject({ ok: true });
    server.audit.tamper(id, 0, { reason: "rewritten" });
    const run = await runJson<{
      error: { exitCode: number; details: { ok: boolean; firstTampered: number } };
    }>(["audit", ref, "--verify"], owner);
    expect(run.run.code).toBe(8);
    expect(run.value.error).toMatchObject({ exitCode: 8, details: { ok: false, firstTampered: 0 } });
    expect(run.run.stderr).toMatch(/^airlock: the audit trail of request \S+ does not verify from entry 0: /);
  });
});

describe("in a terminal", () => {
  it("shows a progress bar per file with bytes, rate and time left", async () => {
    const ref = await newDraft();
    const dir = await filesIn({ "first.bin": randomFile(16 * MIB), "second.bin": randomFile(3 * MIB) });
    const run = runInPty(
      ["upload", ref, join(dir, "first.bin"), join(dir, "second.bin"), "--block-size", "1"],
      alice,
    );
    expect(await run.exited).toBe(0);
    const screen = run.output();
    expect(screen).toMatch(/first\.bin \S+ 100% \| 16\.0 MiB of 16\.0 MiB \| [\d.]+ \w+\/s \| \S+ left/);
    expect(screen).toMatch(/second\.bin \S+ 100% \| 3\.0 MiB of 3\.0 MiB \| [\d.]+ \w+\/s \| \S+ left/);
    expect(screen).toContain("uploaded first.bin (16.0 MiB");
  });

  it("with NO_COLOR: plain lines, no bar, no escape sequence", async () => {
    const ref = await newDraft();
    const dir = await filesIn({ "plain.bin": randomFile(2 * MIB) });
    const run = runInPty(["upload", ref, join(dir, "plain.bin")], { ...alice, NO_COLOR: "1" });
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain("uploaded plain.bin (2.0 MiB");
    expect(run.output()).not.toContain("\u001b[");
    expect(run.output()).not.toContain("%");
  });

  it("through a pipe: no bar and no escape sequence either", async () => {
    const ref = await newDraft();
    const dir = await filesIn({ "piped.bin": randomFile(2 * MIB) });
    const run = await runCli(["upload", ref, join(dir, "piped.bin")], alice);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^uploaded piped\.bin \(2\.0 MiB in [\d.]+ s, [\d.]+ \w+\/s\)\n$/);
    expect(run.stderr).toBe("");
    expect(run.stdout).not.toContain("\u001b[");
  });

  it("status --wait spins until the request leaves its in-progress status", async () => {
    const ref = await newDraft();
    const dir = await filesIn({ "wait.csv": "1,2,3\n" });
    await ok(["upload", ref, join(dir, "wait.csv")], alice);
    await ok(["submit", ref], alice);
    await ok(["status", ref, "--wait"], alice);
    // Storage fails every move, so the approval stays in progress until it heals.
    server.storage.failNext("move", 1_000);
    try {
      await ok(["approve", ref, "--why", "fine"], bob);
      const run = runInPty(["status", ref, "--wait", "--interval", "0.2"], alice);
      await run.waitFor(/approval_in_progress…/);
      server.storage.failNext("move", 0);
      await server.profile.airlock.processor.resume();
      expect(await run.exited).toBe(0);
      const screen = stripVTControlCharacters(run.output());
      expect(screen).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] approval_in_progress…/);
      expect(screen).toMatch(/status {4}approved/);
    } finally {
      server.storage.failNext("move", 0);
    }
    const view: RequestView = await ok(["status", ref], alice);
    expect(view.airlockRequest.status).toBe("approved");
  });
});
