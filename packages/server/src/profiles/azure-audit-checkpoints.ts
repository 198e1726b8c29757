import {
  auditCheckpointContainer,
  type BlobCredential,
  parseStorageConnectionString,
} from "@airlock/adapters-azure";
import type { AzureSettings } from "./azure-settings.js";

/** Where audit checkpoints go: the account and container, and a line saying so. */
export const checkpointContainer = (settings: AzureSettings, identity: () => BlobCredential) => {
  const audit = settings.audit;
  const name = audit?.checkpointsContainer ?? "audit-checkpoints";
  const at = (blobEndpoint: string, credential: BlobCredential, note = "") => ({
    container: auditCheckpointContainer(blobEndpoint, credential, name),
    where: `${blobEndpoint} container ${name}${note}`,
  });
  const keyed = (connectionString: string, note?: string) => {
    const { account, credential } = parseStorageConnectionString(connectionString);
    return at(account.blobEndpoint, credential, note);
  };
  if (audit?.checkpointsConnectionString !== undefined) return keyed(audit.checkpointsConnectionString);
  if (audit?.checkpointsAccountUrl !== undefined) return at(audit.checkpointsAccountUrl, identity());
  const storage = settings.storage;
  if (storage.layout === "accounts") {
    // An account of their own, named like the stage accounts: staudit{treId}, with the identity.
    return at(`https://staudit${storage.treId}.blob.${storage.endpointSuffix}`, identity());
  }
  const shared = " (the data's own account: production keeps checkpoints in a separate, immutable one)";
  return storage.connectionString !== undefined
    ? keyed(storage.connectionString, shared)
    : at(new URL(storage.accountUrl ?? "").origin, identity(), shared);
};
