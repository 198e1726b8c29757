import { generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadAuditKeys, loadWritingAuditKeys } from "../src/profiles/audit-sealing.js";

const keyPair = () => generateKeyPairSync("ed25519");
const chainKey = { value: randomBytes(32).toString("base64") };
const checkpointsContainer = "audit-checkpoints";

describe("the audit keys a server loads", () => {
  it("refuse to write with the public key alone, which only verifying needs", () => {
    const { publicKey } = keyPair();
    const verifyKey = { value: publicKey.export({ type: "spki", format: "pem" }).toString() };
    const settings = { chainKey, verifyKey, checkpointsContainer };
    expect(loadAuditKeys(settings).keys.signingKey).toBeNull();
    expect(() => loadWritingAuditKeys(settings)).toThrow(/AIRLOCK_AUDIT_SIGNING_KEY \(or _FILE\) is missing/);
  });

  it("take the signing key, and with it the key that verifies", () => {
    const { privateKey } = keyPair();
    const settings = {
      chainKey,
      checkpointsContainer,
      signingKey: { value: privateKey.export({ type: "pkcs8", format: "pem" }).toString() },
    };
    const { keys, generated } = loadWritingAuditKeys(settings);
    expect(generated).toBe(false);
    expect(keys.signingKey).not.toBeNull();
    expect(keys.verifyKey).not.toBeNull();
  });
});
