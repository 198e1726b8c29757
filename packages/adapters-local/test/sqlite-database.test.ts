import { DatabaseSync } from "node:sqlite";
import { sampleRequest, sampleWorkspace } from "@airlock/core/testing";
import { describe, expect, it } from "vitest";
import {
  AIRLOCK_MIGRATIONS,
  createSqliteRequestRepository,
  createSqliteWorkspaceRegistry,
  migrateAirlockDatabase,
  openAirlockDatabase,
} from "../src/index.js";
import { temporaryDatabases } from "./support.js";

const databases = temporaryDatabases();

const pragma = (db: DatabaseSync, name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0];

const tables = (db: DatabaseSync) =>
  (
    db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((row) => row.name);

describe("openAirlockDatabase", () => {
  it("opens a file in WAL mode with synchronous FULL, foreign keys and a busy timeout", () => {
    const db = databases.track(openAirlockDatabase(databases.path()));
    expect(pragma(db, "journal_mode")).toBe("wal");
    expect(pragma(db, "synchronous")).toBe(2); // FULL
    expect(pragma(db, "foreign_keys")).toBe(1);
    expect(pragma(db, "busy_timeout")).toBe(5000);
    expect(pragma(db, "user_version")).toBe(AIRLOCK_MIGRATIONS.length);
  });

  it("takes synchronous NORMAL and another busy timeout when asked, and refuses anything else", () => {
    const db = databases.track(
      openAirlockDatabase(databases.path(), { synchronous: "NORMAL", busyTimeoutMs: 250 }),
    );
    expect(pragma(db, "synchronous")).toBe(1); // NORMAL
    expect(pragma(db, "busy_timeout")).toBe(250);
    expect(() => openAirlockDatabase(databases.path(), { synchronous: "OFF" as "FULL" })).toThrow(
      /FULL or NORMAL/,
    );
  });

  it("upgrades a database made by an earlier schema, keeping its rows", async () => {
    const path = databases.path();
    const old = new DatabaseSync(path);
    expect(migrateAirlockDatabase(old, AIRLOCK_MIGRATIONS.slice(0, 1))).toBe(1);
    expect(tables(old)).not.toContain("workspaces");
    const created = (await createSqliteRequestRepository(old).create(sampleRequest()))._unsafeUnwrap();
    old.close();

    const db = databases.track(openAirlockDatabase(path));
    expect(pragma(db, "user_version")).toBe(AIRLOCK_MIGRATIONS.length);
    expect(tables(db)).toContain("workspaces");
    expect((await createSqliteRequestRepository(db).get(created.id))._unsafeUnwrap()).toEqual(created);
    const workspace = sampleWorkspace();
    expect((await createSqliteWorkspaceRegistry(db).put(workspace)).isOk()).toBe(true);
  });

  it("adds the status and workspace list indexes to a database of the schema before them, and its lists use them", async () => {
    const step = AIRLOCK_MIGRATIONS.findIndex((migration) =>
      migration.sql.includes("requests_by_status_created"),
    );
    expect(step).toBeGreaterThan(0);
    const path = databases.path();
    const old = new DatabaseSync(path);
    expect(migrateAirlockDatabase(old, AIRLOCK_MIGRATIONS.slice(0, step))).toBe(step);
    const before = createSqliteRequestRepository(old);
    const inReview = (await before.create(sampleRequest({ status: "in_review" })))._unsafeUnwrap();
    (await before.create(sampleRequest({ status: "draft" })))._unsafeUnwrap();
    old.close();

    const db = databases.track(openAirlockDatabase(path));
    expect(pragma(db, "user_version")).toBe(AIRLOCK_MIGRATIONS.length);
    const indexes = (
      db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'requests'").all() as {
        name: string;
      }[]
    ).map((row) => row.name);
    expect(indexes).toEqual(
      expect.arrayContaining([
        "requests_by_status_created",
        "requests_by_status_updated",
        "requests_by_workspace_status_created",
        "requests_by_workspace_updated",
      ]),
    );
    const plan = (
      db
        .prepare(
          "EXPLAIN QUERY PLAN SELECT body FROM requests WHERE status = ? ORDER BY created_when DESC, id DESC LIMIT 26",
        )
        .all("in_review") as { detail: string }[]
    )
      .map((row) => row.detail)
      .join("; ");
    expect(plan).toMatch(/requests_by_status_created/);
    const page = (await createSqliteRequestRepository(db).list({ statuses: ["in_review"] }))._unsafeUnwrap();
    expect(page.items).toEqual([inReview]);
  });

  it("opening an up-to-date database again changes nothing", () => {
    const path = databases.path();
    openAirlockDatabase(path).close();
    const db = databases.track(openAirlockDatabase(path));
    expect(pragma(db, "user_version")).toBe(AIRLOCK_MIGRATIONS.length);
  });

  it("a failing step is rolled back whole and leaves the earlier version", () => {
    const db = databases.track(new DatabaseSync(databases.path()));
    const broken = [
      ...AIRLOCK_MIGRATIONS.slice(0, 1),
      { description: "half a step", sql: "CREATE TABLE half (id TEXT) STRICT; NOT SQL" },
    ];
    expect(() => migrateAirlockDatabase(db, broken)).toThrow(/schema step 2 \(half a step\) failed/);
    expect(pragma(db, "user_version")).toBe(1);
    expect(tables(db)).not.toContain("half");
  });

  it("refuses a database written by a newer schema", () => {
    const path = databases.path();
    openAirlockDatabase(path).close();
    const newer = new DatabaseSync(path);
    newer.exec(`PRAGMA user_version = ${AIRLOCK_MIGRATIONS.length + 1}`);
    newer.close();
    expect(() => openAirlockDatabase(path)).toThrow(/newer than/);
  });
});

describe("durability across connections", () => {
  it("what one connection wrote is there after it closes and the file is opened again", async () => {
    const path = databases.path();
    const first = openAirlockDatabase(path);
    const requests = createSqliteRequestRepository(first);
    const created = (await requests.create(sampleRequest({ title: "kept" })))._unsafeUnwrap();
    const updated = (await requests.update({ ...created, title: "kept and changed" }))._unsafeUnwrap();
    const workspace = sampleWorkspace();
    await createSqliteWorkspaceRegistry(first).put(workspace);
    first.close();

    const second = databases.track(openAirlockDatabase(path));
    expect((await createSqliteRequestRepository(second).get(created.id))._unsafeUnwrap()).toEqual(updated);
    expect((await createSqliteWorkspaceRegistry(second).get(workspace.id))._unsafeUnwrap()).toEqual(
      workspace,
    );
  });

  it("an etag read on one connection is refused on another once the request has changed", async () => {
    const path = databases.path();
    const one = createSqliteRequestRepository(databases.track(openAirlockDatabase(path)));
    const two = createSqliteRequestRepository(databases.track(openAirlockDatabase(path)));
    const created = (await one.create(sampleRequest()))._unsafeUnwrap();
    expect((await two.update({ ...created, title: "second" })).isOk()).toBe(true);
    expect((await one.update({ ...created, title: "first" }))._unsafeUnwrapErr().kind).toBe("Conflict");
  });
});

describe("SQLite failures", () => {
  it("a write blocked by another connection's lock past the busy timeout is Unavailable, not thrown", async () => {
    const path = databases.path();
    const holder = databases.track(openAirlockDatabase(path));
    const waiter = databases.track(openAirlockDatabase(path, { busyTimeoutMs: 0 }));
    holder.exec("BEGIN IMMEDIATE");
    try {
      const result = await createSqliteRequestRepository(waiter).create(sampleRequest());
      const error = result._unsafeUnwrapErr();
      expect(error.kind).toBe("Unavailable");
      expect(error.message).toMatch(/locked|busy/i);
    } finally {
      holder.exec("ROLLBACK");
    }
  });

  it("a closed database answers Unavailable from every method", async () => {
    const db = openAirlockDatabase(databases.path());
    db.close();
    const requests = createSqliteRequestRepository(db);
    const workspaces = createSqliteWorkspaceRegistry(db);
    const kinds = await Promise.all([
      requests.create(sampleRequest()),
      requests.get("x"),
      requests.list({}),
      workspaces.get("x"),
      workspaces.list(),
      workspaces.put(sampleWorkspace()),
    ]);
    expect(kinds.map((result) => result._unsafeUnwrapErr().kind)).toEqual(Array(6).fill("Unavailable"));
  });
});

describe("list query plans", () => {
  it("every order is read from its index, without sorting the table", () => {
    const db = databases.freshDatabase();
    for (const column of ["created_when", "updated_when", "status", "type", "title"]) {
      for (const direction of ["ASC", "DESC"]) {
        const plan = (
          db
            .prepare(
              `EXPLAIN QUERY PLAN SELECT body FROM requests WHERE (${column}, id) < (?, ?)
               ORDER BY ${column} ${direction}, id ${direction} LIMIT 26`,
            )
            .all("a", "b") as { detail: string }[]
        )
          .map((row) => row.detail)
          .join("; ");
        expect(plan).toMatch(/USING (COVERING )?INDEX requests_by_/);
        expect(plan).not.toMatch(/TEMP B-TREE/);
      }
    }
  });
});
