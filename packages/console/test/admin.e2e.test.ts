import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectAccessible,
  launch,
  newPage,
  screenshot,
  signInAs,
  type TestRole,
  tabTo,
  watchCsp,
} from "./support/browser.js";
import { E2E_WORKSPACE, type RunningServer, startServer } from "./support/server.js";

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const WS = E2E_WORKSPACE.id;

const signIn = (page: Page, userId: string, name: string, role: TestRole) =>
  signInAs(page, server.url, { userId, name, role });

/** The messages a field shows: the texts its control is described by (Fluent links them so). */
const messagesOf = async (page: Page, label: string, within?: string): Promise<string> => {
  const scope = within ? page.getByRole("group", { name: within }) : page;
  const control = scope.getByLabel(label, { exact: true });
  await expect(control.getAttribute("aria-invalid")).resolves.toBe("true");
  const ids = ((await control.getAttribute("aria-describedby")) ?? "").split(/\s+/).filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(" | ");
};

/** A token as the console's development sign-in mints it, for calls made without the browser. */
const tokenFor = async (userId: string, roles: readonly TestRole[], workspace?: string): Promise<string> => {
  const response = await fetch(`${server.url}/console/dev-token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, roles, ...(workspace ? { workspace } : {}) }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
};

describe("an admin in the console", () => {
  it("creates a workspace with gates: the browser's check sends nothing, the API's refusal shows at its field, then saves and edits", async () => {
    const page = await newPage(browser);
    const violations = watchCsp(page);
    const sent: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/api/workspaces/ws-admin"))
        sent.push(`${request.method()} ${request.url()}`);
    });
    await signIn(page, "dana", "Dana Admin", "TREAdmin");

    await page.getByRole("link", { name: "Workspaces", exact: true }).click();
    await page.getByRole("heading", { name: "Workspaces" }).waitFor();
    const list = page.getByRole("table", { name: "Workspaces" });
    // The id, then the client id: the same text in one row.
    await list.getByRole("cell", { name: WS, exact: true }).first().waitFor();
    await expectAccessible(page, "the workspaces page");
    await screenshot(page, "admin-workspaces");

    await page.getByRole("link", { name: "New workspace" }).click();
    await page.getByRole("heading", { name: "New workspace" }).waitFor();
    await page.getByLabel("Workspace id").fill("ws-admin");
    await page.getByLabel("Display name").fill("Cohort study");
    // The policy starts at core's defaults.
    await expect(page.getByLabel("Most files per request").inputValue()).resolves.toBe("1");
    await page.getByLabel("Most files per request").fill("5");
    await page.getByLabel("Gate type").selectOption({ label: "File types" });
    await page.getByRole("button", { name: "Add gate" }).click();
    await page.getByLabel("Gate type").selectOption({ label: "Disclosure (small counts)" });
    await page.getByRole("button", { name: "Add gate" }).click();
    // A new gate carries its type's defaults.
    const disclosure = "Gate 2: Disclosure (small counts)";
    const threshold = page
      .getByRole("group", { name: disclosure })
      .getByLabel("Smallest count passed without review");
    await expect(threshold.inputValue()).resolves.toBe("10");
    await threshold.fill("0");
    await page.getByRole("button", { name: "Add member" }).click();
    const member = page.getByRole("group", { name: "Member 1", exact: true });
    // The focus moves into the member just added.
    await page.keyboard.type("erin");
    await expect(member.getByLabel("User id").inputValue()).resolves.toBe("erin");
    await member.getByLabel("Name").fill("Erin Researcher");
    await member.getByRole("checkbox", { name: "WorkspaceResearcher" }).check();

    // No extension and a threshold of 0: the schema refuses both in the browser, and nothing is sent.
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.getByText("Nothing was sent: correct the fields marked above.").waitFor();
    await expect(messagesOf(page, "Allowed extensions", "Gate 1: File types")).resolves.toContain(
      "at least 1 entry",
    );
    await expect(messagesOf(page, "Smallest count passed without review", disclosure)).resolves.toContain(
      "at least 1",
    );
    await expectAccessible(page, "the new workspace page with its messages");
    expect(sent).toEqual([]);

    // Valid in the browser, but the client id is the API's own audience: the API refuses it.
    await page
      .getByRole("group", { name: "Gate 1: File types" })
      .getByLabel("Allowed extensions")
      .fill("csv, .TXT");
    await threshold.fill("10");
    await page.getByLabel("Client id").fill("airlock-api");
    await page.getByRole("button", { name: "Create workspace" }).click();
    await expect
      .poll(() => messagesOf(page, "Client id").catch(() => ""))
      .toContain('"airlock-api" is reserved for the airlock API itself');
    expect(sent.filter((call) => call.startsWith("PUT"))).toHaveLength(1);

    // Without a client id the workspace id is its audience: registered.
    await page.getByLabel("Client id").fill("");
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.getByRole("heading", { name: "Cohort study" }).waitFor();
    await page.getByText("The workspace is registered.").waitFor();
    await expect(page.getByLabel("Client id").inputValue()).resolves.toBe("ws-admin");
    // The API stored the extensions as it normalises them.
    await expect(
      page.getByRole("group", { name: "Gate 1: File types" }).getByLabel("Allowed extensions").inputValue(),
    ).resolves.toBe("csv, txt");
    await expect(page.getByLabel("Most files per request").inputValue()).resolves.toBe("5");
    await expectAccessible(page, "a workspace's page");
    await screenshot(page, "admin-workspace-edit");

    // Edits, with the keyboard: the disclosure gate first, two approvals.
    await page.getByLabel("Approvals needed").fill("2");
    await tabTo(page, "Move up the Disclosure (small counts) gate", 120);
    await page.keyboard.press("Enter");
    await page.getByRole("group", { name: "Gate 1: Disclosure (small counts)" }).waitFor();
    await tabTo(page, "Add gate", 120);
    await page.keyboard.press("Enter");
    await page.getByRole("group", { name: "Gate 3: Malware scan" }).waitFor();
    // The focus moves to the gate just added: the malware gate has no settings, so its first button.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute("aria-label")))
      .toBe("Move up the Malware scan gate");
    await tabTo(page, "Remove the Malware scan gate", 5);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByRole("group", { name: "Gate 3: Malware scan" }).count()).toBe(0);
    await tabTo(page, "Save changes", 120);
    await page.keyboard.press("Enter");
    await page.getByText("Saved.").waitFor();
    await page.getByRole("group", { name: "Gate 2: File types" }).waitFor();

    // Another workspace's client id: the API's conflict, in its words, at the client id; the
    // form keeps what was typed.
    await page.getByLabel("Client id").fill(E2E_WORKSPACE.clientId);
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect
      .poll(() => messagesOf(page, "Client id").catch(() => ""))
      .toContain(`already belongs to workspace ${WS}`);
    await expect(page.getByLabel("Client id").inputValue()).resolves.toBe(E2E_WORKSPACE.clientId);
    await expect(page.getByText("Saved.").count()).resolves.toBe(0);

    // What was saved is what the API stored.
    await page.reload();
    await page.getByRole("group", { name: "Gate 1: Disclosure (small counts)" }).waitFor();
    await page.getByRole("group", { name: "Gate 2: File types" }).waitFor();
    await expect(page.getByLabel("Approvals needed").inputValue()).resolves.toBe("2");
    await expect(page.getByLabel("Client id").inputValue()).resolves.toBe("ws-admin");

    // A workspace that is not registered: the API's problem, in words.
    await page.goto(`${server.url}/admin/workspaces/ws-nowhere`);
    await page.getByText("workspace ws-nowhere not found").waitFor();
    await expectAccessible(page, "a workspace that is not registered");

    // The new workspace is listed.
    await page.getByRole("link", { name: "Workspaces", exact: true }).click();
    await list.getByRole("link", { name: "Cohort study" }).waitFor();
    expect(violations).toEqual([]);
  });

  it("shows a request's audit trail, a page at a time, with its verification, to its owner and to a TRE admin", async () => {
    // A draft with no file, and a dozen submits of it refused: each refusal is an entry of its trail.
    const researcher = await tokenFor("alice", ["WorkspaceResearcher"], WS);
    const created = await fetch(`${server.url}/api/workspaces/${WS}/requests`, {
      method: "POST",
      headers: { authorization: `Bearer ${researcher}`, "content-type": "application/json" },
      body: JSON.stringify({
        type: "export",
        title: "Audited export",
        businessJustification: "For the audit.",
      }),
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { airlockRequest: { id: string } }).airlockRequest.id;
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const answer = await fetch(`${server.url}/api/workspaces/${WS}/requests/${id}/submit`, {
        method: "POST",
        headers: { authorization: `Bearer ${researcher}` },
      });
      expect(answer.status).toBe(400);
    }
    const requestUrl = `${server.url}/workspaces/${WS}/requests/${id}`;

    // A researcher may not read the trail: the request page offers no way to it.
    const alice = await newPage(browser);
    await signIn(alice, "alice", "Alice Researcher", "WorkspaceResearcher");
    await alice.goto(requestUrl);
    await alice.getByRole("heading", { name: "Audited export" }).waitFor();
    await expect(alice.getByRole("link", { name: "Audit trail" }).count()).resolves.toBe(0);
    await expect(alice.getByRole("link", { name: "Workspaces", exact: true }).count()).resolves.toBe(0);

    // The workspace's owner reaches it from the request.
    const olga = await newPage(browser);
    const violations = watchCsp(olga);
    await signIn(olga, "olga", "Olga Owner", "WorkspaceOwner");
    await olga.goto(requestUrl);
    await olga.getByRole("link", { name: "Audit trail" }).click();
    await olga.getByRole("heading", { name: `Audit trail of request ${id}` }).waitFor();
    await olga.getByText("Verified", { exact: true }).waitFor();
    await olga.getByText(/All \d+ entries are intact and in order/).waitFor();
    const entries = olga.getByRole("table", { name: "Audit entries" });
    await entries.getByRole("cell", { name: "create", exact: true }).waitFor();
    // Opening the draft asked for no link the owner may not hold: none was refused to her.
    await expect(entries.getByRole("row").filter({ hasText: "olga" }).count()).resolves.toBe(0);
    await expectAccessible(olga, "a request's audit trail");
    await screenshot(olga, "audit-trail");

    // Ten entries a page: the second page starts at entry 10, and the first comes back.
    await olga.getByLabel("Entries per page").selectOption("10");
    await expect.poll(() => entries.getByRole("row").count()).toBe(11);
    await tabTo(olga, "Next page");
    await olga.keyboard.press("Enter");
    await olga.getByText("Page 2").waitFor();
    await expect
      .poll(() => entries.getByRole("row").nth(1).getByRole("cell").first().textContent())
      .toBe("10");
    await olga.getByRole("button", { name: "Previous page" }).click();
    await entries.getByRole("cell", { name: "create", exact: true }).waitFor();

    // An entry changed behind the server's back: verifying again says where the trail breaks.
    server.tamperAudit(id, 3, { reason: "nothing happened here" });
    await olga.getByRole("button", { name: "Verify again" }).click();
    await olga.getByText("Broken", { exact: true }).waitFor();
    await olga
      .getByText(
        "The trail does not verify from entry 3 on: an entry's content was changed, or written without the chain's key.",
      )
      .waitFor();
    await expectAccessible(olga, "a broken audit trail");

    // A TRE admin, who may not read the request, reaches its trail by workspace and request id.
    const dana = await newPage(browser);
    await signIn(dana, "dana", "Dana Admin", "TREAdmin");
    await dana.goto(`${server.url}/admin/workspaces/${WS}`);
    await dana.getByLabel("Request id").fill(id);
    await dana.getByRole("button", { name: "Open the request's audit trail" }).click();
    await dana.getByRole("heading", { name: `Audit trail of request ${id}` }).waitFor();
    // The admin reads the same trail, broken where it was changed.
    await dana.getByText("Broken", { exact: true }).waitFor();
    await dana
      .getByRole("table", { name: "Audit entries" })
      .getByRole("cell", { name: "create", exact: true })
      .waitFor();

    // And the workspace's own trail.
    await dana.goto(`${server.url}/admin/workspaces/${WS}`);
    await dana.getByRole("link", { name: "The workspace's own audit trail" }).click();
    await dana.getByRole("heading", { name: `Audit trail of workspace ${WS}` }).waitFor();
    await dana.getByText("Verified", { exact: true }).waitFor();
    await expectAccessible(dana, "a workspace's audit trail");
    expect(violations).toEqual([]);
  });
});
