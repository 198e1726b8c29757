import { generateKeyPairSync, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";

/** What one secret file of the data directory holds, and how a new one is made. */
interface SecretFile {
  readonly name: string;
  readonly make: () => string;
}

const codeOf = (error: unknown) =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;

/**
 * The file's content; made first when missing. Created exclusively, readable by the owner alone,
 * and synced before it is used: two processes starting at once keep the same secret, and a crash
 * never leaves a secret that the data written with it no longer matches.
 */
const readOrCreate = async (dir: string, secret: SecretFile): Promise<{ text: string; created: boolean }> => {
  const path = join(dir, secret.name);
  try {
    const handle = await open(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      await handle.writeFile(secret.make());
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { text: await readFile(path, "utf8"), created: true };
  } catch (error) {
    if (codeOf(error) !== "EEXIST") throw error;
    const text = await readFile(path, { encoding: "utf8", flag: constants.O_RDONLY | constants.O_NOFOLLOW });
    if (text.trim().length === 0) throw new Error(`${path} is empty: restore it from a backup, or remove it`);
    return { text, created: false };
  }
};

export const LINK_SECRET_FILE = "link-secret";
export const AUDIT_CHAIN_KEY_FILE = "audit-chain-key";
export const AUDIT_SIGNING_KEY_FILE = "audit-signing-key.pem";

/** The secret links are signed with, kept in the data directory so links outlive a restart. */
export const dataDirLinkSecret = async (dir: string): Promise<Uint8Array> => {
  const { text } = await readOrCreate(dir, {
    name: LINK_SECRET_FILE,
    make: () => `${randomBytes(32).toString("base64url")}\n`,
  });
  const bytes = Buffer.from(text.trim(), "base64url");
  if (bytes.length < 16) throw new Error(`${join(dir, LINK_SECRET_FILE)} holds fewer than 16 bytes`);
  return new Uint8Array(bytes);
};

/**
 * The audit chain key and checkpoint signing key, kept in the data directory: made at the first
 * start, read at every later one, so the log written before a restart still verifies after it.
 * Answers where they are, as the settings name key files.
 */
export const dataDirAuditKeyFiles = async (
  dir: string,
): Promise<{ readonly chainKeyFile: string; readonly signingKeyFile: string; readonly created: boolean }> => {
  const chain = await readOrCreate(dir, {
    name: AUDIT_CHAIN_KEY_FILE,
    make: () => `${randomBytes(32).toString("base64")}\n`,
  });
  const signing = await readOrCreate(dir, {
    name: AUDIT_SIGNING_KEY_FILE,
    make: () => generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  });
  return {
    chainKeyFile: join(dir, AUDIT_CHAIN_KEY_FILE),
    signingKeyFile: join(dir, AUDIT_SIGNING_KEY_FILE),
    created: chain.created || signing.created,
  };
};
