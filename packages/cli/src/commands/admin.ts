import { readFile } from "node:fs/promises";
import { WorkspaceRegistrationSchema } from "@airlock/core";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import type { AuditPage, AuditVerification } from "../client.js";
import { contextOf, resolveRequest } from "../context.js";
import { CliError, EXIT } from "../errors.js";
import { auditLine } from "../format.js";
import { withExamples } from "./examples.js";

/** Reads a workspace file (YAML, or JSON, which YAML reads too) and validates it before anything is sent. */
export const readWorkspaceFile = async (path: string) => {
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${path}: ${error.code ?? error.message}`, EXIT.failure);
  });
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new CliError(
      `${path} is not YAML or JSON: ${(error as Error).message.split("\n")[0]}`,
      EXIT.validation,
    );
  }
  const parsed = WorkspaceRegistrationSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join(".") || "(the file)"}: ${issue.message}`)
      .join("; ");
    throw new CliError(`${path} is not a valid workspace: ${issues}`, EXIT.validation);
  }
  // The file as written is sent: the server fills in the policy's defaults itself.
  return value as z.input<typeof WorkspaceRegistrationSchema>;
};

const allPages = async (page: (continuation?: string) => Promise<AuditPage>) => {
  const entries: AuditPage["entries"][number][] = [];
  let continuation: string | undefined;
  do {
    const next = await page(continuation);
    entries.push(...next.entries);
    continuation = next.continuation ?? undefined;
  } while (continuation);
  return entries;
};

export const registerAdmin = (program: Command) => {
  const workspace = program.command("workspace").description("register or read a workspace (TREAdmin)");
  withExamples(
    workspace
      .command("put")
      .description("register or replace a workspace from a YAML or JSON file (validated before it is sent)")
      .argument("<id>", "the workspace id")
      .argument("<file>", "YAML or JSON: {displayName, clientId?, airlock?, members}")
      .action(async (id: string, file: string, _options: unknown, command: Command) => {
        const registration = await readWorkspaceFile(file);
        const context = await contextOf(command);
        const saved = await context.client.putWorkspace(id, registration);
        context.out.result(
          saved,
          () => `workspace ${saved.id} (${saved.displayName}): ${saved.members.length} members`,
        );
      }),
    ["airlock workspace put ws2 ws2.yaml", "airlock workspace put ws2 ws2.json --json"],
  );
  withExamples(
    workspace
      .command("get")
      .description("a workspace's registration and policy")
      .argument("<id>", "the workspace id")
      .action(async (id: string, _options: unknown, command: Command) => {
        const context = await contextOf(command);
        const found = await context.client.getWorkspace(id);
        context.out.result(found, () =>
          [
            `${found.id}  ${found.displayName}  (clientId ${found.clientId})`,
            `  policy   ${JSON.stringify(found.airlock)}`,
            ...found.members.map(
              (member) => `  member   ${member.id}  ${member.name}  ${member.roles.join(", ")}`,
            ),
          ].join("\n"),
        );
      }),
    ["airlock workspace get ws1", "airlock workspace get ws1 --json > ws1.json"],
  );

  withExamples(
    program
      .command("audit")
      .description(
        "a request's or a workspace's audit trail; --verify checks its hash chain (exit code 8 when broken)",
      )
      .argument("[request]", "WORKSPACE/ID; leave out with --workspace for the workspace's trail")
      .option("--verify", "verify the trail instead of listing it")
      .action(async (reference: string | undefined, options: { verify?: boolean }, command: Command) => {
        const context = await contextOf(command);
        const target = reference
          ? { kind: "request" as const, ref: await resolveRequest(context, reference) }
          : context.workspace
            ? { kind: "workspace" as const, workspaceId: context.workspace }
            : undefined;
        if (!target) throw new CliError("name a request, or a workspace with --workspace", EXIT.usage);
        const name =
          target.kind === "request" ? `request ${target.ref.id}` : `workspace ${target.workspaceId}`;
        if (options.verify) {
          const verification: AuditVerification =
            target.kind === "request"
              ? await context.client.verifyRequestAudit(target.ref)
              : await context.client.verifyWorkspaceAudit(target.workspaceId);
          if (!verification.ok) {
            throw new CliError(
              `the audit trail of ${name} does not verify from entry ${verification.firstTampered}: ${verification.reason}`,
              EXIT.verification,
              undefined,
              undefined,
              verification,
            );
          }
          context.out.result(
            verification,
            () => `the audit trail of ${name} verifies: ${verification.entries} entries`,
          );
          return;
        }
        const entries =
          target.kind === "request"
            ? await allPages((continuation) => context.client.requestAudit(target.ref, continuation))
            : await allPages((continuation) =>
                context.client.workspaceAudit(target.workspaceId, continuation),
              );
        context.out.result({ entries }, () => entries.map(auditLine).join("\n"));
      }),
    [
      "airlock audit ws1/3f6c…",
      "airlock audit ws1/3f6c… --verify",
      "airlock audit --workspace ws1 --verify --json",
    ],
  );
};
