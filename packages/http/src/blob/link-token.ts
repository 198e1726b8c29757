import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { LinkAccess, Stage } from "@airlock/core";
import { StageSchema } from "@airlock/core";
import { err, ok, type Result } from "neverthrow";

/** What a link grants. The request's current status is still checked on every call. */
export interface LinkGrant {
  readonly requestId: string;
  readonly stage: Stage;
  readonly access: readonly LinkAccess[];
  readonly expiresAt: Date;
}

export type LinkTokenError =
  | { readonly kind: "Unauthorized"; readonly message: string }
  | { readonly kind: "Forbidden"; readonly message: string };

export interface LinkSigner {
  /** The query string (without `?`) that grants `grant` on `/blob/{requestId}`. */
  sign(grant: LinkGrant): string;
  /** Checks a call's query against its request id and the operation it needs. */
  verify(
    requestId: string,
    query: Readonly<Record<string, unknown>>,
    needs: LinkAccess,
    now: number,
  ): Result<LinkGrant, LinkTokenError>;
}

// Azure's permission letters, in Azure's order, so a link reads like the SAS it stands in for.
const LETTERS: readonly (readonly [LinkAccess, string])[] = [
  ["read", "r"],
  ["write", "w"],
  ["delete", "d"],
  ["list", "l"],
];

const lettersOf = (access: readonly LinkAccess[]) =>
  LETTERS.filter(([name]) => access.includes(name))
    .map(([, letter]) => letter)
    .join("");

const accessOf = (letters: string): LinkAccess[] | undefined => {
  const access = LETTERS.filter(([, letter]) => letters.includes(letter)).map(([name]) => name);
  return lettersOf(access) === letters && access.length > 0 ? access : undefined;
};

const VERSION = "airlock1";

const STAGES: ReadonlySet<string> = new Set(StageSchema.options);
const isStage = (text: string): text is Stage => STAGES.has(text);

/**
 * HMAC-SHA256 link tokens for the embedded blob endpoint. The signature covers the request id,
 * stage, permissions and expiry; a link minted for one request says nothing about another.
 */
export const createLinkSigner = (secret: string | Uint8Array = randomBytes(32)): LinkSigner => {
  const key = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
  if (key.length < 16) throw new Error("a link secret needs at least 16 bytes");
  const mac = (requestId: string, stage: string, letters: string, expiry: string) =>
    createHmac("sha256", key).update([VERSION, requestId, stage, letters, expiry].join("\n")).digest();

  return {
    sign: (grant) => {
      const letters = lettersOf(grant.access);
      const expiry = String(Math.floor(grant.expiresAt.getTime() / 1000));
      const sig = mac(grant.requestId, grant.stage, letters, expiry).toString("base64url");
      // Every value is already URL-safe (letters, a stage name, digits, base64url): nothing to encode.
      return `sv=${VERSION}&sr=c&sp=${letters}&stg=${grant.stage}&se=${expiry}&sig=${sig}`;
    },

    verify: (requestId, query, needs, now) => {
      const text = (name: string) => (typeof query[name] === "string" ? (query[name] as string) : undefined);
      const [letters, stageText, expiry, sig] = [text("sp"), text("stg"), text("se"), text("sig")];
      if (text("sv") !== VERSION || !letters || !stageText || !expiry || !sig) {
        return err({ kind: "Unauthorized", message: "the link token is missing or malformed" });
      }
      const access = accessOf(letters);
      if (!isStage(stageText) || !access || !/^\d{1,12}$/.test(expiry)) {
        return err({ kind: "Unauthorized", message: "the link token is malformed" });
      }
      const expected = mac(requestId, stageText, letters, expiry);
      const given = Buffer.from(sig, "base64url");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return err({ kind: "Unauthorized", message: "the link token's signature does not match" });
      }
      const expiresAt = new Date(Number(expiry) * 1000);
      if (expiresAt.getTime() <= now) return err({ kind: "Unauthorized", message: "the link has expired" });
      if (!access.includes(needs)) {
        return err({ kind: "Forbidden", message: `the link does not grant ${needs} access` });
      }
      return ok({ requestId, stage: stageText, access, expiresAt });
    },
  };
};
