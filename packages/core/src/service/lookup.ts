import { err, ok } from "neverthrow";
import type { AirlockRequest } from "../model/request.js";
import type { Workspace } from "../model/workspace.js";
import type { ContainerRef } from "../ports/storage.js";
import { fromPortError, type Outcome } from "./outcome.js";
import type { AirlockPorts } from "./types.js";

export const loadWorkspace = async (
  ports: Pick<AirlockPorts, "workspaces">,
  workspaceId: string,
): Outcome<Workspace> => {
  const found = await ports.workspaces.get(workspaceId);
  if (found.isOk()) return ok(found.value);
  return err(
    found.error.kind === "NotFound"
      ? { kind: "NotFound", message: `workspace ${workspaceId} not found` }
      : fromPortError(found.error),
  );
};

/**
 * A request by id; with a `workspaceId`, a request of another workspace is `NotFound` too, as is an
 * id the repository cannot even look up.
 */
export const loadRequest = async (
  ports: Pick<AirlockPorts, "repository">,
  workspaceId: string | null,
  requestId: string,
): Outcome<AirlockRequest> => {
  const found = await ports.repository.get(requestId);
  if (found.isErr()) {
    return err(
      found.error.kind === "NotFound" || found.error.kind === "InvalidInput"
        ? { kind: "NotFound", message: `request ${requestId} not found` }
        : fromPortError(found.error),
    );
  }
  if (workspaceId !== null && found.value.workspaceId !== workspaceId) {
    return err({ kind: "NotFound", message: `request ${requestId} not found` });
  }
  return ok(found.value);
};

export const containerOf = (request: Pick<AirlockRequest, "id" | "workspaceId" | "type">): ContainerRef => ({
  requestId: request.id,
  workspaceId: request.workspaceId,
  type: request.type,
});
