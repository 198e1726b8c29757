import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Worker } from "node:worker_threads";
import type { AirlockRequest, ContainerRef } from "@airlock/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AIRLOCK_MIGRATIONS,
  backupAirlockData,
  CHECKPOINTS_DIR,
  restoreAirlockData,
  verifyAirlockBackup,
} from "../src/index.js";
import { type LocalAirlock, localAirlock, sha256Of, unwrap } from "./local-airlock.js";

let base: string;
const open: LocalAirlock[] = [];

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "airlock-backup-"));
});

afterEach(async () => {
  for (const local of open.splice(0)) if (local.db.isOpen) local.db.close();
  await rm(base, { recursive: true, force: true });
});

const engineOn = async (dataDir: string) => {
  const local = await localAirlock(dataDir);
  open.push(local);
  return local;
};

const refOf = (request: AirlockRequest): ContainerRef => ({
  requestId: request.id,
  workspaceId: request.workspaceId,
  type: request.type,
});

const byName = <T extends { name: string }>(files: readonly T[]) =>
  [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** A recorded file as storage describes its bytes: its state and context are the request's. */
const bytesOf = ({ name, size, sha256 }: { name: string; size: number; sha256: string }) => ({
  name,
  size,
  sha256,
});

const integrityOf = (path: string) => {
  const db = new DatabaseSync(path);
  try {
    return (db.prepare("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check;
  } finally {
    db.close();
  }
};

describe("a backup taken while the engine runs", () => {
  it("restores every request of the snapshot with its files, where its record says, with the recorded bytes", async () => {
    const dataDir = join(base, "data");
    const live = await engineOn(dataDir);
    const uploaded = new Map<string, string>();
    const created = new Set<string>();
    let startBackup: () => void = () => undefined;
    const halfCreated = new Promise<void>((resolve) => {
      startBackup = resolve;
    });
    const LIFECYCLES = 60;

    // Each request goes its own way, all at once: stays a draft, is cancelled as a draft, waits
    // in review, is approved, rejected, or cancelled in review (its files then deleted).
    const lifecycle = async (index: number) => {
      const request = await live.create(`Request ${index}`);
      created.add(request.id);
      if (created.size >= LIFECYCLES / 3) startBackup();
      for (let file = 0; file < 1 + (index % 3); file += 1) {
        const text = `request ${request.id} file ${file}\n${"row\n".repeat((index * 37 + file * 101) % 4000)}`;
        uploaded.set(`${request.id}/file-${file}.csv`, sha256Of(text));
        await live.upload(request.id, `file-${file}.csv`, text);
      }
      switch (index % 6) {
        case 0:
          return;
        case 1:
          await live.cancel(request.id);
          return;
        case 2:
          await live.submit(request.id);
          return;
        case 3:
          await live.submit(request.id);
          await live.review(request.id, true);
          return;
        case 4:
          await live.submit(request.id);
          await live.review(request.id, false);
          return;
        default:
          await live.submit(request.id);
          await live.cancel(request.id);
      }
    };

    const work = Promise.all(Array.from({ length: LIFECYCLES }, (_, index) => lifecycle(index)));
    await halfCreated;
    const createdBeforeBackup = new Set(created);
    const [report] = await Promise.all([backupAirlockData({ dataDir, target: join(base, "backup") }), work]);

    // A recorded file found nowhere belongs to a request cancelled since: its data was deleted.
    const now = new Map((await live.requests()).map((request) => [request.id, request]));
    for (const missing of report.missing) expect(now.get(missing.requestId)?.status).toBe("cancelled");
    const missingIds = new Set(report.missing.map((missing) => missing.requestId));

    const restoredDir = join(base, "restored");
    await restoreAirlockData({ backup: report.target, dataDir: restoredDir });
    expect(integrityOf(join(restoredDir, "airlock.db"))).toBe("ok");
    const restored = await engineOn(restoredDir);
    const requests = await restored.requests();

    expect(requests.length).toBe(report.manifest.counts.tables.requests);
    for (const id of createdBeforeBackup) expect(requests.map((request) => request.id)).toContain(id);
    for (const request of requests) expect(created.has(request.id)).toBe(true);

    let checkedFiles = 0;
    for (const request of requests) {
      const stage = restored.restingStage(request);
      if (stage === null) continue;
      const held = await unwrap(restored.storage.describe(refOf(request), stage));
      for (const file of held) expect(file.sha256).toBe(uploaded.get(`${request.id}/${file.name}`));
      checkedFiles += held.length;
      if (request.files.length > 0 && request.status !== "failed" && !missingIds.has(request.id)) {
        expect(byName(held)).toEqual(byName(request.files.map(bytesOf)));
      }
    }
    expect(checkedFiles).toBe(report.manifest.counts.requestFiles);
    expect(checkedFiles).toBeGreaterThan(0);

    // The restored engine carries on: every request the snapshot caught half way gets where its
    // status says.
    await unwrap(restored.airlock.processor.resume());
    for (const request of await restored.requests()) {
      // A request whose files were deleted since the snapshot fails its integrity check, as it should.
      if (!missingIds.has(request.id)) expect(request.status).not.toBe("failed");
      expect(["submitted", "approval_in_progress", "rejection_in_progress"]).not.toContain(request.status);
    }
  });

  it("keeps what the snapshot records when files move, are deleted or requests are created after it", async () => {
    const dataDir = join(base, "data");
    const live = await engineOn(dataDir);
    const inReview = await live.create("moves to approved after the snapshot");
    await live.upload(inReview.id, "a.csv", "a\n");
    await live.submit(inReview.id);
    const draft = await live.create("is submitted after the snapshot");
    await live.upload(draft.id, "b.csv", "b\n");
    const cancelled = await live.create("is cancelled after the snapshot");
    await live.upload(cancelled.id, "c.csv", "c\n");
    await live.submit(cancelled.id);
    const empty = await live.create("a draft with no file yet");
    let late: AirlockRequest | undefined;

    const report = await backupAirlockData({
      dataDir,
      target: join(base, "backup"),
      onProgress: async (progress) => {
        if (progress.step !== "database") return;
        await live.review(inReview.id, true);
        await live.submit(draft.id);
        await live.cancel(cancelled.id);
        late = await live.create("created after the snapshot");
      },
    });
    expect((await unwrap(live.ports.repository.get(inReview.id))).dataStage).toBe("approved");

    expect(report.missing).toEqual([
      {
        requestId: cancelled.id,
        status: "in_review",
        stage: "in_progress",
        name: "c.csv",
        sha256: sha256Of("c\n"),
      },
    ]);
    const restoredDir = join(base, "restored");
    await restoreAirlockData({ backup: report.target, dataDir: restoredDir });
    const restored = await engineOn(restoredDir);

    const a = await unwrap(restored.ports.repository.get(inReview.id));
    expect([a.status, a.dataStage]).toEqual(["in_review", "in_progress"]);
    expect(await unwrap(restored.storage.describe(refOf(a), "in_progress"))).toEqual(a.files.map(bytesOf));
    expect(await unwrap(restored.storage.listFiles(refOf(a), "approved"))).toEqual([]);
    const b = await unwrap(restored.ports.repository.get(draft.id));
    expect([b.status, b.dataStage]).toEqual(["draft", "draft"]);
    expect(await unwrap(restored.storage.describe(refOf(b), "draft"))).toEqual([
      { name: "b.csv", size: 2, sha256: sha256Of("b\n") },
    ]);
    expect((await unwrap(restored.ports.repository.get(cancelled.id))).status).toBe("in_review");
    expect((await restored.ports.repository.get(late?.id ?? ""))._unsafeUnwrapErr().kind).toBe("NotFound");

    // The restored airlock goes on from the snapshot: the review decided after it can be made again,
    // and a draft that had no file yet takes one.
    await restored.upload(empty.id, "first.csv", "1\n");
    const approved = await restored.review(inReview.id, true);
    expect([approved.status, approved.dataStage]).toEqual(["approved", "approved"]);
  });

  it("keeps only the bytes the snapshot records, wherever they are, and reports a file no stage holds with them", async () => {
    const dataDir = join(base, "data");
    const live = await engineOn(dataDir);
    const request = await live.create();
    await live.upload(request.id, "kept.csv", "kept\n");
    await live.upload(request.id, "lost.csv", "lost\n");
    const inReview = await live.submit(request.id);
    expect(inReview.dataStage).toBe("in_progress");
    const folder = (stage: string) => join(dataDir, "files", stage, request.id, "files");
    // The bytes in the request's stage are not the recorded ones; the recorded ones of one file are elsewhere.
    await writeFile(join(folder("in_progress"), "kept.csv"), "changed\n");
    await writeFile(join(folder("in_progress"), "lost.csv"), "changed\n");
    await mkdir(folder("approved"), { recursive: true });
    await writeFile(join(folder("approved"), "kept.csv"), "kept\n");

    const report = await backupAirlockData({ dataDir, target: join(base, "backup") });
    expect(report.missing).toEqual([
      {
        requestId: request.id,
        status: "in_review",
        stage: "in_progress",
        name: "lost.csv",
        sha256: sha256Of("lost\n"),
      },
    ]);
    const copied = join(report.target, "data", "files", "in_progress", request.id, "files");
    expect(await readdir(copied)).toEqual(["kept.csv"]);
    expect(await readFile(join(copied, "kept.csv"), "utf8")).toBe("kept\n");
    expect(report.manifest.missing).toEqual(report.missing);
  });

  it("copies the audit checkpoints before the database, so every checkpoint signs entries the snapshot holds", async () => {
    const dataDir = join(base, "data");
    const live = await engineOn(dataDir);
    await mkdir(join(dataDir, CHECKPOINTS_DIR));
    await writeFile(join(dataDir, CHECKPOINTS_DIR, "stream-a"), "checkpoint 1\n");
    let written: AirlockRequest | undefined;

    const report = await backupAirlockData({
      dataDir,
      target: join(base, "backup"),
      onProgress: async (progress) => {
        if (progress.step !== "checkpoints") return;
        // A checkpoint written now signs entries written before it: both come after the copy of the checkpoints.
        written = await live.create("written after the checkpoints were copied");
        await appendFile(join(dataDir, CHECKPOINTS_DIR, "stream-a"), "checkpoint 2\n");
        await writeFile(join(dataDir, CHECKPOINTS_DIR, "stream-b"), "checkpoint 1\n");
      },
    });

    expect(await readdir(join(report.target, "data", CHECKPOINTS_DIR))).toEqual(["stream-a"]);
    expect(await readFile(join(report.target, "data", CHECKPOINTS_DIR, "stream-a"), "utf8")).toBe(
      "checkpoint 1\n",
    );
    expect(report.manifest.counts.checkpointFiles).toBe(1);
    const restoredDir = join(base, "restored");
    await restoreAirlockData({ backup: report.target, dataDir: restoredDir });
    const restored = await engineOn(restoredDir);
    expect((await unwrap(restored.ports.repository.get(written?.id ?? ""))).title).toBe(
      "written after the checkpoints were copied",
    );
  });

  it("takes the database at one instant while another connection keeps writing, in another thread", async () => {
    const dataDir = join(base, "data");
    const live = await engineOn(dataDir);
    live.db.exec("CREATE TABLE pairs (n INTEGER NOT NULL)");
    // Another connection writes two rows per transaction, as fast as it can, until told to stop.
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const writer = new Worker(
      `const { DatabaseSync } = require("node:sqlite");
       const { workerData, parentPort } = require("node:worker_threads");
       const db = new DatabaseSync(workerData.path, { timeout: 5000 });
       const insert = db.prepare("INSERT INTO pairs (n) VALUES (?)");
       let written = 0;
       while (Atomics.load(workerData.stop, 0) === 0) {
         db.exec("BEGIN IMMEDIATE"); insert.run(written); insert.run(written); db.exec("COMMIT");
         written += 1;
         if (written === 200) parentPort.postMessage("writing");
       }
       db.close();
       parentPort.postMessage("stopped");`,
      { eval: true, workerData: { path: join(dataDir, "airlock.db"), stop } },
    );
    const heard = new Set<string>();
    const waiting = new Map<string, () => void>();
    writer.on("message", (message: string) => {
      heard.add(message);
      waiting.get(message)?.();
    });
    const said = (message: string) =>
      heard.has(message) ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(message, resolve));
    await said("writing");
    const before = (live.db.prepare("SELECT count(*) AS rows FROM pairs").get() as { rows: number }).rows;
    try {
      const report = await backupAirlockData({ dataDir, target: join(base, "backup") });
      const rows = report.manifest.counts.tables.pairs ?? 0;
      expect(rows % 2).toBe(0);
      expect(rows).toBeGreaterThanOrEqual(before);
      expect(integrityOf(join(report.target, "data", "airlock.db"))).toBe("ok");
    } finally {
      Atomics.store(stop, 0, 1);
      await said("stopped");
      await writer.terminate();
    }
  });

  it("copies the secret files at the top of the data directory, but none of SQLite's own", async () => {
    const dataDir = join(base, "data");
    const live = await engineOn(dataDir);
    await live.create();
    await writeFile(join(dataDir, "link-secret"), "s3cret", { mode: 0o600 });
    await writeFile(join(dataDir, "audit-signing.key"), "private key", { mode: 0o600 });
    expect(await readdir(dataDir)).toContain("airlock.db-wal");

    const report = await backupAirlockData({ dataDir, target: join(base, "backup") });
    expect(report.manifest.files.map((file) => file.path).filter((path) => !path.includes("/"))).toEqual([
      "airlock.db",
      "audit-signing.key",
      "link-secret",
    ]);
    expect(report.manifest.counts.secretFiles).toBe(2);
    expect(report.manifest.schemaVersion).toBe(AIRLOCK_MIGRATIONS.length);
    expect(report.manifest.counts.tables).toMatchObject({ requests: 1, workspaces: 1 });

    const restoredDir = join(base, "restored");
    const restoredReport = await restoreAirlockData({ backup: report.target, dataDir: restoredDir });
    expect(restoredReport.schemaVersion).toBe(AIRLOCK_MIGRATIONS.length);
    expect(await readFile(join(restoredDir, "link-secret"), "utf8")).toBe("s3cret");
    expect((await stat(join(restoredDir, "link-secret"))).mode & 0o777).toBe(0o600);
    expect((await stat(report.target)).mode & 0o777).toBe(0o700);
  });
});

describe("backups and restores refuse what would lose or mix data", () => {
  /** A small data directory with one approved request, and its backup. */
  const backedUp = async () => {
    const dataDir = join(base, "data");
    const live = await engineOn(dataDir);
    const request = await live.create();
    await live.upload(request.id, "data.csv", "a,b\n1,2\n");
    await live.submit(request.id);
    await live.review(request.id, true);
    const report = await backupAirlockData({ dataDir, target: join(base, "backup") });
    const requestFile = `files/approved/${request.id}/files/data.csv`;
    expect(report.manifest.files.map((file) => file.path)).toContain(requestFile);
    return { dataDir, backup: report.target, requestFile };
  };

  it("verifies an intact backup", async () => {
    const { backup } = await backedUp();
    expect((await verifyAirlockBackup(backup)).ok).toBe(true);
  });

  const tamperings: [string, (backup: string, requestFile: string) => Promise<void>, RegExp][] = [
    [
      "a changed file",
      (backup, file) => writeFile(join(backup, "data", file), "a,b\n1,3\n"),
      /data\.csv: its bytes differ/,
    ],
    [
      "a deleted file",
      (backup, file) => rm(join(backup, "data", file)),
      /data\.csv: listed in the manifest but missing/,
    ],
    [
      "an added file",
      (backup) => writeFile(join(backup, "data", "extra"), "x"),
      /extra: in the backup but not in the manifest/,
    ],
    ["a manifest that is not JSON", (backup) => writeFile(join(backup, "manifest.json"), "{"), /not JSON/],
    [
      "a manifest naming a path outside the backup",
      async (backup) => {
        const manifest = JSON.parse(await readFile(join(backup, "manifest.json"), "utf8"));
        manifest.files[0].path = "../outside";
        await writeFile(join(backup, "manifest.json"), JSON.stringify(manifest));
      },
      /relative path/,
    ],
    ["a missing manifest", (backup) => rm(join(backup, "manifest.json")), /no manifest\.json/],
  ];

  it.each(tamperings)("refuses a backup with %s, writing nothing", async (_, tamper, problem) => {
    const { backup, requestFile } = await backedUp();
    await tamper(backup, requestFile);
    const verification = await verifyAirlockBackup(backup);
    expect(verification.ok).toBe(false);
    if (!verification.ok) expect(verification.problems.join("\n")).toMatch(problem);
    const restoredDir = join(base, "restored");
    await expect(restoreAirlockData({ backup, dataDir: restoredDir })).rejects.toThrow(problem);
    expect((await readdir(base)).sort()).toEqual(["backup", "data"]);
  });

  it("refuses to restore into a directory that holds anything, and leaves it as it was", async () => {
    const { backup } = await backedUp();
    const occupied = join(base, "occupied");
    await mkdir(occupied);
    await writeFile(join(occupied, "notes.txt"), "mine");
    await expect(restoreAirlockData({ backup, dataDir: occupied })).rejects.toThrow(/is not empty/);
    expect(await readdir(occupied)).toEqual(["notes.txt"]);
    expect((await readdir(base)).sort()).toEqual(["backup", "data", "occupied"]);
  });

  it("restores into an empty directory", async () => {
    const { backup } = await backedUp();
    const empty = join(base, "empty");
    await mkdir(empty);
    await restoreAirlockData({ backup, dataDir: empty });
    expect(await readdir(empty)).toContain("airlock.db");
  });

  it("refuses to back up into a directory that holds anything, or from one with no database", async () => {
    const { dataDir, backup } = await backedUp();
    await expect(backupAirlockData({ dataDir, target: backup })).rejects.toThrow(/is not empty/);
    const nothing = join(base, "nothing");
    await mkdir(nothing);
    await expect(backupAirlockData({ dataDir: nothing, target: join(base, "second") })).rejects.toThrow(
      /holds no airlock database/,
    );
    expect((await readdir(base)).sort()).toEqual(["backup", "data", "nothing"]);
  });

  it("refuses a database written by a newer version", async () => {
    const dataDir = join(base, "data");
    await mkdir(dataDir);
    const db = new DatabaseSync(join(dataDir, "airlock.db"));
    db.exec(`PRAGMA user_version = ${AIRLOCK_MIGRATIONS.length + 1}`);
    db.close();
    await expect(backupAirlockData({ dataDir, target: join(base, "backup") })).rejects.toThrow(/newer than/);
    expect(await readdir(base)).toEqual(["data"]);
  });
});

describe("a backup copied elsewhere", () => {
  it("still verifies and restores (it holds no absolute path)", async () => {
    const dataDir = join(base, "data");
    const live = await engineOn(dataDir);
    const request = await live.create();
    await live.upload(request.id, "data.csv", "x\n");
    const report = await backupAirlockData({ dataDir, target: join(base, "backup") });
    await cp(report.target, join(base, "moved"), { recursive: true });
    await rm(report.target, { recursive: true });
    expect((await verifyAirlockBackup(join(base, "moved"))).ok).toBe(true);
    await restoreAirlockData({ backup: join(base, "moved"), dataDir: join(base, "restored") });
    const restored = await engineOn(join(base, "restored"));
    expect(await unwrap(restored.storage.listFiles(refOf(request), "draft"))).toEqual([
      { name: "data.csv", size: 2 },
    ]);
  });
});
