import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalProfile } from "../src/profiles/local.js";
import { localSettingsFromEnv } from "../src/profiles/local-settings.js";
import { DEMO_WORKSPACE } from "../src/profiles/serve.js";

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "airlock-local-profile-"));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const profileOn = async () =>
  createLocalProfile({
    settings: localSettingsFromEnv({ AIRLOCK_DATA_DIR: dataDir }, process.cwd())._unsafeUnwrap(),
    logger: pino({ enabled: false }),
    workspaces: [DEMO_WORKSPACE],
  });

describe("the local profile", () => {
  it("keeps its data directory to its owner, and registers the demo workspace only when it is missing", async () => {
    const first = await profileOn();
    await first.prepare();
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    const changed = { ...DEMO_WORKSPACE, displayName: "Renamed by an admin" };
    (await first.ports.workspaces.put(changed))._unsafeUnwrap();
    await first.close();

    const second = await profileOn();
    await second.prepare();
    expect((await second.ports.workspaces.get(DEMO_WORKSPACE.id))._unsafeUnwrap().displayName).toBe(
      "Renamed by an admin",
    );
    await second.close();
  });

  it("removes at start the partial uploads a killed process left", async () => {
    const incoming = join(dataDir, "files", "draft", ".incoming");
    await mkdir(incoming, { recursive: true });
    await writeFile(join(incoming, ".cut-off.tmp"), "half an upl");
    const profile = await profileOn();
    await profile.prepare();
    expect(await readdir(incoming)).toEqual([]);
    await profile.close();
  });
});
