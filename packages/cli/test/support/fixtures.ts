import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RequestView } from "../../src/client.js";
import { type CliRun, runJson } from "./cli.js";

/** Writes `files` (name → bytes) into a new temporary directory; answers its path. */
export const filesIn = async (files: Record<string, Buffer | string>): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), "airlock-cli-files-"));
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  return dir;
};

export const randomFile = (size: number) => randomBytes(size);
export const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

/** `WORKSPACE/ID` of a request view, as the commands take it. */
export const refOf = (view: RequestView) => `${view.airlockRequest.workspaceId}/${view.airlockRequest.id}`;

/** Runs a command that must succeed with --json; answers its parsed answer. */
export const ok = async <T = RequestView>(
  args: readonly string[],
  env: Record<string, string>,
): Promise<T> => {
  const { run, value } = await runJson<T>(args, env);
  if (run.code !== 0) throw new Error(`airlock ${args.join(" ")} exited ${run.code}: ${run.stderr}`);
  return value;
};

/** The one line a failed command printed, without the `airlock: ` in front. */
export const errorLine = (run: CliRun) => run.stderr.trim().replace(/^airlock: /, "");
