import { err, ok } from "neverthrow";
import { statusesAccepting } from "../machine/decide.js";
import { mayAttempt } from "../machine/permissions.js";
import type { Actor } from "../model/actor.js";
import type { Workspace } from "../model/workspace.js";
import { loadReader, viewOf } from "./access.js";
import { actingAcross, validActor } from "./acting.js";
import type { UseCaseDeps } from "./deps.js";
import { ListQuery, UserListQuery } from "./inputs.js";
import { fromPort, type Outcome, parseInput } from "./outcome.js";
import type { Airlock, ListRequestsInput, RequestList } from "./types.js";

/** A workspace's requests, filtered, ordered and paged as the query says. */
export const listRequests = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  query: ListRequestsInput,
): Outcome<RequestList> => {
  const reader = await loadReader(deps, actorInput, workspaceId, "read", "list", "listing requests");
  if (reader.isErr()) return err(reader.error);
  const { actor, workspace } = reader.value;
  const parsed = parseInput(ListQuery, query);
  if (parsed.isErr()) return err(parsed.error);
  const q = parsed.value;

  const page = await fromPort(
    deps.ports.repository.list({
      workspaceIds: [workspaceId],
      ...(q.creator_user_id ? { creator: q.creator_user_id } : {}),
      ...(q.type ? { type: q.type } : {}),
      ...(q.status ? { statuses: [q.status] } : {}),
      ...(q.order_by ? { orderBy: q.order_by } : {}),
      ...(q.order_ascending !== undefined ? { ascending: q.order_ascending } : {}),
      pageSize: q.page_size,
      ...(q.continuation ? { continuation: q.continuation } : {}),
    }),
  );
  if (page.isErr()) return err(page.error);
  return ok({
    items: page.value.items.map((request) => viewOf(request, workspace, actor)),
    continuation: page.value.continuation,
  });
};

/**
 * Across workspaces: the caller's own requests, or their review queue, the requests they may
 * review now in the workspaces where they may review at all.
 */
export const listRequestsForUser = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  query: Parameters<Airlock["listForUser"]>[1],
): Outcome<RequestList> => {
  const valid = validActor(actorInput);
  if (valid.isErr()) return err(valid.error);
  const parsed = parseInput(UserListQuery, query);
  if (parsed.isErr()) return err(parsed.error);
  const q = parsed.value;
  const workspaces = await fromPort(deps.ports.workspaces.list());
  if (workspaces.isErr()) return err(workspaces.error);

  const byId = new Map(workspaces.value.map((workspace) => [workspace.id, workspace]));
  const actorIn = (workspace: Workspace) => actingAcross(valid.value, workspace, deps.options.roles);
  const reviewing = workspaces.value
    .filter((workspace) => mayAttempt("reviewQueue", actorIn(workspace).roles))
    .map((workspace) => workspace.id);
  if (q.airlockManager && reviewing.length === 0) return ok({ items: [], continuation: null });

  const page = await fromPort(
    deps.ports.repository.list({
      ...(q.airlockManager
        ? { workspaceIds: reviewing, statuses: statusesAccepting("REVIEW") }
        : { creator: valid.value.id }),
      pageSize: q.page_size,
      ...(q.continuation ? { continuation: q.continuation } : {}),
    }),
  );
  if (page.isErr()) return err(page.error);
  const items = page.value.items.flatMap((request) => {
    const workspace = byId.get(request.workspaceId);
    if (!workspace) return [];
    const shown = viewOf(request, workspace, actorIn(workspace));
    return !q.airlockManager || shown.allowedUserActions.includes("review") ? [shown] : [];
  });
  return ok({ items, continuation: page.value.continuation });
};
