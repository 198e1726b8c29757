// The disclosure gate through the Airlock HTTP API, with nothing but Node's fetch and crypto: an
// export of a frequency table with one small count reaches review with a finding that names the
// cell, which the reviewer reads next to the file; a table whose counts are all large passes.
//
//   pnpm start                      # in one terminal: the server (packages/server)
//   node examples/gates-disclosure/main.mjs
//
// AIRLOCK_URL and AIRLOCK_DEV_SECRET say where the server is and how to mint its tokens (see
// ../support/airlock-http.mjs).

import { randomBytes } from "node:crypto";
import {
  API_AUDIENCE,
  api,
  checkServer,
  detail,
  mintToken,
  putFile,
  say,
  waitForStatus,
} from "../support/airlock-http.mjs";

const upload = async (containerUrl, name, text) => {
  await putFile(containerUrl, name, text, "text/csv");
  detail(`uploaded ${name}:`);
  for (const line of text.trimEnd().split("\n")) detail(`  ${line}`);
};

const findingsOf = (request) =>
  (request.findings ?? []).map(
    (f) => `[${f.verdict}] ${f.gate} gate, ${f.file}${f.location ? `, ${f.location}` : ""}: ${f.message}`,
  );

const main = async () => {
  await checkServer("examples/gates-disclosure/main.mjs");

  const ws = `tables-${randomBytes(3).toString("hex")}`;
  const admin = mintToken({
    user: "tre-admin",
    name: "TRE Admin",
    roles: ["TREAdmin"],
    audience: API_AUDIENCE,
  });
  const people = {
    alice: { name: "Alice Researcher", roles: ["WorkspaceResearcher"] },
    bob: { name: "Bob Checker", roles: ["AirlockManager"] },
  };
  const [alice, bob] = Object.entries(people).map(([user, { name, roles }]) =>
    mintToken({ user, name, roles, audience: ws }),
  );

  say(`A TRE admin registers workspace ${ws}, whose policy runs the file-type and disclosure gates`);
  const workspace = await api("PUT", `/api/workspaces/${ws}`, admin, {
    displayName: "Tables",
    airlock: {
      scanning: false,
      gates: [
        { type: "file-type", allow: ["csv"] },
        { type: "disclosure", threshold: 10 },
      ],
    },
    members: Object.entries(people).map(([id, { name, roles }]) => ({
      id,
      name,
      email: `${id}@example.org`,
      roles,
    })),
  });
  detail(`gates ${JSON.stringify(workspace.airlock.gates)}`);

  const exportTable = async (title, name, table) => {
    const created = await api("POST", `/api/workspaces/${ws}/requests`, alice, {
      type: "export",
      title,
      businessJustification: "Tables for the paper",
    });
    const path = `/api/workspaces/${ws}/requests/${created.airlockRequest.id}`;
    await upload((await api("GET", `${path}/link`, alice)).containerUrl, name, table);
    await api("POST", `${path}/submit`, alice);
    return { path, reviewed: await waitForStatus(path, bob, "in_review") };
  };

  say("Alice exports a table of patients per area, one area with 3 patients");
  const small = await exportTable(
    "Patients per area",
    "areas.csv",
    "area,sex,count\nNorth,F,40\nNorth,M,3\nSouth,F,117\nSouth,M,96\n",
  );
  detail(`status ${small.reviewed.status}: ${small.reviewed.statusMessage}`);

  say("Bob, reviewing, reads the findings next to the file");
  for (const line of findingsOf((await api("GET", small.path, bob)).airlockRequest)) detail(line);

  say("Alice reads the same finding on her own file");
  for (const line of findingsOf((await api("GET", small.path, alice)).airlockRequest)) detail(line);

  say("A table whose every count is 10 or more passes the gate with no finding");
  const large = await exportTable(
    "Patients per region",
    "regions.csv",
    "region,count\nNorth,143\nSouth,213\n",
  );
  detail(`status ${large.reviewed.status}, findings: ${findingsOf(large.reviewed).length}`);

  console.log("\nDone.");
};

main().catch((error) => {
  console.error(`\nDisclosure gate example failed: ${error.message}`);
  process.exit(1);
});
