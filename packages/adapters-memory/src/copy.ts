/**
 * A deep copy of plain JSON data (objects, arrays, strings, numbers, booleans, null), which is all
 * the memory ports store. Much cheaper than `structuredClone` for the small records they hold, and
 * like JSON it leaves out a property whose value is undefined.
 */
export const copyOf = <T>(value: T): T => {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copyOf) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) copy[key] = copyOf(field);
  }
  return copy as T;
};
