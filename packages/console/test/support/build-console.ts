import { fileURLToPath } from "node:url";
import { build } from "vite";

/** The e2e tests run the console as users get it: built by Vite, served by the server. */
export default async function buildConsole(): Promise<void> {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  await build({ root, configFile: `${root}/vite.config.ts`, logLevel: "warn" });
}
