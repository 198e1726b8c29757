import { getShortestPaths, getSimplePaths } from "@xstate/graph";
import { describe, expect, it } from "vitest";
import { type AirlockEvent, airlockMachine, type MachineStatus } from "../src/machine/airlock-machine.js";
import { decide } from "../src/machine/decide.js";
import { chunks, type Harness, makeHarness, people, unwrap } from "./support/harness.js";
import { EVERY_EVENT, ritasImport } from "./support/machine-events.js";

const paths = getSimplePaths(airlockMachine, {
  input: ritasImport(),
  events: EVERY_EVENT,
  serializeState: (snapshot) => String(snapshot.value),
});

const SCAN_DEADLINE = 600;
const PROCESSING_DEADLINE = 900;

/** Makes the engine do what the machine event stands for, through its public commands only. */
const drive = async (h: Harness, requestId: string | null, event: AirlockEvent): Promise<string> => {
  const ws = h.ws;
  switch (event.type) {
    case "CREATE": {
      const { airlockRequest } = await unwrap(
        h.airlock.create(people.rita, ws, {
          type: "import",
          title: "Path",
          businessJustification: "model test",
        }),
      );
      await unwrap(h.airlock.upload(airlockRequest.id, "data.csv", chunks("1,2,3")));
      return airlockRequest.id;
    }
    case "ADD_FILE":
      await unwrap(h.airlock.upload(requestId!, event.name, chunks("1,2,3")));
      break;
    case "SUBMIT":
      await unwrap(h.airlock.submit(people.rita, ws, requestId!));
      break;
    case "CANCEL":
      await unwrap(h.airlock.cancel(people.rita, ws, requestId!));
      break;
    case "REVIEW":
      await unwrap(
        h.airlock.review(people.mo, ws, requestId!, {
          approval: event.approve,
          decisionExplanation: "model test",
        }),
      );
      break;
    case "REVOKE":
      await unwrap(h.airlock.revoke(people.mo, ws, requestId!, { reason: "model test" }));
      break;
    case "VOTE":
      await unwrap(h.airlock.vote(people.mo, ws, requestId!, event.file, { vote: event.vote }));
      break;
    case "RETURN":
      await unwrap(
        h.airlock.returnForChanges(people.mo, ws, requestId!, { comments: [{ text: "model test" }] }),
      );
      break;
    case "COMMENT":
      await unwrap(
        h.airlock.addComment(people.rita, ws, requestId!, {
          text: "model test",
          visibility: event.visibility,
        }),
      );
      break;
    case "WITHDRAW":
      await unwrap(h.airlock.withdrawFile(people.rita, ws, requestId!, "data.csv"));
      break;
    case "SET_FILE_CONTEXT":
      await unwrap(
        h.airlock.setFileContext(people.rita, ws, requestId!, "data.csv", {
          description: "d",
          controls: "c",
        }),
      );
      break;
    case "STAGED":
    case "DATA_MOVED":
      await unwrap(h.airlock.processor.process(requestId!));
      break;
    case "SCAN_CLEAN":
      await unwrap(h.airlock.recordScanResult(requestId!, { verdict: "clean" }));
      break;
    case "SCAN_THREAT":
      await unwrap(h.airlock.recordScanResult(requestId!, { verdict: "threat", detail: "Test.EICAR" }));
      break;
    case "FAIL": {
      // The two ways the engine fails a request: a verdict that never comes, and storage that stays down.
      h.ports.storage.failNext("move", 100);
      h.clock.advance((Math.max(SCAN_DEADLINE, PROCESSING_DEADLINE) + 1) * 1000);
      await h.airlock.processor.process(requestId!);
      h.ports.storage.failNext("move", 0);
      break;
    }
  }
  return requestId!;
};

describe("every simple path of the machine, driven through the engine", () => {
  it("covers every path the graph has", () => {
    expect(paths).toHaveLength(25);
  });

  for (const path of paths) {
    const steps = path.steps.slice(1);
    const name = steps.map((s) =>
      s.event.type === "REVIEW" ? (s.event.approve ? "APPROVE" : "REJECT") : s.event.type,
    );
    it(`${name.join(" → ") || "(initial)"} ends ${String(path.state.value)}`, async () => {
      const h = makeHarness(
        {},
        {
          processing: "manual",
          scanDeadlineSeconds: SCAN_DEADLINE,
          processingDeadlineSeconds: PROCESSING_DEADLINE,
        },
      );
      h.ports.scanner.answerPending(true);
      let id: string | null = null;
      for (const step of steps) {
        id = await drive(h, id, step.event);
        const stored = await unwrap(h.ports.repository.get(id));
        expect(stored.status).toBe(String(step.state.value));
      }
      if (!id) return;
      // Whatever the path, the request ends audited once per status change, with an intact chain.
      const stored = await unwrap(h.ports.repository.get(id));
      const entries = await unwrap(h.ports.audit.listAll(id));
      expect(entries.filter((e) => e.outcome === "transition")).toHaveLength(stored.history.length);
      expect(await unwrap(h.ports.audit.verify(id))).toMatchObject({ ok: true });
    });
  }
});

/**
 * Simple paths never take a transition back to a status they passed (a resubmit leads to
 * `submitted` again): every transition between two statuses is driven here, after the shortest
 * path to the status it leaves.
 */
const shortest = getShortestPaths(airlockMachine, {
  input: ritasImport(),
  events: EVERY_EVENT,
  serializeState: (snapshot) => String(snapshot.value),
});
const edges = shortest.flatMap((path) =>
  EVERY_EVENT.flatMap((event) => {
    const from = String(path.state.value) as MachineStatus;
    const decision = decide(from, path.state.context, event);
    return decision.allowed && decision.to !== from ? [{ path, event, to: decision.to }] : [];
  }),
);

describe("every transition between statuses, driven through the engine", () => {
  it("covers every transition the graph has", () => {
    expect(edges).toHaveLength(22);
  });

  for (const { path, event, to } of edges) {
    const steps = [...path.steps.slice(1).map((s) => s.event), event];
    const name = steps.map((e) => (e.type === "REVIEW" ? (e.approve ? "APPROVE" : "REJECT") : e.type));
    it(`${name.join(" → ")} ends ${to}`, async () => {
      const h = makeHarness(
        {},
        {
          processing: "manual",
          scanDeadlineSeconds: SCAN_DEADLINE,
          processingDeadlineSeconds: PROCESSING_DEADLINE,
        },
      );
      h.ports.scanner.answerPending(true);
      let id: string | null = null;
      for (const step of steps) id = await drive(h, id, step);
      const stored = await unwrap(h.ports.repository.get(id!));
      expect(stored.status).toBe(to);
      const entries = await unwrap(h.ports.audit.listAll(id!));
      expect(entries.filter((e) => e.outcome === "transition")).toHaveLength(stored.history.length);
    });
  }
});
