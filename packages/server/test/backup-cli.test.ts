import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createFileStorage,
  createSqliteRequestRepository,
  openAirlockDatabase,
} from "@airlock/adapters-local";
import type { AirlockRequest } from "@airlock/core";
import { sampleRequest } from "@airlock/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const VITE = createRequire(require.resolve("vitest/package.json")).resolve("vite");
const RUNNER = fileURLToPath(new URL("./support/run-ts-command.mjs", import.meta.url));
const CONFIG = fileURLToPath(new URL("../../../vitest.config.ts", import.meta.url));
const CLI = fileURLToPath(new URL("../src/backup-cli.ts", import.meta.url));

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "airlock-backup-cli-"));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

/** Runs `backup-cli.ts` with `args` in `base`, as `pnpm backup` / `pnpm restore` run the built one. */
const runCli = async (args: readonly string[], env: Readonly<Record<string, string>> = {}) => {
  const child = spawn(process.execPath, [RUNNER, VITE, CONFIG, CLI, ...args], {
    cwd: base,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (data: Buffer) => {
    stdout += data.toString("utf8");
  });
  child.stderr.on("data", (data: Buffer) => {
    stderr += data.toString("utf8");
  });
  const code = await new Promise<number | string>((resolve) =>
    child.once("exit", (exitCode, signal) => resolve(exitCode ?? signal ?? "unknown")),
  );
  return { code, stdout, stderr };
};

/** A data directory holding `request`, and a file for it in its stage when `content` is given. */
const dataDirWith = async (name: string, request: Omit<AirlockRequest, "etag">, content?: string) => {
  const dataDir = join(base, name);
  await mkdir(dataDir);
  const db = openAirlockDatabase(join(dataDir, "airlock.db"));
  try {
    (await createSqliteRequestRepository(db).create(request))._unsafeUnwrap();
  } finally {
    db.close();
  }
  if (content !== undefined && request.dataStage !== null) {
    const storage = createFileStorage({ root: join(dataDir, "files") });
    const ref = { requestId: request.id, workspaceId: request.workspaceId, type: request.type };
    (await storage.provision(ref, request.dataStage))._unsafeUnwrap();
    const bytes = async function* () {
      yield new TextEncoder().encode(content);
    };
    (await storage.upload(ref, request.dataStage, "data.csv", bytes(), { maxBytes: 1024 }))._unsafeUnwrap();
  }
  return dataDir;
};

describe("pnpm backup and pnpm restore", () => {
  it("back up a data directory and restore it elsewhere", async () => {
    const draft = sampleRequest({ dataStage: "draft" });
    const dataDir = await dataDirWith("data", draft, "a,b\n");

    const backedUp = await runCli(["backup", "--data-dir", dataDir, "backup"]);
    expect(backedUp.code, backedUp.stderr).toBe(0);
    expect(backedUp.stdout).toContain(`backed up ${dataDir} to ${join(base, "backup")}`);
    expect(backedUp.stdout).toContain("1 requests, 1 request files");

    const restored = await runCli(["restore", "backup", "--data-dir", "restored"]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`into ${join(base, "restored")}`);
    expect(
      await readFile(join(base, "restored", "files", "draft", draft.id, "files", "data.csv"), "utf8"),
    ).toBe("a,b\n");
  });

  it("say in one line why they refuse, with an exit code for each kind of failure", async () => {
    const recorded = sampleRequest({
      status: "in_review",
      dataStage: "in_progress",
      files: [{ name: "gone.csv", size: 3, sha256: "0".repeat(64), state: "active" }],
    });
    const lost = await dataDirWith("lost", recorded);
    const occupied = await dataDirWith("occupied", sampleRequest());

    const [intoOccupied, noTarget, noDatabase, incomplete] = await Promise.all([
      runCli(["restore", "backup"], { AIRLOCK_DATA_DIR: occupied }),
      runCli(["backup", "--data-dir", occupied]),
      runCli(["backup", "second"]),
      runCli(["backup", "--data-dir", lost, "lost-backup"]),
    ]);

    expect(intoOccupied.code).toBe(1);
    expect(intoOccupied.stderr).toBe(
      `restore: ${occupied} is not empty: restore only into a new or empty directory\n`,
    );
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr.split("\n")[0]).toBe("backup: TARGET is missing");
    // The default data directory is ./.airlock-data, which this directory does not have.
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.stderr).toBe(
      `backup: ${join(base, ".airlock-data")} holds no airlock database (airlock.db)\n`,
    );
    expect(incomplete.code).toBe(3);
    expect(incomplete.stderr).toContain(
      `not found with its recorded bytes: "gone.csv" of request ${recorded.id} (in_review, stage in_progress`,
    );
    expect(incomplete.stderr).toContain("1 recorded files were not found");
  });
});
