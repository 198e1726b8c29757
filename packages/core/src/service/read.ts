import { err, ok } from "neverthrow";
import type { Actor } from "../model/actor.js";
import { loadAddressedRequest, loadReader, viewOf } from "./access.js";
import type { UseCaseDeps } from "./deps.js";
import type { Outcome } from "./outcome.js";
import type { RequestView } from "./types.js";

/** One request of a workspace, for someone who may read the workspace's requests. */
export const getRequest = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
): Outcome<RequestView> => {
  const reader = await loadReader(deps, actorInput, workspaceId, "read", "get", "reading requests");
  if (reader.isErr()) return err(reader.error);
  const { actor, workspace } = reader.value;
  const request = await loadAddressedRequest(deps, actor, workspaceId, requestId, "get");
  if (request.isErr()) return err(request.error);
  return ok(viewOf(request.value, workspace, actor));
};
