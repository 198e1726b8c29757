import { okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import type { AirlockPorts, WorkspacePolicyInput } from "../src/index.js";
import { createAirlock, createSizeGate, createWorkspaceRegistrar } from "../src/index.js";
import { draftWithFile, makeHarness, people, unwrap, workspaceWith } from "./support/harness.js";

/** A harness whose airlock runs no malware scanner, only the size gate. */
const unscannedHarness = (policy: WorkspacePolicyInput) => {
  const h = makeHarness(policy);
  const { scanner: _none, ...ports } = h.ports;
  const withoutScanner: AirlockPorts = { ...ports, gates: { size: createSizeGate() } };
  return { ...h, airlock: createAirlock(withoutScanner) };
};

const registrarOf = (h: ReturnType<typeof makeHarness>) =>
  createWorkspaceRegistrar(h.ports.workspaces, { reservedNames: [], gateTypes: h.airlock.gateTypes });

describe("a server without a malware scanner", () => {
  it("does not name the malware gate among those it runs", () => {
    expect(unscannedHarness({}).airlock.gateTypes).toEqual(["size"]);
    expect(makeHarness({}).airlock.gateTypes).toEqual(["malware"]);
  });

  it("refuses a workspace whose policy asks for a scan, by default or with a malware gate, naming the setting", async () => {
    const registrar = registrarOf(unscannedHarness({}));
    const byDefault = await registrar.register(workspaceWith({}, "ws2"));
    expect(byDefault._unsafeUnwrapErr()).toMatchObject({
      kind: "InvalidInput",
      issues: [{ path: "airlock.scanning", message: expect.stringMatching(/runs no malware scanner/) }],
    });
    const byGate = await registrar.register(
      workspaceWith({ scanning: false, gates: [{ type: "malware" }] }, "ws3"),
    );
    expect(byGate._unsafeUnwrapErr()).toMatchObject({
      kind: "InvalidInput",
      issues: [
        { path: "airlock.gates.0.type", message: expect.stringMatching(/does not run the malware gate/) },
      ],
    });
  });

  it("registers a workspace that scans nothing", async () => {
    const registrar = registrarOf(unscannedHarness({}));
    const unscanned = await registrar.register(
      workspaceWith({ scanning: false, gates: [{ type: "size" }] }, "ws2"),
    );
    expect(unscanned.isOk()).toBe(true);
  });

  it("a server with a scanner registers the workspace that asks for one", async () => {
    const registrar = registrarOf(makeHarness({}));
    expect((await registrar.register(workspaceWith({}, "ws2"))).isOk()).toBe(true);
  });

  it("fails a request of a workspace that asks for a scan, never letting it through unscanned", async () => {
    // Registered before the scanner was taken away (the harness puts it in the registry directly).
    const h = unscannedHarness({ scanning: true });
    const draft = await draftWithFile(h);
    await unwrap(h.airlock.submit(people.rita, h.ws, draft.id));
    await h.airlock.processor.idle();
    const { airlockRequest } = await unwrap(h.airlock.get(people.mo, h.ws, draft.id));
    expect(airlockRequest.status).toBe("failed");
    expect(airlockRequest.statusMessage).toMatch(/runs no malware scanner/);
  });
});

describe("a scanner's threat that names its file", () => {
  it("blocks the request, names the file and the signature, and records a malware finding on the file", async () => {
    const h = makeHarness({});
    const airlock = createAirlock({
      ...h.ports,
      scanner: {
        scan: () => okAsync({ verdict: "threat", file: "data.csv", detail: "Win.Test.Sig FOUND-ish" }),
      },
    });
    const draft = await draftWithFile({ ...h, airlock });
    await unwrap(airlock.submit(people.rita, h.ws, draft.id));
    await airlock.processor.idle();
    const { airlockRequest } = await unwrap(airlock.get(people.mo, h.ws, draft.id));
    expect(airlockRequest.status).toBe("blocked_by_scan");
    expect(airlockRequest.statusMessage).toBe("malware scan: data.csv: Win.Test.Sig FOUND-ish");
    expect(airlockRequest.findings).toEqual([
      { gate: "malware", file: "data.csv", verdict: "fail", message: "Win.Test.Sig FOUND-ish", turn: 1 },
    ]);
  });
});
