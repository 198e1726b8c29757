import { err, ok, ResultAsync } from "neverthrow";
import type { AirlockError } from "../errors.js";
import type { GateType } from "../model/gates.js";
import type { Workspace } from "../model/workspace.js";
import type { WorkspaceRegistry } from "../ports/workspace-directory.js";
import { fromPort, type Outcome } from "./outcome.js";

export interface WorkspaceRegistration {
  readonly workspace: Workspace;
  /** Whether a workspace of that id was registered before. */
  readonly replaced: boolean;
}

/**
 * Registers workspaces in a registry, keeping what spans workspaces:
 * - a client id names one workspace's tokens, so no two workspaces share one (`Conflict`);
 * - the reserved names (the API's own audience) are neither an id nor a client id (`InvalidInput`):
 *   a workspace whose audience were the API's would take every API token as its own;
 * - with `gateTypes`, the policy lists only gates the engine runs (`InvalidInput`): a request would
 *   otherwise fail at every submit. `scanning: true` asks for the `malware` gate too.
 *
 * Registrations through one registrar run one at a time, so two racing registrations of one client
 * id cannot both pass the check. Registries answer per workspace (Cosmos DB keeps unique keys per
 * partition, and a workspace is its own), which is why the rule is here and not in each registry.
 */
export interface WorkspaceRegistrar {
  register(workspace: Workspace): ResultAsync<WorkspaceRegistration, AirlockError>;
}

export const createWorkspaceRegistrar = (
  registry: WorkspaceRegistry,
  options: { readonly reservedNames: readonly string[]; readonly gateTypes?: readonly GateType[] },
): WorkspaceRegistrar => {
  const reserved = new Set(options.reservedNames.map((name) => name.toLowerCase()));
  let last: Promise<unknown> = Promise.resolve();

  const registerNow = async (workspace: Workspace): Outcome<WorkspaceRegistration> => {
    const refusals = [
      { path: "id", value: workspace.id },
      { path: "clientId", value: workspace.clientId },
    ]
      .filter(({ value }) => reserved.has(value.toLowerCase()))
      .map(({ path, value }) => ({ path, message: `"${value}" is reserved for the airlock API itself` }));
    if (refusals.length > 0) {
      return err({ kind: "InvalidInput", message: "the workspace uses a reserved name", issues: refusals });
    }
    const runs = options.gateTypes;
    const missing = (workspace.policy.gates ?? [])
      .map((gate, index) => ({ type: gate.type, index }))
      .filter(({ type }) => runs !== undefined && !runs.includes(type))
      .map(({ type, index }) => ({
        path: `airlock.gates.${index}.type`,
        message: `this server does not run the ${type} gate (it runs: ${runs?.join(", ")})`,
      }));
    // `scanning: true` (the default) asks for a malware verdict as a `malware` gate does.
    const unscanned =
      runs !== undefined && !runs.includes("malware") && workspace.policy.scanning
        ? [
            {
              path: "airlock.scanning",
              message:
                "this server runs no malware scanner, and the policy asks for a malware scan (scanning is true unless set to false): configure a scanner on the server, or set scanning to false",
            },
          ]
        : [];
    missing.push(...unscanned);
    if (missing.length > 0) {
      return err({
        kind: "InvalidInput",
        message: "the policy lists gates this server does not run",
        issues: missing,
      });
    }
    const all = await fromPort(registry.list());
    if (all.isErr()) return err(all.error);
    const sharing = all.value.find(
      (other) => other.id !== workspace.id && other.clientId === workspace.clientId,
    );
    if (sharing !== undefined) {
      return err({
        kind: "Conflict",
        message: `client id ${workspace.clientId} already belongs to workspace ${sharing.id}: each workspace needs its own app registration`,
      });
    }
    const replaced = all.value.some((other) => other.id === workspace.id);
    const stored = await fromPort(registry.put(workspace));
    return stored.isErr() ? err(stored.error) : ok({ workspace: stored.value, replaced });
  };

  return {
    register: (workspace) => {
      const turn = last.then(() => registerNow(workspace));
      last = turn.catch(() => undefined);
      return new ResultAsync(turn);
    },
  };
};
