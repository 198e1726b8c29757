// Runs a TypeScript entry point of this repository in a child process, without a build: Vite's
// module runner transforms it with the same aliases the tests use (vitest.config.ts).
//   node run-ts.mjs <vite's entry file> <vitest.config.ts> <entry.ts>
import { pathToFileURL } from "node:url";

const [vite, config, entry] = process.argv.slice(2);
if (!vite || !config || !entry) throw new Error("usage: run-ts.mjs <vite> <config> <entry.ts>");
const { runnerImport } = await import(pathToFileURL(vite).href);
await runnerImport(entry, { configFile: config, logLevel: "error" });
