import {
  type AuditCheckpoint,
  type AuditEntry,
  canonicalAuditText,
  canonicalCheckpointText,
} from "./audit.js";
import { fromBase64url, toBase64url } from "./base64url.js";

/**
 * The keys that make the audit log tamper-evident. They live outside the audit store: whoever can
 * write the store but holds neither key can change, drop or rewrite entries, but cannot make the
 * change verify.
 */
export interface AuditKeys {
  /** The secret of the keyed chain: every entry's hash is HMAC-SHA256 under it. At least 32 bytes. */
  readonly chainKey: Uint8Array<ArrayBuffer>;
  /** The Ed25519 private key that signs checkpoints; null where the keys only verify. */
  readonly signingKey: CryptoKey | null;
  /** The Ed25519 public key that checks checkpoint signatures. */
  readonly verifyKey: CryptoKey;
}

export const MIN_CHAIN_KEY_BYTES = 32;

const hex = (buffer: ArrayBuffer) =>
  Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Imported HMAC keys, one per chain key, so a walk over a long stream imports once. */
const hmacKeys = new WeakMap<Uint8Array<ArrayBuffer>, Promise<CryptoKey>>();

const hmacKeyOf = (chainKey: Uint8Array<ArrayBuffer>): Promise<CryptoKey> => {
  let key = hmacKeys.get(chainKey);
  if (!key) {
    key = crypto.subtle.importKey("raw", chainKey, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(chainKey, key);
  }
  return key;
};

/** An entry's hash: HMAC-SHA256 of its canonical text under the chain key, lowercase hex. */
export const hashAuditEntry = async (
  entry: Omit<AuditEntry, "hash">,
  chainKey: Uint8Array<ArrayBuffer>,
): Promise<string> =>
  hex(await crypto.subtle.sign("HMAC", await hmacKeyOf(chainKey), utf8(canonicalAuditText(entry))));

/** Signs that `stream` reached `seq` with `hash`. */
export const signCheckpoint = async (
  body: Omit<AuditCheckpoint, "signature">,
  signingKey: CryptoKey,
): Promise<AuditCheckpoint> => ({
  stream: body.stream,
  seq: body.seq,
  hash: body.hash,
  at: body.at,
  signature: toBase64url(
    await crypto.subtle.sign("Ed25519", signingKey, utf8(canonicalCheckpointText(body))),
  ),
});

/** Whether a checkpoint's signature verifies with `verifyKey`. */
export const checkpointSignatureValid = async (
  checkpoint: AuditCheckpoint,
  verifyKey: CryptoKey,
): Promise<boolean> => {
  const signature = fromBase64url(checkpoint.signature);
  if (signature === null) return false;
  return crypto.subtle.verify("Ed25519", verifyKey, signature, utf8(canonicalCheckpointText(checkpoint)));
};

/**
 * Fresh keys that live as long as the process: for tests and the memory profile, where the log
 * itself lives no longer. A durable log needs keys kept outside it (see docs/events-and-notifications.md).
 */
export const generateAuditKeys = async (): Promise<AuditKeys> => {
  const pair = (await crypto.subtle.generateKey("Ed25519", false, ["sign", "verify"])) as CryptoKeyPair;
  return {
    chainKey: crypto.getRandomValues(new Uint8Array(MIN_CHAIN_KEY_BYTES)),
    signingKey: pair.privateKey,
    verifyKey: pair.publicKey,
  };
};
