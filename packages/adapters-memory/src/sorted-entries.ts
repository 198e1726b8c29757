import type { RequestSortValue } from "@airlock/core";

/** One request's place in an order: its sort key, its id (the tie-break) and what it holds. */
export interface SortedEntry<T> {
  readonly key: RequestSortValue;
  readonly id: string;
  readonly value: T;
}

/** Where a walk starts: strictly after (or, walking down, before) this key and id. */
export interface EntryPosition {
  readonly key: RequestSortValue;
  readonly id: string;
}

// Equality first: two different texts usually differ in length or early on, so one full comparison
// of long texts (titles, ids) is saved on most steps of a binary search.
const compareValues = (a: RequestSortValue, b: RequestSortValue) => (a === b ? 0 : a < b ? -1 : 1);

/** By key, ties by id: the order every list promises. */
export const compareEntries = (a: EntryPosition, b: EntryPosition) =>
  compareValues(a.key, b.key) || compareValues(a.id, b.id);

// A block splits in two past this size. Small enough that inserting into or removing from a block
// moves a few hundred slots, large enough that the list of blocks stays short (about 400 blocks at
// 100,000 entries), so both binary searches are cheap.
const MAX_BLOCK = 512;

/** The first index in `entries` (sorted) whose entry is after `position`, or `entries.length`. */
const firstAfter = <T>(entries: readonly SortedEntry<T>[], position: EntryPosition) => {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareEntries(entries[middle]!, position) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
};

/** The first index whose entry is at or after `position`, or `entries.length`. */
const firstAtOrAfter = <T>(entries: readonly SortedEntry<T>[], position: EntryPosition) => {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareEntries(entries[middle]!, position) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
};

export interface SortedEntries<T> {
  readonly size: number;
  /** Adds an entry; the caller keeps (key, id) unique, as a request has one place per order. */
  insert(entry: SortedEntry<T>): void;
  /** Removes the entry at (key, id); answers whether there was one. */
  remove(position: EntryPosition): boolean;
  /**
   * Visits entries in order, ascending or descending, starting strictly after `from` in that
   * direction (or at the first entry when `from` is null), until `visit` answers false.
   */
  walk(from: EntryPosition | null, ascending: boolean, visit: (entry: SortedEntry<T>) => boolean): void;
}

/**
 * Entries kept sorted by key then id, in blocks of at most 512 (a two-level B-tree): adding or
 * removing one costs two binary searches and a move within one block, and a walk seeks its start
 * in O(log n) and then reads entries in order, so a page costs what it reads, not the whole set.
 * `initial` (any order, unique keys and ids) fills it in one sort.
 */
export const createSortedEntries = <T>(initial: readonly SortedEntry<T>[] = []): SortedEntries<T> => {
  const sorted = [...initial].sort(compareEntries);
  const blocks: SortedEntry<T>[][] = [];
  // Half-full blocks, so the first inserts after a fill do not split at once.
  for (let start = 0; start < sorted.length; start += MAX_BLOCK >>> 1) {
    blocks.push(sorted.slice(start, start + (MAX_BLOCK >>> 1)));
  }
  let size = sorted.length;

  /** The block that holds `position` or would: the first whose last entry is at or after it. */
  const blockFor = (position: EntryPosition): number => {
    let low = 0;
    let high = blocks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const block = blocks[middle]!;
      if (compareEntries(block[block.length - 1]!, position) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  };

  const insert = (entry: SortedEntry<T>): void => {
    size += 1;
    if (blocks.length === 0) {
      blocks.push([entry]);
      return;
    }
    const index = Math.min(blockFor(entry), blocks.length - 1);
    const block = blocks[index]!;
    // A loop moves the entries after the new one: cheaper than splice for a few hundred slots.
    const at = firstAtOrAfter(block, entry);
    block.push(entry);
    for (let slot = block.length - 1; slot > at; slot--) block[slot] = block[slot - 1]!;
    block[at] = entry;
    if (block.length > MAX_BLOCK) blocks.splice(index + 1, 0, block.splice(MAX_BLOCK >>> 1));
  };

  const remove = (position: EntryPosition): boolean => {
    const index = blockFor(position);
    const block = blocks[index];
    if (block === undefined) return false;
    const at = firstAtOrAfter(block, position);
    const found = block[at];
    if (found === undefined || compareEntries(found, position) !== 0) return false;
    for (let slot = at; slot < block.length - 1; slot++) block[slot] = block[slot + 1]!;
    block.pop();
    if (block.length === 0) blocks.splice(index, 1);
    size -= 1;
    return true;
  };

  const walkUp = (from: EntryPosition | null, visit: (entry: SortedEntry<T>) => boolean) => {
    let index = from === null ? 0 : blockFor(from);
    let at = from === null || index >= blocks.length ? 0 : firstAfter(blocks[index]!, from);
    for (; index < blocks.length; index++, at = 0) {
      const block = blocks[index]!;
      for (; at < block.length; at++) if (!visit(block[at]!)) return;
    }
  };

  const walkDown = (from: EntryPosition | null, visit: (entry: SortedEntry<T>) => boolean) => {
    let index = from === null ? blocks.length - 1 : Math.min(blockFor(from), blocks.length - 1);
    if (index < 0) return;
    let at = from === null ? blocks[index]!.length - 1 : firstAtOrAfter(blocks[index]!, from) - 1;
    while (index >= 0) {
      const block = blocks[index]!;
      for (; at >= 0; at--) if (!visit(block[at]!)) return;
      index -= 1;
      if (index >= 0) at = blocks[index]!.length - 1;
    }
  };

  return {
    get size() {
      return size;
    },
    insert,
    remove,
    walk: (from, ascending, visit) => (ascending ? walkUp(from, visit) : walkDown(from, visit)),
  };
};
