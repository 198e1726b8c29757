import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where the browser tests' own build of the console is. */
    consoleDist: string;
  }
}

/**
 * The browser tests run the console as users get it, built by Vite and served by the server. The
 * build goes into a folder of its own: `pnpm build` (which `pnpm start` runs, in other tests too)
 * empties packages/console/dist while these tests may be reading from it.
 */
export default async function buildConsole(project: TestProject): Promise<() => Promise<void>> {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const outDir = await mkdtemp(join(tmpdir(), "airlock-console-e2e-"));
  await build({
    root,
    configFile: `${root}/vite.config.ts`,
    logLevel: "warn",
    build: { outDir, emptyOutDir: true },
  });
  project.provide("consoleDist", outDir);
  return () => rm(outDir, { recursive: true, force: true });
}
