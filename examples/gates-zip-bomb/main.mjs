// A zip bomb through the Airlock HTTP API, with nothing but Node's fetch, crypto and zlib: a
// workspace whose policy lists the archive gate, an export holding a zip of about 1 MiB that
// expands to 1 GiB of zeros, and the request blocked (`blocked_by_scan`) with the gate's findings,
// judged from the zip's central directory before anything is inflated.
//
//   pnpm start                      # in one terminal: the server (packages/server)
//   node examples/gates-zip-bomb/main.mjs
//
// AIRLOCK_URL and AIRLOCK_DEV_SECRET say where the server is and how to mint its tokens (see
// ../support/airlock-http.mjs).

import { randomBytes } from "node:crypto";
import { crc32, deflateRawSync } from "node:zlib";
import { API_AUDIENCE, api, checkServer, detail, mintToken, putFile, say } from "../support/airlock-http.mjs";

const MIB = 1024 * 1024;
const WAIT_MS = 30_000;

/**
 * A zip of `count` entries, each `entryBytes` of zeros, written as the zip format describes: local
 * headers with the deflated data, the central directory, its end record. Zeros deflate about a
 * thousandfold, and every entry reuses the one deflated block.
 */
const zipBomb = (count, entryBytes) => {
  const zeros = Buffer.alloc(entryBytes);
  const data = deflateRawSync(zeros, { level: 9 });
  const crc = crc32(zeros);
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (let i = 0; i < count; i += 1) {
    const name = Buffer.from(`results/part-${i}.bin`);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); // local file header
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(entryBytes, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); // central directory header
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(entryBytes, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
};

/** Reads the request until the gates and the scanner are done with it. */
const settled = async (path, token) => {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const { airlockRequest } = await api("GET", path, token);
    if (!["submitted", "blocking_in_progress"].includes(airlockRequest.status)) return airlockRequest;
    if (Date.now() > deadline) throw new Error(`still ${airlockRequest.status} after ${WAIT_MS / 1000} s`);
    detail(`status ${airlockRequest.status}, waiting…`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
};

const main = async () => {
  await checkServer("examples/gates-zip-bomb/main.mjs");

  const ws = `zip-bomb-${randomBytes(3).toString("hex")}`;
  const admin = mintToken({
    user: "tre-admin",
    name: "TRE Admin",
    roles: ["TREAdmin"],
    audience: API_AUDIENCE,
  });
  const alice = mintToken({
    user: "alice",
    name: "Alice Researcher",
    roles: ["WorkspaceResearcher"],
    audience: ws,
  });

  say(`A TRE admin registers workspace ${ws}, whose policy lists the archive gate with its defaults`);
  const workspace = await api("PUT", `/api/workspaces/${ws}`, admin, {
    displayName: "Zip bomb",
    airlock: { gates: [{ type: "archive" }] },
    members: [
      { id: "alice", name: "Alice Researcher", email: "alice@example.org", roles: ["WorkspaceResearcher"] },
    ],
  });
  detail(`gates ${JSON.stringify(workspace.airlock.gates)}`);

  say("Alice builds a zip bomb: 16 entries of 64 MiB of zeros each");
  const bomb = zipBomb(16, 64 * MIB);
  detail(`results.zip is ${bomb.length} bytes on disk and expands to ${16 * 64 * MIB} bytes`);

  say("Alice creates an export request, uploads the zip through the draft link and submits");
  const created = await api("POST", `/api/workspaces/${ws}/requests`, alice, {
    type: "export",
    title: "Results",
    businessJustification: "Model outputs for the paper",
  });
  const requestPath = `/api/workspaces/${ws}/requests/${created.airlockRequest.id}`;
  const draftLink = (await api("GET", `${requestPath}/link`, alice)).containerUrl;
  await putFile(draftLink, "results.zip", bomb, "application/zip");
  await api("POST", `${requestPath}/submit`, alice);
  detail("submitted; the archive gate reads the zip's central directory");

  say("The request is blocked, and Alice reads why");
  const request = await settled(requestPath, alice);
  detail(`status ${request.status}`);
  detail(`statusMessage ${request.statusMessage}`);
  const shown = 3;
  for (const finding of request.findings.slice(0, shown)) {
    const where = finding.location ? ` at ${finding.location}` : "";
    detail(`finding: ${finding.gate} ${finding.verdict} ${finding.file}${where}: ${finding.message}`);
  }
  if (request.findings.length > shown) detail(`… and ${request.findings.length - shown} more findings`);
  if (request.status !== "blocked_by_scan")
    throw new Error(`expected blocked_by_scan, got ${request.status}`);
  console.log("\nDone.");
};

main().catch((error) => {
  console.error(`\nZip bomb example failed: ${error.message}`);
  process.exit(1);
});
