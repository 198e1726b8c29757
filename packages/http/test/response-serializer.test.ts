import fc from "fast-check";
import { ResponseSerializationError, serializerCompiler } from "fastify-type-provider-zod";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { KEPT_TEXTS, responseSerializerCompiler } from "../src/response-serializer.js";
import {
  AuditTrailSchema,
  HealthSchema,
  LinkSchema,
  ProblemSchema,
  RequestListSchema,
  RequestViewSchema,
  WorkspaceViewSchema,
} from "../src/schemas.js";
import { createRequest, linkOf, peopleOf, putBlob, requestsUrl } from "./support/flow.js";
import { startTestServer, type TestServer, workspace } from "./support/server.js";

const route = (schema: z.ZodType) => ({ schema, method: "GET", url: "/test", httpStatus: "200" });
const ours = (schema: z.ZodType) => responseSerializerCompiler(route(schema));
/** What the server answered before: zod's encode (validate, strip), then JSON.stringify. */
const zods = (schema: z.ZodType) => serializerCompiler(route(schema));

const Inner = z.object({ name: z.string(), size: z.number().int().nonnegative(), tags: z.array(z.string()) });
const Sample = z.object({
  text: z.string(),
  maybe: z.string().nullable(),
  optional: z.string().optional(),
  count: z.number(),
  flag: z.boolean(),
  kind: z.enum(["a", "b"]),
  role: z.union([z.enum(["x"]), z.enum(["y"])]),
  items: z.array(Inner),
  nested: Inner.nullable(),
  withDefault: z.number().default(1),
});

/** A valid `Sample` with nothing optional in it. */
const minimalSample = {
  text: "t",
  maybe: null,
  count: 1,
  flag: true,
  kind: "a",
  role: "x",
  items: [],
  nested: null,
  withDefault: 1,
};

/** Any UTF-16 code unit: control characters, quotes, backslashes and lone surrogates included. */
const anyText = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
});
const anyNumber = fc.double({ noNaN: true, noDefaultInfinity: true });
/** Keys no schema here names, with any JSON under them. */
const extras = fc.dictionary(
  fc
    .string()
    .filter((key) => !["__proto__", ...Object.keys(Sample.shape), ...Object.keys(Inner.shape)].includes(key)),
  fc.jsonValue(),
  { maxKeys: 3 },
);
const inner = fc
  .tuple(extras, anyText, fc.nat(), fc.array(anyText, { maxLength: 3 }))
  .map(([extra, name, size, tags]) => ({ ...extra, name, size, tags }));
const sample = fc
  .record(
    {
      extra: extras,
      text: anyText,
      maybe: fc.option(anyText, { nil: null }),
      optional: fc.option(anyText, { nil: undefined }),
      count: anyNumber,
      flag: fc.boolean(),
      kind: fc.constantFrom("a", "b"),
      role: fc.constantFrom("x", "y"),
      items: fc.array(inner, { maxLength: 4 }),
      nested: fc.option(inner, { nil: null }),
      withDefault: anyNumber,
    },
    {
      requiredKeys: [
        "extra",
        "text",
        "maybe",
        "count",
        "flag",
        "kind",
        "role",
        "items",
        "nested",
        "withDefault",
      ],
    },
  )
  .map(({ extra, ...fields }) => ({ ...extra, ...fields }));

describe("the response serializer", () => {
  it("writes exactly the text zod's serializer wrote, for any valid value with any extra keys", () => {
    const write = ours(Sample);
    const before = zods(Sample);
    fc.assert(
      fc.property(sample, (value) => {
        expect(write(value)).toBe(before(value));
      }),
      { numRuns: 500 },
    );
  });

  it("writes a frozen value as zod did, the first time and every later time", () => {
    const write = ours(Sample);
    const before = zods(Sample);
    fc.assert(
      fc.property(sample, (value) => {
        const frozen = Object.freeze(value);
        const first = write(frozen);
        expect(first).toBe(before(value));
        expect(write(frozen)).toBe(first);
      }),
      { numRuns: 200 },
    );
  });

  it("writes a new version of a frozen value anew, and an unfrozen value every time", () => {
    const write = ours(Sample);
    const base = { ...minimalSample, text: "one" };
    const first = Object.freeze({ ...base });
    const second = Object.freeze({ ...first, text: "two" });
    expect(write(first)).toContain('"text":"one"');
    expect(write(second)).toContain('"text":"two"');
    const open: Record<string, unknown> = { ...base };
    expect(write(open)).toContain('"count":1');
    open.count = 2;
    expect(write(open)).toContain('"count":2');
  });

  it("reuses the text of a frozen value read lately, and keeps no more than the latest few", () => {
    const write = ours(Sample);
    let reads = 0;
    /** A frozen sample that counts how often its text is written (each writing reads `text` once). */
    const counted = () =>
      Object.freeze(
        Object.defineProperty({ ...minimalSample }, "text", {
          enumerable: true,
          get: () => {
            reads += 1;
            return "t";
          },
        }),
      );
    const watched = counted();
    const text = write(watched);
    expect(write(watched)).toBe(text);
    expect(reads).toBe(1);
    for (let other = 0; other < KEPT_TEXTS; other += 1) write(counted());
    expect(reads).toBe(1 + KEPT_TEXTS);
    // Pushed out by the later ones: written again, as it would be after a store dropped it.
    expect(write(watched)).toBe(text);
    expect(reads).toBe(2 + KEPT_TEXTS);
  });

  it("writes the same text whatever order a value's keys come in, and whatever prototype it has", () => {
    const write = ours(Sample);
    const before = zods(Sample);
    /** The same record with its keys in reverse, at every depth. */
    const reversed = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reversed);
      if (typeof value !== "object" || value === null) return value;
      return Object.fromEntries(
        Object.entries(value)
          .reverse()
          .map(([key, field]) => [key, reversed(field)]),
      );
    };
    fc.assert(
      fc.property(sample, (value) => {
        expect(write(reversed(value))).toBe(before(value));
        expect(write(Object.assign(Object.create(null), value))).toBe(before(value));
      }),
      { numRuns: 300 },
    );
  });

  it("writes a schema key that a value only inherits, as zod's serializer did", () => {
    const inherited = Object.assign(Object.create({ optional: "from the prototype" }), {
      ...minimalSample,
      withDefault: 3,
    });
    expect(ours(Sample)(inherited)).toBe(zods(Sample)(inherited));
    expect(JSON.parse(ours(Sample)(inherited))).toMatchObject({ optional: "from the prototype" });
  });

  it("leaves out keys the schema does not name, at every depth", () => {
    const text = ours(Sample)({
      ...minimalSample,
      secret: "top",
      items: [{ name: "n", size: 1, tags: [], secret: "in an array" }],
      nested: { name: "n", size: 2, tags: ["a"], secret: "nested" },
      withDefault: 3,
    });
    expect(text).not.toContain("secret");
    expect(JSON.parse(text)).toEqual({
      ...minimalSample,
      items: [{ name: "n", size: 1, tags: [] }],
      nested: { name: "n", size: 2, tags: ["a"] },
      withDefault: 3,
    });
  });

  it("hands a part it cannot write alone (a union of objects, a record) to zod, which still strips and validates", () => {
    const Mixed = z.object({
      either: z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]),
      table: z.record(z.string(), z.object({ v: z.number() })),
    });
    const value = { either: { b: 2, secret: 1 }, table: { k: { v: 1, secret: 2 } }, secret: 3 };
    expect(ours(Mixed)(value)).toBe(zods(Mixed)(value));
    expect(ours(Mixed)(value)).not.toContain("secret");
    expect(() => ours(Mixed)({ either: { c: 1 }, table: {} })).toThrow(ResponseSerializationError);
  });

  it("does not validate the parts it writes itself: our answers were checked where they came in", () => {
    expect(ours(Inner)({ name: 7, size: -1, tags: [] })).toBe('{"name":7,"size":-1,"tags":[]}');
  });
});

describe("the API's answers", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  /** The body as sent, and what zod's serializer writes for it under the route's schema. */
  const sameAsZod = async (url: string, token: string, schema: z.ZodType, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...init.headers },
    });
    const text = await response.text();
    expect(text).toBe(zods(response.ok ? schema : ProblemSchema)(JSON.parse(text)));
    return response.status;
  };

  it("are, byte for byte, what zod's serializer wrote for every response schema", async () => {
    server = await startTestServer({ workspaces: [workspace("ws1")] });
    const people = await peopleOf(server, "ws1");
    const admin = await server.token({ user: "root", roles: ["TREAdmin"] });
    const id = await createRequest(server, "ws1", people.alice);
    const link = await linkOf(server, "ws1", id, people.alice);
    expect((await putBlob(link, "data.csv", "a,b\n")).status).toBe(201);
    const base = `${requestsUrl(server, "ws1")}/${id}`;

    expect(await sameAsZod(`${base}/submit`, people.alice, RequestViewSchema, { method: "POST" })).toBe(200);
    await server.idle();
    expect(await sameAsZod(base, people.bob, RequestViewSchema)).toBe(200);
    expect(await sameAsZod(requestsUrl(server, "ws1"), people.alice, RequestListSchema)).toBe(200);
    expect(await sameAsZod(`${server.url}/api/requests`, admin, RequestListSchema)).toBe(200);
    expect(await sameAsZod(`${base}/audit`, people.olivia, AuditTrailSchema)).toBe(200);
    expect(await sameAsZod(`${base}/link`, people.bob, LinkSchema)).toBe(200);
    expect(await sameAsZod(`${server.url}/api/workspaces/ws1`, admin, WorkspaceViewSchema)).toBe(200);
    expect(await sameAsZod(`${server.url}/ready`, admin, HealthSchema)).toBe(200);
    expect(await sameAsZod(`${base}-missing`, people.alice, ProblemSchema)).toBe(404);
    expect(
      await sameAsZod(requestsUrl(server, "ws1"), people.alice, ProblemSchema, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "sideways" }),
      }),
    ).toBe(422);
  });

  it("never show what a store adds beside the request's own fields", async () => {
    server = await startTestServer({
      workspaces: [workspace("ws1")],
      decoratePorts: (ports) => ({
        ...ports,
        repository: {
          ...ports.repository,
          get: (id) =>
            ports.repository.get(id).map((request) => ({
              ...request,
              _rid: "store-internal",
              createdBy: { ...request.createdBy, _ts: 1 },
            })),
        },
      }),
    });
    const people = await peopleOf(server, "ws1");
    const id = await createRequest(server, "ws1", people.alice);
    const response = await fetch(`${requestsUrl(server, "ws1")}/${id}`, {
      headers: { authorization: `Bearer ${people.alice}` },
    });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).not.toContain("_rid");
    expect(text).not.toContain("_ts");
    expect(JSON.parse(text).airlockRequest.createdBy).toEqual({
      id: "alice",
      name: "alice",
      email: "alice@example.org",
    });
  });
});
