import { describe, expect, it } from "vitest";
import { compareEntries, createSortedEntries, type EntryPosition } from "../src/sorted-entries.js";

/** A small seeded generator, so a failure can be replayed. */
const seeded = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

const walked = (
  entries: ReturnType<typeof createSortedEntries<string>>,
  from: EntryPosition | null,
  ascending: boolean,
  limit = Number.POSITIVE_INFINITY,
) => {
  const seen: string[] = [];
  entries.walk(from, ascending, (entry) => {
    seen.push(entry.id);
    return seen.length < limit;
  });
  return seen;
};

describe("sorted entries", () => {
  it("walks nothing when empty, from anywhere, in either direction", () => {
    const entries = createSortedEntries<string>();
    for (const ascending of [true, false]) {
      expect(walked(entries, null, ascending)).toEqual([]);
      expect(walked(entries, { key: 5, id: "x" }, ascending)).toEqual([]);
    }
    expect(entries.remove({ key: 5, id: "x" })).toBe(false);
  });

  it("keeps thousands of entries in key-then-id order through inserts and removals, and seeks strictly past a position", () => {
    const random = seeded(7);
    const entries = createSortedEntries<string>();
    const reference = new Map<string, EntryPosition>();
    // Few distinct keys, so ties by id are everywhere, and enough entries to split many blocks.
    for (let step = 0; step < 6_000; step++) {
      const id = `id-${Math.floor(random() * 4_000)}`;
      const existing = reference.get(id);
      if (existing !== undefined && random() < 0.5) {
        expect(entries.remove(existing)).toBe(true);
        reference.delete(id);
        continue;
      }
      if (existing !== undefined) entries.remove(existing);
      const position = { key: Math.floor(random() * 50), id };
      entries.insert({ ...position, value: id });
      reference.set(id, position);
    }
    const sorted = [...reference.values()].sort(compareEntries);
    expect(entries.size).toBe(sorted.length);
    expect(walked(entries, null, true)).toEqual(sorted.map((entry) => entry.id));
    expect(walked(entries, null, false)).toEqual(sorted.map((entry) => entry.id).reverse());
    expect(entries.remove({ key: 1_000, id: "never added" })).toBe(false);

    const probes: EntryPosition[] = [
      ...sorted.filter(() => random() < 0.02),
      { key: -1, id: "" },
      { key: 1_000, id: "" },
      { key: 25, id: "id-2000.5" },
    ];
    for (const from of probes) {
      const above = sorted.filter((entry) => compareEntries(entry, from) > 0).map((entry) => entry.id);
      const below = sorted
        .filter((entry) => compareEntries(entry, from) < 0)
        .map((entry) => entry.id)
        .reverse();
      expect(walked(entries, from, true)).toEqual(above);
      expect(walked(entries, from, false)).toEqual(below);
      expect(walked(entries, from, true, 3)).toEqual(above.slice(0, 3));
      expect(walked(entries, from, false, 3)).toEqual(below.slice(0, 3));
    }
  });

  it("starts from entries given in any order, sorted, and keeps them sorted through later changes", () => {
    const random = seeded(3);
    const initial = Array.from({ length: 1_500 }, (_, index) => ({
      key: Math.floor(random() * 20),
      id: `id-${index}`,
      value: `id-${index}`,
    }));
    const entries = createSortedEntries(initial);
    const reference = [...initial];
    for (let step = 0; step < 1_000; step++) {
      const entry = { key: Math.floor(random() * 20), id: `new-${step}`, value: `new-${step}` };
      entries.insert(entry);
      reference.push(entry);
      const gone = reference.splice(Math.floor(random() * reference.length), 1)[0]!;
      expect(entries.remove(gone)).toBe(true);
    }
    const sorted = reference.sort(compareEntries).map((entry) => entry.id);
    expect(entries.size).toBe(sorted.length);
    expect(walked(entries, null, true)).toEqual(sorted);
    expect(walked(entries, null, false)).toEqual([...sorted].reverse());
  });

  it("orders text keys by code unit, as the other orders' comparisons do", () => {
    const entries = createSortedEntries<string>();
    for (const key of ["b", "B", "a", "ä", "A"]) entries.insert({ key, id: key, value: key });
    expect(walked(entries, null, true)).toEqual(["A", "B", "a", "b", "ä"]);
  });
});
