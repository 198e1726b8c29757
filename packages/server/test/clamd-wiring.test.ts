import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Actor, type Airlock, type Workspace, WorkspacePolicySchema } from "@airlock/core";
import { EICAR } from "@airlock/core/testing";
import { startTestClamd, type TestClamd } from "@airlock/gates/testing";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalProfile, type LocalProfile } from "../src/profiles/local.js";
import { localSettingsFromEnv } from "../src/profiles/local-settings.js";
import { createMemoryProfile } from "../src/profiles/memory.js";
import { scannerChoiceFromEnv } from "../src/profiles/scanner-settings.js";
import { DEMO_WORKSPACE } from "../src/profiles/serve.js";

const alice: Actor = {
  id: "alice",
  name: "Alice Researcher",
  email: "alice@example.org",
  roles: ["WorkspaceResearcher"],
};

/** The demo workspace, with room for a few files, whose policy names the malware gate, then the size gate. */
const SCANNED: Workspace = {
  ...DEMO_WORKSPACE,
  policy: WorkspacePolicySchema.parse({
    ...DEMO_WORKSPACE.policy,
    maxFiles: 10,
    gates: [{ type: "malware" }, { type: "size", maxFileBytes: 1024 * 1024 }],
  }),
};

async function* bytes(content: string) {
  yield new TextEncoder().encode(content);
}

/** Submits the files and answers the request as the processor leaves it. */
const submit = async (airlock: Airlock, files: Record<string, string>) => {
  const created = await airlock.create(alice, SCANNED.id, {
    type: "export",
    title: "Tables",
    businessJustification: "For the paper",
  });
  const id = created._unsafeUnwrap().airlockRequest.id;
  for (const [name, content] of Object.entries(files)) {
    (await airlock.upload(id, name, bytes(content)))._unsafeUnwrap();
  }
  (await airlock.submit(alice, SCANNED.id, id))._unsafeUnwrap();
  await airlock.processor.idle();
  return (await airlock.get(alice, SCANNED.id, id))._unsafeUnwrap().airlockRequest;
};

let clamd: TestClamd;
beforeAll(async () => {
  clamd = await startTestClamd();
}, 120_000);
afterAll(async () => {
  await clamd?.stop();
});

describe("the local profile with AIRLOCK_CLAMD_URL", () => {
  let dataDir: string;
  let profile: LocalProfile;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "airlock-local-clamd-"));
    const env = { AIRLOCK_DATA_DIR: dataDir, AIRLOCK_CLAMD_URL: clamd.url };
    profile = await createLocalProfile({
      settings: localSettingsFromEnv(env, process.cwd())._unsafeUnwrap(),
      logger: pino({ enabled: false }),
      workspaces: [SCANNED],
    });
    await profile.prepare();
  });
  afterAll(async () => {
    await profile?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("says in the banner that ClamAV scans, and where", () => {
    expect(profile.banner).toContain(
      `Malware scan     ClamAV at ${clamd.url} (files over 26214400 bytes are blocked unscanned)`,
    );
  });

  it("blocks an upload holding the EICAR test file, naming the file, with a malware finding on it", async () => {
    const request = await submit(profile.airlock, { "table.csv": "region,count\n", "tool.com": EICAR });
    expect(request.status).toBe("blocked_by_scan");
    expect(request.statusMessage).toBe("malware scan: tool.com: Airlock.Test.EICAR.UNOFFICIAL");
    expect(request.findings).toEqual([
      {
        gate: "malware",
        file: "tool.com",
        verdict: "fail",
        message: "Airlock.Test.EICAR.UNOFFICIAL",
        turn: 1,
      },
    ]);
  });

  it("lets clean files through to review", async () => {
    const request = await submit(profile.airlock, { "table.csv": "region,count\nnorth,12\n" });
    expect(request.status).toBe("in_review");
    expect(request.findings).toEqual([]);
  });
});

describe("the local profile without AIRLOCK_CLAMD_URL", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "airlock-local-unscanned-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });
  const open = (env: Record<string, string>) =>
    createLocalProfile({
      settings: localSettingsFromEnv({ AIRLOCK_DATA_DIR: dataDir, ...env }, process.cwd())._unsafeUnwrap(),
      logger: pino({ enabled: false }),
      workspaces: [SCANNED],
    });

  it("runs the EICAR-only stand-in outside production, and says so", async () => {
    const profile = await open({});
    try {
      expect(profile.airlock.gateTypes).toContain("malware");
      expect(profile.banner.join("\n")).toMatch(/test-signature matcher .*set AIRLOCK_CLAMD_URL for ClamAV/);
    } finally {
      await profile.close();
    }
  });

  it("runs no scanner in production: the malware gate is not offered, and a request that asks for it fails", async () => {
    const signingKey = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" });
    const profile = await open({
      NODE_ENV: "production",
      AIRLOCK_AUDIT_CHAIN_KEY: randomBytes(32).toString("base64"),
      AIRLOCK_AUDIT_SIGNING_KEY: signingKey.toString(),
    });
    await profile.prepare();
    try {
      expect(profile.airlock.gateTypes).not.toContain("malware");
      expect(profile.banner.join("\n")).toMatch(
        /Malware scan {5}none .*workspaces whose policy asks for a scan are refused/,
      );
      // Registered before the server lost its scanner: its requests fail rather than pass unscanned.
      const request = await submit(profile.airlock, { "table.csv": "region,count\nnorth,12\n" });
      expect(request.status).toBe("failed");
      expect(request.statusMessage).toMatch(/runs no malware scanner/);
    } finally {
      await profile.close();
    }
  });
});

describe("the memory profile with AIRLOCK_CLAMD_URL", () => {
  it("scans with ClamAV", async () => {
    const scanner = scannerChoiceFromEnv({ AIRLOCK_CLAMD_URL: clamd.socketUrl })._unsafeUnwrap();
    const profile = createMemoryProfile({ logger: pino({ enabled: false }), workspaces: [SCANNED], scanner });
    expect(profile.banner).toContain(
      `Malware scan     ClamAV at ${clamd.socketUrl} (files over 26214400 bytes are blocked unscanned)`,
    );
    const request = await submit(profile.airlock, { "tool.com": EICAR });
    expect(request.statusMessage).toBe("malware scan: tool.com: Airlock.Test.EICAR.UNOFFICIAL");
  });
});
