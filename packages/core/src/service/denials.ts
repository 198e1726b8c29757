import { err, ok } from "neverthrow";
import { z } from "zod";
import { TRE_STREAM, workspaceAuditStream } from "../model/audit.js";
import type { AirlockRequest } from "../model/request.js";
import { appendAudit, auditRecord, epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { loadRequest, loadWorkspace } from "./lookup.js";
import { type Outcome, parseInput } from "./outcome.js";
import type { Denial } from "./types.js";

const Text = (max: number) => z.string().max(max);

const DenialInput = z.object({
  subject: z.object({ id: Text(256).min(1), name: Text(256) }),
  workspaceId: Text(128).min(1).nullable(),
  requestId: Text(128).min(1).nullable(),
  action: Text(64).min(1),
  code: z.enum(["Unauthorized", "Forbidden"]),
  message: Text(1000),
});

/** The request a link was signed for, if it is still there; anything else is no request. */
const requestOf = async (deps: UseCaseDeps, requestId: string | null): Promise<AirlockRequest | null> => {
  if (requestId === null) return null;
  const found = await loadRequest(deps.ports, null, requestId);
  return found.isOk() ? found.value : null;
};

/** The workspace addressed, if it exists: a stream is never opened for a name nobody registered. */
const workspaceOf = async (deps: UseCaseDeps, workspaceId: string | null): Outcome<string | null> => {
  if (workspaceId === null) return ok(null);
  const found = await loadWorkspace(deps.ports, workspaceId);
  if (found.isOk()) return ok(found.value.id);
  return found.error.kind === "NotFound" ? ok(null) : err(found.error);
};

/**
 * Records a refusal the HTTP layer made: in the stream of the request a link was signed for, else
 * in the addressed workspace's stream, else in the TRE-wide stream.
 */
export const recordDenial = async (deps: UseCaseDeps, input: Denial): Outcome<void> => {
  const parsed = parseInput(DenialInput, input, "the denial");
  if (parsed.isErr()) return err(parsed.error);
  const denial = parsed.value;
  const request = await requestOf(deps, denial.requestId);
  const addressed = request ? ok(request.workspaceId) : await workspaceOf(deps, denial.workspaceId);
  if (addressed.isErr()) return err(addressed.error);
  const workspaceId = addressed.value;
  return appendAudit(
    deps.ports.audit,
    auditRecord(epochSeconds(deps.ports.clock), {
      stream: request ? request.id : workspaceId ? workspaceAuditStream(workspaceId) : TRE_STREAM,
      // The TRE-wide stream's entries name no workspace.
      workspaceId: workspaceId ?? "",
      requestId: request?.id ?? null,
      actor: denial.subject,
      action: denial.action,
      outcome: "denied",
      reason: `${denial.code}: ${denial.message}`,
      fromStatus: request?.status ?? null,
    }),
  );
};
