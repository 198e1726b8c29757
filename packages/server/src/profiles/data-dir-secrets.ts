import { generateKeyPairSync, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";

/** What one secret file of the data directory holds, and how a new one is made. */
interface SecretFile {
  readonly name: string;
  readonly make: () => string;
}

const codeOf = (error: unknown) =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;

/**
 * The file's content; made first when missing. A new secret is written whole to a file of its own,
 * synced, then linked into place, which fails when the name exists: two processes starting at once
 * keep the same secret, a reader never sees half of one, and a crash never leaves a secret that the
 * data written with it no longer matches. Readable by the owner alone.
 */
const readOrCreate = async (dir: string, secret: SecretFile): Promise<{ text: string; created: boolean }> => {
  const path = join(dir, secret.name);
  const read = async () => {
    const text = await readFile(path, { encoding: "utf8", flag: constants.O_RDONLY | constants.O_NOFOLLOW });
    if (text.trim().length === 0) throw new Error(`${path} is empty: restore it from a backup, or remove it`);
    return text;
  };
  try {
    return { text: await read(), created: false };
  } catch (error) {
    if (codeOf(error) !== "ENOENT") throw error;
  }
  const draft = join(dir, `.${secret.name}.${randomBytes(8).toString("hex")}`);
  const handle = await open(draft, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(secret.make());
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(draft, path);
    await syncDir(dir);
    return { text: await read(), created: true };
  } catch (error) {
    if (codeOf(error) !== "EEXIST") throw error;
    return { text: await read(), created: false };
  } finally {
    await unlink(draft);
  }
};

/** Flushes a directory's entries (the new link) to disk. */
const syncDir = async (dir: string) => {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
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
