import { fileTypeFromBuffer } from "file-type";

/** Bytes of a file (or an archive entry) its kind is told from: what `file-type` asks for. */
export const HEAD_BYTES = 4100;

/**
 * Archive formats yauzl cannot open, by the extension `file-type` reports for them. Their content
 * is not inspected, so the gate asks a person to look rather than pass them.
 */
const OTHER_ARCHIVES: Readonly<Record<string, string>> = {
  gz: "a gzip archive",
  "tar.gz": "a gzip-compressed tar archive",
  bz2: "a bzip2 archive",
  xz: "an xz archive",
  lz: "an lzip archive",
  lz4: "an lz4 archive",
  zst: "a Zstandard archive",
  Z: "a Unix compress archive",
  tar: "a tar archive",
  "7z": "a 7-Zip archive",
  rar: "a RAR archive",
  cab: "a Windows cabinet archive",
  ar: "an ar archive",
  deb: "a Debian package",
  rpm: "an RPM package",
  cpio: "a cpio archive",
  lzh: "an LZH archive",
  arj: "an ARJ archive",
  ace: "an ACE archive",
  dmg: "an Apple disk image",
  iso: "an ISO disk image",
  asar: "an Electron asar archive",
};

/** What the first bytes say: a zip, an archive of another format (named), or neither. */
export type Kind =
  | { readonly kind: "zip" }
  | { readonly kind: "other-archive"; readonly format: string }
  | { readonly kind: "not-archive" };

/**
 * A zip starts with a local file header, or with the end of central directory record when it holds
 * no entry. Office documents (.docx, .xlsx, .pptx, .odt) and .jar files are zips and are inspected
 * as such: a bomb hides as well in them.
 */
const isZipHead = (head: Uint8Array) =>
  head.length >= 4 &&
  head[0] === 0x50 &&
  head[1] === 0x4b &&
  ((head[2] === 0x03 && head[3] === 0x04) || (head[2] === 0x05 && head[3] === 0x06));

/** What `head` is. Bytes `file-type` chokes on are no archive it knows: the answer is never an error. */
export const kindOf = async (head: Uint8Array): Promise<Kind> => {
  if (isZipHead(head)) return { kind: "zip" };
  const format = await fileTypeFromBuffer(head).catch(() => undefined);
  const name = format === undefined ? undefined : OTHER_ARCHIVES[format.ext];
  return name === undefined ? { kind: "not-archive" } : { kind: "other-archive", format: name };
};
