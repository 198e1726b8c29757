// Stalled uploads against the server as `pnpm start` runs it (memory profile, embedded links):
// BENCH_STALLS connections (5,000) each send the headers of a link upload that declares 1 MiB, then
// nothing. Measured from outside the server process: its open sockets (/proc/{pid}/fd, sampled every
// 100 ms for the most at once) and its RSS (/proc/{pid}/status) before, a second after the last
// connection sent its headers, and once the idle timeout has passed; what each connection got (an
// answer, or a close without one); and how long after the last send every connection was closed.
//
// Two runs:
// - `defaults`: every limit at its default except the idle timeout (AIRLOCK_IDLE_TIMEOUT_MS, below,
//   so the run does not wait 30 s); the caps on connections, uploads per link and calls per link
//   refuse most of the stalls at once.
// - `idleTimeoutOnly`: the caps raised past the number of stalls and the rate limit off, so every
//   stall reaches the upload handler and only the idle timeout can release it.
//
// Run: pnpm build && node bench/stalls.mjs. Writes bench/results/stalls.json. Linux only (/proc).
//   BENCH_STALLS=5000          connections
//   BENCH_IDLE_TIMEOUT_MS=15000 the server's idle timeout for the runs (30,000 by default)
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { cpus, loadavg } from "node:os";
import { devToken, startServer } from "./support/server-process.mjs";

const STALLS = Number(process.env.BENCH_STALLS ?? 5000);
// Longer than opening every connection takes, so they are all stalled at once before the first expires.
const IDLE_TIMEOUT_MS = Number(process.env.BENCH_IDLE_TIMEOUT_MS ?? 15000);
/** Connections opened at once, so the listen backlog is not what refuses them. */
const BATCH = 500;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const socketsOf = (pid) =>
  readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:");
    } catch {
      return false;
    }
  }).length;

const rssMiB = (pid) => {
  const kib = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  return Math.round((kib / 1024) * 10) / 10;
};

const linkOf = async (url) => {
  const token = await devToken("alice", ["WorkspaceResearcher"]);
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const created = await fetch(`${url}/api/workspaces/ws1/requests`, {
    method: "POST",
    headers,
    body: JSON.stringify({ type: "import", title: "Stalls", businessJustification: "Bench" }),
  }).then((answer) => answer.json());
  const id = created.airlockRequest.id;
  const link = await fetch(`${url}/api/workspaces/ws1/requests/${id}/link`, { headers }).then((answer) =>
    answer.json(),
  );
  return new URL(link.containerUrl);
};

/** One connection that sends an upload's headers declaring 1 MiB, then nothing. */
const stall = (link, port) =>
  new Promise((resolve) => {
    const outcome = { status: undefined, closed: false };
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.write(
        `PUT ${link.pathname}/stalled.bin${link.search} HTTP/1.1\r\nhost: 127.0.0.1\r\n` +
          "x-ms-blob-type: BlockBlob\r\ncontent-length: 1048576\r\n\r\n",
      );
      resolve(outcome);
    });
    socket.on("data", (chunk) => {
      outcome.status ??= Number(/^HTTP\/1\.1 (\d{3})/.exec(String(chunk))?.[1]);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      outcome.closed = true;
      resolve(outcome);
    });
    outcome.socket = socket;
  });

const tally = (outcomes) => {
  const answered = {};
  for (const outcome of outcomes) {
    if (outcome.status !== undefined) answered[outcome.status] = (answered[outcome.status] ?? 0) + 1;
  }
  return {
    answered,
    closedWithoutAnswer: outcomes.filter((o) => o.closed && o.status === undefined).length,
    stillOpen: outcomes.filter((o) => !o.closed).length,
  };
};

const run = async (name, env) => {
  const server = await startServer({ env: { AIRLOCK_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS), ...env } });
  const { child, base: url } = server;
  const port = Number(new URL(url).port);
  const pid = child.pid;
  const link = await linkOf(url);
  await sleep(500);
  const before = { serverSockets: socketsOf(pid), rssMiB: rssMiB(pid) };

  // The server's open sockets, sampled every 100 ms until the end of the run.
  let mostSockets = 0;
  const sampler = setInterval(() => {
    mostSockets = Math.max(mostSockets, socketsOf(pid));
  }, 100);
  const started = Date.now();
  const outcomes = [];
  for (let first = 0; first < STALLS; first += BATCH) {
    const batch = [];
    for (let index = first; index < Math.min(first + BATCH, STALLS); index += 1)
      batch.push(stall(link, port));
    outcomes.push(...(await Promise.all(batch)));
  }
  const sentMs = Date.now() - started;
  await sleep(1000);
  const peak = { serverSockets: socketsOf(pid), rssMiB: rssMiB(pid), clients: tally(outcomes) };

  // The idle timeout counts from each connection's last byte; sockets are checked as they expire.
  const deadline = started + sentMs + IDLE_TIMEOUT_MS + 2000;
  let releasedAfterMs;
  while (Date.now() < deadline) {
    if (outcomes.every((outcome) => outcome.closed)) {
      releasedAfterMs = Date.now() - started - sentMs;
      break;
    }
    await sleep(50);
  }
  await sleep(Math.max(0, deadline - Date.now()));
  clearInterval(sampler);
  const after = { serverSockets: socketsOf(pid), rssMiB: rssMiB(pid), clients: tally(outcomes) };

  for (const outcome of outcomes) outcome.socket?.destroy();
  await server.stop();
  const result = {
    env,
    stalls: STALLS,
    sendAllMs: sentMs,
    before,
    mostServerSocketsAtOnce: mostSockets,
    oneSecondAfterLastSend: peak,
    afterIdleTimeout: after,
    allReleasedWithinMsOfLastSend: releasedAfterMs ?? null,
    allReleasedWithinIdleTimeout: releasedAfterMs !== undefined && releasedAfterMs <= IDLE_TIMEOUT_MS + 2000,
  };
  console.log(name, JSON.stringify(result, null, 2));
  return result;
};

const defaults = await run("defaults", {});
const idleTimeoutOnly = await run("idleTimeoutOnly", {
  AIRLOCK_MAX_CONNECTIONS: String(STALLS * 2),
  AIRLOCK_UPLOADS_PER_LINK: String(STALLS * 2),
  AIRLOCK_UPLOADS_PER_PERSON: String(STALLS * 2),
  AIRLOCK_RATE_LIMIT: "off",
});

const result = {
  benchmark: "stalls",
  node: process.version,
  date: new Date().toISOString(),
  cpus: cpus().length,
  loadAverageAtStart: loadavg().map((load) => Math.round(load * 100) / 100),
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  note: "server sockets include its listening socket and the socket pair of its stdout (2 when idle); RSS in MiB; the idle timeout is shortened for the run (30,000 ms by default)",
  defaults,
  idleTimeoutOnly,
};
await writeFile(new URL("./results/stalls.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
const failed = [defaults, idleTimeoutOnly].some((part) => !part.allReleasedWithinIdleTimeout);
process.exit(failed ? 1 : 0);
