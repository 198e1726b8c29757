import { createTokenVerifier, DEV_ISSUER, mintDevToken } from "@airlock/http";
import { SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTokenCache } from "../src/auth/token-cache.js";

const SECRET = "token-cache-secret-0123456789abcdef";
const T0 = Date.UTC(2026, 0, 1);
const TOLERANCE = 60;

const clock = (start: number) => {
  let now = start;
  return {
    now: () => now,
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
  };
};

const verifierAt = (time: ReturnType<typeof clock>, cacheSize?: number) =>
  createTokenVerifier(
    { mode: "development", secret: SECRET, clockToleranceSeconds: TOLERANCE },
    time.now,
    cacheSize === undefined ? {} : { cacheSize },
  );

const token = (user = "alice", ttlSeconds = 3600) =>
  mintDevToken({
    secret: SECRET,
    userId: user,
    roles: ["WorkspaceResearcher"],
    audience: "ws1",
    ttlSeconds,
    now: T0,
  });

/** Counts the signatures jose checks: each is one WebCrypto `verify`. */
const countSignatureChecks = () => vi.spyOn(crypto.subtle, "verify");

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the verified-token cache", () => {
  it("checks a token's signature once and answers later calls from the cache", async () => {
    const time = clock(T0);
    const verify = verifierAt(time);
    const bearer = await token();
    const checks = countSignatureChecks();

    const first = await verify(bearer);
    time.advance(600);
    const second = await verify(bearer);

    expect(first._unsafeUnwrap()).toMatchObject({
      id: "alice",
      roles: ["WorkspaceResearcher"],
      audiences: ["ws1"],
    });
    expect(second._unsafeUnwrap()).toEqual(first._unsafeUnwrap());
    expect(checks).toHaveBeenCalledTimes(1);
  });

  it("still lets a cached token expire, with the same clock tolerance as a first verification", async () => {
    const time = clock(T0);
    const verify = verifierAt(time);
    const bearer = await token("alice", 120);
    expect((await verify(bearer)).isOk()).toBe(true);

    time.advance(120 + TOLERANCE - 1);
    expect((await verify(bearer)).isOk()).toBe(true);

    time.advance(1);
    const expired = await verify(bearer);
    expect(expired._unsafeUnwrapErr()).toEqual({
      kind: "Unauthorized",
      message: "the token has expired",
      subject: { id: "alice", name: "alice" },
    });
  });

  it("never answers a token whose signature differs from the cached one's", async () => {
    const time = clock(T0);
    const verify = verifierAt(time);
    const bearer = await token();
    expect((await verify(bearer)).isOk()).toBe(true);

    // The same header and claims, signed with another secret.
    const [header, payload] = bearer.split(".");
    const other = await mintDevToken({
      secret: "another-secret-0123456789abcdefghij",
      userId: "alice",
      roles: ["WorkspaceResearcher"],
      audience: "ws1",
      now: T0,
    });
    const forged = `${header}.${payload}.${other.split(".")[2]}`;
    expect(forged).not.toBe(bearer);

    const checks = countSignatureChecks();
    const answer = await verify(forged);
    expect(answer._unsafeUnwrapErr().kind).toBe("Unauthorized");
    expect(checks).toHaveBeenCalledTimes(1);
  });

  it("never remembers a failure: a token refused before its nbf is accepted once it is valid", async () => {
    const time = clock(T0);
    const verify = verifierAt(time);
    const early = await new SignJWT({ oid: "alice", roles: ["WorkspaceResearcher"] })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(DEV_ISSUER)
      .setAudience("ws1")
      .setNotBefore(T0 / 1000 + 600)
      .setExpirationTime(T0 / 1000 + 3600)
      .sign(new TextEncoder().encode(SECRET));

    expect((await verify(early))._unsafeUnwrapErr()).toEqual({
      kind: "Unauthorized",
      message: "the token's nbf claim is not valid",
      subject: { id: "alice", name: "alice" },
    });
    time.advance(600);
    expect((await verify(early)).isOk()).toBe(true);
  });

  it("checks nbf again on a cached token if the clock goes back", async () => {
    const time = clock(T0 + 600_000);
    const verify = verifierAt(time);
    const bearer = await new SignJWT({ oid: "alice", roles: ["WorkspaceResearcher"] })
      .setProtectedHeader({ alg: "HS256" })
      .setAudience("ws1")
      .setNotBefore(T0 / 1000 + 600)
      .setExpirationTime(T0 / 1000 + 3600)
      .sign(new TextEncoder().encode(SECRET));
    expect((await verify(bearer)).isOk()).toBe(true);

    time.advance(-(TOLERANCE + 1));
    expect((await verify(bearer))._unsafeUnwrapErr().message).toBe("the token's nbf claim is not valid");
  });

  it("verifies every call in full when the cache size is 0", async () => {
    const verify = verifierAt(clock(T0), 0);
    const bearer = await token();
    const checks = countSignatureChecks();
    await verify(bearer);
    await verify(bearer);
    expect(checks).toHaveBeenCalledTimes(2);
  });

  it("shares a frozen identity, so one request cannot change what the next is told", async () => {
    const verify = verifierAt(clock(T0));
    const identity = (await verify(await token()))._unsafeUnwrap();
    expect(Object.isFrozen(identity)).toBe(true);
    expect(Object.isFrozen(identity.roles)).toBe(true);
    expect(Object.isFrozen(identity.audiences)).toBe(true);
  });

  it("holds at most its bound, dropping the least recently used token", async () => {
    const time = clock(T0);
    const verify = verifierAt(time, 2);
    const [a, b, c] = [await token("a"), await token("b"), await token("c")];
    await verify(a);
    await verify(b);
    await verify(a);
    await verify(c);

    const checks = countSignatureChecks();
    await verify(a);
    await verify(c);
    expect(checks).toHaveBeenCalledTimes(0);
    await verify(b);
    expect(checks).toHaveBeenCalledTimes(1);
  });
});

describe("the verifier's known tokens", () => {
  it("answers at once only a token verified before and still valid", async () => {
    const time = clock(T0);
    const verify = verifierAt(time);
    const bearer = await token("alice", 600);
    expect(verify.known(bearer)).toBeUndefined();

    const verified = (await verify(bearer))._unsafeUnwrap();
    expect(verify.known(bearer)).toBe(verified);

    time.advance(600 + TOLERANCE);
    expect(verify.known(bearer)).toBeUndefined();
  });

  it("never knows a token that failed, nor one that differs by its signature", async () => {
    const time = clock(T0);
    const verify = verifierAt(time);
    const bearer = await token();
    const forged = `${bearer.slice(0, -2)}${bearer.endsWith("AA") ? "BB" : "AA"}`;
    expect((await verify(forged)).isErr()).toBe(true);
    expect(verify.known(forged)).toBeUndefined();
    await verify(bearer);
    expect(verify.known(forged)).toBeUndefined();
  });

  it("knows nothing when the cache size is 0", async () => {
    const verify = verifierAt(clock(T0), 0);
    const bearer = await token();
    expect((await verify(bearer)).isOk()).toBe(true);
    expect(verify.known(bearer)).toBeUndefined();
  });
});

describe("createTokenCache", () => {
  const entry = (exp: number) => ({ identity: exp, exp, nbf: undefined });

  it("keeps no more than maxEntries, evicting the least recently used", () => {
    const cache = createTokenCache<number>({ maxEntries: 3, toleranceSeconds: 0 });
    for (const name of ["a", "b", "c"]) cache.set(name, entry(100));
    expect(cache.get("a", 0)).toBe(100);
    cache.set("d", entry(100));
    cache.set("e", entry(100));

    expect(cache.size).toBe(3);
    expect(cache.get("b", 0)).toBeUndefined();
    expect(cache.get("c", 0)).toBeUndefined();
    expect(["a", "d", "e"].map((name) => cache.get(name, 0))).toEqual([100, 100, 100]);
  });

  it("keeps the order of use when the token used last is asked for again", () => {
    const cache = createTokenCache<number>({ maxEntries: 3, toleranceSeconds: 0 });
    for (const name of ["a", "b", "c"]) cache.set(name, entry(100));
    expect(cache.get("a", 0)).toBe(100);
    expect(cache.get("a", 0)).toBe(100);
    expect(cache.get("c", 0)).toBe(100);
    cache.set("d", entry(100));

    expect(cache.get("b", 0)).toBeUndefined();
    expect(["a", "c", "d"].map((name) => cache.get(name, 0))).toEqual([100, 100, 100]);
  });

  it("forgets the token used last once it expired, and takes it again afterwards", () => {
    const cache = createTokenCache<number>({ maxEntries: 2, toleranceSeconds: 0 });
    cache.set("a", entry(100));
    cache.set("b", entry(10));
    expect(cache.get("b", 10)).toBeUndefined();
    cache.set("b", entry(100));
    cache.set("c", entry(100));

    expect(cache.get("a", 0)).toBeUndefined();
    expect(["b", "c"].map((name) => cache.get(name, 0))).toEqual([100, 100]);
  });

  it("drops an entry found expired, as jose compares exp (exp <= now - tolerance)", () => {
    const cache = createTokenCache<number>({ maxEntries: 10, toleranceSeconds: 5 });
    cache.set("t", entry(100));
    expect(cache.get("t", 104)).toBe(100);
    expect(cache.get("t", 105)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("stays bounded under many distinct tokens", () => {
    const cache = createTokenCache<number>({ maxEntries: 100, toleranceSeconds: 0 });
    for (let index = 0; index < 10_000; index += 1) cache.set(`token-${index}`, entry(100));
    expect(cache.size).toBe(100);
    expect(cache.get("token-9999", 0)).toBe(100);
    expect(cache.get("token-0", 0)).toBeUndefined();
  });
});
