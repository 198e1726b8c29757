import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  type BackupProgress,
  backupAirlockData,
  type MissingFile,
  restoreAirlockData,
} from "@airlock/adapters-local";

/**
 * `pnpm backup [--data-dir DIR] TARGET` and `pnpm restore BACKUP [--data-dir DIR]`: back up the
 * local profile's data directory (while the server runs, or not) and restore a backup into a new
 * or empty one. Exit codes: 0 done; 1 refused or failed (one line says why; nothing is left
 * half-written); 2 the command line is wrong; 3 (backup only) the backup was written but files its
 * database records were not found (each is listed).
 */

const DEFAULT_DATA_DIR = "./.airlock-data";
const USAGE = {
  backup: "Usage: pnpm backup [--data-dir DIR] TARGET",
  restore: "Usage: pnpm restore BACKUP [--data-dir DIR]",
} as const;
const HELP = `${USAGE.backup}
       ${USAGE.restore.replace("Usage: ", "")}

  --data-dir DIR   the local profile's data directory (default: AIRLOCK_DATA_DIR, else ${DEFAULT_DATA_DIR})
  TARGET           a new or empty directory for the backup
  BACKUP           a directory written by pnpm backup; restore writes into an empty or new data directory only`;

type Command = keyof typeof USAGE;

const EXIT = { done: 0, failed: 1, usage: 2, incomplete: 3 } as const;

/** One line, whatever the message holds. */
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ");

const say = (line: string) => {
  process.stdout.write(`${line}\n`);
};
const complain = (command: string, line: string) => process.stderr.write(`${command}: ${oneLine(line)}\n`);

const progressLine = (progress: BackupProgress): string => {
  switch (progress.step) {
    case "secrets":
      return `copied ${progress.files} secret files`;
    case "checkpoints":
      return `copied ${progress.files} audit checkpoint files`;
    case "database":
      return `took a snapshot of the database (schema version ${progress.schemaVersion}, ${progress.requests} requests)`;
    case "files":
      return `copied ${progress.files} request files${progress.missing > 0 ? `, ${progress.missing} not found` : ""}`;
  }
};

const missingLine = (file: MissingFile) =>
  `not found with its recorded bytes: ${JSON.stringify(file.name)} of request ${file.requestId} (${file.status}, stage ${file.stage}, sha256 ${file.sha256}); was the request cancelled since?`;

const parse = (command: Command, args: readonly string[]) => {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { "data-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) return { help: true } as const;
    if (positionals.length !== 1) {
      const what = command === "backup" ? "TARGET" : "BACKUP";
      return {
        problem: positionals.length === 0 ? `${what} is missing` : "give one directory only",
      } as const;
    }
    const dataDir = values["data-dir"] ?? process.env.AIRLOCK_DATA_DIR ?? DEFAULT_DATA_DIR;
    if (dataDir.trim() === "") return { problem: "the data directory is empty" } as const;
    return { dataDir: resolve(dataDir), directory: resolve(positionals[0] ?? "") } as const;
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) } as const;
  }
};

const backup = async (dataDir: string, target: string): Promise<number> => {
  const report = await backupAirlockData({
    dataDir,
    target,
    onProgress: (progress) => say(progressLine(progress)),
  });
  for (const file of report.missing) complain("backup", missingLine(file));
  const { counts } = report.manifest;
  const summary = `${counts.tables.requests ?? 0} requests, ${counts.requestFiles} request files, ${counts.checkpointFiles} checkpoint files, ${counts.secretFiles} secret files`;
  if (report.missing.length > 0) {
    complain(
      "backup",
      `written to ${report.target} (${summary}), but ${report.missing.length} recorded files were not found`,
    );
    return EXIT.incomplete;
  }
  say(`backed up ${dataDir} to ${report.target} (${summary})`);
  return EXIT.done;
};

const restore = async (backupDir: string, dataDir: string): Promise<number> => {
  const report = await restoreAirlockData({ backup: backupDir, dataDir });
  say(
    `restored ${backupDir} (taken ${report.manifest.createdAt}) into ${report.dataDir} (schema version ${report.schemaVersion})`,
  );
  return EXIT.done;
};

const main = async (argv: readonly string[]): Promise<number> => {
  const [command, ...args] = argv;
  if (command !== "backup" && command !== "restore") {
    complain(
      "backup-cli",
      `the first argument must be backup or restore, not ${JSON.stringify(command ?? "")}`,
    );
    return EXIT.usage;
  }
  const parsed = parse(command, args);
  if ("help" in parsed) {
    say(HELP);
    return EXIT.done;
  }
  if ("problem" in parsed) {
    complain(command, parsed.problem);
    process.stderr.write(`${USAGE[command]}\n`);
    return EXIT.usage;
  }
  try {
    return command === "backup"
      ? await backup(parsed.dataDir, parsed.directory)
      : await restore(parsed.directory, parsed.dataDir);
  } catch (error) {
    complain(command, error instanceof Error ? error.message : String(error));
    return EXIT.failed;
  }
};

process.exitCode = await main(process.argv.slice(2));
