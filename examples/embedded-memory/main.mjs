// The airlock embedded in a program, fully in memory: an import and an export from creation to
// approval, and an upload that the malware scanner blocks. Run with `pnpm example`.
import { createMemoryPorts } from "@airlock/adapters-memory";
import { createAirlock, DEFAULT_POLICY } from "@airlock/core";

const EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

const workspace = {
  id: "ws-genomics",
  displayName: "Genomics study",
  clientId: "ws-genomics",
  policy: { ...DEFAULT_POLICY, maxFiles: 1 },
  members: [
    { id: "rita", name: "Rita Researcher", email: "rita@example.org", roles: ["WorkspaceResearcher"] },
    { id: "mo", name: "Mo Manager", email: "mo@example.org", roles: ["AirlockManager"] },
  ],
};
const rita = {
  id: "rita",
  name: "Rita Researcher",
  email: "rita@example.org",
  roles: ["WorkspaceResearcher"],
};
const mo = { id: "mo", name: "Mo Manager", email: "mo@example.org", roles: ["AirlockManager"] };

const ports = createMemoryPorts({ workspaces: [workspace] });
const airlock = createAirlock(ports);

/** Unwraps a Result, or stops the example with the error the engine gave. */
const must = async (resultAsync) => {
  const result = await resultAsync;
  if (result.isErr()) throw new Error(`${result.error.kind}: ${result.error.message}`);
  return result.value;
};

async function* chunksOf(text) {
  yield new TextEncoder().encode(text);
}

const show = (label, request) =>
  console.log(
    `${label.padEnd(30)} ${request.type.padEnd(6)} ${request.status}${request.statusMessage ? ` (${request.statusMessage})` : ""}`,
  );

async function walk(type, fileName, content, decision) {
  const { airlockRequest: created } = await must(
    airlock.create(rita, workspace.id, {
      type,
      title: `${type} of ${fileName}`,
      businessJustification: "needed for the study",
    }),
  );
  show("created", created);
  await must(airlock.upload(created.id, fileName, chunksOf(content)));
  const { airlockRequest: submitted } = await must(airlock.submit(rita, workspace.id, created.id));
  show("submitted", submitted);
  await airlock.processor.idle(); // data moved to the in-progress stage and scanned
  const { airlockRequest: scanned } = await must(airlock.get(rita, workspace.id, created.id));
  show("after the malware scan", scanned);
  if (scanned.status !== "in_review") return scanned;
  const { airlockRequest: reviewed } = await must(
    airlock.review(mo, workspace.id, created.id, {
      approval: decision,
      decisionExplanation: "checked by hand",
    }),
  );
  show("reviewed", reviewed);
  await airlock.processor.idle(); // data moved to its final stage
  const { airlockRequest: done } = await must(airlock.get(rita, workspace.id, created.id));
  show("final", done);
  return done;
}

const imported = await walk("import", "reference-genome.csv", "chrom,pos\n1,12345\n", true);
const exported = await walk("export", "summary-statistics.csv", "mean,sd\n4.2,0.3\n", true);
const blocked = await walk("import", "suspicious.bin", EICAR, true);

const trail = await must(airlock.auditTrail(mo, workspace.id, imported.id));
const verification = await must(airlock.verifyAuditTrail(mo, workspace.id, imported.id));
console.log(
  `\naudit trail of the import: ${trail.entries.length} entries, chain verifies: ${verification.ok}`,
);
console.log(
  `events published: ${ports.events.published().length}, emails sent: ${ports.notifier.sent().length}`,
);

const ok =
  imported.status === "approved" && exported.status === "approved" && blocked.status === "blocked_by_scan";
if (!ok) {
  console.error("unexpected outcome");
  process.exit(1);
}
