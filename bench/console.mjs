// The web console in Debian's Chromium against the server as built (memory ports, inline
// processing, the console): how long a reviewer waits until the review page of a 20-file request
// can be used (from navigation to the last file's vote button, in a fresh browser context each
// time, so the console's script is fetched every time), and the upload throughput of one large
// file through the console (Put Block of 8 MiB slices with XMLHttpRequest, then Put Block List)
// against the same calls made with fetch from Node. Writes bench/results/console.json.
// BENCH_CONSOLE_UPLOAD_MIB (default 1024) sets the file's size; BENCH_CONSOLE_RUNS the page loads.
import { randomBytes } from "node:crypto";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { createMemoryPorts } from "@airlock/adapters-memory";
import { createAirlock, WorkspaceSchema } from "@airlock/core";
import { buildServer, DEV_SECRET_DEFAULT, mintDevToken } from "@airlock/http";
import { chromium } from "playwright-core";
import { registerConsole } from "../packages/server/dist/console.js";

const RUNS = Number(process.env.BENCH_CONSOLE_RUNS ?? 10);
const UPLOAD_MIB = Number(process.env.BENCH_CONSOLE_UPLOAD_MIB ?? 1024);
const FILES = 20;
const BLOCK = 8 * 1024 * 1024;
const CHROMIUM = process.env.AIRLOCK_CHROMIUM ?? "/usr/bin/chromium";
const CONSOLE_DIST = fileURLToPath(new URL("../packages/console/dist", import.meta.url));

const loadAtStart = loadavg().map((value) => Number(value.toFixed(2)));
const startedAt = new Date().toISOString();

const person = (id, role) => ({ id, name: id, email: `${id}@example.org`, roles: [role] });
const rita = person("rita", "WorkspaceResearcher");
const mo = person("mo", "AirlockManager");
const workspace = WorkspaceSchema.parse({
  id: "ws1",
  displayName: "Bench",
  clientId: "ws1",
  policy: { maxFiles: FILES, maxFileSize: 2 * 1024 ** 3, maxOpenDrafts: 1000 },
  members: [rita, mo],
});

const must = async (result) => {
  const answer = await result;
  if (answer.isErr()) throw new Error(`${answer.error.kind}: ${answer.error.message}`);
  return answer.value;
};

const ports = createMemoryPorts({ workspaces: [workspace] });
const airlock = createAirlock(ports, { processing: "inline" });
const auth = { mode: "development", secret: DEV_SECRET_DEFAULT };
const app = buildServer({
  airlock,
  workspaces: ports.workspaces,
  auth,
  blobEndpoint: "embedded",
  logger: false,
});
await registerConsole(app, { root: CONSOLE_DIST, auth, workspaces: ports.workspaces });
const base = await app.listen({ host: "127.0.0.1", port: 0 });

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

/** A fresh context signed in as `who` (the console keeps its development identity in sessionStorage). */
const pageAs = async (who) => {
  const context = await browser.newContext();
  await context.addInitScript(
    (identity) => {
      sessionStorage.setItem("airlock.console.identity", JSON.stringify(identity));
    },
    { userId: who.id, name: who.name, roles: who.roles },
  );
  return context.newPage();
};

const percentiles = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (value) => Number(value.toFixed(1));
  return { p50: round(at(0.5)), max: round(sorted.at(-1)), min: round(sorted[0]), samples: sorted.length };
};

// The first page a person meets (the sign-in page, nobody signed in yet): every script and style
// sheet it loads, as sent and as gzip would send them (the server leaves compression to a proxy).
const firstPage = await (async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const loaded = [];
  page.on("response", (response) => {
    const type = response.request().resourceType();
    if (type === "script" || type === "stylesheet" || type === "document") loaded.push(response);
  });
  await page.goto(`${base}/`);
  await page.getByRole("heading", { name: "Sign in (development)" }).waitFor();
  const bodies = await Promise.all(
    loaded.map(async (response) => ({ url: response.url(), body: await response.body() })),
  );
  await context.close();
  const sum = (values) => values.reduce((total, value) => total + value, 0);
  const scripts = bodies.filter(({ url }) => url.endsWith(".js"));
  return {
    description: "what the sign-in page loads in a fresh browser: the page, its scripts (gzip level 6)",
    requests: bodies.length,
    scripts: scripts.length,
    rawBytes: sum(bodies.map(({ body }) => body.length)),
    gzipBytes: sum(bodies.map(({ body }) => gzipSync(body).length)),
    scriptGzipBytes: sum(scripts.map(({ body }) => gzipSync(body).length)),
  };
})();

// A 20-file request in review.
const { airlockRequest: review } = await must(
  airlock.create(rita, "ws1", { type: "export", title: "Twenty tables", businessJustification: "Bench" }),
);
const csv = Buffer.from(
  `region,count\n${Array.from({ length: 200 }, (_, n) => `r${n},${100 + n}`).join("\n")}\n`,
);
for (let file = 0; file < FILES; file += 1) {
  await must(
    airlock.upload(
      review.id,
      `table-${file}.csv`,
      (async function* () {
        yield csv;
      })(),
    ),
  );
}
await must(airlock.submit(rita, "ws1", review.id));
await airlock.processor.idle();
const reviewUrl = `${base}/workspaces/ws1/requests/${review.id}`;

const pageReady = [];
for (let run = 0; run < RUNS; run += 1) {
  const page = await pageAs(mo);
  await page.goto(reviewUrl, { waitUntil: "commit" });
  await page.getByRole("button", { name: `Approve table-${FILES - 1}.csv` }).waitFor();
  // Milliseconds from the navigation's start, as the page measures it.
  pageReady.push(await page.evaluate(() => performance.now()));
  await page.context().close();
}

// One large file: through the console, then with fetch from Node, each into its own draft.
const folder = await mkdtemp(join(tmpdir(), "airlock-console-bench-"));
const path = join(folder, "large.bin");
const bytes = UPLOAD_MIB * 1024 * 1024;
{
  const handle = await open(path, "w");
  const chunk = randomBytes(BLOCK);
  for (let written = 0; written < bytes; written += chunk.length) {
    await handle.write(chunk, 0, Math.min(chunk.length, bytes - written));
  }
  await handle.close();
}

const draft = async (title) =>
  (await must(airlock.create(rita, "ws1", { type: "export", title, businessJustification: "Bench" })))
    .airlockRequest.id;

const consoleDraft = await draft("Through the console");
const page = await pageAs(rita);
await page.goto(`${base}/workspaces/ws1/requests/${consoleDraft}`);
await page.getByText("No files uploaded yet").waitFor();
const consoleStart = process.hrtime.bigint();
await page.locator('input[type="file"]').setInputFiles(path);
await page.getByText("Uploaded", { exact: true }).waitFor({ timeout: 30 * 60_000 });
const consoleSeconds = Number(process.hrtime.bigint() - consoleStart) / 1e9;
await page.context().close();

const nodeDraft = await draft("With fetch");
const token = await mintDevToken({
  secret: DEV_SECRET_DEFAULT,
  userId: rita.id,
  roles: rita.roles,
  audience: "ws1",
});
const { containerUrl } = await (
  await fetch(`${base}/api/workspaces/ws1/requests/${nodeDraft}/link`, {
    headers: { authorization: `Bearer ${token}` },
  })
).json();
const fileUrl = (query) => {
  const url = new URL(containerUrl);
  url.pathname = `${url.pathname}/large.bin`;
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url;
};
const nodeStart = process.hrtime.bigint();
{
  const handle = await open(path, "r");
  const ids = [];
  const buffer = Buffer.alloc(BLOCK);
  for (let offset = 0, index = 0; offset < bytes; offset += BLOCK, index += 1) {
    const { bytesRead } = await handle.read(buffer, 0, BLOCK, offset);
    const id = Buffer.from(`block-${String(index).padStart(6, "0")}`).toString("base64");
    const answer = await fetch(fileUrl({ comp: "block", blockid: id }), {
      method: "PUT",
      headers: { "x-ms-version": "2025-01-05" },
      body: buffer.subarray(0, bytesRead),
    });
    if (!answer.ok) throw new Error(`Put Block answered ${answer.status}`);
    ids.push(id);
  }
  await handle.close();
  const list = await fetch(fileUrl({ comp: "blocklist" }), {
    method: "PUT",
    headers: { "x-ms-version": "2025-01-05", "content-type": "application/xml" },
    body: `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join("")}</BlockList>`,
  });
  if (!list.ok) throw new Error(`Put Block List answered ${list.status}`);
}
const nodeSeconds = Number(process.hrtime.bigint() - nodeStart) / 1e9;

await browser.close();
await app.close();
await rm(folder, { recursive: true, force: true });

const mibPerSecond = (seconds) => Number((UPLOAD_MIB / seconds).toFixed(1));
const result = {
  benchmark: "console",
  node: process.version,
  chromium: CHROMIUM,
  date: startedAt,
  cpus: cpus().length,
  loadAverageAtStart: loadAtStart,
  firstPage,
  reviewPage: {
    files: FILES,
    description:
      "ms from navigation start until the last file's vote button is on the page, fresh context each run",
    readyMs: percentiles(pageReady),
  },
  upload: {
    mib: UPLOAD_MIB,
    blockMib: BLOCK / 1024 / 1024,
    consoleSeconds: Number(consoleSeconds.toFixed(2)),
    nodeFetchSeconds: Number(nodeSeconds.toFixed(2)),
    consoleMiBPerSecond: mibPerSecond(consoleSeconds),
    nodeFetchMiBPerSecond: mibPerSecond(nodeSeconds),
    consoleOverNodeFetch: Number((nodeSeconds / consoleSeconds).toFixed(2)),
  },
};
await writeFile(new URL("./results/console.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
process.exit(0);
