import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { watched } from "./watched.js";

const require = createRequire(import.meta.url);
/** Vite comes with vitest; its module runner loads our TypeScript in the child. */
const VITE = createRequire(require.resolve("vitest/package.json")).resolve("vite");
const RUNNER = fileURLToPath(new URL("./run-ts.mjs", import.meta.url));
const CONFIG = fileURLToPath(new URL("../../../../vitest.config.ts", import.meta.url));
export const MAIN_TS = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

export interface ChildApi {
  readonly url: string;
  readonly child: ChildProcess;
  /** What the child wrote so far (stdout and stderr together). */
  output(): string;
  /** Resolves with the exit code (or signal) once the child is gone. */
  readonly exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): Promise<number | string>;
}

/**
 * Starts `entry` (the API's main.ts by default) as a child process with `env` on `port`, and waits
 * until `/health` answers, or rejects with what the child printed when it exits first.
 */
export const startChildApi = async (options: {
  readonly env: Readonly<Record<string, string>>;
  readonly port: number;
  readonly entry?: string;
  readonly timeoutMs?: number;
  /** Flags for node itself (`--cpu-prof`, …). */
  readonly nodeArgs?: readonly string[];
}): Promise<ChildApi> => {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), RUNNER, VITE, CONFIG, options.entry ?? MAIN_TS],
    {
      env: { PATH: process.env.PATH ?? "", ...options.env, PORT: String(options.port), HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const { output, exited } = watched(child);
  const url = `http://127.0.0.1:${options.port}`;
  const api: ChildApi = {
    url,
    child,
    output,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (;;) {
    if (gone) throw new Error(`the API exited before answering:\n${output()}`);
    if (Date.now() > deadline) {
      await api.kill("SIGKILL");
      throw new Error(`the API did not answer within ${options.timeoutMs ?? 30_000} ms:\n${output()}`);
    }
    const health = await fetch(`${url}/health`).catch(() => undefined);
    if (health?.ok) return api;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** Runs an entry to its end (one that refuses to start), answering its exit code and output. */
export const runChild = async (options: {
  readonly env: Readonly<Record<string, string>>;
  readonly entry?: string;
  /** Flags for node itself. */
  readonly nodeArgs?: readonly string[];
}): Promise<{ readonly code: number | string; readonly output: string }> => {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), RUNNER, VITE, CONFIG, options.entry ?? MAIN_TS],
    {
      env: { PATH: process.env.PATH ?? "", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const { output, exited } = watched(child);
  return { code: await exited, output: output() };
};
