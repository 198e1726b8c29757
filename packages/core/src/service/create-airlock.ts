import { ResultAsync } from "neverthrow";
import type { AirlockError } from "../errors.js";
import { UPLOAD_STAGE } from "../machine/status-meta.js";
import type { GateType } from "../model/gates.js";
import { createAnnouncements } from "./announcements.js";
import {
  readAuditTrail,
  readTreAuditTrail,
  readWorkspaceAuditTrail,
  verifyAuditTrail,
  verifyTreAuditTrail,
} from "./audit-trail.js";
import { createBackgroundWork } from "./background.js";
import { deleteFile, listFiles, openFile, readFile } from "./blob-access.js";
import { cancelRequest } from "./cancel.js";
import { changesSincePreviousTurn } from "./changes.js";
import { addComment, listComments } from "./comment.js";
import { createRequest } from "./create.js";
import { recordDenial } from "./denials.js";
import type { UseCaseDeps } from "./deps.js";
import { setFileContext } from "./file-context.js";
import { createBytesInFlight, createKeyedQueue } from "./in-flight.js";
import { issueLink } from "./link.js";
import { listRequests, listRequestsForUser } from "./list.js";
import { resolveOptions } from "./options.js";
import type { Outcome } from "./outcome.js";
import { createProcessor } from "./processor.js";
import { getRequest } from "./read.js";
import { createRequestWriter } from "./request-writer.js";
import { returnRequest } from "./return.js";
import { reviewRequest } from "./review.js";
import { revokeRequest } from "./revoke.js";
import { submitRequest } from "./submit.js";
import type { Airlock, AirlockOptions, AirlockPorts } from "./types.js";
import { commitFileBlocks, stageFileBlock, uploadFile } from "./upload.js";
import { voteOnFile } from "./vote.js";
import { withdrawFile } from "./withdraw.js";
import { listWorkspacesFor, readUploadRules } from "./workspaces.js";

/** The public face of a use case: a `ResultAsync`, as every port and caller expects. */
const asResultAsync = <T>(outcome: Outcome<T>): ResultAsync<T, AirlockError> => new ResultAsync(outcome);

/** Wires the use cases to the ports. Nothing is shared between two airlocks. */
export const createAirlock = (ports: AirlockPorts, options: AirlockOptions = {}): Airlock => {
  const resolved = resolveOptions(options);
  const background = createBackgroundWork();
  const announcements = createAnnouncements(ports, resolved, background);
  const writer = createRequestWriter(ports, announcements);
  const processor = createProcessor({ ports, options: resolved, writer, background });
  const deps: UseCaseDeps = {
    ports,
    options: resolved,
    writer,
    announcements,
    scheduleProcessing: (request) => {
      if (resolved.processing === "inline") processor.schedule(request.id);
    },
    bytesInFlight: createBytesInFlight(),
    oneCreationAtATime: createKeyedQueue(),
  };

  return {
    create: (actor, workspaceId, input) => asResultAsync(createRequest(deps, actor, workspaceId, input)),
    get: (actor, workspaceId, requestId) => asResultAsync(getRequest(deps, actor, workspaceId, requestId)),
    list: (actor, workspaceId, query) => asResultAsync(listRequests(deps, actor, workspaceId, query)),
    listForUser: (actor, query) => asResultAsync(listRequestsForUser(deps, actor, query)),
    workspaces: (actor) => asResultAsync(listWorkspacesFor(deps, actor)),
    uploadRules: (actor, workspaceId) => asResultAsync(readUploadRules(deps, actor, workspaceId)),
    link: (actor, workspaceId, requestId) => asResultAsync(issueLink(deps, actor, workspaceId, requestId)),
    submit: (actor, workspaceId, requestId) =>
      asResultAsync(submitRequest(deps, actor, workspaceId, requestId)),
    cancel: (actor, workspaceId, requestId) =>
      asResultAsync(cancelRequest(deps, actor, workspaceId, requestId)),
    review: (actor, workspaceId, requestId, input) =>
      asResultAsync(reviewRequest(deps, actor, workspaceId, requestId, input)),
    vote: (actor, workspaceId, requestId, file, input) =>
      asResultAsync(voteOnFile(deps, actor, workspaceId, requestId, file, input)),
    returnForChanges: (actor, workspaceId, requestId, input) =>
      asResultAsync(returnRequest(deps, actor, workspaceId, requestId, input)),
    addComment: (actor, workspaceId, requestId, input) =>
      asResultAsync(addComment(deps, actor, workspaceId, requestId, input)),
    comments: (actor, workspaceId, requestId) =>
      asResultAsync(listComments(deps, actor, workspaceId, requestId)),
    withdrawFile: (actor, workspaceId, requestId, file) =>
      asResultAsync(withdrawFile(deps, actor, workspaceId, requestId, file)),
    setFileContext: (actor, workspaceId, requestId, file, input) =>
      asResultAsync(setFileContext(deps, actor, workspaceId, requestId, file, input)),
    changes: (actor, workspaceId, requestId) =>
      asResultAsync(changesSincePreviousTurn(deps, actor, workspaceId, requestId)),
    revoke: (actor, workspaceId, requestId, input) =>
      asResultAsync(revokeRequest(deps, actor, workspaceId, requestId, input)),
    recordScanResult: (requestId, outcome, file) =>
      processor.applyScanVerdict(requestId, outcome, file).map((request) => {
        deps.scheduleProcessing(request);
        return request;
      }),
    auditTrail: (actor, workspaceId, requestId, query) =>
      asResultAsync(readAuditTrail(deps, actor, workspaceId, requestId, query)),
    workspaceAuditTrail: (actor, workspaceId, query) =>
      asResultAsync(readWorkspaceAuditTrail(deps, actor, workspaceId, query)),
    verifyAuditTrail: (actor, workspaceId, requestId) =>
      asResultAsync(verifyAuditTrail(deps, actor, workspaceId, requestId)),
    treAuditTrail: (actor, query) => asResultAsync(readTreAuditTrail(deps, actor, query)),
    verifyTreAuditTrail: (actor) => asResultAsync(verifyTreAuditTrail(deps, actor)),
    writeFile: (holder, requestId, stage, name, content, options) =>
      asResultAsync(uploadFile(deps, holder, requestId, stage, name, content, options)),
    upload: (requestId, name, content, options) =>
      asResultAsync(uploadFile(deps, "requester", requestId, UPLOAD_STAGE, name, content, options)),
    readFile: (holder, requestId, stage, name) =>
      asResultAsync(readFile(deps, holder, requestId, stage, name)),
    openFile: (holder, requestId, stage, name, options) =>
      asResultAsync(openFile(deps, holder, requestId, stage, name, options)),
    stageBlock: (holder, requestId, stage, name, blockId, content, options) =>
      asResultAsync(stageFileBlock(deps, holder, requestId, stage, name, blockId, content, options)),
    commitBlocks: (holder, requestId, stage, name, blockIds) =>
      asResultAsync(commitFileBlocks(deps, holder, requestId, stage, name, blockIds)),
    deleteFile: (holder, requestId, stage, name) =>
      asResultAsync(deleteFile(deps, holder, requestId, stage, name)),
    listFiles: (holder, requestId, stage) => asResultAsync(listFiles(deps, holder, requestId, stage)),
    recordDenial: (denial) => asResultAsync(recordDenial(deps, denial)),
    processor: {
      process: processor.process,
      resume: processor.resume,
      recover: processor.recover,
      idle: processor.idle,
    },
    gateTypes: [
      ...(ports.scanner === undefined ? [] : (["malware"] as const)),
      ...(Object.keys(ports.gates ?? {}) as GateType[]),
    ],
  };
};
