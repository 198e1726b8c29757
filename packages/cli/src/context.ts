import type { Command } from "commander";
import { tokenSource } from "./auth/tokens.js";
import { AirlockClient, type RequestRef } from "./client.js";
import { type Credential, loadCredential, resolveServer } from "./config.js";
import { CliError, EXIT } from "./errors.js";
import { createOutput, type Output } from "./output.js";

/** The options every command takes (declared on the program). */
export interface GlobalOptions {
  readonly server?: string;
  readonly json?: boolean;
  readonly workspace?: string;
}

export interface Context {
  readonly out: Output;
  readonly server: string;
  readonly credential: Credential | undefined;
  readonly client: AirlockClient;
  readonly workspace: string | undefined;
}

/** What a command needs: how to print, which server, who is signed in there, and a client. */
export const contextOf = async (command: Command): Promise<Context> => {
  const options = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput({ json: options.json === true });
  const server = await resolveServer(options.server);
  const credential = await loadCredential(server);
  return {
    out,
    server,
    credential,
    client: new AirlockClient(server, tokenSource(credential)),
    workspace: options.workspace ?? (process.env.AIRLOCK_WORKSPACE || undefined),
  };
};

/**
 * A request named on the command line: `WORKSPACE/ID`, or `ID` with --workspace (or
 * AIRLOCK_WORKSPACE), or `ID` alone when it is one of the caller's own requests or in their
 * review queue.
 */
export const resolveRequest = async (context: Context, reference: string): Promise<RequestRef> => {
  const slash = reference.indexOf("/");
  if (slash > 0 && slash < reference.length - 1) {
    return { workspaceId: reference.slice(0, slash), id: reference.slice(slash + 1) };
  }
  if (context.workspace) return { workspaceId: context.workspace, id: reference };
  for (const list of [() => context.client.myRequests(), () => context.client.reviewQueue()]) {
    // Not being signed in, or no server, is the answer; a list this caller may not read is not.
    const page = await list().catch((error: unknown) => {
      if (error instanceof CliError && (error.exitCode === EXIT.unavailable || !context.credential))
        throw error;
      return undefined;
    });
    const found = page?.airlockRequests.find((view) => view.airlockRequest.id === reference);
    if (found) return { workspaceId: found.airlockRequest.workspaceId, id: reference };
  }
  throw new CliError(
    `cannot tell which workspace request ${reference} is in: write WORKSPACE/${reference} or pass --workspace`,
    EXIT.usage,
  );
};

/** The workspace a command acts in; a usage error when none is named. */
export const requireWorkspace = (context: Context): string => {
  if (!context.workspace)
    throw new CliError("name the workspace with --workspace (or AIRLOCK_WORKSPACE)", EXIT.usage);
  return context.workspace;
};
