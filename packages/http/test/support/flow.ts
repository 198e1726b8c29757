import { expect } from "vitest";
import { type ApiAnswer, call, type TestServer } from "./server.js";

export interface RequestBody {
  readonly airlockRequest: {
    readonly id: string;
    readonly status: string;
    readonly statusMessage: string | null;
    readonly files: readonly { name: string; size: number; sha256: string }[];
    readonly reviews: readonly { reviewDecision: string; reviewer: { id: string } }[];
    readonly createdWhen: number;
  };
  readonly allowedUserActions: readonly string[];
}

/** The people in a test workspace, each holding a token for it. */
export interface People {
  readonly alice: string;
  readonly rita: string;
  readonly bob: string;
  readonly mona: string;
  readonly olivia: string;
}

export const peopleOf = async (server: TestServer, ws: string): Promise<People> => ({
  alice: await server.token({ user: "alice", roles: ["WorkspaceResearcher"], workspace: ws }),
  rita: await server.token({ user: "rita", roles: ["WorkspaceResearcher"], workspace: ws }),
  bob: await server.token({ user: "bob", roles: ["AirlockManager"], workspace: ws }),
  mona: await server.token({ user: "mona", roles: ["AirlockManager"], workspace: ws }),
  olivia: await server.token({ user: "olivia", roles: ["WorkspaceOwner"], workspace: ws }),
});

export const requestsUrl = (server: TestServer, ws: string) => `${server.url}/api/workspaces/${ws}/requests`;

export const createRequest = async (
  server: TestServer,
  ws: string,
  token: string,
  type: "import" | "export" = "import",
): Promise<string> => {
  const created = await call<RequestBody>(requestsUrl(server, ws), {
    method: "POST",
    token,
    json: { type, title: `An ${type}`, businessJustification: "Needed for the analysis" },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.airlockRequest.id;
};

export const linkOf = async (server: TestServer, ws: string, id: string, token: string): Promise<string> => {
  const link = await call<{ containerUrl: string }>(`${requestsUrl(server, ws)}/${id}/link`, { token });
  expect(link.status, JSON.stringify(link.body)).toBe(200);
  return link.body.containerUrl;
};

/** `{container}/{name}?{token}`, as an Azure SAS URL is used. */
export const blobUrl = (containerUrl: string, name: string): string => {
  const url = new URL(containerUrl);
  url.pathname = `${url.pathname}/${encodeURIComponent(name)}`;
  return url.toString();
};

export const putBlob = (
  containerUrl: string,
  name: string,
  content: Uint8Array | string,
): Promise<ApiAnswer<Record<string, unknown>>> =>
  call(blobUrl(containerUrl, name), {
    method: "PUT",
    body: typeof content === "string" ? content : Buffer.from(content),
    headers: { "x-ms-blob-type": "BlockBlob", "content-type": "application/octet-stream" },
  });

export const getBlob = async (containerUrl: string, name: string) => {
  const response = await fetch(blobUrl(containerUrl, name));
  return {
    status: response.status,
    bytes: Buffer.from(await response.arrayBuffer()),
    contentType: response.headers.get("content-type"),
  };
};

export const act = (
  server: TestServer,
  ws: string,
  id: string,
  action: "submit" | "cancel" | "review" | "revoke",
  token: string,
  json?: unknown,
) =>
  call<RequestBody>(`${requestsUrl(server, ws)}/${id}/${action}`, {
    method: "POST",
    token,
    ...(json === undefined ? {} : { json }),
  });

export const getRequest = (server: TestServer, ws: string, id: string, token: string) =>
  call<RequestBody>(`${requestsUrl(server, ws)}/${id}`, { token });

/** A draft with one file uploaded through its link, submitted, processed until it waits for review. */
export const requestInReview = async (
  server: TestServer,
  ws: string,
  people: People,
  options: { type?: "import" | "export"; content?: string } = {},
): Promise<string> => {
  const id = await createRequest(server, ws, people.alice, options.type ?? "import");
  const upload = await putBlob(
    await linkOf(server, ws, id, people.alice),
    "data.csv",
    options.content ?? "a,b\n1,2\n",
  );
  expect(upload.status, JSON.stringify(upload.body)).toBe(201);
  const submitted = await act(server, ws, id, "submit", people.alice);
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
  await server.idle();
  return id;
};

export const expectProblem = (answer: ApiAnswer, status: number, code: string) => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.contentType).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({
    status,
    code,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
};
