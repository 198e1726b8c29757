import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Actor, type Airlock, type Workspace, WorkspacePolicySchema } from "@airlock/core";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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

/** The demo workspace, with a policy that asks for the size, file-type and disclosure gates. */
const GATED: Workspace = {
  ...DEMO_WORKSPACE,
  policy: WorkspacePolicySchema.parse({
    ...DEMO_WORKSPACE.policy,
    gates: [
      { type: "size", maxFileBytes: 1024 * 1024 * 1024 },
      { type: "file-type", allow: ["csv"] },
      { type: "disclosure" },
    ],
  }),
};

async function* bytes(content: Uint8Array) {
  yield content;
}

/** Submits one file named `name` and answers the status the processor leaves the request in. */
const submitOne = async (airlock: Airlock, name: string, content: Uint8Array) => {
  const created = await airlock.create(alice, GATED.id, {
    type: "export",
    title: "Table",
    businessJustification: "For the paper",
  });
  const id = created._unsafeUnwrap().airlockRequest.id;
  (await airlock.upload(id, name, bytes(content)))._unsafeUnwrap();
  (await airlock.submit(alice, GATED.id, id))._unsafeUnwrap();
  await airlock.processor.idle();
  return (await airlock.get(alice, GATED.id, id))._unsafeUnwrap().airlockRequest;
};

const CSV = new TextEncoder().encode("region,count\nnorth,12\n");

describe("the security gates in the memory profile", () => {
  it("runs a gated workspace's gates: a CSV reaches review, an executable named .csv is blocked", async () => {
    const profile = createMemoryProfile({ logger: pino({ enabled: false }), workspaces: [GATED] });
    expect((await submitOne(profile.airlock, "table.csv", CSV)).status).toBe("in_review");
    const blocked = await submitOne(
      profile.airlock,
      "table.csv",
      await readFile(process.execPath).then((b) => b.subarray(0, 4096)),
    );
    expect(blocked.status).toBe("blocked_by_scan");
    expect(blocked.statusMessage).toMatch(/^file-type gate: "table\.csv": the content is application\/x-elf/);
  });

  it("sends a table with a small count to review, with the cell the disclosure gate flagged", async () => {
    const profile = createMemoryProfile({ logger: pino({ enabled: false }), workspaces: [GATED] });
    const small = new TextEncoder().encode("region,count\nnorth,12\nsouth,3\n");
    const reviewed = await submitOne(profile.airlock, "table.csv", small);
    expect(reviewed.status).toBe("in_review");
    expect(reviewed.findings).toEqual([
      {
        gate: "disclosure",
        file: "table.csv",
        verdict: "review",
        message: "a count of 3 is under the threshold of 10",
        location: 'row 2, column 2 ("count")',
        turn: 1,
      },
    ]);
  });
});

describe("the security gates in the local profile", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "airlock-local-gates-"));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("reads the files from disk through the gates", async () => {
    const profile = await createLocalProfile({
      settings: localSettingsFromEnv({ AIRLOCK_DATA_DIR: dataDir }, process.cwd())._unsafeUnwrap(),
      logger: pino({ enabled: false }),
      workspaces: [GATED],
    });
    await profile.prepare();
    try {
      expect((await submitOne(profile.airlock, "table.csv", CSV)).status).toBe("in_review");
      const latin1 = Uint8Array.from([0x72, 0xe9, 0x67, 0x69, 0x6f, 0x6e, 0x0a]);
      const blocked = await submitOne(profile.airlock, "table.csv", latin1);
      expect(blocked.status).toBe("blocked_by_scan");
      expect(blocked.findings).toEqual([
        expect.objectContaining({ gate: "file-type", file: "table.csv", verdict: "fail", turn: 1 }),
        expect.objectContaining({ gate: "disclosure", file: "table.csv", verdict: "review", turn: 1 }),
      ]);
    } finally {
      await profile.close();
    }
  });
});
