import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runChild, startChildApi } from "./support/child-api.js";
import { freePort } from "./support/free-port.js";

const RECORD_LOADS = fileURLToPath(new URL("./support/record-loads.mjs", import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "airlock-loads-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const loadsOf = async (file: string) => (await readFile(file, "utf8")).split("\n").filter(Boolean);
const azureSdks = (urls: readonly string[]) => urls.filter((url) => url.includes("/@azure/"));

describe("main chooses the wiring, and only the azure profile loads the Azure SDKs", () => {
  it("a memory server answers without loading any @azure module", async () => {
    const file = join(dir, "memory.txt");
    const api = await startChildApi({
      env: { AIRLOCK_PROFILE: "memory", AIRLOCK_TEST_LOADED_MODULES: file },
      port: await freePort(),
      nodeArgs: ["--import", RECORD_LOADS],
    });
    try {
      expect((await fetch(`${api.url}/health`)).status).toBe(200);
    } finally {
      expect(await api.kill("SIGTERM")).toBe(0);
    }
    const loads = await loadsOf(file);
    // The record holds the server's packages, so an empty list would not mean anything.
    expect(loads.some((url) => url.includes("/fastify/"))).toBe(true);
    expect(azureSdks(loads)).toEqual([]);
  });

  it("a local server (the default profile) answers without loading any @azure module", async () => {
    const file = join(dir, "local.txt");
    const api = await startChildApi({
      env: { AIRLOCK_DATA_DIR: join(dir, "data"), AIRLOCK_TEST_LOADED_MODULES: file },
      port: await freePort(),
      nodeArgs: ["--import", RECORD_LOADS],
    });
    try {
      expect((await fetch(`${api.url}/health`)).status).toBe(200);
      expect(api.output()).toContain("(profile local)");
    } finally {
      expect(await api.kill("SIGTERM")).toBe(0);
    }
    const loads = await loadsOf(file);
    expect(loads.some((url) => url.includes("/adapters-local/"))).toBe(true);
    expect(azureSdks(loads)).toEqual([]);
  });

  it("the azure profile loads them (the same record catches them)", async () => {
    const file = join(dir, "azure.txt");
    const { code, output } = await runChild({
      env: { AIRLOCK_PROFILE: "azure", AIRLOCK_TEST_LOADED_MODULES: file },
      nodeArgs: ["--import", RECORD_LOADS],
    });
    expect(code, output).toBe(1);
    expect(output).toContain("AIRLOCK_TRE_ID is missing");
    expect(azureSdks(await loadsOf(file)).length).toBeGreaterThan(0);
  });
});
