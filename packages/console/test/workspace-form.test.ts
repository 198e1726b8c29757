import { DEFAULT_POLICY, WorkspacePolicySchema, WorkspaceRegistrationSchema } from "@airlock/core";
import { describe, expect, it } from "vitest";
import {
  draftOfView,
  emptyDraft,
  fieldPaths,
  GATE_TYPES,
  gateFields,
  newGate,
  newMember,
  POLICY_FIELDS,
  placeIssues,
  type RegistrationDraft,
  registrationOf,
  validate,
} from "../src/admin/registration.js";

const filled = (): RegistrationDraft => ({
  ...emptyDraft(),
  id: "ws-form",
  displayName: "Form workspace",
  members: [
    { ...newMember(), id: "erin", name: "Erin", email: "erin@example.org", roles: ["WorkspaceOwner"] },
  ],
});

describe("the workspace form", () => {
  it("lists every policy setting the schema has, each gate type, and each gate's settings", () => {
    const policyKeys = Object.keys(WorkspacePolicySchema.shape).filter((key) => key !== "gates");
    expect(POLICY_FIELDS.map((field) => field.name)).toEqual(policyKeys);
    expect(GATE_TYPES).toEqual(["malware", "file-type", "archive", "size", "disclosure"]);
    expect(gateFields("file-type")).toEqual([{ name: "allow", kind: "list" }]);
    expect(gateFields("archive").map((field) => field.name)).toEqual([
      "maxEntries",
      "maxExpandedBytes",
      "maxRatio",
      "maxDepth",
    ]);
    expect(gateFields("malware")).toEqual([]);
  });

  it("builds the registration the API takes: numbers parsed, lists split, empty settings left to their defaults", () => {
    const archive = newGate("archive");
    const draft: RegistrationDraft = {
      ...filled(),
      clientId: " ",
      policy: { ...filled().policy, maxFiles: "7", independentReview: true },
      gates: [
        { ...newGate("file-type"), settings: { allow: "csv, .TXT  png" } },
        { ...archive, settings: { ...archive.settings, maxDepth: "" } },
        newGate("size"),
      ],
    };
    const registration = registrationOf(draft);
    expect(registration.clientId).toBeUndefined();
    expect(registration.airlock?.maxFiles).toBe(7);
    expect(registration.airlock?.independentReview).toBe(true);
    expect(registration.airlock?.gates).toEqual([
      { type: "file-type", allow: ["csv", ".TXT", "png"] },
      { type: "archive", maxEntries: 10_000, maxExpandedBytes: 4 * 1024 ** 3, maxRatio: 100 },
      { type: "size" },
    ]);
    expect(validate(draft, true)).toEqual([]);
    const parsed = WorkspaceRegistrationSchema.parse(registration);
    expect(parsed.airlock?.gates[0]).toEqual({ type: "file-type", allow: ["csv", "txt", "png"] });
  });

  it("starts a new workspace at core's default policy, and an edit at the registration as stored", () => {
    expect(registrationOf(filled()).airlock).toMatchObject({ ...DEFAULT_POLICY, gates: [] });
    const draft = draftOfView({
      id: "ws-stored",
      displayName: "Stored",
      clientId: "app-stored",
      airlock: { ...DEFAULT_POLICY, gates: [{ type: "disclosure", threshold: 5 }] },
      members: [],
    });
    expect(draft.clientId).toBe("app-stored");
    expect(draft.gates.map((gate) => gate.settings)).toEqual([{ threshold: "5" }]);
  });

  it("says what the schema refuses in plain words, at the path the API would name", () => {
    const draft: RegistrationDraft = {
      ...filled(),
      id: "not an id",
      displayName: "",
      policy: { ...filled().policy, requiredApprovals: "1.5", maxFiles: "many", maxOpenDrafts: "0" },
      gates: [{ ...newGate("file-type"), settings: { allow: "" } }, newGate("file-type")],
    };
    const issues = validate(draft, true);
    const at = (path: string) => issues.filter((issue) => issue.path === path).map((issue) => issue.message);
    expect(at("id")).toEqual(["must be letters, digits, '.', '_' or '-'"]);
    expect(at("displayName")).toEqual(["required"]);
    expect(at("airlock.requiredApprovals")).toEqual(["a whole number"]);
    expect(at("airlock.maxFiles")).toEqual(["a number"]);
    expect(at("airlock.maxOpenDrafts")).toEqual(["at least 1"]);
    expect(at("airlock.gates.0.allow")).toEqual(["at least 1 entry"]);
    expect(at("airlock.gates")).toEqual(["each gate type may be listed once"]);
    // A registered workspace's id is its path: the form does not check it again.
    expect(validate(draft, false).some((issue) => issue.path === "id")).toBe(false);
  });

  it("puts each issue at the nearest field that holds it, and keeps the others for the summary", () => {
    const draft: RegistrationDraft = { ...filled(), gates: [newGate("file-type")] };
    const placed = placeIssues(
      [
        { path: "airlock.gates.0.allow.2", message: "an extension such as csv or .csv" },
        { path: "clientId", message: "reserved" },
        { path: "airlock.gates.0.type", message: "this server does not run the file-type gate" },
        { path: "airlock.scanning", message: "this server runs no malware scanner" },
        { path: "members.0.roles.1", message: "not a role" },
        { path: "somewhere.else", message: "unknown" },
      ],
      fieldPaths(draft, false),
    );
    expect(Object.fromEntries(placed.byField)).toEqual({
      "airlock.gates.0.allow": ["an extension such as csv or .csv"],
      clientId: ["reserved"],
      "airlock.gates.0.type": ["this server does not run the file-type gate"],
      "airlock.scanning": ["this server runs no malware scanner"],
      "members.0.roles": ["not a role"],
    });
    expect(placed.elsewhere).toEqual([{ path: "somewhere.else", message: "unknown" }]);
  });
});
