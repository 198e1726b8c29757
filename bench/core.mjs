// Engine commands per second against raw XState transition() per second, for the same events,
// measured in one run. Writes bench/results/core.json.
import { writeFile } from "node:fs/promises";
import { createManualClock, createMemoryPorts, createSequentialIds } from "@airlock/adapters-memory";
import { airlockMachine, contextOf, createAirlock, DEFAULT_POLICY, WorkspaceSchema } from "@airlock/core";
import { initialTransition, transition } from "xstate";

const LIFECYCLES = Number(process.env.BENCH_LIFECYCLES ?? 3000);
const EVENTS_PER_LIFECYCLE = 5; // CREATE, SUBMIT, STAGED, REVIEW, DATA_MOVED

const rita = { id: "rita", name: "Rita", email: "rita@example.org", roles: ["WorkspaceResearcher"] };
const mo = { id: "mo", name: "Mo", email: "mo@example.org", roles: ["AirlockManager"] };
const workspace = WorkspaceSchema.parse({
  id: "ws1",
  displayName: "Bench",
  clientId: "ws1",
  policy: { scanning: false },
  members: [
    { id: "rita", name: "Rita", email: "rita@example.org", roles: ["WorkspaceResearcher"] },
    { id: "mo", name: "Mo", email: "mo@example.org", roles: ["AirlockManager"] },
  ],
});
const bytes = new TextEncoder().encode("a,b\n1,2\n");
async function* file() {
  yield bytes;
}

const must = async (result) => {
  const r = await result;
  if (r.isErr()) throw new Error(`${r.error.kind}: ${r.error.message}`);
  return r.value;
};

async function engineRun(lifecycles) {
  const ports = createMemoryPorts({
    clock: createManualClock(Date.UTC(2026, 0, 1)),
    ids: createSequentialIds(),
    workspaces: [workspace],
  });
  const airlock = createAirlock(ports, { processing: "manual" });
  const started = process.hrtime.bigint();
  for (let i = 0; i < lifecycles; i += 1) {
    const { airlockRequest } = await must(
      airlock.create(rita, "ws1", { type: "import", title: "t", businessJustification: "j" }),
    );
    await must(airlock.upload(airlockRequest.id, "data.csv", file()));
    await must(airlock.submit(rita, "ws1", airlockRequest.id));
    await must(airlock.processor.process(airlockRequest.id));
    await must(airlock.review(mo, "ws1", airlockRequest.id, { approval: true, decisionExplanation: "ok" }));
    const done = await must(airlock.processor.process(airlockRequest.id));
    if (done.status !== "approved") throw new Error(`lifecycle ended ${done.status}`);
  }
  await airlock.processor.idle();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function rawRun(lifecycles) {
  const context = contextOf(
    {
      createdBy: { id: "rita", name: "", email: "" },
      type: "import",
      reviews: [],
      files: [{ name: "data.csv" }],
    },
    { ...DEFAULT_POLICY, scanning: false },
    [{ name: "data.csv", size: 64 }],
    0,
  );
  const sequence = [
    { type: "CREATE", actor: rita },
    { type: "SUBMIT", actor: rita },
    { type: "STAGED" },
    { type: "REVIEW", actor: mo, approve: true },
    { type: "DATA_MOVED" },
  ];
  const started = process.hrtime.bigint();
  for (let i = 0; i < lifecycles; i += 1) {
    let [snapshot] = initialTransition(airlockMachine, context);
    for (const event of sequence) [snapshot] = transition(airlockMachine, snapshot, event);
    if (snapshot.value !== "approved") throw new Error(`raw run ended ${snapshot.value}`);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

// Warm both paths up before measuring.
await engineRun(200);
rawRun(2000);

const engineSeconds = await engineRun(LIFECYCLES);
const rawSeconds = rawRun(LIFECYCLES);
const engineCommandsPerSecond = (LIFECYCLES * EVENTS_PER_LIFECYCLE) / engineSeconds;
const rawTransitionsPerSecond = (LIFECYCLES * EVENTS_PER_LIFECYCLE) / rawSeconds;
const result = {
  benchmark: "core",
  node: process.version,
  lifecycles: LIFECYCLES,
  eventsPerLifecycle: EVENTS_PER_LIFECYCLE,
  engineCommandsPerSecond: Math.round(engineCommandsPerSecond),
  rawTransitionsPerSecond: Math.round(rawTransitionsPerSecond),
  ratio: Number((engineCommandsPerSecond / rawTransitionsPerSecond).toFixed(3)),
  goalRatio: 1 / 3,
  notes:
    "engine: create, upload, submit, process (to in_review, scanning off), review, process (to approved) with memory adapters, audit hashing and events; raw: initialTransition + transition() over CREATE, SUBMIT, STAGED, REVIEW, DATA_MOVED",
};
await writeFile(new URL("./results/core.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(result);
