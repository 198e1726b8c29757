import { connect } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { act, blobUrl, linkOf, type People, peopleOf, requestsUrl } from "./support/flow.js";
import { rawCall } from "./support/raw.js";
import { type ApiAnswer, call, startTestServer, type TestServer, workspace } from "./support/server.js";
import { snapshotState } from "./support/state.js";
import { requestInStatus } from "./support/statuses.js";

// Hostile input on every surface a client controls: JSON bodies, list queries, path ids, blob file
// names. Whatever arrives, the server answers without a 5xx, every error is problem+json, and a
// refused call changes nothing (repository, storage, events, notifications, audit but denials).

const WS = "ws1";
// FUZZ_RUNS raises the count for a longer hunt; the default keeps the file well under 30 s.
const RUNS = Number(process.env.FUZZ_RUNS ?? 120);

let server: TestServer;
let people: People;
let admin: string;

beforeAll(async () => {
  server = await startTestServer({
    // Many files may land in one draft while file names are fuzzed, and every request returned for
    // changes counts as an open draft of alice's.
    workspaces: [workspace(WS, { policy: { maxFiles: 1000, maxFileSize: 4096, maxOpenDrafts: 1000 } })],
    // Thousands of calls from three people in seconds: the rate limits have tests of their own.
    limits: { rateLimit: false },
  });
  people = await peopleOf(server, WS);
  admin = await server.token({ user: "root", roles: ["TREAdmin"] });
});
afterAll(() => server.close());

/** What every answer must be, refused or not. */
const expectWellFormed = (answer: ApiAnswer<unknown>) => {
  expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(answer.contentType, JSON.stringify(answer.body)).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status: answer.status,
      detail: expect.any(String),
      code: expect.any(String),
    });
  }
};

/** Sends, holds the answer to the server's promises, and hands it back. */
const probe = async (send: () => Promise<ApiAnswer<unknown>>): Promise<ApiAnswer<unknown>> => {
  const before = await snapshotState(server);
  const answer = await send();
  expectWellFormed(answer);
  if (answer.status >= 400) expect(await snapshotState(server)).toEqual(before);
  return answer;
};

// --- values a client might send -------------------------------------------------------------

const hugeText = fc
  .tuple(fc.constantFrom("x", "é", "😀", "\u0000", "<script>"), fc.integer({ min: 300, max: 40_000 }))
  .map(([unit, count]) => unit.repeat(count));
const oddText = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("", " ", "\t\n", "\u0000", "\u202e", "null", "true", "__proto__", "constructor"),
  hugeText,
);
/** Anything JSON can carry, in the places fields are expected, plus odd keys. */
const fieldValue = fc.oneof(oddText, fc.jsonValue({ maxDepth: 3 }), fc.boolean(), fc.double(), fc.integer());
const withExtras = <T extends Record<string, unknown>>(fields: fc.Arbitrary<T>) =>
  fc
    .tuple(
      fields,
      fc.dictionary(
        fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "etag", "status")),
        fieldValue,
        {
          maxKeys: 3,
        },
      ),
      fc.boolean(),
    )
    .map(([base, extra, addExtra]) => (addExtra ? { ...extra, ...base } : base));

/** A JSON body as text: a value, or text that is not JSON at all. */
const bodyText = (shaped: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 4, arbitrary: shaped.map((value) => JSON.stringify(value) ?? "null") },
    { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value) ?? "null") },
    { weight: 1, arbitrary: oddText },
    {
      weight: 1,
      arbitrary: fc.constantFrom("{", '{"a":', "[1,2", "{'a':1}", "\u0000", '{"__proto__":{"x":1}}'),
    },
  );

const newRequestBody = bodyText(
  withExtras(
    fc.record(
      {
        type: fc.oneof(fc.constantFrom("import", "export", "IMPORT", "sideways"), fieldValue),
        title: fc.oneof(fc.constant("A title"), fieldValue),
        businessJustification: fc.oneof(fc.constant("Because"), fieldValue),
      },
      { requiredKeys: [] },
    ),
  ),
);
const reviewBody = bodyText(
  withExtras(
    fc.record(
      {
        approval: fc.oneof(fc.boolean(), fieldValue),
        decisionExplanation: fc.oneof(fc.constant("Looked at it"), fieldValue),
      },
      { requiredKeys: [] },
    ),
  ),
);
const revokeBody = bodyText(
  withExtras(
    fc.record({ reason: fc.oneof(fc.constant("Consent withdrawn"), fieldValue) }, { requiredKeys: [] }),
  ),
);
const commentText = fc.oneof(fc.constant("Please round the counts"), fieldValue);
const commentFile = fc.oneof(
  fc.constant("data.csv"),
  fc.constantFrom("other.csv", "../data.csv", "data.csv\u0000", "", "a/b.csv", "re\u0301sume\u0301.csv"),
  fieldValue,
);
const visibility = fc.oneof(fc.constantFrom("everyone", "reviewers", "Everyone", "public"), fieldValue);
const voteBody = bodyText(
  withExtras(
    fc.record(
      {
        vote: fc.oneof(fc.constantFrom("approve", "request_changes", "APPROVE", "reject"), fieldValue),
        comment: commentText,
      },
      { requiredKeys: [] },
    ),
  ),
);
const returnBody = bodyText(
  withExtras(
    fc.record(
      {
        comments: fc.oneof(
          fc.array(
            withExtras(fc.record({ text: commentText, file: commentFile, visibility }, { requiredKeys: [] })),
            { maxLength: 4 },
          ),
          fc.array(fc.constant({ text: "Round it" }), { minLength: 99, maxLength: 102 }),
          fieldValue,
        ),
      },
      { requiredKeys: [] },
    ),
  ),
);
const commentBody = bodyText(
  withExtras(fc.record({ text: commentText, file: commentFile, visibility }, { requiredKeys: [] })),
);
const fileContextBody = bodyText(
  withExtras(
    fc.record(
      {
        description: fc.oneof(fc.constant("Counts per area"), fieldValue),
        controls: fc.oneof(fc.constant("Rounded to 10"), fieldValue),
      },
      { requiredKeys: [] },
    ),
  ),
);
const member = fc.record(
  {
    id: fc.oneof(fc.constantFrom("alice", "bob"), fieldValue),
    name: fc.oneof(fc.constant("Alice"), fieldValue),
    email: fc.oneof(fc.constant("alice@example.org"), fieldValue),
    roles: fc.oneof(fc.constant(["WorkspaceResearcher"]), fc.array(fieldValue, { maxLength: 4 })),
  },
  { requiredKeys: [] },
);
const workspaceBody = bodyText(
  withExtras(
    fc.record(
      {
        displayName: fc.oneof(fc.constant("Fuzzed"), fieldValue),
        clientId: fieldValue,
        airlock: fc.oneof(
          fieldValue,
          fc.record(
            {
              enabled: fieldValue,
              scanning: fieldValue,
              requiredApprovals: fc.oneof(fc.integer({ min: -5, max: 20 }), fieldValue),
              maxFiles: fc.oneof(fc.integer({ min: -5, max: 5000 }), fieldValue),
              maxFileSize: fc.oneof(fc.double(), fieldValue),
            },
            { requiredKeys: [] },
          ),
        ),
        members: fc.oneof(fc.array(member, { maxLength: 3 }), fieldValue),
      },
      { requiredKeys: [] },
    ),
  ),
);

/** Counts accepted and refused answers, so a run that only ever reached one side fails. */
const createTally = () => {
  const seen = { accepted: 0, refused: 0 };
  return {
    note: (answer: ApiAnswer<unknown>) => {
      if (answer.status >= 400) seen.refused += 1;
      else seen.accepted += 1;
    },
    expectBoth: () => {
      expect(seen.accepted, "accepted answers").toBeGreaterThan(0);
      expect(seen.refused, "refused answers").toBeGreaterThan(0);
    },
  };
};

const jsonPost = (url: string, token: string, body: string, method = "POST") =>
  call(url, { method, token, body, headers: { "content-type": "application/json" } });

// --- bodies ---------------------------------------------------------------------------------

describe("hostile JSON bodies", () => {
  it("creating a request: never a 5xx, problems on refusal, nothing stored when refused", async () => {
    const tally = createTally();
    await fc.assert(
      fc.asyncProperty(newRequestBody, async (body) => {
        const answer = await probe(() => jsonPost(requestsUrl(server, WS), people.alice, body));
        expect([201, 413, 422]).toContain(answer.status);
        tally.note(answer);
      }),
      {
        numRuns: RUNS,
        examples: [[JSON.stringify({ type: "export", title: "Tables", businessJustification: "Paper" })]],
      },
    );
    tally.expectBoth();
  });

  it("reviewing: never a 5xx, and an invalid decision changes nothing", async () => {
    let id = await requestInStatus(server, WS, people, "in_review");
    const tally = createTally();
    await fc.assert(
      fc.asyncProperty(reviewBody, fc.constantFrom("bob", "alice"), async (body, who) => {
        const token = who === "bob" ? people.bob : people.alice;
        const answer = await probe(() => jsonPost(`${requestsUrl(server, WS)}/${id}/review`, token, body));
        // The requester is refused for their role before the body is read (order of checks).
        expect(who === "alice" ? [403, 413] : [200, 413, 422]).toContain(answer.status);
        tally.note(answer);
        if (answer.status === 200) id = await requestInStatus(server, WS, people, "in_review");
      }),
      { numRuns: RUNS, examples: [[JSON.stringify({ approval: false, decisionExplanation: "No" }), "bob"]] },
    );
    tally.expectBoth();
  });

  it("revoking: never a 5xx, and an invalid reason changes nothing", async () => {
    let id = await requestInStatus(server, WS, people, "approved");
    const tally = createTally();
    await fc.assert(
      fc.asyncProperty(revokeBody, async (body) => {
        const answer = await probe(() =>
          jsonPost(`${requestsUrl(server, WS)}/${id}/revoke`, people.bob, body),
        );
        expect([200, 413, 422]).toContain(answer.status);
        tally.note(answer);
        if (answer.status === 200) id = await requestInStatus(server, WS, people, "approved");
      }),
      { numRuns: RUNS, examples: [[JSON.stringify({ reason: "Consent withdrawn" })]] },
    );
    tally.expectBoth();
  });

  it("voting on a file: never a 5xx, and an invalid vote changes nothing", async () => {
    let id = await requestInStatus(server, WS, people, "in_review");
    const tally = createTally();
    await fc.assert(
      fc.asyncProperty(voteBody, async (body) => {
        const url = `${requestsUrl(server, WS)}/${id}/files/data.csv/vote`;
        const answer = await probe(() => jsonPost(url, people.bob, body, "PUT"));
        expect([200, 413, 422]).toContain(answer.status);
        tally.note(answer);
        if (answer.status === 200) id = await requestInStatus(server, WS, people, "in_review");
      }),
      { numRuns: RUNS, examples: [[JSON.stringify({ vote: "request_changes", comment: "Small counts" })]] },
    );
    tally.expectBoth();
  });

  it("returning for changes: never a 5xx, and a refused return changes nothing", async () => {
    let id = await requestInStatus(server, WS, people, "in_review");
    const tally = createTally();
    await fc.assert(
      fc.asyncProperty(returnBody, async (body) => {
        const answer = await probe(() =>
          jsonPost(`${requestsUrl(server, WS)}/${id}/return`, people.mona, body),
        );
        // 400: no comment the requester may read; 404: a comment on a file the request does not record.
        expect([200, 400, 404, 413, 422]).toContain(answer.status);
        tally.note(answer);
        if (answer.status === 200) id = await requestInStatus(server, WS, people, "in_review");
      }),
      {
        numRuns: RUNS,
        examples: [[JSON.stringify({ comments: [{ text: "Round the counts", file: "data.csv" }] })]],
      },
    );
    tally.expectBoth();
  });

  it("commenting: never a 5xx, and a refused comment changes nothing", async () => {
    const id = await requestInStatus(server, WS, people, "in_review");
    const tally = createTally();
    await fc.assert(
      fc.asyncProperty(commentBody, fc.constantFrom("bob", "alice"), async (body, who) => {
        const token = who === "bob" ? people.bob : people.alice;
        const answer = await probe(() => jsonPost(`${requestsUrl(server, WS)}/${id}/comments`, token, body));
        // The requester is refused a comment for reviewers (403); a file the request lacks is 404.
        expect(who === "alice" ? [201, 403, 404, 413, 422] : [201, 404, 413, 422]).toContain(answer.status);
        tally.note(answer);
      }),
      { numRuns: RUNS, examples: [[JSON.stringify({ text: "Why 10?", visibility: "everyone" }), "alice"]] },
    );
    tally.expectBoth();
    // Whatever was accepted, the requester reads no comment for reviewers.
    const read = await call<{ comments: { visibility: string }[] }>(
      `${requestsUrl(server, WS)}/${id}/comments`,
      {
        token: people.alice,
      },
    );
    expect(read.status).toBe(200);
    expect(read.body.comments.every((comment) => comment.visibility === "everyone")).toBe(true);
  });

  it("setting a file's context: never a 5xx, and an invalid context changes nothing", async () => {
    const id = await requestInStatus(server, WS, people, "draft");
    const tally = createTally();
    await fc.assert(
      fc.asyncProperty(fileContextBody, async (body) => {
        const url = `${requestsUrl(server, WS)}/${id}/files/data.csv`;
        const answer = await probe(() => jsonPost(url, people.alice, body, "PATCH"));
        expect([200, 413, 422]).toContain(answer.status);
        tally.note(answer);
      }),
      { numRuns: RUNS, examples: [[JSON.stringify({ controls: "Rounded to 10" })]] },
    );
    tally.expectBoth();
  });

  it("registering a workspace: never a 5xx, and an invalid registration changes nothing", async () => {
    const tally = createTally();
    await fc.assert(
      fc.asyncProperty(workspaceBody, async (body) => {
        const answer = await probe(() => jsonPost(`${server.url}/api/workspaces/wsfuzz`, admin, body, "PUT"));
        expect([200, 201, 413, 422]).toContain(answer.status);
        tally.note(answer);
      }),
      {
        numRuns: RUNS,
        examples: [[JSON.stringify({ displayName: "Fuzzed", members: [], airlock: { maxFiles: 3 } })]],
      },
    );
    tally.expectBoth();
  });
});

// --- queries --------------------------------------------------------------------------------

const queryKey = fc.oneof(
  fc.constantFrom(
    "creator_user_id",
    "type",
    "status",
    "order_by",
    "order_ascending",
    "page_size",
    "continuation",
    "__proto__",
  ),
  fc.string({ maxLength: 12 }),
);
const queryValue = fc.oneof(
  fc.constantFrom("0", "-1", "101", "1e3", "NaN", "25.5", "true", "yes", "draft", "import", "title", ""),
  fc.integer().map(String),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.base64String({ maxLength: 60 }),
  fc.integer({ min: 4000, max: 9000 }).map((n) => "c".repeat(n)),
);
/** Well-encoded pairs, sometimes with a key repeated, sometimes with raw junk appended. */
const queryString = fc
  .tuple(
    fc.array(fc.tuple(queryKey, queryValue), { maxLength: 6 }),
    fc.constantFrom("", "&", "&&==", "&%zz", "&page_size=%", "&=x", "&status[]=draft", "&%00=%00"),
  )
  .map(([pairs, junk]) => {
    const params = new URLSearchParams();
    for (const [key, value] of pairs) params.append(key, value);
    return `${params.toString()}${junk}`;
  });

describe("hostile list queries", () => {
  it("never a 5xx, problems for what is refused, and listing never changes anything", async () => {
    await requestInStatus(server, WS, people, "draft");
    const tally = createTally();
    await fc.assert(
      fc.asyncProperty(queryString, async (query) => {
        const before = await snapshotState(server);
        const answer = await rawCall(server.url, `/api/workspaces/${WS}/requests?${query}`, {
          token: people.olivia,
        });
        expectWellFormed(answer);
        expect([200, 400, 422, 431]).toContain(answer.status);
        expect(await snapshotState(server)).toEqual(before);
        tally.note(answer);
      }),
      { numRuns: RUNS, examples: [["page_size=2&order_by=title"], ["page_size=0"]] },
    );
    tally.expectBoth();
  });

  it("a continuation token that was never issued is refused as invalid input", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.base64String({ minLength: 1, maxLength: 80 }), fc.string({ minLength: 1 })),
        async (token) => {
          const answer = await call(
            `${requestsUrl(server, WS)}?${new URLSearchParams({ continuation: token })}`,
            {
              token: people.olivia,
            },
          );
          expectWellFormed(answer);
          expect(answer.status).toBe(422);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// --- path ids -------------------------------------------------------------------------------

const pathSegment = fc.oneof(
  fc.constantFrom(
    "",
    ".",
    "..",
    "..%2F",
    "..%2F..%2Fadmin",
    "%2e%2e",
    "%2E%2E%2F",
    "..%5C",
    "%00",
    "a%00b",
    "%",
    "%zz",
    "%C0%AE%C0%AE",
    "%ff%fe",
    "%E2%80%AE",
    "00000000-0000-4000-8000-000000000001%00",
    "..;",
    "~",
    "%252e%252e",
  ),
  fc.string({ unit: "grapheme", maxLength: 20 }).map(encodeURIComponent),
  fc
    .string({ unit: "binary", maxLength: 20 })
    .map((text) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, "?"))),
  fc.integer({ min: 100, max: 3000 }).map((n) => "a".repeat(n)),
  fc.stringMatching(/^[%0-9a-fA-F./\\]{1,30}$/),
);
const requestPath = fc
  .tuple(
    pathSegment,
    fc.constantFrom(
      "",
      "/link",
      "/submit",
      "/cancel",
      "/review",
      "/revoke",
      "/audit",
      "/return",
      "/comments",
      "/changes",
    ),
  )
  .map(([id, suffix]) => ({
    path: `/api/workspaces/${WS}/requests/${id}${suffix}`,
    method: ["", "/link", "/audit", "/comments", "/changes"].includes(suffix) ? "GET" : "POST",
    suffix,
  }));

describe("hostile request ids in paths", () => {
  it("never a 5xx, always a problem, and nothing changes", async () => {
    const tokens = [people.alice, people.bob, people.olivia];
    await fc.assert(
      fc.asyncProperty(requestPath, fc.constantFrom(0, 1, 2), async ({ path, method, suffix }, who) => {
        const body =
          suffix === "/review"
            ? JSON.stringify({ approval: true, decisionExplanation: "fine" })
            : suffix === "/revoke"
              ? JSON.stringify({ reason: "because" })
              : undefined;
        const answer = await probe(() =>
          rawCall(server.url, path, {
            method,
            token: tokens[who] as string,
            ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } }),
          }),
        );
        // Only a list (an empty id may fold into the collection's path) can succeed.
        if (answer.status < 400) expect(answer.body).toHaveProperty("airlockRequests");
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

// --- blob file names ------------------------------------------------------------------------

const fileName = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "../etc/passwd",
    "..%2Fescape.csv",
    "%2e%2e%2Fescape.csv",
    "a%2Fb.csv",
    "a%5Cb.csv",
    "%00",
    "data%00.csv",
    "data.csv%00.exe",
    "%",
    "%zz.csv",
    "%C0%AE%C0%AE",
    "con",
    "..data.csv",
    "data..csv",
    "%20",
    "%E2%80%AEvsc.exe",
  ),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc
    .string({ unit: "binary", minLength: 1, maxLength: 40 })
    .map((text) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, "?"))),
  fc.integer({ min: 200, max: 1000 }).map((n) => "n".repeat(n)),
  fc.integer({ min: 200, max: 1000 }).map((n) => "%C3%A9".repeat(n)),
);

/** What the name in a path decodes to, or `undefined` when it is not valid percent-encoding. */
const decoded = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    if (error instanceof URIError) return undefined;
    throw error;
  }
};

describe("hostile blob file names", () => {
  it("never a 5xx; a refused upload stores nothing, an accepted one lands under its own name", async () => {
    const id = await requestInStatus(server, WS, people, "draft");
    const link = new URL(await linkOf(server, WS, id, people.alice));
    const content = "a,b\n1,2\n";
    const tally = createTally();
    await fc.assert(
      fc.asyncProperty(fileName, fc.constantFrom("PUT", "GET", "DELETE"), async (name, method) => {
        const path = `${link.pathname}/${name}${link.search}`;
        const answer = await probe(() =>
          rawCall(link.origin, path, {
            method,
            ...(method === "PUT"
              ? {
                  body: content,
                  headers: { "x-ms-blob-type": "BlockBlob", "content-type": "application/octet-stream" },
                }
              : {}),
          }),
        );
        if (method === "PUT") tally.note(answer);
        if (method !== "PUT" || answer.status !== 201) return;
        // The engine keeps a name in Unicode normal form C: both spellings of é are one name.
        const stored = decoded(name)?.normalize("NFC");
        expect(stored).toBeDefined();
        const files = server.ports.storage.contents("draft", id);
        expect(Buffer.from(files.get(stored as string) ?? []).toString()).toBe(content);
        expect(stored).not.toMatch(/[/\\]|\.\./);
        expect((stored as string).length).toBeLessThanOrEqual(255);
        // Nothing else of the request's stages holds it.
        expect(server.ports.storage.stagesHolding(id)).toEqual(["draft"]);
        // And it reads back under the same name through the link.
        const back = await fetch(blobUrl(link.toString(), stored as string));
        expect(Buffer.from(await back.arrayBuffer()).toString()).toBe(content);
      }),
      {
        numRuns: RUNS,
        examples: [
          ["notes%20%C3%A9t%C3%A9.txt", "PUT"],
          ["..%2Fescape.csv", "PUT"],
        ],
      },
    );
    tally.expectBoth();
    // Every accepted name still goes through submit, the move and the scan.
    expect((await act(server, WS, id, "submit", people.alice)).status).toBe(200);
    await server.idle();
    const processed = server.ports.repository.inspect().find((request) => request.id === id);
    expect(processed?.status, processed?.statusMessage ?? "").toBe("in_review");
  });
});

describe("hostile file names in the review routes' paths", () => {
  it("never a 5xx; a refusal changes nothing, and only the draft's own file is found", async () => {
    const id = await requestInStatus(server, WS, people, "draft");
    const files = `/api/workspaces/${WS}/requests/${id}/files`;
    const routes = {
      vote: { method: "PUT", suffix: "/vote", body: { vote: "approve" }, token: people.bob },
      withdraw: { method: "POST", suffix: "/withdraw", body: undefined, token: people.alice },
      context: { method: "PATCH", suffix: "", body: { description: "Counts" }, token: people.alice },
    } as const;
    await fc.assert(
      fc.asyncProperty(fileName, fc.constantFrom("vote", "withdraw", "context"), async (name, which) => {
        const route = routes[which as keyof typeof routes];
        const answer = await probe(() =>
          rawCall(server.url, `${files}/${name}${route.suffix}`, {
            method: route.method,
            token: route.token,
            ...(route.body === undefined
              ? {}
              : { body: JSON.stringify(route.body), headers: { "content-type": "application/json" } }),
          }),
        );
        // The draft holds data.csv only: nothing else can be found, let alone changed.
        if (answer.status < 400) expect(decoded(name)?.normalize("NFC")).toBe("data.csv");
      }),
      {
        numRuns: RUNS,
        examples: [
          ["..%2Fdata.csv", "withdraw"],
          ["data.csv", "context"],
        ],
      },
    );
  });
});

describe("what the fuzzing found", () => {
  // The revoke property found it: a reason the input accepted (up to 4000 characters) was stored as
  // the request's statusMessage, which allows 2000, so the revoke changed the request and answered
  // 500, and every later read of the request or its workspace's list answered 500 too.
  it("a long revoke reason is either refused untouched or stored and readable", async () => {
    const id = await requestInStatus(server, WS, people, "approved");
    const reason = "r".repeat(3000);
    const answer = await probe(() =>
      jsonPost(`${requestsUrl(server, WS)}/${id}/revoke`, people.bob, JSON.stringify({ reason })),
    );
    expect([200, 422]).toContain(answer.status);
    const read = await call(`${requestsUrl(server, WS)}/${id}`, { token: people.olivia });
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    const listed = await call(requestsUrl(server, WS), { token: people.olivia });
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
  });
});

describe("what the fuzzing found, at the HTTP parser", () => {
  // The list property found it: a URL over Node's header limit was answered by fastify's own
  // client-error handler as `application/json`, the one error that was not problem+json.
  it("a request line over the header limit is a 431 problem", async () => {
    const answer = await rawCall(
      server.url,
      `/api/workspaces/${WS}/requests?continuation=${"c".repeat(20_000)}`,
      {
        token: people.olivia,
      },
    );
    expect(answer.status).toBe(431);
    expectWellFormed(answer);
    expect(answer.body).toMatchObject({ code: "HeadersTooLarge" });
  });

  it("bytes that are not HTTP are a 400 problem", async () => {
    const url = new URL(server.url);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.end("NOT HTTP AT ALL\r\n\r\n"));
      const chunks: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.on("error", reject);
      socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
    const [head = "", body = ""] = text.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head.toLowerCase()).toContain("content-type: application/problem+json");
    expect(JSON.parse(body)).toMatchObject({ status: 400, code: "BadRequest" });
  });
});
