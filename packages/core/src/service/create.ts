import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { decideCreation } from "../machine/decide.js";
import { stageOf } from "../machine/status-meta.js";
import { type Actor, userRef } from "../model/actor.js";
import { NewRequestInput } from "../model/request.js";
import { loadActorIn, viewOf } from "./access.js";
import { deny, epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { containerOf } from "./lookup.js";
import { fromPort, type Outcome, parseInput } from "./outcome.js";
import type { NewRequest } from "./request-writer.js";
import type { RequestView } from "./types.js";

/** Creates a request: the machine decides by role and the workspace's airlock switch, then the input. */
export const createRequest = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  input: unknown,
): Outcome<RequestView> => {
  const acting = await loadActorIn(deps, actorInput, workspaceId);
  if (acting.isErr()) return err(acting.error);
  const { actor, workspace } = acting.value;
  const attempt = { workspaceId, request: null, actor, action: "create" };

  const decision = decideCreation(actor, workspace.policy);
  if (!decision.allowed) return deny(deps.ports, refusalError(decision.refusal), attempt);
  const fields = parseInput(NewRequestInput, input);
  if (fields.isErr()) return deny(deps.ports, fields.error, attempt);

  const at = epochSeconds(deps.ports.clock);
  const creator = userRef(actor);
  const stage = stageOf(decision.to);
  const request: NewRequest = {
    id: deps.ports.ids.next(),
    workspaceId,
    type: fields.value.type,
    title: fields.value.title,
    businessJustification: fields.value.businessJustification,
    status: decision.to,
    statusMessage: null,
    files: [],
    reviews: [],
    createdBy: creator,
    createdWhen: at,
    updatedBy: creator,
    updatedWhen: at,
    history: [{ previousStatus: null, status: decision.to, updatedBy: creator, updatedWhen: at }],
    dataStage: stage,
    scanRequestedWhen: null,
    draftFiles: [],
    cleanFiles: [],
  };
  if (stage !== null) {
    const provisioned = await fromPort(deps.ports.storage.provision(containerOf(request), stage));
    if (provisioned.isErr()) return err(provisioned.error);
  }
  const stored = await deps.writer.create(request, { actor, action: "create", workspace: workspace });
  if (stored.isErr()) return err(stored.error);

  return ok(viewOf(stored.value, workspace, actor));
};
