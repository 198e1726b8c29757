import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestServer, type TestServer } from "./support/server.js";

interface Operation {
  readonly operationId?: string;
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly parameters?: readonly { name: string; in: string; required?: boolean; schema: unknown }[];
  readonly responses: Record<string, { content?: Record<string, unknown> }>;
}
interface Document {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { readonly schemas: Record<string, { properties?: Record<string, unknown> }> };
  readonly servers: readonly { url: string }[];
}

let server: TestServer;
let document: Document;
beforeAll(async () => {
  server = await startTestServer();
  document = (await call<Document>(`${server.url}/api/openapi.json`)).body;
});
afterAll(async () => {
  await server?.close();
});

const operations = () =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
const operation = (method: string, path: string): Operation => {
  const found = document.paths[path]?.[method];
  if (!found) throw new Error(`no ${method} ${path} in the document`);
  return found;
};

describe("the OpenAPI document", () => {
  it("names every operation once", () => {
    const ids = operations().map(({ operation }) => operation.operationId);
    expect(ids.every((id) => typeof id === "string" && id !== "")).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("says which operations need a bearer token and which are public", () => {
    for (const { path, operation } of operations()) {
      const schemes = (operation.security ?? [{ missing: [] }]).flatMap((entry) => Object.keys(entry));
      const isPublic = path === "/health" || path === "/ready" || path.startsWith("/blob/");
      expect(schemes, path).toEqual(isPublic ? [] : ["bearerAuth"]);
    }
  });

  it("documents the links' real answers and their query strings", () => {
    const token = ["sv", "sr", "sp", "stg", "se", "sig"];
    // Each operation's successful answers, their type, and its query beyond the token (optional ones last).
    const answers = {
      "put /blob/{requestId}/{name}": [["201"], "application/json", [], ["blockid", "comp"]],
      "get /blob/{requestId}/{name}": [["200", "206"], "application/octet-stream", [], []],
      "delete /blob/{requestId}/{name}": [["202"], undefined, [], []],
      "get /blob/{requestId}": [["200"], "application/xml", ["restype", "comp"], ["prefix"]],
    } as const;
    for (const [key, [statuses, type, required, optional]] of Object.entries(answers)) {
      const [method = "", path = ""] = key.split(" ");
      const documented = operation(method, path);
      expect(Object.keys(documented.responses).sort(), key).toEqual([...statuses, "4XX", "5XX"]);
      for (const status of statuses) {
        expect(Object.keys(documented.responses[status]?.content ?? {}), key).toEqual(type ? [type] : []);
      }
      expect(Object.keys(documented.responses["4XX"]?.content ?? {})).toEqual(["application/problem+json"]);
      const query = (documented.parameters ?? []).filter((parameter) => parameter.in === "query");
      const requiredNames = query
        .filter((parameter) => parameter.required)
        .map((parameter) => parameter.name);
      const optionalNames = query
        .filter((parameter) => !parameter.required)
        .map((parameter) => parameter.name);
      expect(requiredNames.sort(), key).toEqual([...token, ...required].sort());
      expect(optionalNames.sort(), key).toEqual([...optional].sort());
    }
  });

  it("documents the review-cycle routes, their bodies and answers", () => {
    const routes = {
      "put /api/workspaces/{ws}/requests/{id}/files/{name}/vote": ["voteOnFile", "200", "RequestView"],
      "post /api/workspaces/{ws}/requests/{id}/return": ["returnRequest", "200", "RequestView"],
      "post /api/workspaces/{ws}/requests/{id}/comments": ["addComment", "201", "Comment"],
      "get /api/workspaces/{ws}/requests/{id}/comments": ["listComments", "200", "CommentList"],
      "post /api/workspaces/{ws}/requests/{id}/files/{name}/withdraw": ["withdrawFile", "200", "RequestView"],
      "patch /api/workspaces/{ws}/requests/{id}/files/{name}": ["setFileContext", "200", "RequestView"],
      "get /api/workspaces/{ws}/requests/{id}/changes": ["getTurnChanges", "200", "TurnChanges"],
    } as const;
    for (const [key, [operationId, status, schema]] of Object.entries(routes)) {
      const [method = "", path = ""] = key.split(" ");
      const documented = operation(method, path);
      expect(documented.operationId, key).toBe(operationId);
      expect(JSON.stringify(documented.responses[status]), key).toContain(`#/components/schemas/${schema}`);
      expect(Object.keys(documented.responses["4XX"]?.content ?? {})).toEqual(["application/problem+json"]);
    }
    for (const body of [
      "FileVoteInput",
      "ReturnForChangesInput",
      "NewCommentInput",
      "FileContextChangeInput",
    ]) {
      expect(document.components.schemas, body).toHaveProperty(body);
    }
  });

  it("shows a request as core's public schema, and the list's booleans as query text", () => {
    const request = document.components.schemas.AirlockRequest?.properties ?? {};
    expect(request).toHaveProperty("status");
    for (const field of ["turn", "votes", "comments", "fileDecisions", "fileContext", "previousFiles"]) {
      expect(request).toHaveProperty(field);
    }
    for (const internal of ["pendingAudit", "revision", "cleanFiles", "scanRequestedWhen"]) {
      expect(request).not.toHaveProperty(internal);
    }
    const ascending = operation("get", "/api/workspaces/{ws}/requests").parameters?.find(
      (parameter) => parameter.name === "order_ascending",
    );
    expect(ascending?.schema).toEqual({ type: "string", enum: ["true", "false"] });
    expect(document.servers).toEqual([{ url: server.url }]);
  });
});
