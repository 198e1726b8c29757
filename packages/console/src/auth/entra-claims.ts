import { type Role, RoleSchema } from "@airlock/core";
// With its extension: the unit tests type-check this module under Node's own resolution.
import type { Identity } from "./identity.js";

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.length > 0 ? value : undefined;

/**
 * Who an ID token names, as the API will name them from their access tokens: `oid` (else `sub`),
 * `name`, and the roles of the `roles` claim that the airlock knows (others are ignored, as the
 * API ignores them). `undefined` when the token names nobody.
 */
export const identityOfClaims = (
  claims: Readonly<Record<string, unknown>> | undefined,
): Identity | undefined => {
  if (!claims) return undefined;
  const userId = text(claims.oid) ?? text(claims.sub);
  if (!userId) return undefined;
  const raw = Array.isArray(claims.roles) ? claims.roles : [];
  const roles = [...new Set(raw.filter((role): role is Role => RoleSchema.safeParse(role).success))];
  return { userId, name: text(claims.name) ?? text(claims.preferred_username) ?? userId, roles };
};

/** The scope of a workspace's routes: the configured pattern with the workspace's clientId in it. */
export const workspaceScopeOf = (pattern: string, clientId: string): string =>
  pattern.replaceAll("{clientId}", clientId);
