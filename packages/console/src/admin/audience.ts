import { mayAttempt, type Role, WorkspaceRoleSchema } from "@airlock/core";
import type { Audience } from "../auth/session";

/**
 * The token a request's audit trail is read with: a workspace token when the person's workspace
 * roles may read it (the permission table says which), else a token for the API, with which a TRE
 * admin reads any workspace's trails.
 */
export const requestAuditAudience = (roles: readonly Role[], workspace: string): Audience =>
  mayAttempt(
    "audit",
    roles.filter((role) => WorkspaceRoleSchema.safeParse(role).success),
  )
    ? { kind: "workspace", workspace }
    : { kind: "api" };
