import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { exchange } from "../clamd/clamd-exchange.js";

/** Where Debian's clamav-daemon puts clamd; `AIRLOCK_CLAMD_BIN` names another. */
export const DEFAULT_CLAMD_BIN = "/usr/sbin/clamd";

/**
 * The test signature database kept in the repository: one body signature for the EICAR test file,
 * so clamd finds it in a plain file and inside archives, and nothing needs downloading.
 */
export const TEST_SIGNATURES_DIR = fileURLToPath(new URL("../../test/fixtures/clamav", import.meta.url));

export interface TestClamdOptions {
  /** The signature database directory. Default: the repository's test database. */
  readonly databaseDir?: string;
  /** clamd's `StreamMaxLength`: the largest stream it takes. Default 512 MiB. */
  readonly streamMaxBytes?: number;
  /** clamd's `MaxFileSize` and `MaxScanSize`. Default `streamMaxBytes`. */
  readonly maxFileBytes?: number;
  /** How long clamd may take to load its database and answer `PING`. Default 120 s. */
  readonly startTimeoutMs?: number;
}

export interface TestClamd {
  /** `tcp://127.0.0.1:<port>` */
  readonly url: string;
  /** `unix:<path>`: the same daemon on a unix socket. */
  readonly socketUrl: string;
  readonly streamMaxBytes: number;
  /** How long clamd took from its start to its first `PONG`. */
  readonly startedInMs: number;
  /** Stops clamd (SIGTERM, then SIGKILL) and removes its files. Harmless when already stopped. */
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });

/**
 * Starts a real clamd for tests and benchmarks: in the foreground, on a free loopback port and a
 * unix socket in a temporary directory, with the given signature database; answers once clamd
 * answers `PING`. A missing clamd is an error that says how to install it, never a skipped test.
 *
 * The limits are set so that nothing is let through unscanned: `AlertExceedsMax` reports a file
 * over `MaxFileSize`/`MaxScanSize` as a threat instead of `OK`.
 */
export const startTestClamd = async (options: TestClamdOptions = {}): Promise<TestClamd> => {
  const bin = process.env.AIRLOCK_CLAMD_BIN ?? DEFAULT_CLAMD_BIN;
  if (!existsSync(bin)) {
    throw new Error(
      `clamd is not installed at ${bin}: install Debian's clamav-daemon (apt-get install clamav clamav-daemon) or set AIRLOCK_CLAMD_BIN; the ClamAV tests need a real clamd`,
    );
  }
  const streamMaxBytes = options.streamMaxBytes ?? 512 * 1024 * 1024;
  const dir = await mkdtemp(join(tmpdir(), "airlock-clamd-"));
  const port = await freePort();
  const socketPath = join(dir, "clamd.sock");
  const logFile = join(dir, "clamd.log");
  const config = [
    "Foreground yes",
    `TCPSocket ${port}`,
    "TCPAddr 127.0.0.1",
    `LocalSocket ${socketPath}`,
    `DatabaseDirectory ${options.databaseDir ?? TEST_SIGNATURES_DIR}`,
    `LogFile ${logFile}`,
    `TemporaryDirectory ${dir}`,
    `StreamMaxLength ${streamMaxBytes}`,
    `MaxFileSize ${options.maxFileBytes ?? streamMaxBytes}`,
    `MaxScanSize ${options.maxFileBytes ?? streamMaxBytes}`,
    "ScanArchive yes",
    "AlertExceedsMax yes",
    // The test database holds no bytecode; not loading the built-in bytecode makes the start quick.
    "Bytecode no",
    "SelfCheck 0",
  ];
  const configFile = join(dir, "clamd.conf");
  await writeFile(configFile, `${config.join("\n")}\n`);

  const started = performance.now();
  const child = spawn(bin, ["-c", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (data: Buffer) => {
    stderr = (stderr + data.toString("utf8")).slice(-4000);
  });
  const gone = exited(child);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const stopped = await Promise.race([gone.then(() => true), sleep(5_000).then(() => false)]);
      if (!stopped) {
        child.kill("SIGKILL");
        await gone;
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = started + (options.startTimeoutMs ?? 120_000);
  const address = { kind: "tcp", host: "127.0.0.1", port } as const;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = await readFile(logFile, "utf8").catch(() => "");
      await stop();
      throw new Error(
        `clamd stopped while starting (exit ${child.exitCode ?? child.signalCode}): ${stderr}${log.slice(-2000)}`,
      );
    }
    const pong = await exchange(address, "zPING", null, { connectTimeoutMs: 1_000, idleTimeoutMs: 5_000 });
    if (pong.isOk() && pong.value.text === "PONG") {
      return {
        url: `tcp://127.0.0.1:${port}`,
        socketUrl: `unix:${socketPath}`,
        streamMaxBytes,
        startedInMs: Math.round(performance.now() - started),
        stop,
      };
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`clamd did not answer PING within ${options.startTimeoutMs ?? 120_000} ms: ${stderr}`);
};
