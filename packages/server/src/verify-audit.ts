import { verifyAllAuditStreams } from "@airlock/core";
import type { AuditStore } from "./profiles/local-audit-store.js";

/**
 * `pnpm verify-audit`: verifies every stream of the audit log of the profile `AIRLOCK_PROFILE`
 * names (`local`, the default, or `azure`; the same AIRLOCK_* variables as the server) against its
 * signed checkpoints. Prints one line per stream that fails and a summary; exits 1 when any stream
 * fails, 2 when it cannot run.
 */

/** The profile's store; each profile's modules load only when it is the one asked for. */
const openStore = async (profile: string) => {
  if (profile === "local") {
    const { openLocalAuditStore } = await import("./profiles/local-audit-store.js");
    return openLocalAuditStore(process.env, process.cwd());
  }
  if (profile === "azure") {
    const { openAzureAuditStore } = await import("./profiles/azure-audit-store.js");
    return openAzureAuditStore(process.env);
  }
  return null;
};

const verify = async ({ audit, checkpoints }: AuditStore): Promise<number> => {
  const summary = await verifyAllAuditStreams({ audit, checkpoints }, ({ stream, verification }) => {
    if (!verification.ok) {
      process.stdout.write(
        `FAILED ${JSON.stringify(stream)} at seq ${verification.firstTampered}: ${verification.reason}\n`,
      );
    }
  });
  if (summary.isErr()) {
    process.stderr.write(`verify-audit: could not read the audit log: ${summary.error.message}\n`);
    return 2;
  }
  const { streams, failed, entries } = summary.value;
  process.stdout.write(
    `${failed === 0 ? "OK" : "FAILED"}: ${streams} streams verified, ${failed} failed, ${entries} entries in intact streams\n`,
  );
  return failed === 0 ? 0 : 1;
};

const main = async (): Promise<number> => {
  const profile = process.env.AIRLOCK_PROFILE || "local";
  const store = await openStore(profile);
  if (store === null) {
    process.stderr.write(`verify-audit: AIRLOCK_PROFILE must be "local" or "azure", not "${profile}"\n`);
    return 2;
  }
  if (store.isErr()) {
    process.stderr.write(`verify-audit: ${store.error}\n`);
    return 2;
  }
  try {
    return await verify(store.value);
  } finally {
    store.value.close();
  }
};

process.exitCode = await main();
