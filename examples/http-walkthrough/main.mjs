// A walk through the Airlock HTTP API with nothing but Node's fetch and crypto: register a
// workspace, import a file through a link, have it reviewed, and download what was approved.
//
//   pnpm start                      # in one terminal: the server (packages/server)
//   node examples/http-walkthrough/main.mjs
//
// AIRLOCK_URL and AIRLOCK_DEV_SECRET say where the server is and how to mint its tokens (see
// ../support/airlock-http.mjs).

import { randomBytes } from "node:crypto";
import {
  API_AUDIENCE,
  api,
  checkServer,
  detail,
  fileUrl,
  mintToken,
  putFile,
  say,
  waitForStatus,
} from "../support/airlock-http.mjs";

const main = async () => {
  await checkServer("examples/http-walkthrough/main.mjs");

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
  await putFile(draftLink, "reference.csv", content, "text/csv");
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
