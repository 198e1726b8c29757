import { SignJWT } from "jose";
import { DEV_ISSUER } from "./config.js";

export interface DevTokenInput {
  readonly secret: string;
  readonly userId: string;
  readonly name?: string;
  readonly email?: string;
  readonly roles: readonly string[];
  /** A workspace's clientId for workspace routes, the API audience for TRE-wide ones. */
  readonly audience: string | readonly string[];
  readonly ttlSeconds?: number;
  /** Milliseconds since the epoch; defaults to now. */
  readonly now?: number;
}

/** Mints an HS256 token shaped like an Entra ID access token, for development and tests only. */
export const mintDevToken = (input: DevTokenInput): Promise<string> => {
  const issuedAt = Math.floor((input.now ?? Date.now()) / 1000);
  return new SignJWT({
    oid: input.userId,
    name: input.name ?? input.userId,
    email: input.email ?? `${input.userId}@example.org`,
    roles: [...input.roles],
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(DEV_ISSUER)
    .setSubject(input.userId)
    .setAudience(typeof input.audience === "string" ? input.audience : [...input.audience])
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (input.ttlSeconds ?? 3600))
    .sign(new TextEncoder().encode(input.secret));
};
