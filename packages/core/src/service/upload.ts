import { err } from "neverthrow";
import { FileNameInput } from "../model/primitives.js";
import type { Stage } from "../model/request.js";
import type { StoredFile } from "../ports/storage.js";
import { loadForBlobCall } from "./access.js";
import type { UseCaseDeps } from "./deps.js";
import { releaseFileName, reserveFileName } from "./draft-files.js";
import { containerOf, loadWorkspace } from "./lookup.js";
import { fromPort, type Outcome, parseInput } from "./outcome.js";

/**
 * Writes one file into a draft: the status allows a write to `stage`, the name is valid, the draft
 * records the name (the machine decides whether there is room), and only then are the bytes streamed.
 */
export const uploadFile = async (
  deps: UseCaseDeps,
  requestId: string,
  stage: Stage,
  name: string,
  content: AsyncIterable<Uint8Array>,
): Outcome<StoredFile> => {
  const request = await loadForBlobCall(deps, requestId, stage, "write");
  if (request.isErr()) return err(request.error);
  const valid = parseInput(FileNameInput, name, "the file name");
  if (valid.isErr()) return err(valid.error);
  const workspace = await loadWorkspace(deps.ports, request.value.workspaceId);
  if (workspace.isErr()) return err(workspace.error);
  const { policy } = workspace.value;

  const reserved = await reserveFileName(deps, request.value, policy, valid.value);
  if (reserved.isErr()) return err(reserved.error);

  const ref = containerOf(request.value);
  const uploaded = await fromPort(
    deps.ports.storage.upload(ref, stage, valid.value, content, { maxBytes: policy.maxFileSize }),
  );
  if (uploaded.isOk() || !reserved.value) return uploaded;

  // The upload that added the name failed: the name goes, unless a concurrent upload of the same
  // name stored it meanwhile. A release that fails leaves the name counted, which only takes room.
  const present = await fromPort(deps.ports.storage.listFiles(ref, stage));
  if (present.isOk() && present.value.some((file) => file.name === valid.value)) return uploaded;
  const released = await releaseFileName(deps, requestId, valid.value, "upload-failed");
  if (released.isErr()) {
    deps.options.onBackgroundError({ step: "upload", requestId, error: released.error });
  }
  return uploaded;
};
