import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { actorFacts, contextOf, decide } from "../machine/decide.js";
import { fileChanges } from "../machine/review.js";
import { UPLOAD_STAGE } from "../machine/status-meta.js";
import type { Actor } from "../model/actor.js";
import { EVENT_TYPES } from "../model/events.js";
import type { Notification } from "../model/notification.js";
import type { AirlockRequest, FileRecord, RequestFile } from "../model/request.js";
import type { Workspace } from "../model/workspace.js";
import { failedWrite, loadCommandTarget, refuseCommand, viewOf } from "./access.js";
import { topicNotification } from "./announcements.js";
import { epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { containerOf } from "./lookup.js";
import { fromPort, type Outcome } from "./outcome.js";
import { withStatus } from "./request-writer.js";
import { about } from "./review-cycle.js";
import type { RequestView } from "./types.js";

/**
 * The files a submit records: what the draft stage holds, each active with the requester's context;
 * a file recorded before that the draft no longer holds stays on record, withdrawn.
 */
const filesToRecord = (request: AirlockRequest, held: readonly FileRecord[]): RequestFile[] => {
  const contextOf = (name: string) => {
    const { name: _name, ...context } = request.fileContext.find((c) => c.name === name) ?? { name };
    return context;
  };
  const active = held.map(
    (file): RequestFile => ({
      name: file.name,
      size: file.size,
      sha256: file.sha256,
      state: "active",
      ...contextOf(file.name),
    }),
  );
  const gone = request.files
    .filter((file) => !held.some((h) => h.name === file.name))
    .map((file): RequestFile => ({ ...file, state: "withdrawn" }));
  return [...active, ...gone];
};

/**
 * A resubmission tells the workspace's reviewers, and separately those who voted on a file in the
 * returned turn that changed or was withdrawn since.
 */
const resubmissionNotices = (request: AirlockRequest, workspace: Workspace): Notification[] => {
  const changed = fileChanges(request.previousFiles, request.files)
    .filter(({ change }) => change === "changed" || change === "withdrawn")
    .map(({ file }) => file);
  // The return started one turn and this resubmit another: the returned turn is two back.
  const returnedTurn = request.turn - 2;
  const voters = request.votes
    .filter((vote) => vote.turn === returnedTurn && changed.includes(vote.file))
    .map((vote) => vote.reviewer);
  const reviewers = workspace.members.filter((member) => member.roles.includes("AirlockManager"));
  const filesOf = (voter: string) => [
    ...new Set(
      request.votes
        .filter((v) => v.turn === returnedTurn && v.reviewer.id === voter && changed.includes(v.file))
        .map((v) => v.file),
    ),
  ];
  return [
    topicNotification(request, "resubmitted", reviewers),
    // One per voter: each is told only of the files they voted on.
    ...[...new Map(voters.map((v) => [v.id, v])).values()].map((voter) =>
      topicNotification(request, "files_changed", [voter], filesOf(voter.id)),
    ),
  ].filter((notification): notification is Notification => notification !== null);
};

/**
 * Submits a draft, or resubmits a request returned for changes (the same checks). The files the
 * machine checks (names, sizes, count, context) are what storage holds (files may arrive through a
 * storage link, past the engine); the sha256 recorded here, computed from the bytes, is what every
 * later move is checked against. Each submit starts a new turn.
 */
export const submitRequest = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
): Outcome<RequestView> => {
  const target = await loadCommandTarget(deps, actorInput, workspaceId, requestId, "submit");
  if (target.isErr()) return err(target.error);
  const { actor, workspace, request } = target.value;
  const ref = containerOf(request);
  const files = await fromPort(deps.ports.storage.listFiles(ref, UPLOAD_STAGE));
  if (files.isErr()) return err(files.error);

  // What storage holds is judged as it is: names, sizes and count, whoever wrote the files.
  const decision = decide(request.status, contextOf(request, workspace.policy, files.value), {
    type: "SUBMIT",
    actor: actorFacts(actor),
  });
  if (!decision.allowed) return refuseCommand(deps, target.value, "submit", refusalError(decision.refusal));

  const described = await fromPort(deps.ports.storage.describe(ref, UPLOAD_STAGE));
  if (described.isErr()) return err(described.error);
  const next = withStatus(request, decision.to, actor, epochSeconds(deps.ports.clock), {
    files: filesToRecord(request, described.value),
    statusMessage: null,
    turn: request.turn + 1,
    // A resubmitted request is scanned afresh.
    cleanFiles: [],
    scanRequestedWhen: null,
  });
  const stored = await deps.writer.commit(request, next, { actor, action: "submit", workspace });
  if (stored.isErr()) return failedWrite(deps, target.value, "submit", stored.error);

  if (request.status === "changes_requested") {
    deps.announcements.reviewChange(
      stored.value,
      "resubmit",
      (envelope) => ({
        ...envelope,
        type: EVENT_TYPES.resubmitted,
        data: {
          ...about(stored.value),
          changes: fileChanges(stored.value.previousFiles, stored.value.files),
        },
      }),
      resubmissionNotices(stored.value, workspace),
    );
  }
  deps.scheduleProcessing(stored.value);
  return ok(viewOf(stored.value, workspace, actor));
};
