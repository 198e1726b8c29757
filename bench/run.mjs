// Runs every benchmark in turn; each writes its JSON into bench/results/.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const only = process.argv.slice(2);
const benches = [
  "core",
  "http",
  "azure",
  "audit",
  "stalls",
  "link-flood",
  "loop",
  "local",
  "review",
  "gates",
  "gate-pipeline",
  "gates-archive",
  "cli",
  "console",
].filter((name) => only.length === 0 || only.includes(name));
let failed = false;
for (const name of benches) {
  const file = new URL(`./${name}.mjs`, import.meta.url);
  if (!existsSync(file)) continue;
  console.log(`\n== ${name} ==`);
  const run = spawnSync(process.execPath, ["--expose-gc", file.pathname], { stdio: "inherit" });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
