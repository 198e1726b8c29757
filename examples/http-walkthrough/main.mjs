// A walk through the Airlock HTTP API with nothing but Node's fetch and crypto: register a
// workspace, import a file through a link, have it reviewed, and download what was approved.
//
//   pnpm start                      # in one terminal: the server (packages/server)
//   node examples/http-walkthrough/main.mjs
//
// AIRLOCK_URL (default http://127.0.0.1:8080) and AIRLOCK_DEV_SECRET (default: the server's
// documented development secret) say where the server is and how to mint its tokens.

import { createHmac, randomBytes } from "node:crypto";

const BASE = (process.env.AIRLOCK_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
// The same documented default as the server's (packages/http/src/auth/config.ts).
const SECRET = process.env.AIRLOCK_DEV_SECRET ?? "airlock-development-secret-do-not-use-in-production";
const API_AUDIENCE = process.env.AIRLOCK_API_AUDIENCE ?? "airlock-api";
const WAIT_MS = 30_000;

let step = 0;
const say = (text) => console.log(`\n${++step}. ${text}`);
const detail = (text) => console.log(`   ${text}`);

/** An HS256 JWT shaped like an Entra ID access token, as the server's development mode expects. */
const mintToken = ({ user, name, roles, audience }) => {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const header = encode({ alg: "HS256", typ: "JWT" });
  const payload = encode({
    oid: user,
    sub: user,
    name,
    email: `${user}@example.org`,
    roles,
    aud: audience,
    iss: "airlock-dev",
    iat: now,
    exp: now + 3600,
  });
  const signature = createHmac("sha256", SECRET).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
};

/** One JSON call; a problem+json answer stops the walkthrough with its details. */
const api = async (method, path, token, body) => {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = await response.json();
  if (!response.ok) {
    throw new Error(`${method} ${path} answered ${response.status} ${answer.code}: ${answer.detail}`);
  }
  return answer;
};

/** A file URL inside a container link: the container path plus `/{name}`, the token unchanged. */
const fileUrl = (containerUrl, name) => {
  const url = new URL(containerUrl);
  url.pathname = `${url.pathname}/${encodeURIComponent(name)}`;
  return url;
};

const waitForStatus = async (path, token, wanted) => {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const { airlockRequest } = await api("GET", path, token);
    if (airlockRequest.status === wanted) return airlockRequest;
    if (["failed", "blocked_by_scan", "rejected", "cancelled"].includes(airlockRequest.status)) {
      throw new Error(`the request ended ${airlockRequest.status}: ${airlockRequest.statusMessage ?? ""}`);
    }
    if (Date.now() > deadline) throw new Error(`still ${airlockRequest.status} after ${WAIT_MS / 1000} s`);
    detail(`status ${airlockRequest.status}, waiting…`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
};

const main = async () => {
  const health = await fetch(`${BASE}/health`).catch((error) => {
    throw new Error(
      `no server answers at ${BASE} (${error.cause?.code ?? error.message}): start one with \`pnpm start\`, or point AIRLOCK_URL at yours (AIRLOCK_URL=http://host:port node examples/http-walkthrough/main.mjs)`,
    );
  });
  if (!health.ok) throw new Error(`${BASE}/health answered ${health.status}`);

  const ws = `walkthrough-${randomBytes(3).toString("hex")}`;
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
  const bob = mintToken({ user: "bob", name: "Bob Manager", roles: ["AirlockManager"], audience: ws });

  say(`A TRE admin registers workspace ${ws}`);
  const workspace = await api("PUT", `/api/workspaces/${ws}`, admin, {
    displayName: "Walkthrough",
    airlock: { requiredApprovals: 1, maxFileSize: 10 * 1024 * 1024 },
    members: [
      { id: "alice", name: "Alice Researcher", email: "alice@example.org", roles: ["WorkspaceResearcher"] },
      { id: "bob", name: "Bob Manager", email: "bob@example.org", roles: ["AirlockManager"] },
    ],
  });
  detail(`policy ${JSON.stringify(workspace.airlock)}`);

  say("Alice creates an import request");
  const created = await api("POST", `/api/workspaces/${ws}/requests`, alice, {
    type: "import",
    title: "Reference data",
    businessJustification: "Needed to calibrate the model",
  });
  const id = created.airlockRequest.id;
  const requestPath = `/api/workspaces/${ws}/requests/${id}`;
  detail(
    `request ${id}, status ${created.airlockRequest.status}, Alice may ${created.allowedUserActions.join(", ")}`,
  );

  say("Alice gets a link to the draft container and uploads a file through it");
  const draftLink = (await api("GET", `${requestPath}/link`, alice)).containerUrl;
  detail(`link ${draftLink.split("?")[0]}?… (permissions ${new URL(draftLink).searchParams.get("sp")})`);
  const content = Buffer.from("site,value\nA,42\nB,17\n");
  const upload = await fetch(fileUrl(draftLink, "reference.csv"), {
    method: "PUT",
    headers: { "x-ms-blob-type": "BlockBlob", "content-type": "text/csv" },
    body: content,
  });
  if (upload.status !== 201) throw new Error(`upload answered ${upload.status}: ${await upload.text()}`);
  detail(`uploaded reference.csv (${content.length} bytes)`);

  say("Alice submits the request; scanning runs");
  const submitted = await api("POST", `${requestPath}/submit`, alice);
  detail(`status ${submitted.airlockRequest.status}`);
  const inReview = await waitForStatus(requestPath, bob, "in_review");
  detail(
    `status ${inReview.status}; files ${inReview.files.map((f) => `${f.name} (${f.size} B)`).join(", ")}`,
  );

  say("Bob, an airlock manager, approves it");
  const reviewed = await api("POST", `${requestPath}/review`, bob, {
    approval: true,
    decisionExplanation: "Public reference data, nothing identifiable",
  });
  detail(`status ${reviewed.airlockRequest.status}`);
  const approved = await waitForStatus(requestPath, alice, "approved");
  detail(`status ${approved.status}`);

  say("Alice downloads the approved file inside the workspace and compares it");
  const approvedLink = (await api("GET", `${requestPath}/link`, alice)).containerUrl;
  const listing = await fetch(`${approvedLink}&restype=container&comp=list`).then((r) => r.text());
  detail(`container holds: ${[...listing.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]).join(", ")}`);
  const download = await fetch(fileUrl(approvedLink, "reference.csv"));
  const downloaded = Buffer.from(await download.arrayBuffer());
  if (!downloaded.equals(content)) throw new Error("the downloaded file differs from the uploaded one");
  detail(`identical: ${downloaded.length} bytes, sha256 ${approved.files[0].sha256}`);

  say("The audit trail");
  // A TRE admin's token (API audience) is accepted for a workspace's audit trail.
  const trail = await api("GET", `${requestPath}/audit`, admin);
  for (const entry of trail.entries) {
    const moved = entry.toStatus && entry.toStatus !== entry.fromStatus ? ` → ${entry.toStatus}` : "";
    detail(`${entry.action.padEnd(10)} ${entry.outcome.padEnd(10)} by ${entry.actor.name}${moved}`);
  }
  const verification = await api("GET", `${requestPath}/audit/verification`, admin);
  detail(`hash chain verified: ${verification.ok}`);
  console.log("\nDone.");
};

main().catch((error) => {
  console.error(`\nWalkthrough failed: ${error.message}`);
  process.exit(1);
});
