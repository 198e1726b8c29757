import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { createEphemeralAuditKeys } from "@airlock/adapters-memory";
import { type AuditKeys, MIN_CHAIN_KEY_BYTES } from "@airlock/core";
import type { AuditSettings } from "./azure-settings.js";

type Secret = { readonly value: string } | { readonly file: string };

const textOf = (secret: Secret): string =>
  "value" in secret ? secret.value : readFileSync(secret.file, "utf8");

const chainKeyOf = (secret: Secret): Uint8Array<ArrayBuffer> => {
  const bytes = new Uint8Array(Buffer.from(textOf(secret).trim(), "base64"));
  if (bytes.length < MIN_CHAIN_KEY_BYTES) {
    throw new Error(`the audit chain key must be base64 of at least ${MIN_CHAIN_KEY_BYTES} bytes`);
  }
  return bytes;
};

const ed25519 = (key: KeyObject, what: string): KeyObject => {
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`${what} must be an Ed25519 key`);
  return key;
};

// Node's CryptoKey is the Web Crypto key core works with; only their type declarations differ.
const webKey = (key: KeyObject, usage: "sign" | "verify") =>
  key.toCryptoKey("Ed25519", false, [usage]) as unknown as NonNullable<AuditKeys["signingKey"]>;

export interface LoadedAuditKeys {
  readonly keys: AuditKeys;
  /** Made for this process: entries written with them will not verify after a restart. */
  readonly generated: boolean;
}

/**
 * The audit keys the settings name. Without any, keys are made for this process (the settings
 * refuse that in production); with only some, it is a mistake worth stopping for.
 */
export const loadAuditKeys = (settings: AuditSettings | undefined): LoadedAuditKeys => {
  const { chainKey, signingKey, verifyKey } = settings ?? {};
  if (chainKey === undefined && signingKey === undefined && verifyKey === undefined) {
    return { keys: createEphemeralAuditKeys(), generated: true };
  }
  if (chainKey === undefined) throw new Error("AIRLOCK_AUDIT_CHAIN_KEY (or _FILE) is missing");
  if (signingKey !== undefined) {
    const privateKey = ed25519(createPrivateKey(textOf(signingKey)), "AIRLOCK_AUDIT_SIGNING_KEY");
    return {
      keys: {
        chainKey: chainKeyOf(chainKey),
        signingKey: webKey(privateKey, "sign"),
        verifyKey: webKey(createPublicKey(privateKey), "verify"),
      },
      generated: false,
    };
  }
  if (verifyKey === undefined) {
    throw new Error(
      "AIRLOCK_AUDIT_SIGNING_KEY or AIRLOCK_AUDIT_VERIFY_KEY (or their _FILE forms) is missing",
    );
  }
  const publicKey = ed25519(createPublicKey(textOf(verifyKey)), "AIRLOCK_AUDIT_VERIFY_KEY");
  return {
    keys: { chainKey: chainKeyOf(chainKey), signingKey: null, verifyKey: webKey(publicKey, "verify") },
    generated: false,
  };
};

/**
 * The audit keys of a server that writes the log: it signs a checkpoint after every entry, so the
 * public key alone (enough for `pnpm verify-audit`) would store entries it cannot seal.
 */
export const loadWritingAuditKeys = (settings: AuditSettings | undefined): LoadedAuditKeys => {
  const loaded = loadAuditKeys(settings);
  if (loaded.keys.signingKey === null) {
    throw new Error(
      "AIRLOCK_AUDIT_SIGNING_KEY (or _FILE) is missing: the server signs a checkpoint after every audit entry; AIRLOCK_AUDIT_VERIFY_KEY alone is for pnpm verify-audit",
    );
  }
  return loaded;
};
