import { z } from "zod";

/** A bounded, trimmed, non-empty line of text. */
export const boundedText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
    .refine((value) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value), {
      message: "must not contain control characters",
    });

export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be letters, digits, '.', '_' or '-'");

/** Seconds since the Unix epoch, as upstream's JSON carries times. */
export const EpochSeconds = z.number().nonnegative();

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex sha256");

/** The longest file name, in UTF-16 code units: short enough for every storage backend. */
export const FILE_NAME_MAX = 255;

// Characters that change how a name is displayed without being seen: bidirectional controls
// (U+202E turns "report\u202Efdp.exe" into what reads as "reportexe.pdf") and zero-width or other
// invisible characters (two names that look the same, a name that looks empty).
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const INVISIBLE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each invisible character counts on its own, combining ones too
  /[\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\p{Cn}\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0\u{e0100}-\u{e01ef}]/u;
const CONTROL = /\p{Cc}/u;
/** Spaces other than the plain one look like it, or like nothing. */
const ODD_SPACE = /[^\S ]|[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u;
/** Characters Windows, shells or web pages give a meaning to. */
const UNSAFE = /[<>:"|?*\\/]/;
/** Full stops and the characters that look like one. */
const DOT_LIKE =
  /^[.\u00b7\u0660\u06d4\u06f0\u0701\u0702\u2024\u2025\u2026\u2027\u3002\ua4f8\ua60e\ufe52\uff0e\uff61]+$/u;
/** Device names Windows reserves, with or without an extension, in any case. */
const RESERVED =
  /^(con|prn|aux|nul|conin\$|conout\$|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]) *(\.|$)/iu;

const codePoint = (match: RegExpExecArray | null) =>
  `U+${(match?.[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * What is wrong with `name` as the name of a file in a request's container, or `null` when
 * nothing is. The name is taken as it is: `normalizeFileName` first for a name a person typed.
 * The rules keep a name one path segment that reads as what it is, on every system it may be
 * saved on: a reviewer sees the name the file really has.
 */
export const fileNameProblem = (name: string): string | null => {
  if (name.length === 0) return "must not be empty";
  if (name.length > FILE_NAME_MAX) return `must be at most ${FILE_NAME_MAX} characters long`;
  if (name.normalize("NFC") !== name) return "must be in Unicode normal form C (NFC)";
  if (/[/\\]/.test(name)) return "must not contain a path separator ('/' or '\\')";
  if (name.includes("..")) return "must not contain '..'";
  if (DOT_LIKE.test(name)) return "must not be made only of dots or characters that look like dots";
  const control = CONTROL.exec(name);
  if (control) return `must not contain control characters (${codePoint(control)})`;
  const bidi = BIDI_CONTROL.exec(name);
  if (bidi) {
    return `must not contain bidirectional text controls (${codePoint(bidi)}): they show the name as something else`;
  }
  const invisible = INVISIBLE.exec(name);
  if (invisible) return `must not contain invisible characters (${codePoint(invisible)})`;
  const space = ODD_SPACE.exec(name);
  if (space) return `must not contain spaces other than the plain space (${codePoint(space)})`;
  const unsafe = UNSAFE.exec(name);
  if (unsafe) return `must not contain '${unsafe[0]}' (none of < > : " | ? * may appear in a file name)`;
  if (name.trim() !== name) return "must not start or end with white space";
  if (name.endsWith(".")) return "must not end with a dot";
  if (RESERVED.test(name))
    return "must not be a device name Windows reserves (CON, PRN, AUX, NUL, COM1-9, LPT1-9)";
  return null;
};

/** A name as the engine stores it: Unicode normal form C, so names equal once normalised are one file. */
export const normalizeFileName = (name: string): string => name.normalize("NFC");

/**
 * A file name inside a request's container, as stored: one path segment, never a traversal, in
 * normal form C, and nothing that makes it read as another name (see `fileNameProblem`).
 */
export const FileName = z
  .string()
  .max(FILE_NAME_MAX * 4)
  .superRefine((name, context) => {
    const problem = fileNameProblem(name);
    if (problem !== null) context.addIssue({ code: "custom", message: problem });
  });

/** A file name as a person gives it: normalised to NFC, then checked like `FileName`. */
export const FileNameInput = z
  .string()
  .max(FILE_NAME_MAX * 4)
  .transform(normalizeFileName)
  .pipe(FileName);

/**
 * `name` in quotes with every character that does not show itself (controls, invisible and
 * bidirectional characters, odd spaces) written as `\u{…}`: how a message names a file safely.
 */
export const visibleFileName = (name: string): string =>
  `"${name.replace(/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]|["\\]/gu, (character) =>
    character === '"' || character === "\\"
      ? `\\${character}`
      : `\\u{${(character.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`,
  )}"`;
