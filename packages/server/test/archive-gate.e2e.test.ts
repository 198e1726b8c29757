import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Actor, type Airlock, type Workspace, WorkspacePolicySchema } from "@airlock/core";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { zeros, zip } from "../../gates/test/support/zip.js";
import { createLocalProfile } from "../src/profiles/local.js";
import { localSettingsFromEnv } from "../src/profiles/local-settings.js";
import { createMemoryProfile } from "../src/profiles/memory.js";
import { DEMO_WORKSPACE } from "../src/profiles/serve.js";

const alice: Actor = {
  id: "alice",
  name: "Alice Researcher",
  email: "alice@example.org",
  roles: ["WorkspaceResearcher"],
};

/** The demo workspace, with a policy that inspects archives (the defaults). */
const INSPECTED: Workspace = {
  ...DEMO_WORKSPACE,
  policy: WorkspacePolicySchema.parse({ ...DEMO_WORKSPACE.policy, gates: [{ type: "archive" }] }),
};

async function* bytes(content: Uint8Array) {
  yield content;
}

const submitOne = async (airlock: Airlock, name: string, content: Uint8Array) => {
  const created = await airlock.create(alice, INSPECTED.id, {
    type: "export",
    title: "Outputs",
    businessJustification: "For the paper",
  });
  const id = created._unsafeUnwrap().airlockRequest.id;
  (await airlock.upload(id, name, bytes(content)))._unsafeUnwrap();
  (await airlock.submit(alice, INSPECTED.id, id))._unsafeUnwrap();
  await airlock.processor.idle();
  return (await airlock.get(alice, INSPECTED.id, id))._unsafeUnwrap().airlockRequest;
};

const CLEAN = zip([
  { name: "tables/counts.csv", content: new TextEncoder().encode("region,count\nnorth,12\n") },
]);
/** 32 MiB of zeros in a few KiB: a ratio bomb. */
const BOMB = zip([{ name: "zeros.bin", content: zeros(32 * 1024 * 1024) }]);

describe("the archive gate in the server's profiles", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "airlock-archive-gate-"));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("the memory profile runs it: a workspace may list it, and a zip bomb is blocked", async () => {
    const profile = createMemoryProfile({ logger: pino({ enabled: false }), workspaces: [INSPECTED] });
    expect(profile.airlock.gateTypes).toContain("archive");
    expect((await submitOne(profile.airlock, "outputs.zip", CLEAN)).status).toBe("in_review");
    const blocked = await submitOne(profile.airlock, "outputs.zip", BOMB);
    expect(blocked.status).toBe("blocked_by_scan");
    expect(blocked.statusMessage).toMatch(
      /^archive gate: "outputs\.zip": the entry expands \d+ times its compressed size/,
    );
  });

  it("the local profile reads the zip from disk through it; the findings are on the request", async () => {
    const profile = await createLocalProfile({
      settings: localSettingsFromEnv({ AIRLOCK_DATA_DIR: dataDir }, process.cwd())._unsafeUnwrap(),
      logger: pino({ enabled: false }),
      workspaces: [INSPECTED],
    });
    await profile.prepare();
    try {
      expect(profile.airlock.gateTypes).toContain("archive");
      const blocked = await submitOne(profile.airlock, "outputs.zip", BOMB);
      expect(blocked.status).toBe("blocked_by_scan");
      expect(blocked.findings).toEqual([
        {
          gate: "archive",
          file: "outputs.zip",
          verdict: "fail",
          message: expect.stringMatching(
            /^the entry expands \d+ times its compressed size, over the limit of 100$/,
          ),
          location: "zeros.bin",
          turn: 1,
        },
        {
          gate: "archive",
          file: "outputs.zip",
          verdict: "fail",
          message: expect.stringMatching(/^the archive expands \d+ times its size, over the limit of 100$/),
          turn: 1,
        },
      ]);
    } finally {
      await profile.close();
    }
  });
});
