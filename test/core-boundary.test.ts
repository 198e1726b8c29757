import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sourceFiles } from "./support/source-files.js";

const coreRoot = new URL("../packages/core/", import.meta.url).pathname;
const ALLOWED = ["neverthrow", "xstate", "zod"];

describe("@airlock/core stays free of infrastructure", () => {
  it("depends on xstate, zod and neverthrow only (neverthrow as a peer, so a consumer's copy is the one used)", async () => {
    const manifest = JSON.parse(await readFile(join(coreRoot, "package.json"), "utf8"));
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(["xstate", "zod"]);
    expect(Object.keys(manifest.peerDependencies ?? {})).toEqual(["neverthrow"]);
  });

  it("imports nothing but its own modules and those three packages", async () => {
    const offending: string[] = [];
    for (const file of await sourceFiles(join(coreRoot, "src"))) {
      const text = await readFile(file, "utf8");
      for (const match of text.matchAll(
        /(?:import|export)[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
      )) {
        const specifier = match[1] ?? match[2] ?? "";
        if (specifier.startsWith(".")) continue;
        if (!ALLOWED.includes(specifier)) offending.push(`${file.slice(coreRoot.length)}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
