import { err, ok } from "neverthrow";
import { type FileChange, fileChanges } from "../machine/review.js";
import type { Actor } from "../model/actor.js";
import { loadAddressedRequest, loadReader } from "./access.js";
import type { UseCaseDeps } from "./deps.js";
import type { Outcome } from "./outcome.js";

export interface TurnChanges {
  /** The turn the files belong to. */
  readonly turn: number;
  readonly files: readonly { readonly file: string; readonly change: FileChange }[];
}

/**
 * Each file recorded at the last submit against the files when the turn before was returned:
 * `added`, `changed`, `unchanged` or `withdrawn`. Before the first submit no file is recorded.
 */
export const changesSincePreviousTurn = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
): Outcome<TurnChanges> => {
  const reader = await loadReader(deps, actorInput, workspaceId, "readChanges", "changes", "reading changes");
  if (reader.isErr()) return err(reader.error);
  const request = await loadAddressedRequest(deps, reader.value.actor, workspaceId, requestId, "changes");
  if (request.isErr()) return err(request.error);
  const { turn, files, previousFiles } = request.value;
  return ok({ turn, files: fileChanges(previousFiles, files) });
};
