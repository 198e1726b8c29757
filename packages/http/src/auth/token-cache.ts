/** A token's verified identity and the times it is valid between (epoch seconds, as in the JWT). */
export interface VerifiedToken<T> {
  readonly identity: T;
  readonly exp: number;
  readonly nbf: number | undefined;
}

export interface TokenCache<T> {
  /**
   * The identity of a token verified earlier, if it is still valid at `nowSeconds` with the clock
   * tolerance jose applies (`nbf <= now + tolerance`, `exp > now - tolerance`). A token outside that
   * window is dropped, so the caller verifies it again and answers exactly what a first verification
   * would.
   */
  get(token: string, nowSeconds: number): T | undefined;
  /** Remembers a token whose signature and claims were verified; never a failed one. */
  set(token: string, verified: VerifiedToken<T>): void;
  readonly size: number;
}

/** Signature checks dominate a request's cost; most callers repeat the same token for its hour. */
export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

/**
 * A bounded LRU keyed by the exact token text, so a token differing in any character (another
 * signature included) is never answered from the cache.
 */
export const createTokenCache = <T>(options: {
  readonly maxEntries: number;
  readonly toleranceSeconds: number;
}): TokenCache<T> => {
  const entries = new Map<string, VerifiedToken<T>>();
  // The token used last is already at the end; a caller's calls in a row need no move.
  let newest: string | undefined;
  return {
    get: (token, nowSeconds) => {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      const early = entry.nbf !== undefined && entry.nbf > nowSeconds + options.toleranceSeconds;
      if (early || entry.exp <= nowSeconds - options.toleranceSeconds) {
        entries.delete(token);
        if (token === newest) newest = undefined;
        return undefined;
      }
      if (token !== newest) {
        // Map order is insertion order: moving the entry to the end makes the first the least recent.
        entries.delete(token);
        entries.set(token, entry);
        newest = token;
      }
      return entry.identity;
    },
    set: (token, verified) => {
      if (options.maxEntries <= 0) return;
      entries.delete(token);
      entries.set(token, verified);
      newest = token;
      while (entries.size > options.maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
    },
    get size() {
      return entries.size;
    },
  };
};
