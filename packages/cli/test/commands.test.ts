import { spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileCache } from "../src/auth/entra.js";
import { audienceOf } from "../src/auth/tokens.js";
import type { Credential } from "../src/config.js";
import { EXIT, exitCodeFor, problemLine } from "../src/errors.js";
import { createProgram } from "../src/program.js";
import { CLI, runCli, userEnv } from "./support/cli.js";

/** Every command and subcommand, as `["workspace", "put"]`. */
const commandPaths = (): string[][] =>
  createProgram().commands.flatMap((command) =>
    command.commands.length > 0
      ? command.commands.map((sub) => [command.name(), sub.name()])
      : [[command.name()]],
  );

describe("help and completion", () => {
  it("every command's --help has examples", async () => {
    const env = await userEnv("http://127.0.0.1:9");
    const paths = commandPaths();
    expect(paths.length).toBeGreaterThan(20);
    for (const path of paths) {
      const run = await runCli([...path, "--help"], env);
      expect(run.code, path.join(" ")).toBe(0);
      expect(run.stdout, path.join(" ")).toMatch(/\nExamples:\n {2}\$ .*airlock /);
    }
    const top = await runCli(["--help"], env);
    expect(top.stdout).toContain("Exit codes:");
  });

  it("bash completion, sourced in bash, completes commands and a command's options", async () => {
    const complete = (...words: string[]) =>
      new Promise<string>((resolve, reject) => {
        const script = `source <("${process.execPath}" "${CLI}" completion bash); COMP_WORDS=(${words.map((word) => `'${word}'`).join(" ")}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _airlock; echo "\${COMPREPLY[@]}"`;
        const child = spawn("bash", ["-c", script], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          out += chunk;
        });
        child.on("error", reject);
        child.on("close", () => resolve(out.trim()));
      });
    expect((await complete("airlock", "up")).split(" ")).toEqual(["upload"]);
    expect((await complete("airlock", "upload", "x", "--bl")).split(" ")).toEqual(["--block-size"]);
    expect((await complete("airlock", "workspace", "")).split(" ")).toEqual(
      expect.arrayContaining(["put", "get"]),
    );
  });

  it("zsh and fish scripts name every command; another shell is a usage error", async () => {
    const env = await userEnv("http://127.0.0.1:9");
    const zsh = await runCli(["completion", "zsh"], env);
    const fish = await runCli(["completion", "fish"], env);
    for (const [command] of commandPaths()) {
      expect(zsh.stdout).toContain(`'${command}:`);
      expect(fish.stdout).toContain(`-a ${command} `);
    }
    expect(zsh.stdout.startsWith("#compdef airlock")).toBe(true);
    expect((await runCli(["completion", "powershell"], env)).code).toBe(EXIT.usage);
  });

  it("an Entra ID sign-in without its settings says what is missing (usage)", async () => {
    const run = await runCli(["login"], await userEnv("http://127.0.0.1:9"));
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain("--tenant, --client-id and --api-audience");
  });
});

describe("tokens and errors", () => {
  const dev = (roles: string[]): Credential => ({
    kind: "dev",
    user: "u",
    roles,
    audiences: { ws9: "client-9" },
  });

  it("asks for the workspace's clientId on workspace routes and the API's audience elsewhere", () => {
    expect(audienceOf(dev(["WorkspaceResearcher"]), { kind: "workspace", workspaceId: "ws1" })).toBe("ws1");
    expect(audienceOf(dev(["AirlockManager"]), { kind: "workspace", workspaceId: "ws9" })).toBe("client-9");
    expect(audienceOf(dev(["WorkspaceResearcher"]), { kind: "api" })).toBe("airlock-api");
    // A TRE admin without workspace roles reaches workspace routes with the API's audience.
    expect(audienceOf(dev(["TREAdmin"]), { kind: "workspace", workspaceId: "ws1" })).toBe("airlock-api");
    const entra: Credential = {
      kind: "entra",
      tenant: "t",
      clientId: "c",
      authority: "https://login.microsoftonline.com/t",
      apiAudience: "api://airlock",
      homeAccountId: "h",
      username: "alice@example.org",
      audiences: {},
    };
    expect(audienceOf(entra, { kind: "workspace", workspaceId: "ws1" })).toBe("ws1");
    expect(audienceOf(entra, { kind: "api" })).toBe("api://airlock");
  });

  it("keeps MSAL's token cache in a file only its owner can read", async () => {
    const env = await userEnv("http://127.0.0.1:9");
    const cache = fileCache(env);
    const serialized = '{"Account":{}}';
    await cache.afterCacheAccess({
      cacheHasChanged: true,
      tokenCache: { serialize: () => serialized },
    } as never);
    const file = join(env.XDG_CONFIG_HOME ?? "", "airlock", "msal-cache.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(env.XDG_CONFIG_HOME ?? "", "airlock"))).mode & 0o777).toBe(0o700);
    let read = "";
    await cache.beforeCacheAccess({ tokenCache: { deserialize: (text: string) => (read = text) } } as never);
    expect(read).toBe(serialized);
  });

  it("maps each answer to its kind's exit code", () => {
    expect(exitCodeFor(401, "Unauthorized")).toBe(EXIT.auth);
    expect(exitCodeFor(403, "Forbidden")).toBe(EXIT.auth);
    expect(exitCodeFor(404, "NotFound")).toBe(EXIT.notFound);
    expect(exitCodeFor(400, "IllegalTransition")).toBe(EXIT.conflict);
    expect(exitCodeFor(400, "NoLink")).toBe(EXIT.conflict);
    expect(exitCodeFor(400, "PolicyViolation")).toBe(EXIT.conflict);
    expect(exitCodeFor(405, "AirlockDisabled")).toBe(EXIT.conflict);
    expect(exitCodeFor(409, "Conflict")).toBe(EXIT.conflict);
    expect(exitCodeFor(409, "QuotaExceeded")).toBe(EXIT.conflict);
    expect(exitCodeFor(400, "InvalidFile")).toBe(EXIT.validation);
    expect(exitCodeFor(413, "TooLarge")).toBe(EXIT.validation);
    expect(exitCodeFor(422, "InvalidInput")).toBe(EXIT.validation);
    expect(exitCodeFor(429, "TooManyRequests")).toBe(EXIT.unavailable);
    expect(exitCodeFor(503, "Unavailable")).toBe(EXIT.unavailable);
  });

  it("makes one line of a problem, with the fields that failed", () => {
    const line = problemLine(422, {
      title: "Invalid input",
      detail: "the input is not valid",
      code: "InvalidInput",
      errors: [{ path: "title", message: "Too big" }],
    });
    expect(line).toBe("Invalid input: the input is not valid (title: Too big) [422 InvalidInput]");
    expect(problemLine(502, {})).toBe("HTTP 502 [502]");
  });
});

describe("workspace files", () => {
  it("are validated with the schema the API validates a workspace registration with", async () => {
    const { WorkspaceRegistrationSchema: api } = await import("../../http/src/schemas.js");
    const { WorkspaceRegistrationSchema: core } = await import("@airlock/core");
    expect(api).toBe(core);
  });

  it("are read as YAML or JSON and refused with the schema's reason before anything is sent", async () => {
    const { readWorkspaceFile } = await import("../src/commands/admin.js");
    const { CliError } = await import("../src/errors.js");
    const directory = await mkdtemp(join(tmpdir(), "airlock-workspace-file-"));
    const write = async (name: string, text: string) => {
      const path = join(directory, name);
      await writeFile(path, text);
      return path;
    };
    try {
      const yaml = await write(
        "ws.yaml",
        "displayName: Tables\nairlock:\n  maxFiles: 3\nmembers:\n  - {id: m, name: M, email: m@example.org, roles: [WorkspaceResearcher]}\n",
      );
      expect(await readWorkspaceFile(yaml)).toMatchObject({
        displayName: "Tables",
        airlock: { maxFiles: 3 },
      });
      const json = await write("ws.json", JSON.stringify({ displayName: "Tables", members: [] }));
      expect(await readWorkspaceFile(json)).toEqual({ displayName: "Tables", members: [] });
      for (const [name, text, reason] of [
        ["empty-name.yaml", "displayName: ''\nmembers: []\n", "displayName"],
        ["no-files.yaml", "displayName: x\nairlock: {maxFiles: 0}\nmembers: []\n", "airlock.maxFiles"],
        [
          "twice.yaml",
          "displayName: x\nairlock: {gates: [{type: size}, {type: size}]}\nmembers: []\n",
          "airlock.gates",
        ],
        ["text.yaml", "just text\n", "(the file)"],
      ] as const) {
        const refused = await readWorkspaceFile(await write(name, text)).catch((error: unknown) => error);
        expect(refused, name).toBeInstanceOf(CliError);
        expect((refused as InstanceType<typeof CliError>).exitCode, name).toBe(EXIT.validation);
        expect((refused as Error).message, name).toContain(reason);
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
