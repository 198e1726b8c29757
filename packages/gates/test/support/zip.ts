import { crc32, deflateRawSync } from "node:zlib";

/**
 * A zip writer for tests that forges what a hostile archive forges: every header field the gate
 * reads can be set to a lie. Entries are written as the format describes (local header, data,
 * central directory, end record); no zip64.
 */
export interface ForgedEntry {
  readonly name: string | Uint8Array;
  /** The entry's content; deflated unless `method` is 0. */
  readonly content?: Uint8Array;
  /** 8 (deflate, the default), 0 (stored), or any other method number to forge. */
  readonly method?: number;
  /** Bytes written as the entry's data instead of `content`'s compressed form. */
  readonly data?: Uint8Array;
  /** The uncompressed size the headers declare (default: the content's length). */
  readonly declaredSize?: number;
  /** General purpose bit flags (bit 0: encrypted). */
  readonly flags?: number;
  /** External attributes; a unix mode goes in the high 16 bits. */
  readonly externalAttributes?: number;
  /**
   * The index of an earlier entry whose local header and data this one points at (entries that
   * overlap); it declares the same sizes unless `declaredSize` says otherwise.
   */
  readonly sameDataAs?: number;
}

const UNIX = 3 << 8;

const bytesOf = (value: string | Uint8Array) =>
  typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value);

export const zip = (entries: readonly ForgedEntry[]): Buffer => {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const offsets: number[] = [];
  const sizes: { compressed: number; crc: number }[] = [];
  let offset = 0;
  entries.forEach((entry, index) => {
    const name = bytesOf(entry.name);
    const content = entry.content ?? new Uint8Array(0);
    const method = entry.method ?? 8;
    const shared = entry.sameDataAs === undefined ? undefined : entries[entry.sameDataAs];
    const declared = entry.declaredSize ?? shared?.declaredSize ?? shared?.content?.length ?? content.length;
    const flags = entry.flags ?? (typeof entry.name === "string" ? 0x800 : 0);
    let at = offset;
    let compressed: number;
    let crc: number;
    if (entry.sameDataAs !== undefined) {
      at = offsets[entry.sameDataAs] ?? 0;
      ({ compressed, crc } = sizes[entry.sameDataAs] ?? { compressed: 0, crc: 0 });
    } else {
      const data = entry.data ?? (method === 0 ? Buffer.from(content) : deflateRawSync(content));
      compressed = data.length;
      crc = crc32(content);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(flags, 6);
      local.writeUInt16LE(method, 8);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(compressed, 18);
      local.writeUInt32LE(declared, 22);
      local.writeUInt16LE(name.length, 26);
      locals.push(local, name, Buffer.from(data));
      offset += local.length + name.length + data.length;
    }
    offsets[index] = at;
    sizes[index] = { compressed, crc };
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(UNIX | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed, 20);
    central.writeUInt32LE(declared, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(entry.externalAttributes ?? (0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(at, 42);
    centrals.push(central, name);
  });
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
};

/** `bytes` zero bytes. */
export const zeros = (bytes: number) => new Uint8Array(bytes);

/** Bytes that do not compress (a fixed pseudo-random sequence, the same on every run). */
export const noise = (bytes: number) => {
  const out = new Uint8Array(bytes);
  let state = 0x2545f491;
  for (let i = 0; i < bytes; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
};
