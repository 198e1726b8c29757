import { ProblemError, problemOf } from "../api/problem";
import type { Identity } from "./identity";

export type { Identity } from "./identity";

/** Where a token is for: the TRE-wide API, or one workspace (its clientId is the server's to know). */
export type Audience = { readonly kind: "api" } | { readonly kind: "workspace"; readonly workspace: string };

const STORAGE_KEY = "airlock.console.identity";

/** Kept per browser tab: closing the tab signs out. */
export const storedIdentity = (): Identity | undefined => {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Identity;
  } catch {
    return undefined;
  }
};

export const storeIdentity = (identity: Identity | undefined): void => {
  if (identity) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(identity));
  else sessionStorage.removeItem(STORAGE_KEY);
};

interface Cached {
  readonly token: string;
  readonly expiresAt: number;
}

/**
 * Tokens of one identity, one per audience, asked of the server's development token endpoint and
 * reused until a minute before they expire.
 */
export const devTokenSource = (identity: Identity) => {
  const cache = new Map<string, Cached>();
  return async (audience: Audience): Promise<string> => {
    const key = audience.kind === "api" ? "api" : `ws:${audience.workspace}`;
    const cached = cache.get(key);
    if (cached && cached.expiresAt - 60_000 > Date.now()) return cached.token;
    const response = await fetch("/console/dev-token", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        userId: identity.userId,
        name: identity.name,
        roles: identity.roles,
        ...(audience.kind === "workspace" ? { workspace: audience.workspace } : {}),
      }),
    });
    if (!response.ok) throw new ProblemError(await problemOf(response));
    const { token, expiresIn } = (await response.json()) as { token: string; expiresIn: number };
    cache.set(key, { token, expiresAt: Date.now() + expiresIn * 1000 });
    return token;
  };
};
