import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestView } from "../src/client.js";
import { runCli, runJson, userEnv } from "./support/cli.js";
import { filesIn, ok, randomFile, refOf, sha256 } from "./support/fixtures.js";
import { startServer, TEST_WORKSPACE, type TestServer } from "./support/server.js";

const WS = TEST_WORKSPACE.id;
let server: TestServer;
const env: Record<"alice" | "bob" | "carol" | "olivia" | "admin", Record<string, string>> = {} as never;

const login = async (who: keyof typeof env, ...roles: string[]) => {
  env[who] = await userEnv(server.url);
  await ok(["login", "--dev", "--user", who, ...roles.flatMap((role) => ["--role", role])], env[who]);
};

beforeAll(async () => {
  server = await startServer();
  await login("alice", "WorkspaceResearcher");
  await login("bob", "AirlockManager");
  await login("carol", "AirlockManager");
  await login("olivia", "WorkspaceOwner", "AirlockManager");
  await login("admin", "TREAdmin");
});
afterAll(async () => {
  await server?.close();
});

/** A draft of alice's holding `files`, answered as its reference. */
const draftWith = async (files: Record<string, Buffer | string>, type = "export") => {
  const view = await ok(
    ["new", type, "-w", WS, "--title", "Cohort results", "--why", "Figures for a paper"],
    env.alice,
  );
  const dir = await filesIn(files);
  await ok(["upload", refOf(view), ...Object.keys(files).map((name) => join(dir, name))], env.alice);
  return refOf(view);
};

const submittedForReview = async (files: Record<string, Buffer | string>) => {
  const ref = await draftWith(files);
  await ok(["submit", ref], env.alice);
  const view = await ok(["status", ref, "--wait"], env.alice);
  expect(view.airlockRequest.status).toBe("in_review");
  return ref;
};

describe("the airlock command line against a running server, through pipes with --json", () => {
  it("signs in with development tokens, keeps the sign-in private, and tells who is signed in", async () => {
    const whoami = await ok<{ server: string; kind: string; user: string; roles: string[] }>(
      ["whoami"],
      env.olivia,
    );
    expect(whoami).toEqual({
      server: server.url,
      kind: "dev",
      user: "olivia",
      roles: ["WorkspaceOwner", "AirlockManager"],
    });
    const dir = join(env.olivia.XDG_CONFIG_HOME ?? "", "airlock");
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, "credentials.json"))).mode & 0o777).toBe(0o600);

    const someone = await userEnv(server.url);
    await ok(["login", "--dev", "--user", "dave", "--role", "TREUser"], someone);
    expect(await ok(["logout"], someone)).toEqual({ server: server.url, signedOut: true });
    const after = await runCli(["whoami"], someone);
    expect(after.code).toBe(3);
    expect(after.stderr).toContain("not signed in");
  });

  it("takes a request from draft to download: every answer is JSON on stdout and stderr stays empty", async () => {
    const table = randomFile(300_000);
    const notes = "free text that should not leave\n";
    const created = await runJson<RequestView>(
      ["new", "export", "--workspace", WS, "--title", "Cohort results", "--why", "Figures"],
      env.alice,
    );
    expect(created.run).toMatchObject({ code: 0, stderr: "" });
    expect(created.value.airlockRequest).toMatchObject({ status: "draft", type: "export", workspaceId: WS });
    const ref = refOf(created.value);

    const dir = await filesIn({ "table.csv": table, "notes.txt": notes });
    const uploaded = await runJson(
      ["upload", ref, join(dir, "table.csv"), join(dir, "notes.txt")],
      env.alice,
    );
    expect(uploaded.run).toMatchObject({ code: 0, stderr: "" });
    expect(uploaded.value).toEqual({
      request: { workspaceId: WS, id: created.value.airlockRequest.id },
      uploaded: [
        { name: "table.csv", size: table.length },
        { name: "notes.txt", size: notes.length },
      ],
    });

    await ok(["submit", ref], env.alice);
    const waited = await runJson<RequestView>(["status", ref, "--wait"], env.alice);
    expect(waited.run).toMatchObject({ code: 0, stderr: "" });
    expect(waited.value.airlockRequest.status).toBe("in_review");
    expect(
      Object.fromEntries(waited.value.airlockRequest.files.map((file) => [file.name, file.sha256])),
    ).toEqual({ "table.csv": sha256(table), "notes.txt": sha256(notes) });

    // The reviewer finds it in their queue (across workspaces) and reads it, with findings and comments.
    const queue = await ok<{ airlockRequests: RequestView[] }>(["queue"], env.bob);
    expect(queue.airlockRequests.map(refOf)).toContain(ref);
    const shown = await ok<RequestView & { comments: unknown[] }>(["show", ref], env.bob);
    expect(shown.allowedUserActions).toEqual(expect.arrayContaining(["vote", "return", "review"]));
    expect(shown.airlockRequest.findings).toEqual([]);
    expect(shown.comments).toEqual([]);

    // The reviewer asks for changes on one file and returns the request.
    await ok(["vote", ref, "notes.txt", "request_changes", "--comment", "free text"], env.bob);
    const returned = await ok(
      ["return", ref, "--file-comment", "notes.txt=please leave the notes out"],
      env.bob,
    );
    expect(returned.airlockRequest.status).toBe("returning_in_progress");
    expect((await ok(["status", ref, "--wait"], env.alice)).airlockRequest.status).toBe("changes_requested");
    const comments = await ok<{ comments: { text: string; file?: string }[] }>(["comments", ref], env.alice);
    expect(comments.comments).toEqual([
      expect.objectContaining({ text: "please leave the notes out", file: "notes.txt" }),
    ]);

    const reply = await ok<{ text: string; visibility: string; file?: string }>(
      ["comment", ref, "Leaving them out", "--file", "notes.txt"],
      env.alice,
    );
    expect(reply).toMatchObject({ text: "Leaving them out", visibility: "everyone", file: "notes.txt" });

    // The researcher withdraws the file, submits again, and sees what changed.
    const withdrawn = await ok(["withdraw", ref, "notes.txt"], env.alice);
    expect(withdrawn.airlockRequest.status).toBe("changes_requested");
    await ok(["submit", ref], env.alice);
    await ok(["status", ref, "--wait"], env.alice);
    const changes = await ok<{ turn: number; files: { file: string; change: string }[] }>(
      ["changes", ref],
      env.alice,
    );
    expect(changes.files).toEqual(
      expect.arrayContaining([
        { file: "table.csv", change: "unchanged" },
        { file: "notes.txt", change: "withdrawn" },
      ]),
    );

    // A reviewer approves; the researcher downloads what was approved, each file verified.
    const approved = await ok(["approve", ref, "--why", "aggregate figures only"], env.carol);
    expect(["approval_in_progress", "approved"]).toContain(approved.airlockRequest.status);
    expect((await ok(["status", ref, "--wait"], env.alice)).airlockRequest.status).toBe("approved");
    const target = await filesIn({});
    const downloaded = await runJson<{ downloaded: { name: string; size: number; sha256: string }[] }>(
      ["download", ref, target],
      env.alice,
    );
    expect(downloaded.run).toMatchObject({ code: 0, stderr: "" });
    expect(downloaded.value.downloaded).toEqual([
      expect.objectContaining({ name: "table.csv", size: table.length, sha256: sha256(table) }),
    ]);
    expect(sha256(await readFile(join(target, "table.csv")))).toBe(sha256(table));

    // The workspace owner reads and verifies the audit trail.
    const audit = await ok<{ entries: { action: string }[] }>(["audit", ref], env.olivia);
    expect(audit.entries.map((entry) => entry.action)).toEqual(expect.arrayContaining(["submit", "review"]));
    expect(await ok(["audit", ref, "--verify"], env.olivia)).toMatchObject({ ok: true });
  });

  it("rejects, revokes and cancels", async () => {
    const rejected = await submittedForReview({ "a.csv": "1,2\n" });
    await ok(["reject", rejected, "--why", "identifiable"], env.bob);
    expect((await ok(["status", rejected, "--wait"], env.alice)).airlockRequest.status).toBe("rejected");

    const revoked = await submittedForReview({ "b.csv": "3,4\n" });
    await ok(["approve", revoked, "--why", "fine"], env.bob);
    expect((await ok(["status", revoked, "--wait"], env.alice)).airlockRequest.status).toBe("approved");
    expect(
      (await ok(["revoke", revoked, "--reason", "approved in error"], env.carol)).airlockRequest.status,
    ).toBe("revoked");

    const cancelled = await draftWith({ "c.csv": "5,6\n" });
    expect((await ok(["cancel", cancelled], env.alice)).airlockRequest.status).toBe("cancelled");
  });

  it("finds a request's workspace from the caller's own requests when only its id is given", async () => {
    const ref = await draftWith({ "d.csv": "7\n" });
    const id = ref.split("/")[1] ?? "";
    expect((await ok(["status", id], env.alice)).airlockRequest.id).toBe(id);
    const stranger = await runCli(["status", id], env.bob);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toContain(`WORKSPACE/${id}`);
  });

  it("registers a workspace from YAML or JSON, validated with the API's schema before anything is sent", async () => {
    const dir = await filesIn({
      "ws.yaml": [
        "displayName: Registered from YAML",
        "airlock:",
        "  maxFiles: 3",
        "members:",
        "  - {id: erin, name: Erin, email: erin@example.org, roles: [WorkspaceResearcher]}",
      ].join("\n"),
      "ws.json": JSON.stringify({ displayName: "From JSON", clientId: "client-json", members: [] }),
      "bad.yaml": "displayName: Bad\nairlock:\n  maxFiles: 0\nmembers: []\n",
    });
    const put = await ok<{ id: string; airlock: { maxFiles: number } }>(
      ["workspace", "put", "ws-yaml", join(dir, "ws.yaml")],
      env.admin,
    );
    expect(put).toMatchObject({
      id: "ws-yaml",
      displayName: "Registered from YAML",
      airlock: { maxFiles: 3 },
    });
    await ok(["workspace", "put", "ws-json", join(dir, "ws.json")], env.admin);
    expect(await ok(["workspace", "get", "ws-json"], env.admin)).toMatchObject({ clientId: "client-json" });

    const bad = await runJson<{ error: { exitCode: number; message: string } }>(
      ["workspace", "put", "ws-bad", join(dir, "bad.yaml")],
      env.admin,
    );
    expect(bad.run.code).toBe(6);
    expect(bad.run.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.run.stderr).toContain("airlock.maxFiles");
    expect(bad.value.error.exitCode).toBe(6);
    // Refused before sending: the workspace does not exist.
    expect((await runCli(["workspace", "get", "ws-bad"], env.admin)).code).toBe(4);
  });

  it("reads and verifies a workspace's audit trail as a TRE admin", async () => {
    const listed = await ok<{ entries: unknown[] }>(["audit", "--workspace", WS], env.admin);
    expect(Array.isArray(listed.entries)).toBe(true);
    expect(await ok(["audit", "--workspace", WS, "--verify"], env.admin)).toMatchObject({ ok: true });
  });
});

describe("exit codes and errors", () => {
  const failing = async (args: readonly string[], who: Record<string, string>) => {
    const run = await runCli(args, who);
    // One clear line on stderr, nothing on stdout without --json.
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    return run;
  };

  it("2 for the command line's own mistakes", async () => {
    const unknown = await failing(["frobnicate"], env.alice);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^airlock: error: unknown command 'frobnicate'.* \(see --help\)\n$/);
    const dir = await filesIn({ "same.csv": "1\n" });
    const other = await filesIn({ "same.csv": "2\n" });
    const twice = await failing(
      ["upload", `${WS}/any`, join(dir, "same.csv"), join(other, "same.csv")],
      env.alice,
    );
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("two files are named same.csv");
    expect((await runCli(["new", "sideways", "-w", WS, "--title", "t", "--why", "w"], env.alice)).code).toBe(
      2,
    );
    expect((await runCli(["new", "export", "-w", WS, "--title", "t"], env.alice)).code).toBe(2);
    expect((await runCli(["status", "--no-such-option", "x"], env.alice)).code).toBe(2);
  });

  it("3 when not signed in, or when the role is refused, with the API's problem in one line", async () => {
    const nobody = await userEnv(server.url);
    expect((await failing(["status", `${WS}/anything`], nobody)).code).toBe(3);
    const ref = await draftWith({ "e.csv": "8\n" });
    const refused = await failing(["submit", ref], env.bob);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^airlock: Forbidden: .*\[403 Forbidden\]$/m);
  });

  it("4 for what does not exist", async () => {
    const run = await failing(["status", `${WS}/no-such-request`], env.alice);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("[404 NotFound]");
  });

  it("5 when the status does not allow it; --json puts the error on stdout for scripts", async () => {
    const ref = await draftWith({ "f.csv": "9\n" });
    await ok(["submit", ref], env.alice);
    const again = await runJson<{ error: { exitCode: number; status: number; code: string } }>(
      ["submit", ref],
      env.alice,
    );
    expect(again.run.code).toBe(5);
    expect(again.value.error).toMatchObject({ exitCode: 5, status: 400, code: "IllegalTransition" });
  });

  it("6 for input the API refuses, naming the field", async () => {
    const run = await failing(
      ["new", "export", "-w", WS, "--title", "x".repeat(201), "--why", "w"],
      env.alice,
    );
    expect(run.code).toBe(6);
    expect(run.stderr).toContain("title");
    expect(run.stderr).toContain("[422 InvalidInput]");
  });

  it("7 when no server answers", async () => {
    const closed = await startServer();
    await closed.close();
    // Signing in with development tokens needs no server; the first call finds none.
    const offline = await userEnv(closed.url);
    await ok(["login", "--dev", "--user", "alice", "--role", "WorkspaceResearcher"], offline);
    const run = await failing(["status", `${WS}/x`], offline);
    expect(run.code).toBe(7);
    expect(run.stderr).toContain(`no answer from ${closed.url}`);
  });
});
