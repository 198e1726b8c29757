import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { digestOf, entriesUnder, isGone, isSingleSegment } from "./backup-files.js";

/** The manifest's name at the top of a backup directory. */
export const MANIFEST_FILE = "manifest.json";
/** The directory of a backup that holds the data directory's files, laid out as they are restored. */
export const BACKUP_DATA_DIR = "data";
/** The database file inside a data directory (and inside a backup's `data`). */
export const DATABASE_FILE = "airlock.db";

const relativePath = z
  .string()
  .refine((path) => path.split("/").every(isSingleSegment), "must be a relative path with no . or .. part");

const count = z.number().int().nonnegative();

const BackupFileSchema = z.object({
  /** Relative to the backup's `data` directory, `/`-separated. */
  path: relativePath,
  size: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type BackupFile = z.infer<typeof BackupFileSchema>;

const MissingFileSchema = z.object({
  requestId: z.string(),
  status: z.string(),
  stage: z.string(),
  name: z.string(),
  sha256: z.string(),
});
/** A file the database snapshot records that was nowhere in the data directory when it was copied. */
export type MissingFile = z.infer<typeof MissingFileSchema>;

export const BackupManifestSchema = z
  .object({
    format: z.literal("airlock-backup"),
    formatVersion: z.literal(1),
    /** When the backup started (ISO 8601). */
    createdAt: z.iso.datetime(),
    /** The database's schema version (`PRAGMA user_version`) in the snapshot. */
    schemaVersion: count,
    counts: z.object({
      /** Rows per table of the snapshot. */
      tables: z.record(z.string(), count),
      requestFiles: count,
      checkpointFiles: count,
      secretFiles: count,
    }),
    missing: z.array(MissingFileSchema),
    /** Every file of the backup's `data` directory, with its size and sha256. */
    files: z.array(BackupFileSchema),
  })
  .superRefine((manifest, context) => {
    const paths = new Set(manifest.files.map((file) => file.path));
    if (paths.size !== manifest.files.length) {
      context.addIssue({ code: "custom", message: "a file is listed twice", path: ["files"] });
    }
    if (!paths.has(DATABASE_FILE)) {
      context.addIssue({ code: "custom", message: `${DATABASE_FILE} is not listed`, path: ["files"] });
    }
  });
export type BackupManifest = z.infer<typeof BackupManifestSchema>;

export type BackupVerification =
  | { readonly ok: true; readonly manifest: BackupManifest }
  | { readonly ok: false; readonly problems: readonly string[] };

const readManifest = async (backup: string): Promise<BackupVerification> => {
  let text: string;
  try {
    text = await readFile(join(backup, MANIFEST_FILE), "utf8");
  } catch (error) {
    if (!isGone(error)) throw error;
    return {
      ok: false,
      problems: [`${backup} has no ${MANIFEST_FILE}: not a backup, or one that did not finish`],
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problems: [`${MANIFEST_FILE} is not JSON`] };
  }
  const parsed = BackupManifestSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map(
        (issue) => `${MANIFEST_FILE}: ${issue.path.join(".") || "(top)"}: ${issue.message}`,
      ),
    };
  }
  return { ok: true, manifest: parsed.data };
};

/**
 * Checks a backup directory against its manifest: the manifest is well formed, and the backup's
 * `data` directory holds exactly the files it lists (nothing more, no link), each with the listed
 * size and sha256. Reads every byte. Answers the manifest, or every problem found.
 */
export const verifyAirlockBackup = async (backup: string): Promise<BackupVerification> => {
  const read = await readManifest(backup);
  if (!read.ok) return read;
  const { manifest } = read;
  const data = join(backup, BACKUP_DATA_DIR);
  const problems: string[] = [];
  const present = await entriesUnder(data);
  for (const other of present.others) problems.push(`${other}: not a regular file`);
  const listed = new Set(manifest.files.map((file) => file.path));
  for (const path of present.files) {
    if (!listed.has(path)) problems.push(`${path}: in the backup but not in the manifest`);
  }
  for (const file of manifest.files) {
    const digest = await digestOf(join(data, ...file.path.split("/")));
    if (digest === null) problems.push(`${file.path}: listed in the manifest but missing`);
    else if (digest.size !== file.size || digest.sha256 !== file.sha256) {
      problems.push(`${file.path}: its bytes differ from the manifest (sha256 ${digest.sha256})`);
    }
  }
  return problems.length === 0 ? { ok: true, manifest } : { ok: false, problems };
};
