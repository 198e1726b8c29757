import { err, ok } from "neverthrow";
import { linkDecision } from "../machine/links.js";
import type { Actor } from "../model/actor.js";
import { loadReader } from "./access.js";
import { appendAudit, auditRecord, deny, epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { containerOf, loadRequest } from "./lookup.js";
import { fromPort, type Outcome } from "./outcome.js";
import type { LinkView } from "./types.js";

/** A link to the request's container in the stage its status names, with the access it grants. */
export const issueLink = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
): Outcome<LinkView> => {
  const reader = await loadReader(deps, actorInput, workspaceId, "link", "getting a link");
  if (reader.isErr()) return err(reader.error);
  const { actor } = reader.value;
  const found = await loadRequest(deps.ports, workspaceId, requestId);
  if (found.isErr()) return err(found.error);
  const request = found.value;

  const decision = linkDecision(request, actor);
  if (decision.kind === "refused") {
    const kind = decision.reason === "Forbidden" ? "Forbidden" : "NoLink";
    return deny(
      deps.ports,
      { kind, message: decision.message },
      { workspaceId, request, actor, action: "link" },
    );
  }

  const { stage, access } = decision;
  const expiresAt = new Date(deps.ports.clock.now() + deps.options.linkTtlSeconds * 1000);
  const ref = containerOf(request);
  const provisioned = await fromPort(deps.ports.storage.provision(ref, stage));
  if (provisioned.isErr()) return err(provisioned.error);
  const granted = await fromPort(deps.ports.storage.link(ref, stage, access, expiresAt));
  if (granted.isErr()) return err(granted.error);
  const audited = await appendAudit(
    deps.ports.audit,
    auditRecord(epochSeconds(deps.ports.clock), {
      stream: request.id,
      workspaceId,
      requestId,
      actor,
      action: "link",
      outcome: "allowed",
      reason: `${access.join(",")} on ${stage}`,
      fromStatus: request.status,
      toStatus: request.status,
    }),
  );
  if (audited.isErr()) return err(audited.error);
  return ok({ containerUrl: granted.value.containerUrl, expiresAt: granted.value.expiresAt, stage, access });
};
