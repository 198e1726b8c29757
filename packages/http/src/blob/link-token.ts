import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { GrantHolder, LinkAccess, Stage, WorkspaceRole } from "@airlock/core";
import { Id, StageSchema } from "@airlock/core";
import { err, ok, type Result } from "neverthrow";

/**
 * What a link grants, and to whom. The engine runs the link rule again for the holder on the
 * request's current status at every call.
 */
export interface LinkGrant {
  readonly requestId: string;
  readonly stage: Stage;
  readonly access: readonly LinkAccess[];
  readonly expiresAt: Date;
  /** Who the link was issued to, with the workspace roles they held then. */
  readonly holder: GrantHolder;
}

/**
 * A refused token. `holder` is there when the signature matched (an expired link, or one that does
 * not grant the call): who was refused is then known, and the refusal can be recorded as theirs.
 */
export type LinkTokenError =
  | { readonly kind: "Unauthorized"; readonly message: string; readonly holder?: GrantHolder }
  | { readonly kind: "Forbidden"; readonly message: string; readonly holder: GrantHolder };

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

// The holder joined the signed fields in version 2: a link without one is refused.
const VERSION = "airlock2";

const ROLE_LETTERS: readonly (readonly [WorkspaceRole, string])[] = [
  ["WorkspaceResearcher", "r"],
  ["WorkspaceOwner", "o"],
  ["AirlockManager", "m"],
];

const roleLettersOf = (roles: readonly WorkspaceRole[]) =>
  ROLE_LETTERS.filter(([role]) => roles.includes(role))
    .map(([, letter]) => letter)
    .join("");

/** The roles a holder's letters stand for (`-` for none), or undefined when they are not canonical. */
const rolesOf = (letters: string): WorkspaceRole[] | undefined => {
  if (letters === "-") return [];
  const roles = ROLE_LETTERS.filter(([, letter]) => letters.includes(letter)).map(([role]) => role);
  return roleLettersOf(roles) === letters && roles.length > 0 ? roles : undefined;
};

const STAGES: ReadonlySet<string> = new Set(StageSchema.options);
const isStage = (text: string): text is Stage => STAGES.has(text);

/**
 * HMAC-SHA256 link tokens for the embedded blob endpoint. The signature covers the request id,
 * stage, permissions, expiry and holder (id and workspace roles); a link minted for one request
 * says nothing about another, and nobody can make it someone else's.
 */
export const createLinkSigner = (secret: string | Uint8Array = randomBytes(32)): LinkSigner => {
  const key = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
  if (key.length < 16) throw new Error("a link secret needs at least 16 bytes");
  const mac = (fields: readonly string[]) =>
    createHmac("sha256", key)
      .update([VERSION, ...fields].join("\n"))
      .digest();

  return {
    sign: (grant) => {
      const letters = lettersOf(grant.access);
      const expiry = String(Math.floor(grant.expiresAt.getTime() / 1000));
      const roles = roleLettersOf(grant.holder.roles) || "-";
      const holder = grant.holder.id;
      const sig = mac([grant.requestId, grant.stage, letters, expiry, holder, roles]).toString("base64url");
      // Every value is already URL-safe (letters, a stage name, digits, an id's letters, digits, '.',
      // '_' and '-', base64url): nothing to encode.
      return `sv=${VERSION}&sr=c&sp=${letters}&stg=${grant.stage}&se=${expiry}&hid=${holder}&hr=${roles}&sig=${sig}`;
    },

    verify: (requestId, query, needs, now) => {
      const text = (name: string) => (typeof query[name] === "string" ? (query[name] as string) : undefined);
      const [letters, stageText, expiry, holderId, roleLetters, sig] = [
        text("sp"),
        text("stg"),
        text("se"),
        text("hid"),
        text("hr"),
        text("sig"),
      ];
      if (text("sv") !== VERSION || !letters || !stageText || !expiry || !holderId || !roleLetters || !sig) {
        return err({ kind: "Unauthorized", message: "the link token is missing or malformed" });
      }
      const access = accessOf(letters);
      const roles = rolesOf(roleLetters);
      if (
        !isStage(stageText) ||
        !access ||
        !/^\d{1,12}$/.test(expiry) ||
        !roles ||
        !Id.safeParse(holderId).success
      ) {
        return err({ kind: "Unauthorized", message: "the link token is malformed" });
      }
      const expected = mac([requestId, stageText, letters, expiry, holderId, roleLetters]);
      const given = Buffer.from(sig, "base64url");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return err({ kind: "Unauthorized", message: "the link token's signature does not match" });
      }
      const holder: GrantHolder = { id: holderId, roles };
      const expiresAt = new Date(Number(expiry) * 1000);
      if (expiresAt.getTime() <= now) {
        return err({ kind: "Unauthorized", message: "the link has expired", holder });
      }
      if (!access.includes(needs)) {
        return err({ kind: "Forbidden", message: `the link does not grant ${needs} access`, holder });
      }
      return ok({ requestId, stage: stageText, access, expiresAt, holder });
    },
  };
};
