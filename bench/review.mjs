// Review of a 20-file request in the memory profile's wiring (memory ports, inline processing,
// the memory scanner on): submit → in_review (20 files moved, hashed and scanned), and the decision
// of two independent reviewers voting on every file (the last vote approves the request and its 20
// files move). Engine calls in process, no HTTP: what the engine itself costs. Writes
// bench/results/review.json.
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { createMemoryPorts } from "@airlock/adapters-memory";
import { createAirlock, WorkspaceSchema } from "@airlock/core";

const REQUESTS = Number(process.env.BENCH_REVIEW_REQUESTS ?? 200);
const WARMUP = 20;
const FILES = 20;
const FILE_BYTES = 64 * 1024;

const person = (id, role) => ({ id, name: id, email: `${id}@example.org`, roles: [role] });
const rita = person("rita", "WorkspaceResearcher");
const reviewers = [person("mo", "AirlockManager"), person("ann", "AirlockManager")];
const workspace = WorkspaceSchema.parse({
  id: "ws1",
  displayName: "Bench",
  clientId: "ws1",
  policy: { maxFiles: FILES, requiredApprovals: 2, independentReview: true, maxOpenDrafts: 1000 },
  members: [rita, ...reviewers].map(({ id, name, email, roles }) => ({ id, name, email, roles })),
});

const content = new Uint8Array(FILE_BYTES).fill(97);
async function* bytes() {
  yield content;
}

const must = async (result) => {
  const answer = await result;
  if (answer.isErr()) throw new Error(`${answer.error.kind}: ${answer.error.message}`);
  return answer.value;
};

const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;

const percentiles = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (value) => Number(value.toFixed(3));
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1)), samples: sorted.length };
};

const ports = createMemoryPorts({ workspaces: [workspace], keepSent: 1_000 });
const airlock = createAirlock(ports, { processing: "inline" });
const submitToReview = [];
const votes = [];
const decisions = [];

for (let n = 0; n < REQUESTS + WARMUP; n += 1) {
  const { airlockRequest } = await must(
    airlock.create(rita, "ws1", { type: "export", title: `Outputs ${n}`, businessJustification: "Bench" }),
  );
  const { id } = airlockRequest;
  const names = Array.from({ length: FILES }, (_, file) => `table-${file}.csv`);
  for (const name of names) await must(airlock.upload(id, name, bytes()));

  const submitted = process.hrtime.bigint();
  await must(airlock.submit(rita, "ws1", id));
  await airlock.processor.idle();
  const inReview = (await must(airlock.get(rita, "ws1", id))).airlockRequest.status;
  if (inReview !== "in_review") throw new Error(`request ${id} is ${inReview} after submit`);
  const reviewTook = ms(submitted);

  const deciding = process.hrtime.bigint();
  const voteTimes = [];
  for (const reviewer of reviewers) {
    for (const name of names) {
      const voted = process.hrtime.bigint();
      await must(airlock.vote(reviewer, "ws1", id, name, { vote: "approve" }));
      voteTimes.push(ms(voted));
    }
  }
  await airlock.processor.idle();
  const decided = (await must(airlock.get(rita, "ws1", id))).airlockRequest.status;
  if (decided !== "approved") throw new Error(`request ${id} is ${decided} after every vote`);
  if (n < WARMUP) continue;
  submitToReview.push(reviewTook);
  votes.push(...voteTimes);
  decisions.push(ms(deciding));
}

const result = {
  benchmark: "review",
  node: process.version,
  date: new Date().toISOString(),
  cpus: cpus().length,
  loadAverageAtStart: loadavg().map((load) => Number(load.toFixed(2))),
  files: FILES,
  fileBytes: FILE_BYTES,
  requests: REQUESTS,
  submitToInReviewMs: percentiles(submitToReview),
  voteMs: percentiles(votes),
  decisionMs: percentiles(decisions),
  method: `memory ports and inline processing as the memory profile wires them (the memory scanner on), engine calls in one process, no HTTP. Per request (after ${WARMUP} unmeasured ones): ${FILES} files of ${FILE_BYTES} bytes uploaded, then submitToInReview = submit until the inline processing has moved, hashed and scanned them and the request is in_review; then two AirlockManagers (policy requiredApprovals 2, independentReview on) each vote approve on every file, one vote at a time: voteMs is each vote's answer, decisionMs from the first vote until the request is approved and its files moved to the approved stage.`,
};
await writeFile(new URL("./results/review.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
