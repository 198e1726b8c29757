import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadWritingAuditKeys } from "../src/profiles/audit-sealing.js";
import {
  AUDIT_SIGNING_KEY_FILE,
  dataDirAuditKeyFiles,
  dataDirLinkSecret,
  LINK_SECRET_FILE,
} from "../src/profiles/data-dir-secrets.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "airlock-secrets-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("secrets kept in the data directory", () => {
  it("makes the link secret once, readable by the owner alone, and reads the same one after", async () => {
    const first = await dataDirLinkSecret(dir);
    expect(first.length).toBe(32);
    expect((await stat(join(dir, LINK_SECRET_FILE))).mode & 0o777).toBe(0o600);
    expect(await dataDirLinkSecret(dir)).toEqual(first);
  });

  it("gives two starts racing on an empty directory the same secret", async () => {
    const [a, b, c] = await Promise.all([
      dataDirLinkSecret(dir),
      dataDirLinkSecret(dir),
      dataDirLinkSecret(dir),
    ]);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it("refuses an empty secret file instead of signing with nothing", async () => {
    await writeFile(join(dir, LINK_SECRET_FILE), "");
    await expect(dataDirLinkSecret(dir)).rejects.toThrow(/is empty/);
  });

  it("makes audit keys the server can sign with, and keeps them across starts", async () => {
    const made = await dataDirAuditKeyFiles(dir);
    expect(made.created).toBe(true);
    expect((await stat(join(dir, AUDIT_SIGNING_KEY_FILE))).mode & 0o777).toBe(0o600);
    const again = await dataDirAuditKeyFiles(dir);
    expect(again).toEqual({ ...made, created: false });
    const { keys, generated } = loadWritingAuditKeys({
      chainKey: { file: again.chainKeyFile },
      signingKey: { file: again.signingKeyFile },
      checkpointsContainer: "",
    });
    expect(generated).toBe(false);
    expect(keys.signingKey).not.toBeNull();
    expect(keys.chainKey.length).toBe(32);
  });
});
