// Like run-ts.mjs, for an entry that reads its command line: the arguments after the entry are
// handed to it as if it were run directly (`node entry.js args...`).
//   node run-ts-command.mjs <vite's entry file> <vitest.config.ts> <entry.ts> [args...]
import { pathToFileURL } from "node:url";

const [vite, config, entry, ...args] = process.argv.slice(2);
if (!vite || !config || !entry)
  throw new Error("usage: run-ts-command.mjs <vite> <config> <entry.ts> [args...]");
process.argv = [process.argv[0] ?? "node", entry, ...args];
const { runnerImport } = await import(pathToFileURL(vite).href);
await runnerImport(entry, { configFile: config, logLevel: "error" });
