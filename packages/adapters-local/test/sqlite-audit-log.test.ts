import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  type AuditEntry,
  type AuditKeys,
  type AuditLog,
  GENESIS_HASH,
  generateAuditKeys,
  hashAuditEntry,
} from "@airlock/core";
import { allAuditEntries, sampleAuditRecord } from "@airlock/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileAuditCheckpoints, createSqliteAuditLog, openAirlockDatabase } from "../src/index.js";
import { dropAuditGuards } from "./audit-support.js";
import { temporaryDatabases } from "./support.js";

const databases = temporaryDatabases();
const checkpointRoot = mkdtempSync(join(tmpdir(), "airlock-audit-"));
afterAll(() => rmSync(checkpointRoot, { recursive: true, force: true }));

let keys: AuditKeys;
beforeAll(async () => {
  keys = await generateAuditKeys();
});

const run = promisify(execFile);
const TYPESCRIPT_SOURCES = fileURLToPath(new URL("./support/typescript-sources.mjs", import.meta.url));
const APPEND_PROCESS = fileURLToPath(new URL("./support/append-process.ts", import.meta.url));

/** Keys that can be handed to another process: the same chain key and checkpoint key pair. */
const exportableKeys = async () => {
  const pair = (await crypto.subtle.generateKey("Ed25519", true, ["sign", "verify"])) as CryptoKeyPair;
  const chainKey = crypto.getRandomValues(new Uint8Array(32));
  const base64 = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(new Uint8Array(bytes)).toString("base64");
  return {
    keys: { chainKey, signingKey: pair.privateKey, verifyKey: pair.publicKey } satisfies AuditKeys,
    json: JSON.stringify({
      chainKey: base64(chainKey),
      signingKey: base64(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
      verifyKey: base64(await crypto.subtle.exportKey("raw", pair.publicKey)),
    }),
  };
};

/** A database file and a checkpoint directory of its own, as the local backend keeps them. */
const place = () => ({ path: databases.path(), dir: mkdtempSync(join(checkpointRoot, "checkpoints-")) });

const logOn = (db: DatabaseSync, dir: string, sealingKeys: AuditKeys = keys) =>
  createSqliteAuditLog(db, { keys: sealingKeys, checkpoints: createFileAuditCheckpoints({ dir }) });

const fill = async (audit: AuditLog, stream: string, count: number) => {
  const entries: AuditEntry[] = [];
  for (let index = 0; index < count; index++) {
    entries.push(
      (await audit.append(sampleAuditRecord(stream, { reason: `step ${index}` })))._unsafeUnwrap(),
    );
  }
  return entries;
};

const expectChain = async (entries: readonly AuditEntry[], chainKey = keys.chainKey) => {
  let prevHash = GENESIS_HASH;
  for (const [index, entry] of entries.entries()) {
    expect(entry.seq).toBe(index);
    expect(entry.prevHash).toBe(prevHash);
    const { hash, ...rest } = entry;
    expect(hash).toBe(await hashAuditEntry(rest, chainKey));
    prevHash = hash;
  }
};

describe("SQLite audit log on real files", () => {
  it("keeps entries and checkpoints across closing and reopening the database", async () => {
    const { path, dir } = place();
    const first = databases.track(openAirlockDatabase(path));
    const audit = logOn(first, dir);
    const stream = "request-1";
    const entries = await fill(audit, stream, 2);
    const keyed = (await audit.append(sampleAuditRecord(stream, { key: "revision-1" })))._unsafeUnwrap();
    first.close();

    const reopened = logOn(databases.track(openAirlockDatabase(path)), dir);
    expect(await allAuditEntries(reopened, stream)).toEqual([...entries, keyed]);
    expect((await reopened.verify(stream))._unsafeUnwrap()).toEqual({
      ok: true,
      entries: 3,
      checkpointSeq: 2,
    });
    expect((await reopened.has(stream, "revision-1"))._unsafeUnwrap()).toBe(true);
    expect((await reopened.append(sampleAuditRecord(stream, { key: "revision-1" })))._unsafeUnwrap()).toEqual(
      keyed,
    );
    const next = (await reopened.append(sampleAuditRecord(stream)))._unsafeUnwrap();
    expect({ seq: next.seq, prevHash: next.prevHash }).toEqual({ seq: 3, prevHash: keyed.hash });
    expect((await reopened.streams({ after: null, limit: 10 }))._unsafeUnwrap()).toEqual({
      streams: [stream],
      next: null,
    });
  });

  it("the database refuses to update, delete or replace an entry", async () => {
    const { path, dir } = place();
    const db = databases.track(openAirlockDatabase(path));
    const audit = logOn(db, dir);
    const entries = await fill(audit, "request-2", 3);
    expect(() =>
      db.prepare("UPDATE audit_entries SET reason = 'edited' WHERE stream = ? AND seq = 1").run("request-2"),
    ).toThrow(/append-only/);
    expect(() => db.prepare("DELETE FROM audit_entries WHERE seq >= 1").run()).toThrow(/append-only/);
    expect(() =>
      db
        .prepare(
          `INSERT OR REPLACE INTO audit_entries
             SELECT stream, seq, workspace_id, request_id, at, actor_id, actor_name, action, outcome,
                    'replaced', from_status, to_status, key, prev_hash, hash
             FROM audit_entries WHERE stream = ? AND seq = 0`,
        )
        .run("request-2"),
    ).toThrow(/append-only/);
    expect(await allAuditEntries(audit, "request-2")).toEqual(entries);
    expect((await audit.verify("request-2"))._unsafeUnwrap()).toEqual({
      ok: true,
      entries: 3,
      checkpointSeq: 2,
    });
  });

  it("verify names an entry whose row was edited with SQL", async () => {
    const { path, dir } = place();
    const db = databases.track(openAirlockDatabase(path));
    const audit = logOn(db, dir);
    await fill(audit, "request-3", 4);
    dropAuditGuards(db);
    db.prepare("UPDATE audit_entries SET actor_name = 'Someone Else' WHERE stream = ? AND seq = 1").run(
      "request-3",
    );
    expect((await audit.verify("request-3"))._unsafeUnwrap()).toEqual({
      ok: false,
      firstTampered: 1,
      reason: "content changed",
    });
  });

  it("verify finds tail rows deleted with SQL, by the checkpoint file", async () => {
    const { path, dir } = place();
    const db = databases.track(openAirlockDatabase(path));
    const audit = logOn(db, dir);
    await fill(audit, "request-4", 5);
    dropAuditGuards(db);
    db.prepare("DELETE FROM audit_entries WHERE stream = ? AND seq >= 2").run("request-4");
    expect((await audit.verify("request-4"))._unsafeUnwrap()).toEqual({
      ok: false,
      firstTampered: 2,
      reason: "truncated",
    });
  });

  it("verify finds a database file replaced by a new one, by the checkpoints kept outside it", async () => {
    const { path, dir } = place();
    const original = databases.track(openAirlockDatabase(path));
    await fill(logOn(original, dir), "request-5", 4);
    original.close();
    rmSync(path);
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });

    const replacement = logOn(databases.track(openAirlockDatabase(path)), dir);
    await fill(replacement, "request-5", 1);
    expect((await replacement.verify("request-5"))._unsafeUnwrap()).toEqual({
      ok: false,
      firstTampered: 1,
      reason: "truncated",
    });
  });

  it("two connections on one file appending to one stream at once make one gapless chain", async () => {
    const { path, dir } = place();
    const one = logOn(databases.track(openAirlockDatabase(path)), dir);
    const other = logOn(databases.track(openAirlockDatabase(path)), dir);
    const stream = "workspace:shared";
    const records = Array.from({ length: 30 }, (_, index) =>
      sampleAuditRecord(stream, { reason: `append ${index}` }),
    );
    const keyed = sampleAuditRecord(stream, { key: "raced" });
    const results = await Promise.all([
      ...records.map((record, index) => (index % 2 === 0 ? one : other).append(record)),
      ...Array.from({ length: 4 }, (_, index) => (index % 2 === 0 ? one : other).append(keyed)),
    ]);
    const answered = results.map((result) => result._unsafeUnwrap());
    const listed = await allAuditEntries(one, stream, 7);
    expect(listed).toHaveLength(31);
    await expectChain(listed);
    expect(listed.map((entry) => entry.reason).sort()).toEqual(
      [...records.map((record) => record.reason), null].sort(),
    );
    expect(new Set(answered.slice(30).map((entry) => entry.seq)).size).toBe(1);
    expect((await other.verify(stream))._unsafeUnwrap()).toEqual({
      ok: true,
      entries: 31,
      checkpointSeq: 30,
    });
  });

  // The longer timeout leaves room for starting two Node processes on a busy machine.
  it("two processes appending to one stream of one file at once make one gapless chain", async () => {
    const { path, dir } = place();
    const shared = await exportableKeys();
    const audit = logOn(databases.track(openAirlockDatabase(path)), dir, shared.keys);
    const stream = "tre";
    const child = (tag: string) =>
      run(process.execPath, [
        "--import",
        TYPESCRIPT_SOURCES,
        APPEND_PROCESS,
        path,
        dir,
        stream,
        tag,
        "40",
        shared.json,
      ]);
    const [first, second, own] = await Promise.all([
      child("first"),
      child("second"),
      Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          audit.append(sampleAuditRecord(stream, { reason: `own ${index}` })),
        ),
      ),
    ]);
    expect([first.stdout.trim(), second.stdout.trim()]).toEqual(["40", "40"]);
    for (const result of own) result._unsafeUnwrap();
    const listed = await allAuditEntries(audit, stream, 50);
    expect(listed).toHaveLength(100);
    await expectChain(listed, shared.keys.chainKey);
    expect(listed.filter((entry) => entry.reason?.startsWith("first ")).length).toBe(40);
    expect(listed.filter((entry) => entry.reason?.startsWith("second ")).length).toBe(40);
    expect((await audit.verify(stream))._unsafeUnwrap()).toEqual({
      ok: true,
      entries: 100,
      checkpointSeq: 99,
    });
  }, 60_000);

  it("an append while another connection holds the write lock answers Unavailable and stores nothing", async () => {
    const { path, dir } = place();
    const holder = databases.track(openAirlockDatabase(path));
    const audit = logOn(databases.track(openAirlockDatabase(path, { busyTimeoutMs: 0 })), dir);
    await fill(audit, "request-6", 1);
    holder.exec("BEGIN IMMEDIATE");
    const refused = await audit.append(sampleAuditRecord("request-6"));
    holder.exec("ROLLBACK");
    expect(refused._unsafeUnwrapErr().kind).toBe("Unavailable");
    expect(await allAuditEntries(audit, "request-6")).toHaveLength(1);
    const next = (await audit.append(sampleAuditRecord("request-6")))._unsafeUnwrap();
    expect(next.seq).toBe(1);
  });

  it("without a checkpoint signing key an append is refused before anything is stored", async () => {
    const { path, dir } = place();
    const audit = logOn(databases.track(openAirlockDatabase(path)), dir, { ...keys, signingKey: null });
    const refused = await audit.append(sampleAuditRecord("request-7"));
    expect(refused._unsafeUnwrapErr()).toMatchObject({
      kind: "Unavailable",
      message: expect.stringMatching(/no checkpoint signing key/),
    });
    expect((await audit.list("request-7", { fromSeq: 0, limit: 10 }))._unsafeUnwrap()).toEqual({
      entries: [],
      nextSeq: null,
    });
  });
});
