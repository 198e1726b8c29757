import type { FastifySerializerCompiler } from "fastify";
import { ResponseSerializationError, serializerCompiler } from "fastify-type-provider-zod";
import { z } from "zod";

/**
 * Writes a value as JSON text the way `JSON.stringify` would, keeping only what a schema names;
 * `undefined` where `JSON.stringify` leaves the value out (an absent property).
 */
type Writer = (value: unknown) => string | undefined;

const stringify: Writer = (value) => JSON.stringify(value);

/** Characters `JSON.stringify` escapes (surrogates are sent to it whole, paired or not). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Most strings need no escaping: quoting them directly saves a native call per field. */
const writeString: Writer = (value) =>
  typeof value === "string" && !NEEDS_ESCAPE.test(value) ? `"${value}"` : JSON.stringify(value);

const writeNumber: Writer = (value) =>
  typeof value === "number" && Number.isFinite(value) ? String(value) : JSON.stringify(value);

const SCALARS: Readonly<Record<string, Writer>> = {
  string: writeString,
  enum: writeString,
  number: writeNumber,
};

/** Types whose values zod's encode hands back unchanged. */
const PASS_THROUGH = new Set(["string", "number", "boolean", "enum", "literal", "null", "any", "unknown"]);

/** Wrappers that let `undefined` or `null` through and otherwise answer what their inner type does. */
const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "nonoptional"]);

/** Values `JSON.stringify` writes as they are, not through a `toJSON` of theirs. */
const isPlainRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  typeof (value as { toJSON?: unknown }).toJSON !== "function";

/** Writers that keep all of any value, so a union of them needs no choice between its options. */
const passesAsItIs = (writer: Writer) =>
  writer === stringify || writer === writeString || writer === writeNumber;

/** Writers by schema: one set that keeps frozen values' text (for reads), one that does not. */
const writers = { keeping: new WeakMap<z.ZodType, Writer>(), plain: new WeakMap<z.ZodType, Writer>() };
type Keeping = keyof typeof writers;

/**
 * Objects with this many schema keys or more keep the text of their frozen values (a request);
 * smaller ones cost less to write again than to look up.
 */
const CACHED_FROM_KEYS = 8;

/**
 * How many frozen values' text each such writer keeps, the oldest going first: enough for the
 * versions that are being read again and again. Never one per stored request: a store keeps every
 * request's latest version for good, and its text would stay with it as long.
 */
export const KEPT_TEXTS = 64;

/**
 * The writer of a response schema, which does not validate: object keys the schema does not name
 * are left out (as zod's default `strip` drops them), everything else is written as it is. Any
 * other kind of schema (unions of objects, records, pipes, lazy, objects with a catchall) goes
 * through zod's own encode for that part, so it answers exactly what it did.
 */
const writerOf = (schema: z.ZodType, keeping: Keeping): Writer => {
  const known = writers[keeping].get(schema);
  if (known) return known;
  const writer = build(schema, keeping);
  writers[keeping].set(schema, writer);
  return writer;
};

const build = (schema: z.ZodType, keeping: Keeping): Writer => {
  const def = (schema as z.ZodType & { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const scalar = SCALARS[def.type];
  if (scalar) return scalar;
  if (PASS_THROUGH.has(def.type)) return stringify;
  if (WRAPPERS.has(def.type)) {
    const inner = writerOf(def.innerType as z.ZodType, keeping);
    return (value) => (value === undefined ? undefined : value === null ? "null" : inner(value));
  }
  if (def.type === "array") {
    const element = writerOf(def.element as z.ZodType, keeping);
    return (value) => {
      if (!Array.isArray(value)) return JSON.stringify(value);
      let text = "[";
      for (let index = 0; index < value.length; index += 1) {
        if (index > 0) text += ",";
        text += element(value[index]) ?? "null";
      }
      return `${text}]`;
    };
  }
  if (def.type === "object" && def.catchall === undefined) {
    const shape = def.shape as Record<string, z.ZodType>;
    const keys = Object.keys(shape);
    const names = keys.map((key) => `${JSON.stringify(key)}:`);
    const laterNames = names.map((name) => `,${name}`);
    const fields = keys.map((key) => writerOf(shape[key] as z.ZodType, keeping));
    const write = (value: Record<string, unknown>) => {
      let text = "{";
      let first = true;
      // An indexed loop: this runs for every object of every answer.
      for (let index = 0; index < keys.length; index += 1) {
        const field = value[keys[index] as string];
        if (field === undefined) continue;
        const written = (fields[index] as Writer)(field);
        if (written === undefined) continue;
        text += (first ? (names[index] as string) : (laterNames[index] as string)) + written;
        first = false;
      }
      return `${text}}`;
    };
    if (keeping === "plain" || keys.length < CACHED_FROM_KEYS) {
      return (value) => (isPlainRecord(value) ? write(value) : JSON.stringify(value));
    }
    // A frozen answer (the memory adapters answer stored requests frozen) can never change, so the
    // text of a version read lately is written once and reused by the reads that follow.
    const written = new Map<object, string>();
    return (value) => {
      if (!isPlainRecord(value)) return JSON.stringify(value);
      if (!Object.isFrozen(value)) return write(value);
      let text = written.get(value);
      if (text === undefined) {
        text = write(value);
        if (written.size >= KEPT_TEXTS) written.delete(written.keys().next().value as object);
        written.set(value, text);
      }
      return text;
    };
  }
  if (
    def.type === "union" &&
    (def.options as z.ZodType[]).every((option) => passesAsItIs(writerOf(option, keeping)))
  ) {
    return stringify;
  }
  // zod's own encode validates, and throws the ZodError the serializer reports.
  return (value) => JSON.stringify(z.encode(schema, value));
};

/**
 * Fastify's serializer for zod response schemas, without validating what we answer: our answers
 * are domain objects that zod already checked where they came in, and checking them again on
 * every reply cost more than the rest of a GET. Keys a schema does not name are still left out,
 * so nothing the schema would have stripped leaks.
 */
export const responseSerializerCompiler: FastifySerializerCompiler<unknown> = (route) => {
  const { schema, method, url } = route;
  if (!(schema instanceof z.core.$ZodType)) {
    return serializerCompiler(route as Parameters<typeof serializerCompiler>[0]);
  }
  // A command answers a version nobody has read yet; reads are what come again for the same one.
  const writer = writerOf(schema as z.ZodType, method === "GET" ? "keeping" : "plain");
  return (data) => {
    try {
      // Fastify sends what it is given; `JSON.stringify(undefined)` is undefined as well.
      return writer(data) as string;
    } catch (error) {
      if (error instanceof z.ZodError) throw new ResponseSerializationError(method, url, { cause: error });
      throw error;
    }
  };
};
