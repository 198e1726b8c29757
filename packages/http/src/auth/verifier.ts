import { webcrypto } from "node:crypto";
import { ActorSchema, Id, type Role, RoleSchema } from "@airlock/core";
import {
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyOptions,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { type AuthConfig, clockToleranceOf } from "./config.js";
import { createTokenCache, DEFAULT_TOKEN_CACHE_SIZE, type VerifiedToken } from "./token-cache.js";

/** What a verified token says about its bearer. */
export interface TokenIdentity {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  /** Only the roles the engine knows; anything else in the claim is ignored. */
  readonly roles: readonly Role[];
  readonly audiences: readonly string[];
}

/** Who a refused token names, when its signature matched: its claims can then be believed. */
export interface TokenSubject {
  readonly id: string;
  readonly name: string;
}

export type TokenError =
  | { readonly kind: "Unauthorized"; readonly message: string; readonly subject?: TokenSubject }
  | { readonly kind: "Unavailable"; readonly message: string; readonly cause?: unknown };

export interface TokenVerifier {
  (token: string): ResultAsync<TokenIdentity, TokenError>;
  /**
   * The identity of a token verified before that is still valid now, answered at once; `undefined`
   * when the token has to be verified (call the verifier), never for a token that failed.
   */
  readonly known: (token: string) => TokenIdentity | undefined;
}

const unauthorized = (message: string, subject?: TokenSubject): TokenError =>
  subject ? { kind: "Unauthorized", message, subject } : { kind: "Unauthorized", message };

const stringClaim = (payload: JWTPayload, name: string): string | undefined => {
  const value = payload[name];
  return typeof value === "string" && value.length > 0 ? value : undefined;
};

/** The user a token's claims name (`oid`, else `sub`), as an identity would name them. */
const subjectOf = (payload: JWTPayload | undefined): TokenSubject | undefined => {
  if (!payload) return undefined;
  const id = stringClaim(payload, "oid") ?? stringClaim(payload, "sub");
  if (!id || !Id.safeParse(id).success) return undefined;
  const name = stringClaim(payload, "name") ?? id;
  return { id, name: name.slice(0, 200) };
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
    // jose checks the claims only once the signature matched: their subject is who was refused.
    if (error instanceof joseErrors.JWTExpired) {
      return unauthorized("the token has expired", subjectOf(error.payload));
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      return unauthorized(`the token's ${error.claim} claim is not valid`, subjectOf(error.payload));
    }
    return unauthorized("the token is not valid");
  }
  // A fetch of the key set that failed on the network.
  return { kind: "Unavailable", message: "the token signing keys cannot be fetched", cause: error };
};

export interface TokenVerifierOptions {
  /** How many verified tokens are remembered until they expire; 0 verifies every call in full. */
  readonly cacheSize?: number;
}

/** Shared by every request that presents the same token, so nobody may change it. */
const frozen = (identity: TokenIdentity): TokenIdentity =>
  Object.freeze({
    ...identity,
    roles: Object.freeze([...identity.roles]),
    audiences: Object.freeze([...identity.audiences]),
  });

const verifiedOf = (payload: JWTPayload): ResultAsync<VerifiedToken<TokenIdentity>, TokenError> =>
  identityOf(payload).map((identity) => ({
    identity: frozen(identity),
    // jose refuses a token without a numeric exp (a required claim) or with a non-numeric nbf.
    exp: payload.exp as number,
    nbf: payload.nbf,
  }));

/**
 * Verifies bearer tokens: signature, `exp` (required), `nbf`, the issuer in Entra mode. The audience
 * is left to the caller, because only the route knows which workspace it addresses.
 *
 * A token that verified is remembered by its exact text until it expires: presenting it again
 * checks only `nbf` and `exp` against the clock, with the same tolerance. Nothing else about a
 * verified token can change, and Entra's key rotation does not make an already valid signature
 * invalid. Failures are never remembered.
 */
export const createTokenVerifier = (
  config: AuthConfig,
  now: () => number = Date.now,
  options: TokenVerifierOptions = {},
): TokenVerifier => {
  const tolerance = clockToleranceOf(config);
  const base = (): JWTVerifyOptions => ({
    requiredClaims: ["exp"],
    clockTolerance: tolerance,
    currentDate: new Date(now()),
  });
  let verify: (token: string) => ResultAsync<VerifiedToken<TokenIdentity>, TokenError>;
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
    verify = (token) =>
      ResultAsync.fromPromise(
        keyOf().then((hmac) => jwtVerify(token, hmac, { ...base(), algorithms: ["HS256"] })),
        classify,
      ).andThen((result) => verifiedOf(result.payload));
  } else {
    const keys = createRemoteJWKSet(new URL(config.jwksUri));
    const issuer = typeof config.issuer === "string" ? config.issuer : [...config.issuer];
    verify = (token) =>
      ResultAsync.fromPromise(
        jwtVerify(token, keys, {
          ...base(),
          issuer,
          algorithms: ["RS256", "RS384", "RS512", "PS256", "ES256"],
        }),
        classify,
      ).andThen((result) => verifiedOf(result.payload));
  }
  const cache = createTokenCache<TokenIdentity>({
    maxEntries: options.cacheSize ?? DEFAULT_TOKEN_CACHE_SIZE,
    toleranceSeconds: tolerance,
  });
  // Whole seconds, as jose compares them.
  const known = (token: string) => cache.get(token, Math.floor(now() / 1000));
  const verifier = (token: string) => {
    const identity = known(token);
    if (identity) return okAsync<TokenIdentity, TokenError>(identity);
    return verify(token).map((verified) => {
      cache.set(token, verified);
      return verified.identity;
    });
  };
  return Object.assign(verifier, { known });
};

/** The token of an `Authorization: Bearer …` header, if any. */
export const bearerToken = (header: string | undefined): string | undefined => {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
};
