// Lints the OpenAPI document the plugin serves with Redocly's `recommended` rules: any error fails,
// warnings are printed. The document is built from the plugin as an application would register it,
// with the events route (a scanning service's results) and the embedded links' blob endpoint, so
// every operation is in it. Run from the repository root after a build: `pnpm lint:openapi`.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryPorts } from "@airlock/adapters-memory";
import { createAirlock } from "@airlock/core";
import { buildServer } from "@airlock/http";
import { errAsync, ok } from "neverthrow";

const ports = createMemoryPorts({ workspaces: [] });
const app = buildServer({
  airlock: createAirlock(ports),
  workspaces: ports.workspaces,
  auth: { mode: "development", secret: "openapi-document-only-0123456789" },
  blobEndpoint: "embedded",
  // Where a deployment would be reached; without it the document names the host it was asked from.
  publicBaseUrl: "https://airlock.example.org",
  scanEvents: {
    key: "openapi-document-only-0123456789",
    parse: () => ok([]),
    handshake: () => null,
    locator: { inProgressLocationOf: () => errAsync({ kind: "NotFound", message: "none" }) },
  },
  logger: false,
});
const answer = await app.inject({ method: "GET", url: "/api/openapi.json" });
await app.close();
if (answer.statusCode !== 200) throw new Error(`/api/openapi.json answered ${answer.statusCode}`);

const dir = await mkdtemp(join(tmpdir(), "airlock-openapi-"));
const file = join(dir, "openapi.json");
try {
  // Indented, so a problem's line number points somewhere readable.
  await writeFile(file, `${JSON.stringify(JSON.parse(answer.body), null, 2)}\n`);
  const redocly = createRequire(import.meta.url).resolve("@redocly/cli/bin/cli.js");
  const linted = spawnSync(
    process.execPath,
    [redocly, "lint", file, "--extends", "recommended", "--format", "stylish"],
    {
      stdio: "inherit",
    },
  );
  process.exitCode = linted.status ?? 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
