import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { freePort } from "../packages/server/test/support/free-port.js";
import { watched } from "../packages/server/test/support/watched.js";

// `pnpm start` as a newcomer runs it: the banner's commands work as printed, the HTTP examples run
// against it, and SIGTERM (a process manager) or Ctrl-C (SIGINT to the terminal's process group)
// stops the server itself, not only pnpm.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);

const answers = (url: string) =>
  fetch(url).then(
    (response) => response.ok,
    () => false,
  );

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | string>;
  output(): string;
}

const dataDirs: string[] = [];
const dataDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "airlock-start-"));
  dataDirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

let started: Started | undefined;
afterEach(() => {
  // A failed test must not leave a server behind, even once pnpm is gone: the whole group goes.
  const pid = started?.child.pid;
  started = undefined;
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch (error) {
    // Nothing is left of the group: what a passing test leaves.
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
});

/** `pnpm start` in its own process group (as a terminal runs it), once the API answers. */
const start = async (): Promise<Started> => {
  const port = await freePort();
  const child = spawn("pnpm", ["start"], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "warn",
      // The default (local) profile keeps its data here, not in the repository.
      AIRLOCK_DATA_DIR: await dataDir(),
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const { output, exited } = watched(child);
  started = { child, url: `http://127.0.0.1:${port}`, exited, output };
  const deadline = Date.now() + 120_000;
  while (!(output().includes("Get a token") && (await answers(`${started.url}/health`)))) {
    if (child.exitCode !== null) throw new Error(`pnpm start exited:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`pnpm start did not answer:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return started;
};

/** Sends `signal`, then answers how long the started process took to exit, and whether the port is free. */
const stop = async (server: Started, send: () => void) => {
  const sent = Date.now();
  send();
  const outcome = await Promise.race([
    server.exited,
    new Promise((resolve) => setTimeout(() => resolve("still running"), 10_000)),
  ]);
  return { outcome, seconds: (Date.now() - sent) / 1000, answers: await answers(`${server.url}/health`) };
};

describe("pnpm start", () => {
  it("prints token commands that work as printed, serves the HTTP examples, and stops on SIGTERM", async () => {
    const server = await start();
    const commands = [...server.output().matchAll(/^(?:Get a token|TRE admin token) +(pnpm .+)$/gm)].map(
      (match) => match[1] ?? "",
    );
    expect(commands).toHaveLength(2);
    const [alice = "", admin = ""] = await Promise.all(
      commands.map(async (command) => (await run("sh", ["-c", command], { cwd: ROOT })).stdout.trim()),
    );
    expect(alice).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    expect((await fetch(`${server.url}/api/workspaces/ws1/requests`, bearer(alice))).status).toBe(200);
    expect((await fetch(`${server.url}/api/workspaces/ws1`, bearer(admin))).status).toBe(200);

    const walkthrough = await run(process.execPath, ["examples/http-walkthrough/main.mjs"], {
      cwd: ROOT,
      env: { ...process.env, AIRLOCK_URL: server.url },
    });
    expect(walkthrough.stdout).toContain("Done.");

    // The review cycle: returned once, resubmitted with one file replaced and one withdrawn,
    // approved by two independent reviewers; only the replaced file leaves.
    const reviewCycle = await run(process.execPath, ["examples/review-cycle/main.mjs"], {
      cwd: ROOT,
      env: { ...process.env, AIRLOCK_URL: server.url },
    });
    expect(reviewCycle.stdout).toContain("Alice sees no vote of the open turn: none");
    expect(reviewCycle.stdout).toContain("since the returned turn: tables.csv changed, notes.txt withdrawn");
    expect(reviewCycle.stdout).toContain("container holds: tables.csv\n");
    expect(reviewCycle.stdout).toContain("Done.");

    // The disclosure gate: a table with a small count reaches review with the cell named.
    const disclosure = await run(process.execPath, ["examples/gates-disclosure/main.mjs"], {
      cwd: ROOT,
      env: { ...process.env, AIRLOCK_URL: server.url },
    });
    expect(disclosure.stdout).toContain(
      '[review] disclosure gate, areas.csv, row 2, column 3 ("count"): a count of 3 is under the threshold of 10',
    );
    expect(disclosure.stdout).toContain("status in_review, findings: 0");
    expect(disclosure.stdout).toContain("Done.");

    // A zip bomb, blocked by the archive gate with its findings shown to the requester.
    const zipBomb = await run(process.execPath, ["examples/gates-zip-bomb/main.mjs"], {
      cwd: ROOT,
      env: { ...process.env, AIRLOCK_URL: server.url },
    });
    expect(zipBomb.stdout).toContain("status blocked_by_scan");
    expect(zipBomb.stdout).toMatch(
      /finding: archive fail results\.zip at results\/part-0\.bin: the entry expands \d+ times its compressed size, over the limit of 100/,
    );
    expect(zipBomb.stdout).toContain("Done.");

    // To pnpm's process only, as a process manager sends it.
    const stopped = await stop(server, () => server.child.kill("SIGTERM"));
    expect(stopped.outcome, server.output()).not.toBe("still running");
    expect(stopped.seconds).toBeLessThan(5);
    expect(stopped.answers).toBe(false);
  }, 180_000);

  it("stops on Ctrl-C", async () => {
    const server = await start();
    const stopped = await stop(server, () => process.kill(-(server.child.pid ?? 0), "SIGINT"));
    expect(stopped.outcome, server.output()).not.toBe("still running");
    expect(stopped.seconds).toBeLessThan(5);
    expect(stopped.answers).toBe(false);
  }, 180_000);
});

describe.each(["http-walkthrough", "review-cycle", "gates-disclosure", "gates-zip-bomb"])(
  "the %s example",
  (example) => {
    it("says how to point it at a server when none answers", async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const failed = await run(process.execPath, [`examples/${example}/main.mjs`], {
        cwd: ROOT,
        env: { ...process.env, AIRLOCK_URL: url },
      }).then(
        () => undefined,
        (error: { code?: number; stderr?: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toContain(`no server answers at ${url}`);
      expect(failed?.stderr).toContain("AIRLOCK_URL");
      expect(failed?.stderr).toContain("pnpm start");
    });
  },
);
