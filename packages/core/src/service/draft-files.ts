import { err, ok } from "neverthrow";
import { refusalError } from "../errors.js";
import { contextOf, decide } from "../machine/decide.js";
import { blobCallDecision } from "../machine/links.js";
import { UPLOAD_STAGE } from "../machine/status-meta.js";
import type { GrantHolder } from "../model/actor.js";
import type { AirlockRequest } from "../model/request.js";
import type { WorkspacePolicy } from "../model/workspace.js";
import type { UseCaseDeps } from "./deps.js";
import { loadRequest } from "./lookup.js";
import type { Outcome } from "./outcome.js";
import type { Change } from "./request-writer.js";

// Writers that lose a race read the request again and retry; each round lets one of them through,
// so this bounds only a livelock that cannot happen with a working repository.
const MAX_ATTEMPTS = 100;

/** A draft's link is issued to its requester only, so what is done through it is theirs. */
const throughLinkOf = (request: AirlockRequest, action: string, name: string): Change => ({
  actor: request.createdBy,
  action,
  reason: name,
});

/**
 * Records `name` in the draft `read` (one the link may write to) before its bytes are written, if
 * the machine finds room for it. The write is conditional on the etag, so concurrent uploads into
 * one draft are counted one by one and never exceed the policy. Answers whether this call added the
 * name (false: the draft held it already).
 */
export const reserveFileName = async (
  deps: UseCaseDeps,
  read: AirlockRequest,
  holder: GrantHolder,
  policy: WorkspacePolicy,
  name: string,
): Outcome<boolean> => {
  let request = read;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const decision = decide(request.status, contextOf(request, policy, null), { type: "ADD_FILE", name });
    if (!decision.allowed) return err(refusalError(decision.refusal));
    if (request.draftFiles.includes(name)) return ok(false);

    const next = { ...request, draftFiles: [...request.draftFiles, name] };
    const stored = await deps.writer.commit(request, next, throughLinkOf(request, "upload", name));
    if (stored.isOk()) return ok(true);
    if (stored.error.kind !== "Conflict") return err(stored.error);
    const again = await loadRequest(deps.ports, null, request.id);
    if (again.isErr()) return err(again.error);
    // Whoever won may have moved the request on: the link must still allow the write.
    const link = blobCallDecision(again.value, holder, UPLOAD_STAGE, "write");
    if (link.kind === "refused") return err({ kind: link.reason, message: link.message });
    request = again.value;
  }
  return err({ kind: "Conflict", message: "the request kept changing; try the upload again" });
};

/** Takes `name` out of the draft's record (a deleted file, or an upload that failed). */
export const releaseFileName = async (
  deps: UseCaseDeps,
  requestId: string,
  name: string,
  action: string,
): Outcome<void> => {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const request = await loadRequest(deps.ports, null, requestId);
    if (request.isErr()) return err(request.error);
    if (!request.value.draftFiles.includes(name)) return ok(undefined);
    const next = { ...request.value, draftFiles: request.value.draftFiles.filter((file) => file !== name) };
    const stored = await deps.writer.commit(request.value, next, throughLinkOf(request.value, action, name));
    if (stored.isOk()) return ok(undefined);
    if (stored.error.kind !== "Conflict") return err(stored.error);
  }
  return err({ kind: "Conflict", message: "the request kept changing; try again" });
};
