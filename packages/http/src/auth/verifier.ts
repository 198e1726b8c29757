import { webcrypto } from "node:crypto";
import { ActorSchema, type Role, RoleSchema } from "@airlock/core";
import {
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyOptions,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { type AuthConfig, clockToleranceOf } from "./config.js";

/** What a verified token says about its bearer. */
export interface TokenIdentity {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  /** Only the roles the engine knows; anything else in the claim is ignored. */
  readonly roles: readonly Role[];
  readonly audiences: readonly string[];
}

export type TokenError =
  | { readonly kind: "Unauthorized"; readonly message: string }
  | { readonly kind: "Unavailable"; readonly message: string; readonly cause?: unknown };

export type TokenVerifier = (token: string) => ResultAsync<TokenIdentity, TokenError>;

const unauthorized = (message: string): TokenError => ({ kind: "Unauthorized", message });

const stringClaim = (payload: JWTPayload, name: string): string | undefined => {
  const value = payload[name];
  return typeof value === "string" && value.length > 0 ? value : undefined;
};

export const identityOf = (payload: JWTPayload): ResultAsync<TokenIdentity, TokenError> => {
  const id = stringClaim(payload, "oid") ?? stringClaim(payload, "sub");
  if (!id) return errAsync(unauthorized("the token names no user (oid or sub)"));
  const rawRoles = Array.isArray(payload.roles) ? payload.roles : [];
  const roles = [
    ...new Set(rawRoles.flatMap((role) => (RoleSchema.safeParse(role).success ? [role as Role] : []))),
  ];
  const candidate = {
    id,
    name: stringClaim(payload, "name") ?? id,
    email: stringClaim(payload, "email") ?? stringClaim(payload, "preferred_username") ?? "",
    roles,
  };
  const actor = ActorSchema.safeParse(candidate);
  if (!actor.success) return errAsync(unauthorized("the token's user claims are not usable"));
  const aud = payload.aud;
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  return okAsync({ ...actor.data, audiences });
};

/**
 * jose says why a token failed; only a key set that cannot be fetched is our problem rather than the
 * caller's, and answering 401 for it would send every client to re-authenticate for nothing.
 */
const classify = (error: unknown): TokenError => {
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return { kind: "Unavailable", message: "the token signing keys cannot be fetched", cause: error };
  }
  if (error instanceof joseErrors.JOSEError) {
    if (error instanceof joseErrors.JWTExpired) return unauthorized("the token has expired");
    if (error instanceof joseErrors.JWTClaimValidationFailed)
      return unauthorized(`the token's ${error.claim} claim is not valid`);
    return unauthorized("the token is not valid");
  }
  // A fetch of the key set that failed on the network.
  return { kind: "Unavailable", message: "the token signing keys cannot be fetched", cause: error };
};

/**
 * Verifies bearer tokens: signature, `exp` (required), `nbf`, the issuer in Entra mode. The audience
 * is left to the caller, because only the route knows which workspace it addresses.
 */
export const createTokenVerifier = (config: AuthConfig, now: () => number = Date.now): TokenVerifier => {
  const base = (): JWTVerifyOptions => ({
    requiredClaims: ["exp"],
    clockTolerance: clockToleranceOf(config),
    currentDate: new Date(now()),
  });
  if (config.mode === "development") {
    // Imported once: jose imports raw key bytes into WebCrypto again on every verification, which
    // was the larger part of a request's cost. Lazily, so a failure surfaces on a call, not at start.
    let key: Promise<webcrypto.CryptoKey> | undefined;
    const keyOf = () =>
      (key ??= webcrypto.subtle.importKey(
        "raw",
        new TextEncoder().encode(config.secret),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["verify"],
      ));
    return (token) =>
      ResultAsync.fromPromise(
        keyOf().then((hmac) => jwtVerify(token, hmac, { ...base(), algorithms: ["HS256"] })),
        classify,
      ).andThen((result) => identityOf(result.payload));
  }
  const keys = createRemoteJWKSet(new URL(config.jwksUri));
  const issuer = typeof config.issuer === "string" ? config.issuer : [...config.issuer];
  return (token) =>
    ResultAsync.fromPromise(
      jwtVerify(token, keys, {
        ...base(),
        issuer,
        algorithms: ["RS256", "RS384", "RS512", "PS256", "ES256"],
      }),
      classify,
    ).andThen((result) => identityOf(result.payload));
};

/** The token of an `Authorization: Bearer …` header, if any. */
export const bearerToken = (header: string | undefined): string | undefined => {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
};
