import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const httpRoot = new URL("../packages/http/", import.meta.url).pathname;

/** The domain and the transport's own libraries: no adapter, no cloud SDK. */
const ALLOWED = [
  "@airlock/core",
  "@fastify/swagger",
  "@fastify/swagger-ui",
  "fastify",
  "fastify-type-provider-zod",
  "jose",
  "neverthrow",
  "pino",
  "zod",
];

const sourceFiles = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory()
        ? sourceFiles(path)
        : Promise.resolve(entry.name.endsWith(".ts") ? [path] : []);
    }),
  );
  return nested.flat();
};

describe("@airlock/http is a transport over @airlock/core", () => {
  it("depends on core and its HTTP libraries only", async () => {
    const manifest = JSON.parse(await readFile(join(httpRoot, "package.json"), "utf8"));
    expect(Object.keys(manifest.dependencies ?? {}).filter((name) => !ALLOWED.includes(name))).toEqual([]);
    expect(manifest.peerDependencies ?? {}).toEqual({});
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
