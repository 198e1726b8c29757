import { fileURLToPath } from "node:url";
import { createBlobAuditCheckpoints, createCosmosAuditLog } from "@airlock/adapters-azure";
import { assertOk, sampleAuditRecord } from "@airlock/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawCosmosContainer } from "../../adapters-azure/test/support/raw-cosmos.js";
import { loadAuditKeys } from "../src/profiles/audit-sealing.js";
import { checkpointContainer } from "../src/profiles/azure-audit-checkpoints.js";
import type { AzureSettings } from "../src/profiles/azure-settings.js";
import {
  type AzureBackends,
  auditSecretsFor,
  azureSettingsFor,
  startAzureBackends,
} from "./support/azure-stack.js";
import { runChild } from "./support/child-api.js";

const VERIFY_AUDIT = fileURLToPath(new URL("../src/verify-audit.ts", import.meta.url));

let backends: AzureBackends;
beforeAll(async () => {
  backends = await startAzureBackends();
});
afterAll(async () => {
  await backends?.stop();
});

const envOf = (settings: AzureSettings, secrets: Record<string, string>): Record<string, string> => ({
  AIRLOCK_PROFILE: "azure",
  AIRLOCK_TRE_ID: settings.storage.treId,
  AIRLOCK_STORAGE_LAYOUT: "single-account-prefixes",
  AIRLOCK_STORAGE_CONNECTION_STRING: backends.blob.connectionString,
  AIRLOCK_COSMOS_ENDPOINT: settings.cosmos.endpoint,
  AIRLOCK_COSMOS_KEY: settings.cosmos.key ?? "",
  AIRLOCK_COSMOS_DATABASE: settings.cosmos.database,
  AIRLOCK_COSMOS_AUDIT_CONTAINER: settings.cosmos.containers.audit,
  AIRLOCK_COSMOS_EMULATOR: String(settings.cosmos.emulator),
  AIRLOCK_EVENTS_KEY: "k".repeat(32),
  ...secrets,
});

/** A sealed audit log on the test's containers, written as the server writes it. */
const auditFor = async (settings: AzureSettings) => {
  const checkpoints = createBlobAuditCheckpoints({
    container: checkpointContainer(settings, () => {
      throw new Error("the test's checkpoints use the account key");
    }).container,
  });
  assertOk(await checkpoints.ensure(), "checkpoint container");
  const { cosmos } = settings;
  return createCosmosAuditLog({
    ...backends.cosmos.connection,
    databaseId: cosmos.database,
    containerId: cosmos.containers.audit,
    sealing: { keys: loadAuditKeys(settings.audit).keys, checkpoints },
  });
};

const fill = async (audit: Awaited<ReturnType<typeof auditFor>>, stream: string, count: number) => {
  for (let index = 0; index < count; index++) {
    assertOk(await audit.append(sampleAuditRecord(stream, { reason: `step ${index}` })), "append");
  }
};

describe("pnpm verify-audit on the azure profile", () => {
  it("passes an intact log, then names each stream that was edited or cut short, and fails", async () => {
    const { settings, env } = auditSecretsFor(azureSettingsFor(backends));
    const audit = await auditFor(settings);
    const [intact, edited, cut] = ["request-intact", "request-edited", "workspace:ws-cut"];
    await fill(audit, intact, 3);
    await fill(audit, edited, 4);
    await fill(audit, cut, 5);

    const clean = await runChild({ env: envOf(settings, env), entry: VERIFY_AUDIT });
    expect(clean.output).toContain("OK: 3 streams verified, 0 failed, 12 entries in intact streams");
    expect(clean.code).toBe(0);

    const raw = rawCosmosContainer(backends.cosmos, settings.cosmos.containers.audit);
    const target = raw.item(`${edited}:000000000001`, edited);
    const { resource } = await target.read();
    await target.replace({ ...resource, reason: "nothing happened" });
    for (const seq of [3, 4]) await raw.item(`${cut}:00000000000${seq}`, cut).delete();

    const failed = await runChild({ env: envOf(settings, env), entry: VERIFY_AUDIT });
    expect(failed.output).toContain(`FAILED "${edited}" at seq 1: content changed`);
    expect(failed.output).toContain(`FAILED "${cut}" at seq 3: truncated`);
    expect(failed.output).toContain("FAILED: 3 streams verified, 2 failed, 3 entries in intact streams");
    expect(failed.code).toBe(1);
  });

  it("refuses to run without the chain key", async () => {
    const settings = azureSettingsFor(backends);
    const result = await runChild({ env: envOf(settings, {}), entry: VERIFY_AUDIT });
    expect(result.output).toContain("AIRLOCK_AUDIT_CHAIN_KEY");
    expect(result.code).toBe(2);
  });
});
