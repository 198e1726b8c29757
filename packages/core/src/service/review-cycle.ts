import { ok } from "neverthrow";
import { normalizeFileName } from "../model/primitives.js";
import type { AirlockRequest } from "../model/request.js";
import { type CommandTarget, failedWrite, type RequestCommand } from "./access.js";
import type { UseCaseDeps } from "./deps.js";
import type { Outcome } from "./outcome.js";

/** A file name from a path, as the engine stores names (NFC). */
export const fileNameOf = (name: string): string => normalizeFileName(name);

/** The request's record of the file, any state; undefined when it records none by that name. */
export const recordedFile = (request: AirlockRequest, name: string) =>
  request.files.find((file) => file.name === name);

export const noSuchFile = (request: AirlockRequest, name: string) => ({
  kind: "NotFound" as const,
  message: `request ${request.id} has no file named ${JSON.stringify(name)}`,
});

/**
 * Stores a change of the review cycle the machine allowed, audited as `action` with `reason`
 * (never a comment's text: the audit trail has readers a reviewer-only comment is not for).
 */
export const commitReviewChange = async (
  deps: UseCaseDeps,
  target: CommandTarget,
  action: RequestCommand,
  next: AirlockRequest,
  reason: string,
): Outcome<AirlockRequest> => {
  const { actor, workspace, request } = target;
  const stored = await deps.writer.commit(request, next, { actor, action, reason, workspace });
  if (stored.isErr()) return failedWrite(deps, target, action, stored.error);
  return ok(stored.value);
};

export const about = (request: AirlockRequest) => ({
  requestId: request.id,
  workspaceId: request.workspaceId,
  type: request.type,
  turn: request.turn,
});
