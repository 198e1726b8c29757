// Packs every publishable package as a release would, installs the tarballs with npm in a scratch
// project outside the workspace, type-checks a strict TypeScript consumer against them and runs
// the core README's quick start. What a user of the published packages gets, checked end to end.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("../", import.meta.url).pathname;

/** The README block a newcomer copies first; the marker keeps this test on the block it names. */
const QUICK_START_MARKER = "<!-- quick start: checked by test/packed-packages.test.ts -->";

/** The oldest neverthrow the peer range admits that has a private field in `ResultAsync`. */
const CONSUMER_NEVERTHROW = "8.1.1";

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly exports?: Record<string, unknown>;
}

const publishable = async () => {
  const found: { dir: string; manifest: Manifest }[] = [];
  for (const entry of await readdir(join(root, "packages"), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, "packages", entry.name);
    const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as Manifest;
    if (!manifest.private) found.push({ dir, manifest });
  }
  return found;
};

const quickStartOf = (readme: string): string => {
  const at = readme.indexOf(QUICK_START_MARKER);
  if (at === -1) throw new Error(`packages/core/README.md has no "${QUICK_START_MARKER}"`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block?.[1]) throw new Error("no ```ts block follows the quick-start marker");
  return block[1];
};

const tarballName = (manifest: Manifest) =>
  `${manifest.name.replace(/^@/, "").replace("/", "-")}-${manifest.version}.tgz`;

describe("the packed packages, installed outside the workspace", () => {
  let scratch = "";
  let packages: { dir: string; manifest: Manifest }[] = [];

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "airlock-consumer-"));
    const tarballs = join(scratch, "tarballs");
    await mkdir(tarballs);
    packages = await publishable();
    for (const { dir } of packages) {
      await run("pnpm", ["pack", "--pack-destination", tarballs], { cwd: dir });
    }
    const project = join(scratch, "project");
    await mkdir(project);
    const ours = Object.fromEntries(
      packages.map(({ manifest }) => [manifest.name, `file:../tarballs/${tarballName(manifest)}`]),
    );
    await writeFile(
      join(project, "package.json"),
      JSON.stringify({
        name: "airlock-consumer",
        private: true,
        type: "module",
        dependencies: { ...ours, neverthrow: CONSUMER_NEVERTHROW },
        devDependencies: { typescript: "5.9.3", "@types/node": "^24.10.0" },
        // The tarballs name each other by version; these point those names at the tarballs too.
        overrides: Object.fromEntries(Object.keys(ours).map((name) => [name, `$${name}`])),
      }),
    );
    await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: project,
      maxBuffer: 64 * 1024 * 1024,
    });
    const readme = await readFile(join(root, "packages/core/README.md"), "utf8");
    await writeFile(join(project, "quick-start.ts"), quickStartOf(readme));
  }, 600_000);

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("ships the build, the sources its maps point at, the licence, and no build info", async () => {
    for (const { manifest } of packages) {
      const { stdout } = await run("tar", ["tzf", join(scratch, "tarballs", tarballName(manifest))]);
      const files = stdout.split("\n").filter(Boolean);
      expect(files, manifest.name).toContain("package/LICENSE");
      expect(files, manifest.name).toContain("package/dist/index.js");
      expect(files, manifest.name).toContain("package/dist/index.d.ts");
      expect(files, manifest.name).toContain("package/src/index.ts");
      expect(
        files.filter((file) => file.endsWith(".tsbuildinfo")),
        manifest.name,
      ).toEqual([]);
      const maps = files.filter((file) => file.endsWith(".map"));
      for (const map of maps) {
        const source = map
          .replace("package/dist/", "package/src/")
          .replace(/\.d\.ts\.map$|\.js\.map$/, ".ts");
        expect(files, `${map} points at ${source}`).toContain(source);
      }
    }
  }, 60_000);

  it("type-checks a strict consumer: every public entry point, an adapter of its own and the README's quick start", async () => {
    const project = join(scratch, "project");
    const entries = packages.flatMap(({ manifest }) =>
      Object.keys(manifest.exports ?? { ".": null }).map((path) => `${manifest.name}${path.slice(1)}`),
    );
    await writeFile(
      join(project, "entries.ts"),
      entries
        .map((entry, index) => `import * as entry${index} from "${entry}";\nvoid entry${index};\n`)
        .join(""),
    );
    // A port written with the consumer's own neverthrow: the engine must take its ResultAsync.
    await writeFile(
      join(project, "own-adapter.ts"),
      [
        'import type { AirlockPorts, Notifier } from "@airlock/core";',
        'import { createMemoryPorts } from "@airlock/adapters-memory";',
        'import { createAirlock } from "@airlock/core";',
        'import { okAsync } from "neverthrow";',
        "const notifier: Notifier = { notify: () => okAsync(undefined) };",
        "const ports: AirlockPorts = { ...createMemoryPorts(), notifier };",
        "export const airlock = createAirlock(ports);",
        "",
      ].join("\n"),
    );
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2023",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          allowImportingTsExtensions: true,
          noEmit: true,
          types: ["node"],
          skipLibCheck: true,
        },
        files: ["quick-start.ts", "entries.ts", "own-adapter.ts"],
      }),
    );
    const checked = await run(
      process.execPath,
      [join(project, "node_modules/typescript/bin/tsc"), "-p", "."],
      {
        cwd: project,
      },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error), failed: true }));
    expect(checked.stdout).toBe("");
  }, 120_000);

  it("runs the README's quick start: a request goes from draft to approved", async () => {
    const project = join(scratch, "project");
    const { stdout } = await run(process.execPath, ["quick-start.ts"], { cwd: project });
    expect(stdout.trim()).toBe("approved");
  }, 60_000);
});
