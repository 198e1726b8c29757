import { err, ok } from "neverthrow";
import { linkDecision } from "../machine/links.js";
import { type Actor, type GrantHolder, grantHolderOf } from "../model/actor.js";
import type { Stage } from "../model/request.js";
import type { LinkAccess } from "../ports/storage.js";
import { loadAddressedRequest, loadReader } from "./access.js";
import { appendAudit, auditRecord, deny, epochSeconds } from "./audit-records.js";
import type { UseCaseDeps } from "./deps.js";
import { containerOf } from "./lookup.js";
import type { ResolvedOptions } from "./options.js";
import { fromPort, type Outcome } from "./outcome.js";
import type { LinkView } from "./types.js";

/**
 * The window a link issued at `now` (ms) belongs to: links asked for again within it are the same
 * link. It never exceeds half the link's lifetime, so a link is always valid for at least half of
 * it; `null` when links are not reused.
 */
const reuseWindow = (
  options: Pick<ResolvedOptions, "linkReuseSeconds" | "linkTtlSeconds">,
  now: number,
): { readonly start: number; readonly end: number } | null => {
  const seconds = Math.floor(Math.min(options.linkReuseSeconds, options.linkTtlSeconds / 2));
  if (seconds < 1) return null;
  const start = Math.floor(now / (seconds * 1000)) * seconds * 1000;
  return { start, end: start + seconds * 1000 };
};

const initial = (name: string) => name.charAt(0);
const ROLE_INITIALS = { WorkspaceResearcher: "R", WorkspaceOwner: "O", AirlockManager: "M" } as const;

/**
 * One key per window, holder (id and roles) and grant: the audit log keeps one entry for all of
 * them. Initials keep it within the key's 200 characters for any id.
 */
const reuseKey = (holder: GrantHolder, stage: Stage, access: readonly LinkAccess[], start: number) =>
  [
    "link",
    Math.floor(start / 1000),
    stage,
    access.map(initial).join(""),
    holder.roles
      .map((role) => ROLE_INITIALS[role])
      .sort()
      .join("") || "-",
    holder.id,
  ].join(":");

/**
 * A link to the request's container in the stage its status names, with the access it grants, for
 * the caller as its holder. The same holder asking again within the reuse window gets the same
 * link (same expiry, so the same signature), and one audit entry stands for all of them.
 */
export const issueLink = async (
  deps: UseCaseDeps,
  actorInput: Actor,
  workspaceId: string,
  requestId: string,
): Outcome<LinkView> => {
  const reader = await loadReader(deps, actorInput, workspaceId, "link", "link", "getting a link");
  if (reader.isErr()) return err(reader.error);
  const { actor } = reader.value;
  const found = await loadAddressedRequest(deps, actor, workspaceId, requestId, "link");
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
  const holder = grantHolderOf(actor);
  const now = deps.ports.clock.now();
  const window = reuseWindow(deps.options, now);
  const expiresAt = new Date((window?.start ?? now) + deps.options.linkTtlSeconds * 1000);
  const ref = containerOf(request);
  const provisioned = await fromPort(deps.ports.storage.provision(ref, stage));
  if (provisioned.isErr()) return err(provisioned.error);
  const granted = await fromPort(deps.ports.storage.link(ref, stage, access, expiresAt, holder));
  if (granted.isErr()) return err(granted.error);
  const rights = `${access.join(",")} on ${stage}`;
  const audited = await appendAudit(
    deps.ports.audit,
    auditRecord(epochSeconds(deps.ports.clock), {
      stream: request.id,
      workspaceId,
      requestId,
      actor,
      action: "link",
      outcome: "allowed",
      reason: window
        ? `${rights}; the same link (expiring ${expiresAt.toISOString()}) for every identical ask by this holder from ${new Date(window.start).toISOString()} until ${new Date(window.end).toISOString()}, recorded once`
        : rights,
      fromStatus: request.status,
      toStatus: request.status,
      key: window ? reuseKey(holder, stage, access, window.start) : null,
    }),
  );
  if (audited.isErr()) return err(audited.error);
  return ok({
    containerUrl: granted.value.containerUrl,
    expiresAt: granted.value.expiresAt,
    stage,
    access,
    holder,
  });
};
