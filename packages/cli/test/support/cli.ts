import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built bin, as `npm i -g @airlock/cli` installs it. */
export const CLI = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A home for one user of the command line: its own config directory, pointed at `server`. */
export const userEnv = async (server: string): Promise<Record<string, string>> => ({
  PATH: process.env.PATH ?? "",
  HOME: await mkdtemp(join(tmpdir(), "airlock-cli-home-")),
  XDG_CONFIG_HOME: await mkdtemp(join(tmpdir(), "airlock-cli-config-")),
  AIRLOCK_URL: server,
});

/** Runs `airlock args…` as a child process with its output going to pipes (not a terminal). */
export const runCli = (args: readonly string[], env: Record<string, string>): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });

/** Runs `airlock args… --json` and parses stdout, failing with what the command said when it is not JSON. */
export const runJson = async <T = unknown>(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ run: CliRun; value: T }> => {
  const run = await runCli([...args, "--json"], env);
  try {
    return { run, value: JSON.parse(run.stdout) as T };
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
};
