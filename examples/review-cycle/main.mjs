// A review cycle through the Airlock HTTP API, with nothing but Node's fetch and crypto: an export
// of two files is returned for changes once, resubmitted with one file replaced and the other
// withdrawn, and approved by two reviewers who vote independently. Only the replaced file leaves.
//
//   pnpm start                      # in one terminal: the server (packages/server)
//   node examples/review-cycle/main.mjs
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

const upload = async (containerUrl, name, text) => {
  detail(`uploaded ${name} (${await putFile(containerUrl, name, text, "text/plain")} bytes)`);
};

const votesOf = (request) =>
  request.votes.map((v) => `${v.reviewer.name}: ${v.file} ${v.vote} (turn ${v.turn})`).join("; ") || "none";
const commentsOf = (comments) =>
  comments.map((c) => `[${c.visibility}] ${c.author.name}${c.file ? ` on ${c.file}` : ""}: "${c.text}"`);

const main = async () => {
  await checkServer("examples/review-cycle/main.mjs");

  const ws = `review-${randomBytes(3).toString("hex")}`;
  const admin = mintToken({
    user: "tre-admin",
    name: "TRE Admin",
    roles: ["TREAdmin"],
    audience: API_AUDIENCE,
  });
  const people = {
    alice: { name: "Alice Researcher", roles: ["WorkspaceResearcher"] },
    bob: { name: "Bob Checker", roles: ["AirlockManager"] },
    mona: { name: "Mona Checker", roles: ["AirlockManager"] },
  };
  const [alice, bob, mona] = Object.entries(people).map(([user, { name, roles }]) =>
    mintToken({ user, name, roles, audience: ws }),
  );

  say(`A TRE admin registers workspace ${ws}: two files per request, two independent reviewers per file`);
  const workspace = await api("PUT", `/api/workspaces/${ws}`, admin, {
    displayName: "Review cycle",
    airlock: {
      maxFiles: 2,
      requiredApprovals: 2,
      independentReview: true,
      requireFileContext: true,
      maxFileSize: 10 * 1024 * 1024,
    },
    members: Object.entries(people).map(([id, { name, roles }]) => ({
      id,
      name,
      email: `${id}@example.org`,
      roles,
    })),
  });
  const { maxFiles, requiredApprovals, independentReview, requireFileContext } = workspace.airlock;
  detail(`policy ${JSON.stringify({ maxFiles, requiredApprovals, independentReview, requireFileContext })}`);

  say("Alice creates an export request and uploads two files through the draft link");
  const created = await api("POST", `/api/workspaces/${ws}/requests`, alice, {
    type: "export",
    title: "Tables for the paper",
    businessJustification: "Aggregate results for publication",
  });
  const id = created.airlockRequest.id;
  const requestPath = `/api/workspaces/${ws}/requests/${id}`;
  detail(`request ${id}, status ${created.airlockRequest.status}`);
  const draftLink = (await api("GET", `${requestPath}/link`, alice)).containerUrl;
  await upload(draftLink, "tables.csv", "area,count\nNorth,3\nSouth,117\n");
  await upload(draftLink, "notes.txt", "Method notes, with a few patient ids left in by mistake\n");

  say("Alice describes each file and the disclosure controls applied (the policy requires both)");
  for (const [name, description, controls] of [
    ["tables.csv", "Patients per area", "none"],
    ["notes.txt", "How the counts were made", "none"],
  ]) {
    await api("PATCH", `${requestPath}/files/${encodeURIComponent(name)}`, alice, { description, controls });
    detail(`${name}: "${description}", controls "${controls}"`);
  }

  say("Alice submits; scanning runs");
  await api("POST", `${requestPath}/submit`, alice);
  const inReview = await waitForStatus(requestPath, bob, "in_review");
  detail(`turn ${inReview.turn}; files ${inReview.files.map((f) => `${f.name} (${f.size} B)`).join(", ")}`);

  say("Mona votes first: changes for tables.csv (a count below 10), approval for notes.txt");
  await api("PUT", `${requestPath}/files/tables.csv/vote`, mona, {
    vote: "request_changes",
    comment: "North has a count of 3",
  });
  await api("PUT", `${requestPath}/files/notes.txt/vote`, mona, { vote: "approve" });

  say("Bob votes on his own: until he has voted on every file he sees no other reviewer's vote");
  const bobHalfway = await api("PUT", `${requestPath}/files/tables.csv/vote`, bob, { vote: "approve" });
  detail(`after one vote Bob sees: ${votesOf(bobHalfway.airlockRequest)}`);
  const bobDone = await api("PUT", `${requestPath}/files/notes.txt/vote`, bob, { vote: "request_changes" });
  detail(`after both votes Bob sees: ${votesOf(bobDone.airlockRequest)}`);
  const aliceWaiting = await api("GET", requestPath, alice);
  detail(`Alice sees no vote of the open turn: ${votesOf(aliceWaiting.airlockRequest)}`);

  say("Mona returns the request: one comment for Alice, one for the reviewers only");
  const returned = await api("POST", `${requestPath}/return`, mona, {
    comments: [
      { text: "Please round counts below 10; the notes name patients and cannot leave", file: "tables.csv" },
      { text: "Reviewers: check the South total against the protocol", visibility: "reviewers" },
    ],
  });
  detail(`status ${returned.airlockRequest.status}`);
  const changesRequested = await waitForStatus(requestPath, alice, "changes_requested");
  detail(
    `status ${changesRequested.status}, turn ${changesRequested.turn}; Alice may ${(await api("GET", requestPath, alice)).allowedUserActions.join(", ")}`,
  );
  detail(
    `decisions of turn 1: ${changesRequested.fileDecisions.map((d) => `${d.file} ${d.decision}`).join(", ")}`,
  );
  for (const line of commentsOf((await api("GET", `${requestPath}/comments`, alice)).comments)) {
    detail(`Alice reads ${line}`);
  }
  const bobComments = (await api("GET", `${requestPath}/comments`, bob)).comments;
  detail(`Bob reads ${bobComments.length} comments, Alice ${changesRequested.comments.length}`);

  say("Alice rounds the table, uploads it again through the draft link, and withdraws the notes");
  const rounded = "area,count\nNorth,<10\nSouth,120\n";
  await upload((await api("GET", `${requestPath}/link`, alice)).containerUrl, "tables.csv", rounded);
  await api("PATCH", `${requestPath}/files/tables.csv`, alice, {
    controls: "counts below 10 suppressed, others rounded to 10",
  });
  const withdrawn = await api("POST", `${requestPath}/files/notes.txt/withdraw`, alice);
  detail(
    `files: ${withdrawn.airlockRequest.files.map((f) => `${f.name} ${f.state}`).join(", ")} (as recorded at the last submit)`,
  );
  await api("POST", `${requestPath}/comments`, alice, {
    text: "Rounded as asked; the notes are withdrawn",
    visibility: "everyone",
  });

  say("Alice resubmits; the files are scanned again");
  await api("POST", `${requestPath}/submit`, alice);
  const again = await waitForStatus(requestPath, bob, "in_review");
  const changes = await api("GET", `${requestPath}/changes`, bob);
  detail(
    `turn ${again.turn}; since the returned turn: ${changes.files.map((f) => `${f.file} ${f.change}`).join(", ")}`,
  );

  say("Both reviewers approve the one active file; the second approval approves the request");
  const first = await api("PUT", `${requestPath}/files/tables.csv/vote`, bob, { vote: "approve" });
  detail(`after Bob: ${first.airlockRequest.status}`);
  const second = await api("PUT", `${requestPath}/files/tables.csv/vote`, mona, { vote: "approve" });
  detail(`after Mona: ${second.airlockRequest.status}`);
  const approved = await waitForStatus(requestPath, alice, "approved");
  detail(
    `status ${approved.status}; decisions of turn ${approved.turn}: ${approved.fileDecisions
      .filter((d) => d.turn === approved.turn)
      .map((d) => `${d.file} ${d.decision}`)
      .join(", ")}`,
  );

  say("Alice downloads what left the workspace: the rounded table only");
  const approvedLink = (await api("GET", `${requestPath}/link`, alice)).containerUrl;
  const listing = await fetch(`${approvedLink}&restype=container&comp=list`).then((r) => r.text());
  const names = [...listing.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]);
  detail(`container holds: ${names.join(", ")}`);
  if (names.join() !== "tables.csv") throw new Error("the approved container should hold tables.csv only");
  const downloaded = await fetch(fileUrl(approvedLink, "tables.csv")).then((r) => r.text());
  if (downloaded !== rounded) throw new Error("the approved file is not the replaced one");
  detail(`tables.csv is the rounded version: ${JSON.stringify(downloaded)}`);

  say("What Alice was shown never included the reviewers' own comments");
  const seen = JSON.stringify([
    await api("GET", requestPath, alice),
    await api("GET", `${requestPath}/comments`, alice),
    await api("GET", `${requestPath}/changes`, alice),
  ]);
  if (seen.includes("South total") || seen.includes("North has a count")) {
    throw new Error("a reviewers-only comment reached the requester");
  }
  detail(
    `Alice reads ${approved.comments.length} comments; Bob reads ${(await api("GET", `${requestPath}/comments`, bob)).comments.length}`,
  );
  console.log("\nDone.");
};

main().catch((error) => {
  console.error(`\nReview cycle failed: ${error.message}`);
  process.exit(1);
});
