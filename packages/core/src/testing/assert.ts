import type { Result } from "neverthrow";

// The contract suites run under any test runner, so they carry their own small assertions instead
// of importing one runner's `expect`.

const MAX_SHOWN = 300;

/** A readable, bounded rendering of a value for failure messages (never file contents in full). */
export const show = (value: unknown): string => {
  let text: string;
  if (value instanceof Uint8Array) {
    text = `Uint8Array(${value.length})`;
  } else if (value instanceof Date) {
    text = `Date(${Number.isNaN(value.getTime()) ? "invalid" : value.toISOString()})`;
  } else if (typeof value === "string") {
    text = JSON.stringify(value);
  } else if (value === undefined || typeof value === "function" || typeof value === "symbol") {
    text = String(value);
  } else {
    try {
      text =
        JSON.stringify(value, (_key, inner: unknown) =>
          typeof inner === "bigint"
            ? `${inner}n`
            : inner instanceof Uint8Array
              ? `Uint8Array(${inner.length})`
              : inner,
        ) ?? String(value);
    } catch (error) {
      text = `${Object.prototype.toString.call(value)} (not serialisable: ${String(error)})`;
    }
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
};

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

// Keys holding `undefined` count as absent: stores that round-trip through JSON drop them, and the
// ports never give `undefined` a meaning of its own.
const definedKeys = (value: Record<string, unknown>) =>
  Object.keys(value)
    .filter((key) => value[key] !== undefined)
    .sort();

/**
 * Compares two values structurally and answers where they first differ (`null` when equal).
 * Handles primitives, arrays, plain objects, `Date` and `Uint8Array`.
 */
export const firstDifference = (actual: unknown, expected: unknown, path = "$"): string | null => {
  if (Object.is(actual, expected)) return null;
  if (actual instanceof Date || expected instanceof Date) {
    if (
      actual instanceof Date &&
      expected instanceof Date &&
      Object.is(actual.getTime(), expected.getTime())
    ) {
      return null;
    }
    return `${path}: ${show(actual)} is not ${show(expected)}`;
  }
  if (actual instanceof Uint8Array || expected instanceof Uint8Array) {
    if (!(actual instanceof Uint8Array && expected instanceof Uint8Array)) {
      return `${path}: ${show(actual)} is not ${show(expected)}`;
    }
    if (actual.length !== expected.length)
      return `${path}: length ${actual.length} is not ${expected.length}`;
    const at = actual.findIndex((byte, index) => byte !== expected[index]);
    return at === -1 ? null : `${path}[${at}]: byte ${actual[at]} is not ${expected[at]}`;
  }
  if (Array.isArray(actual) || Array.isArray(expected)) {
    if (!(Array.isArray(actual) && Array.isArray(expected))) {
      return `${path}: ${show(actual)} is not ${show(expected)}`;
    }
    if (actual.length !== expected.length) {
      return `${path}: length ${actual.length} is not ${expected.length} (${show(actual)} vs ${show(expected)})`;
    }
    for (const [index, item] of actual.entries()) {
      const difference = firstDifference(item, expected[index], `${path}[${index}]`);
      if (difference !== null) return difference;
    }
    return null;
  }
  if (isPlainObject(actual) && isPlainObject(expected)) {
    const actualKeys = definedKeys(actual);
    const expectedKeys = definedKeys(expected);
    const missing = expectedKeys.filter((key) => !actualKeys.includes(key));
    if (missing.length > 0) return `${path}: missing ${missing.join(", ")}`;
    const extra = actualKeys.filter((key) => !expectedKeys.includes(key));
    if (extra.length > 0) return `${path}: unexpected ${extra.join(", ")}`;
    for (const key of expectedKeys) {
      const difference = firstDifference(actual[key], expected[key], `${path}.${key}`);
      if (difference !== null) return difference;
    }
    return null;
  }
  return `${path}: ${show(actual)} is not ${show(expected)}`;
};

export const fail = (message: string): never => {
  throw new Error(message);
};

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

/** Structural equality (see `firstDifference`). */
export const assertEqual = (actual: unknown, expected: unknown, what: string): void => {
  const difference = firstDifference(actual, expected);
  if (difference !== null) fail(`${what}: ${difference}`);
};

export const assertNotEqual = (actual: unknown, unexpected: unknown, what: string): void => {
  if (firstDifference(actual, unexpected) === null) fail(`${what}: did not expect ${show(unexpected)}`);
};

const describeError = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "kind" in error) {
    const { kind, message } = error as { kind: unknown; message?: unknown };
    return `${String(kind)}${typeof message === "string" ? `: ${message}` : ""}`;
  }
  return show(error);
};

/** Answers the value of an `Ok`, or fails naming the error. */
export const assertOk = <T, E>(result: Result<T, E>, what: string): T => {
  if (result.isErr()) return fail(`${what}: expected success, got ${describeError(result.error)}`);
  return result.value;
};

/** Answers the error of an `Err` of the given kind, or fails naming what came instead. */
export const assertErr = <T, E extends { readonly kind: string }, K extends E["kind"]>(
  result: Result<T, E>,
  kind: K,
  what: string,
): Extract<E, { kind: K }> => {
  if (result.isOk()) return fail(`${what}: expected ${kind}, got success with ${show(result.value)}`);
  if (result.error.kind !== kind)
    return fail(`${what}: expected ${kind}, got ${describeError(result.error)}`);
  return result.error as Extract<E, { kind: K }>;
};

/** Answers the error of an `Err` of any kind. */
export const assertAnyErr = <T, E>(result: Result<T, E>, what: string): E => {
  if (result.isOk()) return fail(`${what}: expected a failure, got success with ${show(result.value)}`);
  return result.error;
};
