/**
 * Deep, frozen copies of plain JSON data that share whatever they can with earlier copies.
 *
 * A store built on this answers its own frozen objects instead of copying them on every read: a
 * caller cannot change them (writes throw in strict mode), and an update that reuses parts of an
 * answer (`{ ...request, status }`) copies only what is new. Only objects this function froze are
 * shared, so an object the caller froze itself, with mutable parts inside, is still copied.
 */
export const createFreezer = () => {
  const owned = new WeakSet<object>();

  const own = <T>(value: T): T => {
    if (value === null || typeof value !== "object") return value;
    if (owned.has(value)) return value;
    let copy: unknown;
    if (Array.isArray(value)) {
      copy = value.map(own);
    } else {
      const source = value as Record<string, unknown>;
      const fields: Record<string, unknown> = {};
      // for…in over a plain object's own keys: no entry arrays, which a store pays on every write.
      for (const key in source) {
        if (!Object.hasOwn(source, key)) continue;
        const field = source[key];
        // As JSON would: an undefined field is no field.
        if (field !== undefined) fields[key] = own(field);
      }
      copy = fields;
    }
    Object.freeze(copy);
    owned.add(copy as object);
    return copy as T;
  };

  return { own };
};
