import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { decideCreation, statusesAccepting } from "../machine/decide.js";
import { stageOf } from "../machine/status-meta.js";
import { type Actor, userRef } from "../model/actor.js";
import { NewRequestInput } from "../model/request.js";
import { DEFAULT_POLICY } from "../model/workspace.js";
import { type ActorInWorkspace, loadActorIn, viewOf } from "./access.js";
import { deny, epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { containerOf } from "./lookup.js";
import { fromPort, fromPortError, type Outcome, parseInput } from "./outcome.js";
import type { NewRequest } from "./request-writer.js";
import type { RequestView } from "./types.js";

/**
 * How many drafts `creatorId` holds open in the workspace, counted up to `enough` (the machine only
 * needs to know whether the quota is reached).
 */
const openDraftsOf = async (
  deps: UseCaseDeps,
  workspaceId: string,
  creatorId: string,
  enough: number,
): Outcome<number> => {
  let count = 0;
  let continuation: string | undefined;
  do {
    const page = await deps.ports.repository.list({
      workspaceIds: [workspaceId],
      creator: creatorId,
      statuses: statusesAccepting("SUBMIT"),
      pageSize: Math.min(100, enough),
      ...(continuation ? { continuation } : {}),
    });
    if (page.isErr()) return err(fromPortError(page.error));
    count += page.value.items.length;
    continuation = page.value.continuation ?? undefined;
  } while (continuation && count < enough);
  return ok(count);
};

/**
 * Creates a request: the machine decides by role, the workspace's airlock switch and the creator's
 * open drafts, then the input. One creation per person and workspace runs at a time in this
 * engine, so the count it decides on is the one it stores against.
 */
export const createRequest = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  input: unknown,
): Outcome<RequestView> => {
  const acting = await loadActorIn(deps, actorInput, workspaceId);
  if (acting.isErr()) return err(acting.error);
  const { actor } = acting.value;
  return deps.oneCreationAtATime(JSON.stringify([workspaceId, actor.id]), () =>
    createCounted(deps, acting.value, workspaceId, input),
  );
};

const createCounted = async (
  deps: UseCaseDeps,
  { actor, workspace }: ActorInWorkspace,
  workspaceId: string,
  input: unknown,
): Outcome<RequestView> => {
  const attempt = { workspaceId, request: null, actor, action: "create" };

  // A policy stored before the quota existed takes its default, as the machine does.
  const quota = workspace.policy.maxOpenDrafts ?? DEFAULT_POLICY.maxOpenDrafts;
  const openDrafts = await openDraftsOf(deps, workspaceId, actor.id, quota);
  if (openDrafts.isErr()) return err(openDrafts.error);
  const decision = decideCreation(actor, workspace.policy, openDrafts.value);
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
    findings: [],
    gatedTurn: null,
    turn: 0,
    votes: [],
    comments: [],
    fileDecisions: [],
    fileContext: [],
    previousFiles: [],
  };
  if (stage !== null) {
    const provisioned = await fromPort(deps.ports.storage.provision(containerOf(request), stage));
    if (provisioned.isErr()) return err(provisioned.error);
  }
  const stored = await deps.writer.create(request, { actor, action: "create", workspace: workspace });
  if (stored.isErr()) return err(stored.error);

  return ok(viewOf(stored.value, workspace, actor));
};
