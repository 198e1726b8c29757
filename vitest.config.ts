import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string, file = "index.ts") =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

// Tests run against the TypeScript sources, so no build is needed before `pnpm test`.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@airlock\/core\/testing$/, replacement: src("core", "testing/index.ts") },
      { find: /^@airlock\/core$/, replacement: src("core") },
      { find: /^@airlock\/gates\/testing$/, replacement: src("gates", "testing/clamd-daemon.ts") },
      { find: /^@airlock\/gates$/, replacement: src("gates") },
      { find: /^@airlock\/adapters-memory$/, replacement: src("adapters-memory") },
      { find: /^@airlock\/adapters-local$/, replacement: src("adapters-local") },
      {
        find: /^@airlock\/adapters-azure\/testing$/,
        replacement: src("adapters-azure", "testing/emulators.ts"),
      },
      { find: /^@airlock\/adapters-azure$/, replacement: src("adapters-azure") },
      { find: /^@airlock\/http$/, replacement: src("http") },
    ],
  },
  test: {
    // A budget, not a measure: property tests that page thousands of requests take a few seconds on
    // a quiet machine and several times that on a busy one.
    testTimeout: 30_000,
    projects: [
      { extends: true, test: { name: "core", include: ["packages/core/test/**/*.test.ts"] } },
      { extends: true, test: { name: "gates", include: ["packages/gates/test/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "adapters-memory", include: ["packages/adapters-memory/test/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "adapters-local", include: ["packages/adapters-local/test/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "adapters-azure",
          include: ["packages/adapters-azure/test/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: { name: "http", include: ["packages/http/test/**/*.test.ts"], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: "server",
          include: ["packages/server/test/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "cli",
          include: ["packages/cli/test/**/*.test.ts"],
          // The tests run the built `airlock` bin as a child process.
          globalSetup: ["packages/cli/test/support/build-cli.ts"],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "console",
          include: ["packages/console/test/**/*.test.ts"],
          // Builds the console once, as the server serves it, before the browser tests.
          globalSetup: ["packages/console/test/support/build-console.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      { extends: true, test: { name: "repo", include: ["test/**/*.test.ts"] } },
    ],
  },
});
