import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectAccessible, launch, newPage, screenshot, tabTo, watchCsp } from "./support/browser.js";
import { E2E_WORKSPACE, RULES_WORKSPACE, type RunningServer, startServer } from "./support/server.js";

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
const CSV = "region,count\nnorth,120\nsouth,85\n";
const NOTES = "Counts of the cohort by region, rounded to 5.\n";

const files = [
  { name: "counts.csv", mimeType: "text/csv", buffer: Buffer.from(CSV) },
  { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from(NOTES) },
];

const signIn = async (page: Page, userId: string, name: string) => {
  await page.goto(`${server.url}/`);
  // Nobody is signed in yet: every page leads to the sign-in page.
  await page.waitForURL(`${server.url}/sign-in`);
  await page.getByRole("heading", { name: "Sign in (development)" }).waitFor();
  await expectAccessible(page, "the sign-in page");
  await screenshot(page, "sign-in");
  await page.getByLabel("User id").fill(userId);
  await page.getByLabel("Display name").fill(name);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Airlock", exact: true }).waitFor();
};

describe("a researcher in the console", () => {
  it("signs in, creates an export, uploads two files with progress and submits it into review", async () => {
    const page = await newPage(browser);
    const violations = watchCsp(page);
    await signIn(page, "alice", "Alice Researcher");
    await page.getByText("You have no requests yet").waitFor();
    await expectAccessible(page, "the start page");

    // The workspaces whose members list names her, from the API.
    const mine = page.getByRole("region", { name: "My workspaces" });
    await mine.getByRole("link", { name: RULES_WORKSPACE.displayName }).waitFor();
    await mine.getByRole("link", { name: E2E_WORKSPACE.displayName }).click();
    await page.getByRole("heading", { name: `Workspace ${WS}` }).waitFor();
    await page.getByText("No requests in this workspace yet").waitFor();
    await expectAccessible(page, "the workspace page");

    await page.getByRole("link", { name: "New request" }).click();
    await page.getByRole("heading", { name: `New request in ${WS}` }).waitFor();
    // The form holds the API's own rules: an empty title is refused before anything is sent.
    await page.getByRole("button", { name: "Create draft" }).click();
    await page.getByText("Write a title").waitFor();
    await page.getByText("Write a business justification").waitFor();
    await expectAccessible(page, "the new request page");
    await screenshot(page, "new-request");
    await page.getByLabel("Title").fill("Cohort counts by region");
    await page.getByLabel("Business justification").fill("For the paper's table 2.");
    await page.getByRole("button", { name: "Create draft" }).click();

    await page.getByRole("heading", { name: "Cohort counts by region" }).waitFor();
    await page.getByText("No files uploaded yet").waitFor();
    await expectAccessible(page, "a draft request");

    await page.locator('input[type="file"]').setInputFiles(files);
    for (const file of files) {
      await page.getByRole("progressbar", { name: new RegExp(file.name.replace(".", "\\.")) }).waitFor();
    }
    await expect.poll(() => page.getByText("Uploaded", { exact: true }).count()).toBe(2);
    const table = page.getByRole("table", { name: "Files in the draft" });
    await table.getByRole("cell", { name: "counts.csv", exact: true }).waitFor();
    await table.getByRole("cell", { name: "notes.txt", exact: true }).waitFor();
    await expect(table.getByRole("cell", { name: String(CSV.length), exact: true }).count()).resolves.toBe(1);
    await expectAccessible(page, "a draft with files");
    await screenshot(page, "request-draft");

    await page.getByRole("button", { name: "Submit" }).click();
    await page.getByText("in review", { exact: true }).first().waitFor({ timeout: 30_000 });
    const recorded = page.getByRole("table", { name: "Files recorded at the last submit" });
    await recorded.getByRole("cell", { name: "counts.csv", exact: true }).waitFor();
    await recorded.getByRole("cell", { name: "notes.txt", exact: true }).waitFor();
    await page.getByText(/submitted → in review/).waitFor();
    await expectAccessible(page, "a request in review");
    await screenshot(page, "request-in-review");

    await page.getByRole("link", { name: "Airlock" }).click();
    await page
      .getByRole("table", { name: "Requests" })
      .getByRole("link", { name: "Cohort counts by region" })
      .waitFor();
    await screenshot(page, "home");
    expect(violations).toEqual([]);
    await page.context().close();
  });

  it("checks chosen files against the workspace's upload rules and sends nothing they refuse", async () => {
    const page = await newPage(browser);
    await signIn(page, "alice", "Alice Researcher");
    await page.goto(`${server.url}/workspaces/${RULES_WORKSPACE.id}/new`);
    await page.getByLabel("Title").fill("Small tables");
    await page.getByLabel("Business justification").fill("Checked before sending.");
    await page.getByRole("button", { name: "Create draft" }).click();
    await page.getByText("No files uploaded yet").waitFor();
    await page.getByText("Up to 2 files per request, each up to 1 KiB; accepted: .csv, .txt.").waitFor();

    await page.locator('input[type="file"]').setInputFiles([
      { name: "counts.csv", mimeType: "text/csv", buffer: Buffer.from(CSV) },
      { name: "big.csv", mimeType: "text/csv", buffer: Buffer.alloc(2048, "1,2\n") },
      { name: "chart.png", mimeType: "image/png", buffer: Buffer.from("not really a png") },
    ]);
    const refusal = page.getByRole("alert").filter({ hasText: "Nothing was sent" });
    await refusal.getByText("big.csv is 2 KiB, over this workspace's limit of 1 KiB per file").waitFor();
    await refusal
      .getByText(/chart\.png has the extension \.png, which this workspace does not accept/)
      .waitFor();
    await refusal.getByText("a request here holds at most 2 files; this would make 3").waitFor();
    await expectAccessible(page, "an upload refused before sending");
    await screenshot(page, "upload-refused");
    await page.getByText("No files uploaded yet").waitFor();
    await expect(page.getByRole("progressbar").count()).resolves.toBe(0);

    // Files that fit go through.
    await page.locator('input[type="file"]').setInputFiles(files);
    await expect.poll(() => page.getByText("Uploaded", { exact: true }).count()).toBe(2);
    await expect(refusal.count()).resolves.toBe(0);
    await page.context().close();
  });

  it("shows the API's problem in words when it refuses: an unknown workspace", async () => {
    const page = await newPage(browser);
    await signIn(page, "alice", "Alice Researcher");
    await page.goto(`${server.url}/workspaces/nowhere`);
    await page
      .getByRole("alert")
      .getByText(/no workspace|not found/i)
      .first()
      .waitFor();
    await expectAccessible(page, "a refused workspace");

    await page.goto(`${server.url}/no/such/page`);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await expectAccessible(page, "a path with no page");
    await page.getByRole("link", { name: "Back to the start" }).click();
    await page.getByRole("heading", { name: "Airlock", exact: true }).waitFor();
    await page.context().close();
  });

  it("works with the keyboard alone: sign in, open a workspace, create a request, upload, submit", async () => {
    const page = await newPage(browser);
    await page.goto(`${server.url}/sign-in`);
    await page.getByRole("heading", { name: "Sign in (development)" }).waitFor();
    await tabTo(page, "User id");
    await page.keyboard.type("dana");
    await tabTo(page, "Sign in");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Airlock", exact: true }).waitFor();

    await tabTo(page, "Workspace id");
    await page.keyboard.type(WS);
    await tabTo(page, "Open workspace");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: `Workspace ${WS}` }).waitFor();

    await tabTo(page, "New request");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: `New request in ${WS}` }).waitFor();
    await tabTo(page, "Title");
    await page.keyboard.type("Keyboard request");
    await tabTo(page, "Business justification");
    await page.keyboard.type("Typed without a mouse.");
    await tabTo(page, "Create draft");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Keyboard request" }).waitFor();
    await page.getByText("No files uploaded yet").waitFor();

    // Listening first: Playwright starts catching file choosers once the browser confirms it.
    const chooser = page.waitForEvent("filechooser");
    await tabTo(page, "Upload files");
    await page.keyboard.press("Enter");
    await (await chooser).setFiles(files);
    await expect.poll(() => page.getByText("Uploaded", { exact: true }).count()).toBe(2);
    await page
      .getByRole("table", { name: "Files in the draft" })
      .getByRole("cell", { name: "notes.txt", exact: true })
      .waitFor();

    await tabTo(page, "Withdraw notes.txt");
    await page.keyboard.press("Enter");
    await expect
      .poll(() =>
        page
          .getByRole("table", { name: "Files in the draft" })
          .getByRole("cell", { name: "notes.txt", exact: true })
          .count(),
      )
      .toBe(0);

    await page.locator("body").focus();
    await tabTo(page, "Submit");
    await page.keyboard.press("Enter");
    await page.getByText("in review", { exact: true }).first().waitFor({ timeout: 30_000 });
    await page.context().close();
  });
});
