/** Put Block List's body is small next to a file: 50,000 ids of at most 88 characters, with tags. */
export const BLOCK_LIST_MAX_BYTES = 8 * 1024 * 1024;

const DECLARATION = /^\s*(?:<\?xml[^?]*\?>)?\s*/;
const BLOCK = /^<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>\s*/;

/**
 * The block ids of a Put Block List body (`<BlockList><Latest>id</Latest>…</BlockList>`), in order,
 * or undefined when it is not such a document. `Latest`, `Uncommitted` and `Committed` all name a
 * block staged since the last commit: blocks of a committed file are not kept to be named again.
 */
export const blockIdsOf = (xml: string): string[] | undefined => {
  let rest = xml.replace(DECLARATION, "");
  if (!rest.startsWith("<BlockList>")) return undefined;
  rest = rest.slice("<BlockList>".length).trimStart();
  const ids: string[] = [];
  for (;;) {
    if (/^<\/BlockList>\s*$/.test(rest)) return ids;
    const block = BLOCK.exec(rest);
    if (!block) return undefined;
    ids.push((block[2] ?? "").trim());
    rest = rest.slice(block[0].length);
  }
};
