/** Characters of an entry name a finding's `location` may show: longer names are cut. */
const LOCATION_MAX = 200;

/**
 * Control characters, and the Unicode marks that reorder text on screen: written as `\u{…}` so a
 * name cannot forge what a reviewer reads (a line break, a right-to-left override).
 */
const unprintable = (code: number) =>
  code < 0x20 ||
  (code >= 0x7f && code <= 0x9f) ||
  code === 0x200e ||
  code === 0x200f ||
  (code >= 0x202a && code <= 0x202e) ||
  (code >= 0x2066 && code <= 0x2069);

const escaped = (name: string) =>
  [...name]
    .map((c) => {
      const code = c.codePointAt(0) ?? 0;
      return unprintable(code) ? `\\u{${code.toString(16)}}` : c;
    })
    .join("");

/** An entry path (or a path through nested archives) as a finding shows it: escaped and capped. */
export const locationOf = (trail: readonly string[]): string => {
  const shown = trail.map(escaped).join(" > ");
  const cut = [...shown];
  return cut.length <= LOCATION_MAX ? shown : `${cut.slice(0, LOCATION_MAX - 1).join("")}…`;
};

/**
 * Why an entry's name is unsafe to extract, in plain words; `undefined` for a safe name. Extracting
 * a name that is absolute, carries a drive letter or climbs with `..` writes outside the folder it
 * is extracted into; a backslash is a separator on Windows, where `..\x` climbs too; a NUL cuts the
 * name short in C programs, so what is checked is not what is written.
 */
export const unsafeNameReason = (name: string): string | undefined => {
  if (name.includes("\0")) return "the entry's name holds a NUL character";
  if (/^[a-zA-Z]:/.test(name))
    return "the entry's name starts with a drive letter (an absolute Windows path)";
  if (name.startsWith("/")) return "the entry's name is an absolute path";
  if (name.split(/[/\\]/).includes("..")) return "the entry's name climbs out of its folder (..)";
  if (name.includes("\\")) return "the entry's name holds a backslash (a Windows path separator)";
  return undefined;
};

/**
 * yauzl refuses an unsafe name while it reads the central directory, with a message that ends in
 * the name; answers that name, or `undefined` when the error is about something else.
 */
export const nameRefusedBy = (message: string): string | undefined => {
  const match = /^(?:invalid characters in fileName|absolute path|invalid relative path): (.*)$/su.exec(
    message,
  );
  return match?.[1];
};
