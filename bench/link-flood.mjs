// One client asks for the same link 50,000 times, against the server as `pnpm start` runs it:
// how many calls the rate limit refuses (429), how many audit entries the flood leaves (identical
// link asks share one), and how fast the audit trail is read a page at a time afterwards. A second
// run with the rate limit off lets every call through. A third lists the container through the
// link 50,000 times with the rate limit off: every call through a link is audited, so the request's
// trail then holds 50,000 entries, and its reads must stay paged and fast.
//
// Run: pnpm build && node bench/link-flood.mjs. Writes bench/results/link-flood.json.
//   BENCH_LINK_CALLS=50000   link calls per run
//   BENCH_AUDIT_READS=500    timed page reads of the audit trail per run
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import autocannon from "autocannon";
import { devToken, startServer } from "./support/server-process.mjs";

const CALLS = Number(process.env.BENCH_LINK_CALLS ?? 50_000);
const READS = Number(process.env.BENCH_AUDIT_READS ?? 500);
const WS = "ws1";

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (value) => Math.round(value * 1000) / 1000;

const flood = (url, token) =>
  new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: 20,
        amount: CALLS,
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });

/** Times `READS` reads of the first page, then walks every page once and counts the entries. */
const readAudit = async (url, token) => {
  const headers = { authorization: `Bearer ${token}` };
  const times = [];
  for (let read = 0; read < READS; read += 1) {
    const started = performance.now();
    const answer = await fetch(`${url}?pageSize=100`, { headers });
    const body = await answer.arrayBuffer();
    times.push(performance.now() - started);
    if (!answer.ok) throw new Error(`audit read answered ${answer.status}: ${Buffer.from(body)}`);
  }
  let entries = 0;
  let pages = 0;
  let largestPageBytes = 0;
  let continuation = null;
  do {
    const query = continuation === null ? "" : `&continuation=${encodeURIComponent(continuation)}`;
    const answer = await fetch(`${url}?pageSize=100${query}`, { headers });
    const text = await answer.text();
    largestPageBytes = Math.max(largestPageBytes, text.length);
    const page = JSON.parse(text);
    entries += page.entries.length;
    pages += 1;
    continuation = page.continuation;
  } while (continuation !== null);
  const verifyStarted = performance.now();
  const verification = await fetch(`${url}/verification`, { headers }).then((answer) => answer.json());
  const verifyMs = performance.now() - verifyStarted;
  times.sort((a, b) => a - b);
  return {
    entries,
    pages,
    largestPageBytes,
    firstPageMs: { p50: ms(percentile(times, 50)), p99: ms(percentile(times, 99)), max: ms(times.at(-1)) },
    verification: { ...verification, ms: ms(verifyMs) },
  };
};

const run = async (name, env, target = "link") => {
  const server = await startServer({ env });
  try {
    const alice = await devToken("alice", ["WorkspaceResearcher"]);
    const owner = await devToken("olivia", ["WorkspaceOwner"]);
    const requests = `${server.base}/api/workspaces/${WS}/requests`;
    const created = await fetch(requests, {
      method: "POST",
      headers: { authorization: `Bearer ${alice}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "import", title: "Link flood", businessJustification: "Bench" }),
    }).then((answer) => answer.json());
    const id = created.airlockRequest.id;
    const rssBefore = server.rss();
    const started = performance.now();
    let url = `${requests}/${id}/link`;
    let token = alice;
    if (target === "list") {
      const { containerUrl } = await fetch(url, { headers: { authorization: `Bearer ${alice}` } }).then(
        (answer) => answer.json(),
      );
      url = `${containerUrl}&restype=container&comp=list`;
      token = null;
    }
    const result = await flood(url, token);
    const floodSeconds = (performance.now() - started) / 1000;
    const statuses = {};
    for (const [code, count] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count.count;
    const audit = await readAudit(`${requests}/${id}/audit`, owner);
    const mib = (bytes) => Math.round((bytes / 1024 ** 2) * 10) / 10;
    const figures = {
      target: target === "list" ? "GET /blob/{id}?restype=container&comp=list" : "GET …/requests/{id}/link",
      env,
      calls: CALLS,
      floodSeconds: Math.round(floodSeconds * 100) / 100,
      answers: statuses,
      audit,
      rssMiB: { beforeFlood: mib(rssBefore), afterReads: mib(server.rss()) },
    };
    console.log(name, JSON.stringify(figures, null, 2));
    return figures;
  } finally {
    await server.stop();
  }
};

const withRateLimit = await run("withRateLimit", {});
const rateLimitOff = await run("rateLimitOff", { AIRLOCK_RATE_LIMIT: "off" });
const listingsRateLimitOff = await run("listingsRateLimitOff", { AIRLOCK_RATE_LIMIT: "off" }, "list");
const result = {
  benchmark: "link-flood",
  node: process.version,
  date: new Date().toISOString(),
  cpus: cpus().length,
  loadAverageAtStart: loadavg().map((load) => Math.round(load * 100) / 100),
  note: "one researcher's token asks GET …/link CALLS times (autocannon, 20 connections); then a Workspace Owner reads the request's audit trail: READS timed reads of the first page of 100, one walk over every page, and the verification endpoint",
  withRateLimit,
  rateLimitOff,
  listingsRateLimitOff,
};
await writeFile(
  new URL("./results/link-flood.json", import.meta.url),
  `${JSON.stringify(result, null, 2)}\n`,
);
