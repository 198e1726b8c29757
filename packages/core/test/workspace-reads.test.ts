import { createManualClock, createMemoryPorts, createSequentialIds } from "@airlock/adapters-memory";
import { describe, expect, it } from "vitest";
import {
  createAirlock,
  extensionOf,
  type UploadRules,
  uploadProblems,
  uploadRulesOf,
  WorkspacePolicySchema,
  WorkspaceSchema,
} from "../src/index.js";
import { errorOf, people, START, unwrap, WORKSPACE_ID, workspaceWith } from "./support/harness.js";

const MIB = 1024 ** 2;

const twoWorkspaces = () => {
  const ports = createMemoryPorts({
    clock: createManualClock(START),
    ids: createSequentialIds(),
    workspaces: [
      workspaceWith({ maxFiles: 3, gates: [{ type: "file-type", allow: ["csv", ".TXT"] }] }),
      WorkspaceSchema.parse({
        id: "ws2",
        displayName: "Another workspace",
        clientId: "app-ws2",
        policy: {},
        members: [{ id: "mo", name: "Mo Manager", email: "mo@example.org", roles: ["WorkspaceResearcher"] }],
      }),
    ],
  });
  return createAirlock(ports);
};

describe("the workspaces a person works in", () => {
  it("lists those whose members list names the caller, with the roles held there", async () => {
    const airlock = twoWorkspaces();
    const mo = await unwrap(airlock.workspaces({ ...people.mo, roles: ["TREUser"] }));
    expect(mo).toEqual([
      { id: "ws2", displayName: "Another workspace", clientId: "app-ws2", roles: ["WorkspaceResearcher"] },
      { id: WORKSPACE_ID, displayName: "Test workspace", clientId: WORKSPACE_ID, roles: ["AirlockManager"] },
    ]);
    const rita = await unwrap(airlock.workspaces({ ...people.rita, roles: ["TREUser"] }));
    expect(rita.map((summary) => summary.id)).toEqual([WORKSPACE_ID]);
  });

  it("lists none for someone in no workspace, and every one for a TRE admin", async () => {
    const airlock = twoWorkspaces();
    expect(await unwrap(airlock.workspaces({ ...people.otto, id: "stranger", roles: ["TREUser"] }))).toEqual(
      [],
    );
    const admin = await unwrap(airlock.workspaces(people.ada));
    expect(admin.map((summary) => [summary.id, summary.roles])).toEqual([
      ["ws2", []],
      [WORKSPACE_ID, []],
    ]);
  });

  it("refuses an actor that is not one", async () => {
    const airlock = twoWorkspaces();
    expect((await errorOf(airlock.workspaces({ ...people.rita, id: "" }))).kind).toBe("InvalidInput");
  });
});

describe("a workspace's upload rules", () => {
  it("answers the policy's limits, the size gate's lower one and the file-type gate's extensions", () => {
    const policy = WorkspacePolicySchema.parse({
      maxFiles: 4,
      maxFileSize: 10 * MIB,
      requireFileContext: true,
      gates: [
        { type: "size", maxFileBytes: 2 * MIB, maxRequestBytes: 5 * MIB },
        { type: "file-type", allow: ["CSV", ".png"] },
      ],
    });
    expect(uploadRulesOf(policy)).toEqual({
      maxFiles: 4,
      maxFileSize: 2 * MIB,
      maxRequestBytes: 5 * MIB,
      allowedExtensions: ["csv", "png"],
      requireFileContext: true,
    });
    const open = uploadRulesOf(WorkspacePolicySchema.parse({ maxFileSize: MIB }));
    expect(open).toMatchObject({ maxFileSize: MIB, maxRequestBytes: null, allowedExtensions: null });
  });

  it("are read by the workspace's members; anyone else is refused, and the refusal audited", async () => {
    const airlock = twoWorkspaces();
    const rules = await unwrap(airlock.uploadRules(people.rita, WORKSPACE_ID));
    expect(rules).toMatchObject({ maxFiles: 3, allowedExtensions: ["csv", "txt"] });
    expect(await unwrap(airlock.uploadRules(people.mo, WORKSPACE_ID))).toEqual(rules);
    expect((await errorOf(airlock.uploadRules(people.ada, WORKSPACE_ID))).kind).toBe("Forbidden");
    const trail = await unwrap(airlock.workspaceAuditTrail(people.ada, WORKSPACE_ID));
    expect(trail.entries.map((entry) => entry.action)).toContain("upload-rules");
    expect((await errorOf(airlock.uploadRules(people.rita, "nowhere"))).kind).toBe("NotFound");
  });
});

describe("checking files against upload rules before sending them", () => {
  const rules: UploadRules = {
    maxFiles: 2,
    maxFileSize: MIB,
    maxRequestBytes: MIB + 10,
    allowedExtensions: ["csv"],
    requireFileContext: false,
  };

  it("finds nothing wrong with files that fit", () => {
    expect(uploadProblems(rules, [{ name: "a.csv", size: 10 }], [{ name: "b.csv", size: 10 }])).toEqual([]);
  });

  it("names the file over the size limit, with the extension refused and with a bad name", () => {
    const problems = uploadProblems(rules, [
      { name: "big.csv", size: MIB + 1 },
      { name: "notes.TXT", size: 1 },
      { name: "..csv", size: 1 },
    ]);
    expect(problems).toEqual([
      {
        file: "big.csv",
        message: "is 1048577 bytes, over this workspace's limit of 1048576 bytes per file",
      },
      {
        file: "notes.TXT",
        message: "has the extension .txt, which this workspace does not accept (accepted: .csv)",
      },
      { file: "..csv", message: "the name must not contain '..'" },
      { file: null, message: "a request here holds at most 2 files; this would make 3" },
    ]);
  });

  it("counts a file of a name the request holds as its replacement", () => {
    const held = [
      { name: "a.csv", size: MIB },
      { name: "b.csv", size: 10 },
    ];
    expect(uploadProblems(rules, [{ name: "a.csv", size: 5 }], held)).toEqual([]);
    expect(uploadProblems(rules, [{ name: "c.csv", size: 5 }], held).map((p) => p.message)).toEqual([
      "a request here holds at most 2 files; this would make 3",
      "a request here holds at most 1048586 bytes in all; this would make 1048591 bytes",
    ]);
  });

  it("reads the extension from the name's last dot", () => {
    expect(extensionOf("a.tar.GZ")).toBe("gz");
    expect(extensionOf(".hidden")).toBe("");
    expect(extensionOf("trailing.")).toBe("");
  });
});
