import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import type { AirlockOptions, WorkspacePolicyInput } from "../src/index.js";
import {
  contextOf,
  createAirlock,
  createSizeGate,
  createWorkspaceRegistrar,
  decide,
  EVENT_TYPES,
  type Gate,
  type GateAnswer,
  type GateSet,
  type StatusChangedData,
  WorkspacePolicySchema,
} from "../src/index.js";
import { gateContract, sampleRequest } from "../src/testing/index.js";
import { draftWithFile, makeHarness, people, unwrap, workspaceWith } from "./support/harness.js";

/** A harness whose airlock runs `gates` in process. */
const gatedHarness = (policy: WorkspacePolicyInput, gates: GateSet, options: AirlockOptions = {}) => {
  const h = makeHarness(policy, options);
  return { ...h, airlock: createAirlock({ ...h.ports, gates }, options) };
};

/** A disclosure gate that answers `answer` for every file and counts its checks. */
const scripted = (answer: () => ReturnType<Gate["check"]>) => {
  let checks = 0;
  const gate: Gate = {
    type: "disclosure",
    check: () => {
      checks += 1;
      return answer();
    },
  };
  return { gate, checks: () => checks };
};

const reviewAnswer: GateAnswer = {
  verdict: "review",
  findings: [
    {
      gate: "disclosure",
      file: "data.csv",
      verdict: "review",
      message: "a cell counts 3, under 10",
      location: "row 2, column b",
    },
  ],
};

const submitted = async (h: ReturnType<typeof gatedHarness>) => {
  const draft = await draftWithFile(h);
  await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
  await h.airlock.processor.idle();
  return (await unwrap(h.airlock.get(people.mo, h.ws, draft.id))).airlockRequest;
};

describe("the security gates after a submit", () => {
  it("a file over the size gate's limit blocks the request, naming the gate and the file, before any malware scan", async () => {
    const h = gatedHarness({ gates: [{ type: "size", maxFileBytes: 4 }] }, { size: createSizeGate() });
    const request = await submitted(h);
    expect(request.status).toBe("blocked_by_scan");
    expect(request.statusMessage).toMatch(/^size gate: "data\.csv": is 8 bytes, over the limit of 4 bytes/);
    expect(request.findings).toEqual([
      expect.objectContaining({ gate: "size", file: "data.csv", verdict: "fail", turn: 1 }),
    ]);
    expect(request.history.map((entry) => entry.status)).toEqual([
      "draft",
      "submitted",
      "blocking_in_progress",
      "blocked_by_scan",
    ]);
    expect(h.ports.scanner.scans()).toHaveLength(0);
  });

  it("a review finding goes to the reviewers with the request, which reaches review after the malware scan", async () => {
    const disclosure = scripted(() => okAsync(reviewAnswer));
    const h = gatedHarness({ gates: [{ type: "disclosure" }] }, { disclosure: disclosure.gate });
    const request = await submitted(h);
    expect(request.status).toBe("in_review");
    expect(request.findings).toEqual([{ ...reviewAnswer.findings[0], turn: 1 }]);
    expect(request.statusMessage).toBe("security gates: 1 finding(s) for the reviewers");
    expect(h.ports.scanner.scans()).toHaveLength(1);
    const trail = await unwrap(h.airlock.auditTrail(people.olga, h.ws, request.id));
    expect(trail.entries.map((entry) => entry.action)).toContain("gated");
  });

  it("files that pass every gate reach review with no findings", async () => {
    const h = gatedHarness(
      { scanning: false, gates: [{ type: "size", maxFileBytes: 100, maxRequestBytes: 100 }] },
      { size: createSizeGate() },
    );
    const request = await submitted(h);
    expect(request.status).toBe("in_review");
    expect(request.findings).toEqual([]);
  });

  it("a gate that answers an error fails the request closed, with the reason", async () => {
    const broken = scripted(() => errAsync({ kind: "GateFailed", message: "the parser crashed" }));
    const h = gatedHarness({ gates: [{ type: "disclosure" }] }, { disclosure: broken.gate });
    const request = await submitted(h);
    expect(request.status).toBe("failed");
    expect(request.statusMessage).toBe(
      'the disclosure gate could not check "data.csv": the parser crashed; the request was not let through',
    );
  });

  it("a gate whose backing service is down is tried again until the processing deadline, then fails the request", async () => {
    const down = scripted(() => errAsync({ kind: "Unavailable", message: "storage is down" }));
    const h = gatedHarness(
      { gates: [{ type: "disclosure" }] },
      { disclosure: down.gate },
      { processing: "manual", processingDeadlineSeconds: 60 },
    );
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    const first = await h.airlock.processor.process(draft.id);
    expect(first._unsafeUnwrapErr()).toMatchObject({ kind: "Unavailable" });
    expect((await unwrap(h.ports.repository.get(draft.id))).status).toBe("submitted");
    h.clock.advance(61_000);
    const last = await unwrap(h.airlock.processor.process(draft.id));
    expect(last.status).toBe("failed");
    expect(last.statusMessage).toBe(
      'the disclosure gate could not check "data.csv": storage is down; the request was not let through',
    );
  });

  it("a gate that throws fails the request closed too", async () => {
    const throwing = scripted(() => {
      throw new Error("boom");
    });
    const h = gatedHarness({ gates: [{ type: "disclosure" }] }, { disclosure: throwing.gate });
    expect((await submitted(h)).status).toBe("failed");
  });

  it("a gate that passes its time limit fails the request closed", async () => {
    const hanging = scripted(() => new ResultAsync<GateAnswer, never>(new Promise(() => {})));
    const h = gatedHarness(
      { gates: [{ type: "disclosure" }] },
      { disclosure: hanging.gate },
      { gateTimeoutSeconds: 0.05 },
    );
    const request = await submitted(h);
    expect(request.status).toBe("failed");
    expect(request.statusMessage).toMatch(
      /^the disclosure gate did not answer for "data\.csv" within 0\.05 s/,
    );
  });

  it("a policy naming a gate this server does not run fails the request instead of passing it", async () => {
    const h = gatedHarness({ gates: [{ type: "file-type", allow: ["csv"] }] }, {});
    const request = await submitted(h);
    expect(request.status).toBe("failed");
    expect(request.statusMessage).toMatch(
      /file-type gate could not check "data\.csv": this server does not run that gate/,
    );
  });

  it("a write a crash cut off runs the gates again and records each finding once", async () => {
    let crashes = 1;
    const disclosure = scripted(() => {
      // The write that would store this answer is cut off, once.
      if (crashes > 0) h.ports.repository.failNext("update");
      crashes -= 1;
      return okAsync(reviewAnswer);
    });
    const h = gatedHarness(
      { gates: [{ type: "disclosure" }] },
      { disclosure: disclosure.gate },
      { processing: "manual" },
    );
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    expect((await h.airlock.processor.process(draft.id)).isErr()).toBe(true);
    const cutOff = await unwrap(h.ports.repository.get(draft.id));
    expect({ status: cutOff.status, findings: cutOff.findings }).toEqual({
      status: "submitted",
      findings: [],
    });
    await unwrap(h.airlock.processor.process(draft.id));
    await unwrap(h.airlock.processor.process(draft.id));
    const request = await unwrap(h.ports.repository.get(draft.id));
    expect(request.status).toBe("in_review");
    expect(request.findings).toHaveLength(1);
    expect(disclosure.checks()).toBe(2);
  });

  it("a malware verdict that arrives before the gates answered waits for them", async () => {
    const disclosure = scripted(() => okAsync(reviewAnswer));
    const h = gatedHarness(
      { gates: [{ type: "disclosure" }] },
      { disclosure: disclosure.gate },
      { processing: "manual" },
    );
    h.ports.scanner.answerPending(true);
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    const request = await unwrap(h.airlock.recordScanResult(draft.id, { verdict: "clean" }));
    expect(request.status).toBe("in_review");
    expect(request.findings).toHaveLength(1);
    expect(disclosure.checks()).toBe(1);
  });

  it("a resubmitted request is gated again, its findings kept per turn", async () => {
    const disclosure = scripted(() => okAsync(reviewAnswer));
    const h = gatedHarness(
      { scanning: false, gates: [{ type: "disclosure" }] },
      { disclosure: disclosure.gate },
    );
    const first = await submitted(h);
    await unwrap(
      h.airlock.returnForChanges(people.mo, h.ws, first.id, { comments: [{ text: "please aggregate" }] }),
    );
    await h.airlock.processor.idle();
    await unwrap(h.airlock.submit(people.rita, h.ws, first.id));
    await h.airlock.processor.idle();
    const again = (await unwrap(h.airlock.get(people.mo, h.ws, first.id))).airlockRequest;
    expect(again.turn).toBeGreaterThan(first.turn);
    expect(again.findings.map((finding) => finding.turn)).toEqual([first.turn, again.turn]);
  });

  it("a `malware` gate asks the scanner even when scanning is off", async () => {
    const h = gatedHarness({ scanning: false, gates: [{ type: "malware" }] }, {});
    expect((await submitted(h)).status).toBe("in_review");
    expect(h.ports.scanner.scans()).toHaveLength(1);
  });
});

describe("what the gates' findings reach", () => {
  it("the status change out of submitted carries the turn's findings; no event carries file contents", async () => {
    const disclosure = scripted(() => okAsync(reviewAnswer));
    const h = gatedHarness({ gates: [{ type: "disclosure" }] }, { disclosure: disclosure.gate });
    const request = await submitted(h);
    const changes = h.ports.events
      .published()
      .filter((event) => event.type === EVENT_TYPES.statusChanged)
      .map((event) => event.data as StatusChangedData);
    expect(changes.map((data) => [data.newStatus, data.findings])).toEqual([
      ["draft", undefined],
      ["submitted", undefined],
      ["in_review", [{ ...reviewAnswer.findings[0], turn: request.turn }]],
    ]);
  });

  it("a per-file malware verdict is a finding of the malware gate on that file", async () => {
    const h = gatedHarness({}, {}, { processing: "manual" });
    h.ports.scanner.answerPending(true);
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    const request = await unwrap(
      h.airlock.recordScanResult(draft.id, { verdict: "threat", detail: "Trojan:Win32/Test" }, "data.csv"),
    );
    expect(request.findings).toEqual([
      { gate: "malware", file: "data.csv", verdict: "fail", message: "Trojan:Win32/Test", turn: 1 },
    ]);
  });
});

describe("the machine weighs the gates' verdicts", () => {
  const policy = WorkspacePolicySchema.parse({ gates: [{ type: "disclosure" }] });
  const request = { ...sampleRequest({ status: "submitted" }), turn: 1, gatedTurn: null };

  it("any fail blocks; review and pass wait for the malware verdict, or reach review without one", () => {
    const context = contextOf(request, policy, null);
    expect(
      decide("submitted", context, { type: "GATED", verdicts: ["pass", "fail", "review"] }),
    ).toMatchObject({
      allowed: true,
      to: "blocking_in_progress",
    });
    expect(decide("submitted", context, { type: "GATED", verdicts: ["pass", "review"] })).toMatchObject({
      allowed: true,
      to: "submitted",
    });
    const unscanned = contextOf(request, { ...policy, scanning: false }, null);
    expect(decide("submitted", unscanned, { type: "GATED", verdicts: ["review"] })).toMatchObject({
      allowed: true,
      to: "in_review",
    });
  });

  it("no malware verdict takes a request past gates that have not answered", () => {
    expect(decide("submitted", contextOf(request, policy, null), { type: "SCAN_CLEAN" })).toMatchObject({
      allowed: false,
      refusal: { kind: "Conflict" },
    });
    const gated = contextOf({ ...request, gatedTurn: 1 }, policy, null);
    expect(decide("submitted", gated, { type: "SCAN_CLEAN" })).toMatchObject({
      allowed: true,
      to: "in_review",
    });
  });

  it("staging does not skip gates that have not answered, even with scanning off", () => {
    const unscanned = contextOf(request, { ...policy, scanning: false }, null);
    expect(decide("submitted", unscanned, { type: "STAGED" })).toMatchObject({
      allowed: true,
      to: "submitted",
    });
  });
});

describe("the gates in a workspace policy", () => {
  it("the engine names the gates it runs, and registration refuses a policy listing another", async () => {
    const h = gatedHarness({}, { size: createSizeGate() });
    expect(h.airlock.gateTypes).toEqual(["malware", "size"]);
    const registrar = createWorkspaceRegistrar(h.ports.workspaces, {
      reservedNames: [],
      gateTypes: h.airlock.gateTypes,
    });
    const refused = await registrar.register(
      workspaceWith({ gates: [{ type: "file-type", allow: ["csv"] }] }, "ws2"),
    );
    expect(refused._unsafeUnwrapErr()).toMatchObject({
      kind: "InvalidInput",
      issues: [
        {
          path: "airlock.gates.0.type",
          message: "this server does not run the file-type gate (it runs: malware, size)",
        },
      ],
    });
    expect((await registrar.register(workspaceWith({ gates: [{ type: "size" }] }, "ws2"))).isOk()).toBe(true);
  });

  it("a stored policy without gates still parses, with none", () => {
    expect(WorkspacePolicySchema.parse({ scanning: true }).gates).toEqual([]);
  });

  it("settings take their defaults and extensions are normalised", () => {
    const policy = WorkspacePolicySchema.parse({
      gates: [{ type: "disclosure" }, { type: "file-type", allow: [".CSV", "txt"] }],
    });
    expect(policy.gates).toEqual([
      { type: "disclosure", threshold: 10 },
      { type: "file-type", allow: ["csv", "txt"] },
    ]);
  });

  it("refuses an unknown gate, an unknown setting and a gate listed twice", () => {
    expect(WorkspacePolicySchema.safeParse({ gates: [{ type: "magic" }] }).success).toBe(false);
    expect(WorkspacePolicySchema.safeParse({ gates: [{ type: "size", maxBytes: 1 }] }).success).toBe(false);
    expect(
      WorkspacePolicySchema.safeParse({ gates: [{ type: "size" }, { type: "size", maxFileBytes: 1 }] })
        .success,
    ).toBe(false);
  });
});

gateContract({ describe, it }, () => ({
  gate: createSizeGate(),
  settings: { type: "size", maxFileBytes: 8 },
  reads: false,
  samples: [
    { name: "small.csv", bytes: new TextEncoder().encode("a,b\n1,2\n"), verdict: "pass" },
    { name: "large.csv", bytes: new TextEncoder().encode("a,b\n1,2\n3,4\n"), verdict: "fail" },
  ],
}));
