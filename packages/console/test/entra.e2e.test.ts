import { DEFAULT_POLICY, type Workspace } from "@airlock/core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTEXT_OPTIONS, expectAccessible, launch, screenshot, watchCsp } from "./support/browser.js";
import { type OpenIdProvider, startOpenIdProvider } from "./support/openid-provider.js";
import { type RunningServer, startEntraServer } from "./support/server.js";

const CONSOLE_CLIENT_ID = "airlock-console";
const API_AUDIENCE = "airlock-api";

/** Registered under a clientId that is not its id: a token for the id would be refused. */
const WORKSPACE: Workspace = {
  id: "ws-entra",
  displayName: "Entra workspace",
  clientId: "app-ws-entra",
  policy: DEFAULT_POLICY,
  members: [
    { id: "alice-oid", name: "Alice Researcher", email: "alice@example.org", roles: ["WorkspaceResearcher"] },
  ],
};
const WS = WORKSPACE.id;
const WORKSPACE_SCOPE = `api://${WORKSPACE.clientId}/user_impersonation`;

let provider: OpenIdProvider;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  // The console's origin is known once the server listens, the provider's before: the provider
  // accepts any loopback redirect URI's origin through a list filled in below.
  const redirectUris: string[] = [];
  provider = await startOpenIdProvider({
    clientId: CONSOLE_CLIENT_ID,
    redirectUris,
    users: [
      {
        id: "alice-oid",
        name: "Alice Researcher",
        email: "alice@example.org",
        consoleRoles: ["WorkspaceResearcher", "TREUser"],
        roles: { [API_AUDIENCE]: ["TREUser"], [WORKSPACE.clientId]: ["WorkspaceResearcher"] },
      },
      {
        id: "dave-oid",
        name: "Dave Outsider",
        email: "dave@example.org",
        consoleRoles: ["TREUser"],
        roles: { [API_AUDIENCE]: ["TREUser"] },
      },
    ],
  });
  server = await startEntraServer({
    authority: provider.authority,
    jwksUri: provider.jwksUri,
    clientId: CONSOLE_CLIENT_ID,
    apiAudience: API_AUDIENCE,
    workspaces: [WORKSPACE],
  });
  redirectUris.push(`${server.url}/`);
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await provider?.close();
});

/** A tab of its own that trusts the provider's self-signed certificate (and nothing is shared). */
const newEntraPage = async (): Promise<Page> =>
  (await browser.newContext({ ...CONTEXT_OPTIONS, ignoreHTTPSErrors: true })).newPage();

const tokenScopes = () =>
  provider.calls.filter((call) => call.path === "token").map((call) => call.params.scope ?? "");

/** From any page: the sign-in page, the provider's consent (at once), and back to where it began. */
const signIn = async (page: Page, userId: string, start = "/") => {
  provider.signInAs(userId);
  await page.goto(`${server.url}${start}`);
  await page.waitForURL(`${server.url}/sign-in`);
  await page.getByRole("heading", { name: "Sign in", exact: true }).waitFor();
  await page.getByRole("button", { name: "Sign in with Microsoft Entra ID" }).click();
};

describe("the console with Entra ID", () => {
  it("signs a researcher in with MSAL and calls a workspace with a token for its clientId", async () => {
    const page = await newEntraPage();
    const violations = watchCsp(page);
    const authorizeBefore = provider.calls.filter((call) => call.path === "authorize").length;

    await page.goto(`${server.url}/`);
    await page.waitForURL(`${server.url}/sign-in`);
    await page.getByRole("button", { name: "Sign in with Microsoft Entra ID" }).waitFor();
    await expectAccessible(page, "the Entra sign-in page");
    await screenshot(page, "sign-in-entra");

    await signIn(page, "alice-oid");
    await page.getByRole("heading", { name: "Airlock", exact: true }).waitFor();
    await page.getByText("You have no requests yet").waitFor();
    // The header's roles are the ID token's.
    await page.getByText("Alice Researcher (WorkspaceResearcher, TREUser)").waitFor();

    const authorize = provider.calls.filter((call) => call.path === "authorize").slice(authorizeBefore);
    expect(authorize).toHaveLength(1);
    expect(authorize[0]?.params).toMatchObject({
      client_id: CONSOLE_CLIENT_ID,
      response_type: "code",
      code_challenge_method: "S256",
      redirect_uri: `${server.url}/`,
    });
    expect(authorize[0]?.params.scope?.split(" ")).toContain(`api://${API_AUDIENCE}/user_impersonation`);

    await page.getByLabel("Workspace id").fill(WS);
    await page.getByRole("button", { name: "Open workspace" }).click();
    await page.getByRole("heading", { name: `Workspace ${WS}` }).waitFor();
    await page.getByText("No requests in this workspace yet").waitFor();
    // Asked silently, with the refresh token, for the scope of the workspace's own clientId.
    expect(tokenScopes().some((scope) => scope.split(" ").includes(WORKSPACE_SCOPE))).toBe(true);

    await page.getByRole("link", { name: "New request" }).click();
    await page.getByLabel("Title").fill("Signed in with Entra");
    await page.getByLabel("Business justification").fill("For the paper's table 3.");
    await page.getByRole("button", { name: "Create draft" }).click();
    await page.getByRole("heading", { name: "Signed in with Entra" }).waitFor();
    await page.getByText("No files uploaded yet").waitFor();

    await page.getByRole("link", { name: "Airlock" }).click();
    await page
      .getByRole("table", { name: "Requests" })
      .getByRole("link", { name: "Signed in with Entra" })
      .waitFor();
    expect(violations).toEqual([]);

    // Signing out ends the session at the provider and comes back to the sign-in page.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${server.url}/sign-in`);
    await page.getByRole("button", { name: "Sign in with Microsoft Entra ID" }).waitFor();
    await page.goto(`${server.url}/workspaces/${WS}`);
    await page.waitForURL(`${server.url}/sign-in`);
    await page.context().close();
  });

  it("comes back to the page that needed the sign-in", async () => {
    const page = await newEntraPage();
    await signIn(page, "alice-oid", `/workspaces/${WS}`);
    await page.waitForURL(`${server.url}/workspaces/${WS}`);
    await page.getByRole("heading", { name: `Workspace ${WS}` }).waitFor();
    await page.getByRole("link", { name: "Signed in with Entra" }).waitFor();
    await page.context().close();
  });

  it("signs in again when the refresh token is refused, and comes back to the page that asked", async () => {
    const page = await newEntraPage();
    await signIn(page, "alice-oid");
    await page.getByRole("heading", { name: "Airlock", exact: true }).waitFor();
    const authorizeBefore = provider.calls.filter((call) => call.path === "authorize").length;
    provider.revokeRefreshTokens();
    // The workspace's token is not cached yet: the refresh token is asked for it, and refused.
    await page.getByLabel("Workspace id").fill(WS);
    await page.getByRole("button", { name: "Open workspace" }).click();
    await expect
      .poll(() => provider.calls.filter((call) => call.path === "authorize").length)
      .toBe(authorizeBefore + 1);
    const again = provider.calls.filter((call) => call.path === "authorize").at(-1);
    expect(again?.params.scope?.split(" ")).toContain(WORKSPACE_SCOPE);
    await page.waitForURL(`${server.url}/workspaces/${WS}`);
    await page
      .getByText("No requests in this workspace yet")
      .or(page.getByRole("table", { name: "Requests" }))
      .waitFor();
    expect(await page.getByRole("alert").count()).toBe(0);
    await page.context().close();
  });

  it("shows why the authority refused a sign-in, and signs in on the next try", async () => {
    const page = await newEntraPage();
    provider.refuseSignIn();
    await page.goto(`${server.url}/`);
    await page.getByRole("button", { name: "Sign in with Microsoft Entra ID" }).click();
    const alert = page.getByRole("alert");
    await alert.getByText("The sign-in did not finish").waitFor();
    await alert.getByText(/not assigned to a role for the application/).waitFor();
    await page.waitForURL(`${server.url}/sign-in`);
    await expectAccessible(page, "a refused Entra sign-in");
    provider.signInAs("alice-oid");
    await page.getByRole("button", { name: "Sign in with Microsoft Entra ID" }).click();
    await page.getByText("Alice Researcher (WorkspaceResearcher, TREUser)").waitFor();
    await page.context().close();
  });

  it("says so on the sign-in page when the authority cannot be reached", async () => {
    // An authority on a port nothing listens on.
    const stranded = await startEntraServer({
      authority: "https://127.0.0.1:9/tenant",
      jwksUri: provider.jwksUri,
      clientId: CONSOLE_CLIENT_ID,
      apiAudience: API_AUDIENCE,
      workspaces: [WORKSPACE],
    });
    try {
      const page = await newEntraPage();
      await page.goto(`${stranded.url}/sign-in`);
      await page.getByRole("button", { name: "Sign in with Microsoft Entra ID" }).click();
      await page.getByRole("alert").getByText("The sign-in did not finish").waitFor();
      expect(page.url()).toBe(`${stranded.url}/sign-in`);
      await page.context().close();
    } finally {
      await stranded.close();
    }
  });

  it("shows a TREUser who is not in the workspace the API's refusal in words", async () => {
    const page = await newEntraPage();
    await signIn(page, "dave-oid");
    await page.getByText("Dave Outsider (TREUser)").waitFor();
    await page.getByText("You have no requests yet").waitFor();
    await page.getByLabel("Workspace id").fill(WS);
    await page.getByRole("button", { name: "Open workspace" }).click();
    await page.getByRole("heading", { name: `Workspace ${WS}` }).waitFor();
    // The workspaces Dave may see do not include this one, so its clientId is taken to be its id:
    // the API refuses that token, and the console shows its problem as the API words it.
    const alert = page.getByRole("alert");
    await alert.getByText("Unauthorized").waitFor();
    await alert.getByText("the token's audience is not this workspace").waitFor();
    expect(tokenScopes().some((scope) => scope.split(" ").includes(`api://${WS}/user_impersonation`))).toBe(
      true,
    );
    await expectAccessible(page, "a workspace refused to a TREUser");
    await page.context().close();
  });
});
