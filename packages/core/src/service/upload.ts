import { err } from "neverthrow";
import { FileName } from "../model/primitives.js";
import type { Stage } from "../model/request.js";
import type { StoredFile } from "../ports/storage.js";
import type { UseCaseDeps } from "./deps.js";
import { releaseFileName, reserveFileName } from "./draft-files.js";
import { admitLinkCall, type LinkCall, recordLinkCall } from "./link-calls.js";
import { containerOf, loadWorkspace } from "./lookup.js";
import { fromPort, type Outcome, parseInput } from "./outcome.js";

/**
 * Writes one file into a draft: the link rule lets `holder` write to `stage` now, the name is
 * valid, the write is recorded in the audit trail, the draft records the name (the machine decides
 * whether there is room), and only then are the bytes streamed.
 */
export const uploadFile = async (
  deps: UseCaseDeps,
  holder: LinkCall["holder"],
  requestId: string,
  stage: Stage,
  name: string,
  content: AsyncIterable<Uint8Array>,
): Outcome<StoredFile> => {
  const call = { holder, requestId, stage, operation: "write", file: name } as const;
  const admitted = await admitLinkCall(deps, call);
  if (admitted.isErr()) return err(admitted.error);
  const { request } = admitted.value;
  const valid = parseInput(FileName, name, "the file name");
  if (valid.isErr()) return err(valid.error);
  const recorded = await recordLinkCall(deps, call, admitted.value);
  if (recorded.isErr()) return err(recorded.error);
  const workspace = await loadWorkspace(deps.ports, request.workspaceId);
  if (workspace.isErr()) return err(workspace.error);
  const { policy } = workspace.value;

  const reserved = await reserveFileName(deps, request, admitted.value.holder, policy, valid.value);
  if (reserved.isErr()) return err(reserved.error);

  const ref = containerOf(request);
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
