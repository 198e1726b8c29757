/**
 * A deep, frozen copy of plain JSON data that shares whatever is frozen already.
 *
 * A store built on this answers its own frozen objects instead of copying them on every read: a
 * caller cannot change them (writes throw in strict mode), and an update that reuses parts of an
 * answer (`{ ...request, status }`) copies only what is new. A frozen object is taken to be frozen
 * all the way down, as everything this function returns is; a caller who freezes an object
 * shallowly and changes what is inside breaks that promise.
 */
export const deepFrozen = <T>(value: T): T => {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  let copy: unknown;
  if (Array.isArray(value)) {
    copy = value.map(deepFrozen);
  } else {
    const source = value as Record<string, unknown>;
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(source)) {
      const field = source[key];
      // As JSON would: an undefined field is no field.
      if (field !== undefined) fields[key] = deepFrozen(field);
    }
    copy = fields;
  }
  return Object.freeze(copy) as T;
};
