import { spawn } from "node:child_process";
import { CLI } from "./cli.js";

const shellQuote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;

export interface PtyRun {
  /** Resolves with the exit code of the command once it is done. */
  readonly exited: Promise<number | null>;
  /** Everything the command wrote to its terminal so far (escape sequences included). */
  output(): string;
  /** Resolves once the terminal output matches `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
}

/**
 * Runs `airlock args…` in a real pseudo-terminal (util-linux `script`), 120 columns wide, so
 * stdout and stderr are a TTY exactly as in a person's terminal.
 */
export const runInPty = (args: readonly string[], env: Record<string, string>): PtyRun => {
  const command = `stty cols 120 rows 40; exec ${[process.execPath, CLI, ...args].map(shellQuote).join(" ")}`;
  const child = spawn("script", ["-q", "-f", "-e", "-c", command, "/dev/null"], {
    env: { TERM: "xterm-256color", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let text = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    exited,
    output: () => text,
    waitFor: (pattern) =>
      pattern.test(text)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiters.push({ pattern, resolve })),
            exited.then(() => {
              if (!pattern.test(text))
                throw new Error(`the command ended without printing ${pattern}:\n${text}`);
            }),
          ]),
  };
};
