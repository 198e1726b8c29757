import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { backup as backupDatabase, DatabaseSync } from "node:sqlite";
import { type AirlockRequest, type Stage, StageSchema, statusMeta } from "@airlock/core";
import {
  copyHashed,
  digestOf,
  entriesUnder,
  type FileDigest,
  isMissingOrEmptyDir,
  isRealDir,
  isRegularFile,
  isSingleSegment,
  PRIVATE_DIR,
  PRIVATE_FILE,
} from "./backup-files.js";
import {
  BACKUP_DATA_DIR,
  type BackupFile,
  type BackupManifest,
  DATABASE_FILE,
  MANIFEST_FILE,
  type MissingFile,
  verifyAirlockBackup,
} from "./backup-manifest.js";
import { createFileStorage } from "./file-storage.js";
import { syncDir } from "./fs-calls.js";
import { AIRLOCK_MIGRATIONS, openAirlockDatabase } from "./sqlite-database.js";
import { createSqliteRequestRepository } from "./sqlite-request-repository.js";

// A backup of a local data directory, taken while the server runs and writes.
//
// The data directory holds the database (`airlock.db`, with `-wal` and `-shm` beside it), the file
// storage (`files/<stage>/<request id>/files/<name>`), the signed audit checkpoints
// (`audit-checkpoints/`) and small secret files at the top (the link secret, the audit keys). The
// server goes on writing all of them while a backup runs, so the backup is taken in this order:
//
// 1. The secret files: every regular file at the top of the data directory except the
//    database's own. They are written once, when the server first needs them.
// 2. The audit checkpoints, BEFORE the database. A checkpoint signs a position of the audit chain
//    that was committed when it was written, so every checkpoint copied here signs a position the
//    database already holds, and the snapshot taken next holds at least that much. The other order
//    could copy a checkpoint signed after the snapshot, for entries the snapshot lacks, and the
//    restored log would then verify as truncated. A checkpoint written after this step is simply
//    not in the backup: the restored log runs past its newest checkpoint, which is the ordinary
//    state between two checkpoints. Checkpoint files are copied as opaque files.
// 3. The database, through SQLite's online backup in a single step: one read transaction, so the
//    copy is the database as it was at one instant (WAL lets the server go on writing meanwhile; a
//    copy in several steps would start again at every write of another connection). The copy is
//    switched to a rollback journal so the backup holds one self-contained database file.
// 4. The request files, led by the snapshot, not by a walk of the tree. While we copy, the server
//    uploads, moves requests between stages (a rename of each file into the next stage's folder)
//    and deletes them: a walk of the tree could miss a file renamed from a folder not yet walked
//    into one already walked, and would pick up requests the snapshot never saw. So for each request
//    of the snapshot:
//    - its data rests in the stage its `dataStage` names (null: nothing is stored). A status whose
//      stage is null (cancelled) has its data deleted by the processor: nothing is copied.
//    - from submit on, the snapshot records each file's sha256, and the backup needs exactly those
//      bytes. Each file is looked for in `dataStage` first, then in the other stages: a move that
//      finished after the snapshot, or before it with its record not yet written, left it in a
//      later stage. A copy is kept only when its sha256 is the recorded one. Data only moves
//      forward, a few times at most, so looking through every stage as many rounds as there are
//      stages finds a file that moved while we looked.
//    - a draft's files are not recorded until submit, and a status that keeps its files as they are
//      for inspection (failed) may hold other bytes than recorded: their folder is copied as it is
//      now, each file (and each name the draft holds) also looked for in the later stages in case
//      a submit moved them since.
//    Whatever is found is written where the snapshot says (its `dataStage`), so the restored files
//    agree with the restored records and the processor carries on from there. A recorded file
//    found nowhere (the request was cancelled and its data deleted since, or the data directory
//    lost it) is reported, in the answer and the manifest, never passed over.
//    Files are copied, never hard linked. A link would keep the right bytes (the storage never
//    writes a stored file in place: an upload lands in `.incoming` and replaces a file by rename),
//    but a backup must outlive the disk of the data directory, and a hard link is the same bytes
//    on the same disk. Each copy reads from one open descriptor, so a rename or delete during the
//    copy cannot tear it. `.incoming` (uploads still arriving) is not copied, nor the sha256
//    records beside the files: they name the inode they were taken of, so the storage hashes each
//    restored file again the first time it needs its sha256.
// 5. A manifest: when the backup started, the snapshot's schema version, row counts, what is
//    missing, and the size and sha256 of every file of the backup.
//
// A backup is assembled in a hidden sibling directory and renamed into place once its manifest is
// written, so a directory with a manifest is a complete backup.

/** The folder of the file storage's root inside a data directory. */
export const FILES_DIR = "files";
/** The folder of the signed audit checkpoints inside a data directory. */
export const CHECKPOINTS_DIR = "audit-checkpoints";
/** The folder of a request's files inside its folder of a stage (beside its sha256 records). */
const REQUEST_FILES_DIR = "files";
/** SQLite's own files beside the database, never copied as secrets. */
const DATABASE_FILES = new Set(["", "-wal", "-shm", "-journal"].map((suffix) => `${DATABASE_FILE}${suffix}`));
/** The largest step SQLite's backup takes: the whole database in one step, under one read transaction. */
const ALL_PAGES = 2 ** 31 - 1;
const BUSY_TIMEOUT_MS = 5000;
const PAGE_SIZE = 100;
const STAGES: readonly Stage[] = StageSchema.options;

/** What a backup has done so far, in order; awaited, so a caller can show it as it goes. */
export type BackupProgress =
  | { readonly step: "secrets"; readonly files: number }
  | { readonly step: "checkpoints"; readonly files: number }
  | { readonly step: "database"; readonly schemaVersion: number; readonly requests: number }
  | { readonly step: "files"; readonly files: number; readonly missing: number };

export interface BackupOptions {
  /** The data directory of a local airlock (running or stopped). */
  readonly dataDir: string;
  /** Where the backup is written: a new or empty directory. */
  readonly target: string;
  readonly onProgress?: (progress: BackupProgress) => void | Promise<void>;
}

export interface BackupReport {
  /** The backup directory. */
  readonly target: string;
  readonly manifest: BackupManifest;
  /** Files the snapshot records that were nowhere in the data directory (also in the manifest). */
  readonly missing: readonly MissingFile[];
}

export interface RestoreOptions {
  /** A backup directory written by `backupAirlockData`. */
  readonly backup: string;
  /** Where the data is laid out: a new or empty directory. */
  readonly dataDir: string;
}

export interface RestoreReport {
  readonly dataDir: string;
  readonly manifest: BackupManifest;
  /** The restored database's schema version, once migrated to this version's. */
  readonly schemaVersion: number;
}

const relativeTo = (...parts: string[]) => parts.join("/");

/** A hidden directory beside `destination`, renamed onto it once complete. */
const stagingBeside = async (destination: string, purpose: string) => {
  const absolute = resolve(destination);
  await mkdir(dirname(absolute), { recursive: true });
  const staging = join(dirname(absolute), `.${basename(absolute)}.${purpose}-${randomUUID().slice(0, 8)}`);
  await mkdir(staging, { mode: PRIVATE_DIR });
  return { absolute, staging };
};

/** Moves a finished staging directory onto `destination` (missing, or an empty directory). */
const putInPlace = async (staging: string, destination: string) => {
  try {
    await rename(staging, destination);
  } catch (error) {
    const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
    if (code === "ENOTEMPTY" || code === "EEXIST") {
      throw new Error(`${destination} was written to meanwhile; nothing was put there`);
    }
    throw error;
  }
  await syncDir(dirname(destination));
};

const writeManifest = async (staging: string, manifest: BackupManifest) => {
  const handle = await open(join(staging, MANIFEST_FILE), "wx", PRIVATE_FILE);
  try {
    await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDir(staging);
};

const fileEntry = (path: string, digest: FileDigest): BackupFile => ({ path, ...digest });

/** Step 1: every regular file at the top of the data directory but the database's. */
const copySecrets = async (dataDir: string, data: string): Promise<BackupFile[]> => {
  const copied: BackupFile[] = [];
  for (const entry of await readdir(dataDir, { withFileTypes: true })) {
    if (!entry.isFile() || DATABASE_FILES.has(entry.name)) continue;
    const digest = await copyHashed(join(dataDir, entry.name), join(data, entry.name));
    if (digest !== null) copied.push(fileEntry(entry.name, digest));
  }
  return copied;
};

/** Step 2: the checkpoint files, as opaque files, links left out. */
const copyCheckpoints = async (dataDir: string, data: string): Promise<BackupFile[]> => {
  const from = join(dataDir, CHECKPOINTS_DIR);
  if (!(await isRealDir(from))) return [];
  const copied: BackupFile[] = [];
  for (const path of (await entriesUnder(from)).files) {
    const parts = path.split("/");
    const digest = await copyHashed(join(from, ...parts), join(data, CHECKPOINTS_DIR, ...parts));
    if (digest !== null) copied.push(fileEntry(relativeTo(CHECKPOINTS_DIR, path), digest));
  }
  return copied;
};

interface Snapshot {
  readonly schemaVersion: number;
  readonly tables: Record<string, number>;
  readonly requests: readonly AirlockRequest[];
}

const allRequests = async (db: DatabaseSync): Promise<AirlockRequest[]> => {
  const repository = createSqliteRequestRepository(db);
  const requests: AirlockRequest[] = [];
  let continuation: string | undefined;
  do {
    const page = await repository.list({
      pageSize: PAGE_SIZE,
      orderBy: "createdWhen",
      ascending: true,
      ...(continuation === undefined ? {} : { continuation }),
    });
    if (page.isErr()) throw new Error(`reading the snapshot's requests failed: ${page.error.message}`);
    requests.push(...page.value.items);
    continuation = page.value.continuation ?? undefined;
  } while (continuation !== undefined);
  return requests;
};

const rowCounts = (db: DatabaseSync): Record<string, number> => {
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    .all() as { name: string }[];
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    // Table names come from the schema itself; quoted as an identifier.
    const row = db.prepare(`SELECT count(*) AS rows FROM "${name.replaceAll('"', '""')}"`).get() as {
      rows: number;
    };
    counts[name] = row.rows;
  }
  return counts;
};

/** Step 3: the database at one instant, checked, in one file, and what it holds. */
const snapshotDatabase = async (database: string, copy: string): Promise<Snapshot> => {
  // Not openAirlockDatabase: a backup never migrates the live database.
  const source = new DatabaseSync(database, { timeout: BUSY_TIMEOUT_MS });
  try {
    await backupDatabase(source, copy, { rate: ALL_PAGES });
  } finally {
    source.close();
  }
  const db = new DatabaseSync(copy);
  try {
    const { user_version: schemaVersion } = db.prepare("PRAGMA user_version").get() as {
      user_version: number;
    };
    if (schemaVersion === 0) throw new Error(`${database} is not an airlock database (schema version 0)`);
    if (schemaVersion > AIRLOCK_MIGRATIONS.length) {
      throw new Error(
        `${database} has schema version ${schemaVersion}, newer than the ${AIRLOCK_MIGRATIONS.length} this version knows: back it up with the version that runs it`,
      );
    }
    const { integrity_check: integrity } = db.prepare("PRAGMA integrity_check").get() as {
      integrity_check: string;
    };
    if (integrity !== "ok") throw new Error(`${database} fails SQLite's integrity check: ${integrity}`);
    db.exec("PRAGMA journal_mode = DELETE");
    return { schemaVersion, tables: rowCounts(db), requests: await allRequests(db) };
  } finally {
    db.close();
  }
};

/** One file a request needs in the backup; `sha256` null when any bytes will do (not recorded yet). */
interface WantedFile {
  readonly name: string;
  readonly sha256: string | null;
}

/**
 * Copies one file of a request into `to`, from `stage` or, failing that, from the other stages,
 * keeping the copy only when its sha256 is the wanted one. Answers what was copied, or null.
 */
const fetchFile = async (
  storageRoot: string,
  requestId: string,
  stage: Stage,
  wanted: WantedFile,
  to: string,
): Promise<FileDigest | null> => {
  const order = [stage, ...STAGES.filter((other) => other !== stage)];
  for (let round = 0; round < STAGES.length; round += 1) {
    for (const from of order) {
      const container = join(storageRoot, from, requestId);
      if (!(await isRealDir(join(container, REQUEST_FILES_DIR)))) continue;
      const digest = await copyHashed(join(container, REQUEST_FILES_DIR, wanted.name), to);
      if (digest === null) continue;
      if (wanted.sha256 === null || digest.sha256 === wanted.sha256) return digest;
      await rm(to, { force: true });
    }
  }
  return null;
};

/** The files a request of the snapshot needs in the backup, and the stage they rest in; null for none. */
const wantedFiles = async (
  storageRoot: string,
  request: AirlockRequest,
): Promise<{ stage: Stage; files: WantedFile[]; recorded: boolean } | null> => {
  const stage = request.dataStage;
  if (stage === null || statusMeta(request.status).stage === null) return null;
  const recorded = request.files.length > 0 && statusMeta(request.status).stage !== "keep";
  if (recorded)
    return { stage, files: request.files.map(({ name, sha256 }) => ({ name, sha256 })), recorded };
  const names = new Set(request.draftFiles);
  const folder = join(storageRoot, stage, request.id, REQUEST_FILES_DIR);
  if (await isRealDir(folder)) {
    for (const entry of await readdir(folder, { withFileTypes: true }))
      if (entry.isFile()) names.add(entry.name);
  }
  return { stage, files: [...names].sort().map((name) => ({ name, sha256: null })), recorded };
};

/** Step 4: each request's files, where the snapshot says they rest, with the bytes it records. */
const copyRequestFiles = async (
  dataDir: string,
  data: string,
  requests: readonly AirlockRequest[],
): Promise<{ files: BackupFile[]; missing: MissingFile[] }> => {
  const storageRoot = join(dataDir, FILES_DIR);
  const files: BackupFile[] = [];
  const missing: MissingFile[] = [];
  for (const request of requests) {
    const wanted = await wantedFiles(storageRoot, request);
    if (wanted === null) continue;
    const { stage, recorded } = wanted;
    const safe = isSingleSegment(request.id) && StageSchema.safeParse(stage).success;
    for (const file of wanted.files) {
      const path = relativeTo(FILES_DIR, stage, request.id, REQUEST_FILES_DIR, file.name);
      const digest =
        safe && isSingleSegment(file.name)
          ? await fetchFile(storageRoot, request.id, stage, file, join(data, ...path.split("/")))
          : null;
      if (digest !== null) files.push(fileEntry(path, digest));
      else if (recorded) {
        missing.push({
          requestId: request.id,
          status: request.status,
          stage,
          name: file.name,
          sha256: file.sha256 ?? "",
        });
      }
    }
  }
  return { files, missing };
};

const digestOfWritten = async (path: string): Promise<FileDigest> => {
  const digest = await digestOf(path);
  if (digest === null) throw new Error(`${path} vanished while the backup was written`);
  return digest;
};

/**
 * Backs up a local data directory into `target` (a new or empty directory), consistently while
 * the server runs: the secrets, the audit checkpoints, a snapshot of the database, then the files
 * of every request in the snapshot, with the bytes it records, where it says they rest, and a
 * manifest. Throws (leaving nothing at `target`) when the data directory holds no database, the
 * target is not empty, or reading or writing fails.
 */
export const backupAirlockData = async (options: BackupOptions): Promise<BackupReport> => {
  const { dataDir } = options;
  const report = options.onProgress ?? (() => undefined);
  const database = join(dataDir, DATABASE_FILE);
  if (!(await isRegularFile(database))) {
    throw new Error(`${dataDir} holds no airlock database (${DATABASE_FILE})`);
  }
  if (!(await isMissingOrEmptyDir(options.target))) {
    throw new Error(`${options.target} is not empty: back up into a new or empty directory`);
  }
  const createdAt = new Date().toISOString();
  const { absolute: target, staging } = await stagingBeside(options.target, "incomplete");
  try {
    const data = join(staging, BACKUP_DATA_DIR);
    await mkdir(data, { mode: PRIVATE_DIR });

    const secrets = await copySecrets(dataDir, data);
    await report({ step: "secrets", files: secrets.length });
    const checkpoints = await copyCheckpoints(dataDir, data);
    await report({ step: "checkpoints", files: checkpoints.length });
    const snapshot = await snapshotDatabase(database, join(data, DATABASE_FILE));
    await report({
      step: "database",
      schemaVersion: snapshot.schemaVersion,
      requests: snapshot.requests.length,
    });
    const requestFiles = await copyRequestFiles(dataDir, data, snapshot.requests);
    await report({ step: "files", files: requestFiles.files.length, missing: requestFiles.missing.length });

    const databaseDigest = await digestOfWritten(join(data, DATABASE_FILE));
    const manifest: BackupManifest = {
      format: "airlock-backup",
      formatVersion: 1,
      createdAt,
      schemaVersion: snapshot.schemaVersion,
      counts: {
        tables: snapshot.tables,
        requestFiles: requestFiles.files.length,
        checkpointFiles: checkpoints.length,
        secretFiles: secrets.length,
      },
      missing: requestFiles.missing,
      files: [
        fileEntry(DATABASE_FILE, databaseDigest),
        ...secrets,
        ...checkpoints,
        ...requestFiles.files,
      ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    };
    await writeManifest(staging, manifest);
    await putInPlace(staging, target);
    return { target, manifest, missing: manifest.missing };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
};

/**
 * Gives every request that keeps data its folder in the stage it rests in, through the storage
 * itself: a backup holds files, not folders, and a draft with no file yet still needs its folder
 * to take an upload.
 */
const provisionContainers = async (storageRoot: string, requests: readonly AirlockRequest[]) => {
  const storage = createFileStorage({ root: storageRoot });
  for (const request of requests) {
    if (request.dataStage === null || statusMeta(request.status).stage === null) continue;
    const ref = { requestId: request.id, workspaceId: request.workspaceId, type: request.type };
    const provisioned = await storage.provision(ref, request.dataStage);
    if (provisioned.isErr()) {
      throw new Error(`the folder of request ${request.id} could not be made: ${provisioned.error.message}`);
    }
  }
};

/**
 * Restores a backup into `dataDir`, which must be new or empty: checks every file against the
 * manifest first (refusing a backup that differs, writing nothing), lays the files out in a hidden
 * sibling directory, checking each again as it is copied, opens the database (migrating it to this
 * version's schema), checks its integrity, gives each request its storage folder, then renames the
 * directory into place.
 */
export const restoreAirlockData = async (options: RestoreOptions): Promise<RestoreReport> => {
  if (!(await isMissingOrEmptyDir(options.dataDir))) {
    throw new Error(`${options.dataDir} is not empty: restore only into a new or empty directory`);
  }
  const verification = await verifyAirlockBackup(options.backup);
  if (!verification.ok) {
    const [first, ...more] = verification.problems;
    throw new Error(
      `${options.backup} is not an intact backup: ${first}${more.length > 0 ? ` (and ${more.length} more problems)` : ""}`,
    );
  }
  const { manifest } = verification;
  if (manifest.schemaVersion > AIRLOCK_MIGRATIONS.length) {
    throw new Error(
      `the backup's database has schema version ${manifest.schemaVersion}, newer than the ${AIRLOCK_MIGRATIONS.length} this version knows: restore it with the version that made it`,
    );
  }
  const { absolute: dataDir, staging } = await stagingBeside(options.dataDir, "restoring");
  try {
    const from = join(options.backup, BACKUP_DATA_DIR);
    for (const file of manifest.files) {
      const parts = file.path.split("/");
      const digest = await copyHashed(join(from, ...parts), join(staging, ...parts));
      if (digest === null || digest.sha256 !== file.sha256 || digest.size !== file.size) {
        throw new Error(`${file.path} changed in the backup while it was restored`);
      }
    }
    const db = openAirlockDatabase(join(staging, DATABASE_FILE));
    let schemaVersion: number;
    try {
      const { integrity_check: integrity } = db.prepare("PRAGMA integrity_check").get() as {
        integrity_check: string;
      };
      if (integrity !== "ok")
        throw new Error(`the restored database fails SQLite's integrity check: ${integrity}`);
      schemaVersion = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
      await provisionContainers(join(staging, FILES_DIR), await allRequests(db));
    } finally {
      db.close();
    }
    await syncDir(staging);
    await putInPlace(staging, dataDir);
    return { dataDir, manifest, schemaVersion };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
};
