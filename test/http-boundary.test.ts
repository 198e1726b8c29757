import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sourceFiles } from "./support/source-files.js";

const httpRoot = new URL("../packages/http/", import.meta.url).pathname;

/** The domain and the transport's own libraries: no adapter, no cloud SDK. */
const ALLOWED = [
  "@airlock/core",
  "@fastify/helmet",
  "@fastify/rate-limit",
  "@fastify/swagger",
  "@fastify/swagger-ui",
  "fastify",
  "fastify-type-provider-zod",
  "jose",
  "neverthrow",
  "pino",
  "zod",
];

describe("@airlock/http is a transport over @airlock/core", () => {
  it("depends on core and its HTTP libraries only", async () => {
    const manifest = JSON.parse(await readFile(join(httpRoot, "package.json"), "utf8"));
    expect(Object.keys(manifest.dependencies ?? {}).filter((name) => !ALLOWED.includes(name))).toEqual([]);
    // neverthrow is a peer, so the Results an embedder's own code builds are the ones used.
    expect(Object.keys(manifest.peerDependencies ?? {})).toEqual(["neverthrow"]);
  });

  it("imports no adapter and no Azure SDK", async () => {
    const offending: string[] = [];
    for (const file of await sourceFiles(join(httpRoot, "src"))) {
      const text = await readFile(file, "utf8");
      for (const match of text.matchAll(
        /(?:import|export)[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
      )) {
        const specifier = match[1] ?? match[2] ?? "";
        if (specifier.startsWith(".") || specifier.startsWith("node:")) continue;
        if (!ALLOWED.includes(specifier)) offending.push(`${file.slice(httpRoot.length)}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
