import { createHmac } from "node:crypto";
import type { DevCredential } from "../config.js";

/** The server's documented development secret (AIRLOCK_DEV_SECRET overrides it on both sides). */
export const DEV_SECRET_DEFAULT = "airlock-development-secret-do-not-use-in-production";
/** The issuer the server's development mode expects. */
const DEV_ISSUER = "airlock-dev";
export const DEFAULT_API_AUDIENCE = "airlock-api";
const TTL_SECONDS = 15 * 60;

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * An HS256 token shaped like an Entra ID access token, as the server's development mode verifies
 * it (the same claims as the server's own `pnpm -s dev-token`). Minted per call, so it never
 * expires under a long upload.
 */
export const mintDevToken = (credential: DevCredential, audience: string, now = Date.now()): string => {
  const issuedAt = Math.floor(now / 1000);
  const header = encode({ alg: "HS256", typ: "JWT" });
  const payload = encode({
    oid: credential.user,
    sub: credential.user,
    name: credential.name ?? credential.user,
    email: credential.email ?? `${credential.user}@example.org`,
    roles: credential.roles,
    aud: audience,
    iss: DEV_ISSUER,
    iat: issuedAt,
    exp: issuedAt + TTL_SECONDS,
  });
  const secret = credential.secret ?? DEV_SECRET_DEFAULT;
  const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
};
