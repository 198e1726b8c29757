import { afterEach, describe, expect, it, vi } from "vitest";
import { identityOfClaims, workspaceScopeOf } from "../src/auth/entra-claims.js";
import { workspaceClientIds } from "../src/auth/workspace-client-ids.js";

describe("the identity an ID token names", () => {
  it("is its oid, name and the airlock's roles among its roles claim", () => {
    expect(
      identityOfClaims({
        oid: "0b7e-oid",
        sub: "pairwise-sub",
        name: "Alice Researcher",
        roles: ["WorkspaceResearcher", "Directory.Reader", "TREUser", "TREUser"],
      }),
    ).toEqual({ userId: "0b7e-oid", name: "Alice Researcher", roles: ["WorkspaceResearcher", "TREUser"] });
  });

  it("falls back to sub and the user name, and holds no role without a roles claim", () => {
    expect(identityOfClaims({ sub: "s-1", preferred_username: "bob@example.org" })).toEqual({
      userId: "s-1",
      name: "bob@example.org",
      roles: [],
    });
  });

  it("is nobody without oid or sub", () => {
    expect(identityOfClaims({ name: "Nobody" })).toBeUndefined();
    expect(identityOfClaims(undefined)).toBeUndefined();
  });
});

describe("a workspace's scope", () => {
  it("is the configured pattern with the workspace's clientId", () => {
    expect(workspaceScopeOf("api://{clientId}/user_impersonation", "app-ws1")).toBe(
      "api://app-ws1/user_impersonation",
    );
  });
});

describe("the clientIds of workspaces", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const answering = (...answers: (() => Response)[]) => {
    const fetch = vi.fn(async () => {
      const next = answers.shift();
      if (!next) throw new Error("no more answers");
      return next();
    });
    vi.stubGlobal("fetch", fetch);
    return fetch;
  };
  const listing = (workspaces: unknown[]) => () => Response.json({ workspaces });

  it("come from GET /api/workspaces with a token for the API, asked once", async () => {
    const fetch = answering(
      listing([
        { id: "ws1", displayName: "One", clientId: "app-ws1", roles: ["WorkspaceResearcher"] },
        { id: "ws2", displayName: "Two", clientId: "app-ws2", roles: [] },
      ]),
    );
    const clientIdOf = workspaceClientIds(async () => "api-token");
    expect(await clientIdOf("ws1")).toBe("app-ws1");
    expect(await clientIdOf("ws2")).toBe("app-ws2");
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledWith("/api/workspaces", {
      headers: { authorization: "Bearer api-token", accept: "application/json" },
    });
  });

  it("are the workspace's own id for a workspace the list does not name", async () => {
    answering(listing([{ id: "ws1", displayName: "One", clientId: "app-ws1", roles: [] }]));
    expect(await workspaceClientIds(async () => "t")("ws-elsewhere")).toBe("ws-elsewhere");
  });

  it("are the workspace's own id while the list cannot be read, which is asked again next time", async () => {
    const fetch = answering(
      () => new Response(null, { status: 503 }),
      listing([{ id: "ws1", displayName: "One", clientId: "app-ws1", roles: [] }]),
    );
    const clientIdOf = workspaceClientIds(async () => "t");
    expect(await clientIdOf("ws1")).toBe("ws1");
    expect(await clientIdOf("ws1")).toBe("app-ws1");
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
