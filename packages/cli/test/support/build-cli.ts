import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * The command line's tests run the real `airlock` bin as a child process, so it is built first
 * (tsc -b is incremental: a second run with nothing changed takes about a second).
 */
export default function setup() {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const project = fileURLToPath(new URL("../..", import.meta.url));
  execFileSync(process.execPath, [tsc, "-b", project], { stdio: "inherit" });
}
