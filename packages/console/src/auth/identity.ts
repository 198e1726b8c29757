import type { Role } from "@airlock/core";

/**
 * Who signed in, in either mode: with development authentication what the development token
 * endpoint mints for; with Entra ID what the ID token's claims say (`oid`, `name`, `roles`).
 */
export interface Identity {
  readonly userId: string;
  readonly name: string;
  readonly roles: readonly Role[];
}
