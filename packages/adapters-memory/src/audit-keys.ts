import { generateKeyPairSync, randomBytes } from "node:crypto";
import { type AuditKeys, MIN_CHAIN_KEY_BYTES } from "@airlock/core";

/**
 * Fresh audit keys, made at once: a random chain key and an Ed25519 pair. They live as long as the
 * process, as the memory audit log does; a durable log needs keys kept outside its store.
 */
export const createEphemeralAuditKeys = (): AuditKeys => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    chainKey: new Uint8Array(randomBytes(MIN_CHAIN_KEY_BYTES)),
    // Node's CryptoKey is the Web Crypto key core works with; only their type declarations differ.
    signingKey: privateKey.toCryptoKey("Ed25519", false, ["sign"]) as unknown as NonNullable<
      AuditKeys["signingKey"]
    >,
    verifyKey: publicKey.toCryptoKey("Ed25519", false, ["verify"]) as unknown as NonNullable<
      AuditKeys["signingKey"]
    >,
  };
};
