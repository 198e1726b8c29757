import { readFile } from "node:fs/promises";
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
import {
  DISCLOSURE_WORKSPACE,
  E2E_WORKSPACE,
  INDEPENDENT_WORKSPACE,
  type RunningServer,
  startServer,
} from "./support/server.js";

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
const TITLE = "Regional counts for the report";
const FIRST_CSV = "region,count\nnorth,123\nsouth,87\n";
const ROUNDED_CSV = "region,count\nnorth,125\nsouth,85\n";
const REVIEWERS_ONLY = "The notes name a study participant";
const TO_RESEARCHER = "Please round the counts to 5 and leave out the notes";

const signIn = (page: Page, userId: string, name: string, role: TestRole) =>
  signInAs(page, server.url, { userId, name, role });

const statusIs = (page: Page, status: string) =>
  page.locator("h1 + *").getByText(status, { exact: true }).waitFor({ timeout: 30_000 });

const openFromQueue = async (page: Page, title = TITLE) => {
  await page.getByRole("link", { name: "Awaiting my review" }).click();
  await page.getByRole("heading", { name: "Awaiting my review" }).waitFor();
  await page.getByRole("link", { name: title }).click();
  await page.getByRole("heading", { name: "Review" }).waitFor();
};

describe("a request reviewed in the console", () => {
  it("goes from two uploads through votes, a return, a replaced and a withdrawn file, to approval and a download", async () => {
    const alice = await newPage(browser);
    const bob = await newPage(browser);
    const carol = await newPage(browser);
    const violations = [alice, bob, carol].flatMap((page) => watchCsp(page));

    // The researcher uploads two files and submits.
    await signIn(alice, "alice", "Alice Researcher", "WorkspaceResearcher");
    await alice.goto(`${server.url}/workspaces/${WS}/new`);
    await alice.getByLabel("Title").fill(TITLE);
    await alice.getByLabel("Business justification").fill("Table 1 of the report.");
    await alice.getByRole("button", { name: "Create draft" }).click();
    await alice.getByText("No files uploaded yet").waitFor();
    await alice.locator('input[type="file"]').setInputFiles([
      { name: "counts.csv", mimeType: "text/csv", buffer: Buffer.from(FIRST_CSV) },
      { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("Participant J. Smith left.\n") },
    ]);
    await expect.poll(() => alice.getByText("Uploaded", { exact: true }).count()).toBe(2);
    await alice.getByRole("button", { name: "Submit" }).click();
    await statusIs(alice, "in review");

    // The first reviewer finds it in their queue, looks at the CSV, and votes on each file.
    await signIn(bob, "bob", "Bob Checker", "AirlockManager");
    await openFromQueue(bob);
    await expectAccessible(bob, "the review page");
    await bob.getByRole("button", { name: "Preview counts.csv" }).click();
    const preview = bob.getByRole("table", { name: "Preview of counts.csv" });
    await preview.getByRole("cell", { name: "123", exact: true }).waitFor();
    await expectAccessible(bob, "the review page with a preview");
    await screenshot(bob, "review");
    await bob.getByRole("button", { name: "Approve counts.csv" }).click();
    await bob.getByText("Bob Checker: approve").waitFor();
    await bob.getByLabel("Note for the other reviewers, or your words to the requester").fill(REVIEWERS_ONLY);
    await bob.getByRole("button", { name: "Request changes to notes.txt" }).click();
    await bob.getByText("Bob Checker: request changes").waitFor();

    // The second reviewer votes on their own.
    await signIn(carol, "carol", "Carol Checker", "AirlockManager");
    await openFromQueue(carol);
    await carol.getByRole("button", { name: "Approve counts.csv" }).click();
    await carol.getByText("Carol Checker: approve").first().waitFor();
    // The other reviewer's note reaches reviewers.
    await carol.getByText(REVIEWERS_ONLY).waitFor();

    // The first reviewer returns the request with words for the researcher.
    await bob.reload();
    await bob.getByLabel("Note for the other reviewers, or your words to the requester").fill(TO_RESEARCHER);
    await bob.getByRole("button", { name: "Return for changes" }).click();
    await statusIs(bob, "changes requested");

    // The researcher reads the return, never the reviewers' note, replaces one file, withdraws the other.
    await alice.reload();
    await statusIs(alice, "changes requested");
    await alice.getByText(TO_RESEARCHER).waitFor();
    await expect(alice.getByText(REVIEWERS_ONLY).count()).resolves.toBe(0);
    await expect(alice.content()).resolves.not.toContain(REVIEWERS_ONLY);
    await expectAccessible(alice, "a request with changes requested");
    await screenshot(alice, "changes-requested");
    const draft = alice.getByRole("table", { name: "Files in the draft" });
    await draft.getByRole("cell", { name: "notes.txt", exact: true }).waitFor();
    await alice
      .locator('input[type="file"]')
      .setInputFiles([{ name: "counts.csv", mimeType: "text/csv", buffer: Buffer.from(ROUNDED_CSV) }]);
    await alice.getByText("Uploaded", { exact: true }).waitFor();
    await alice.getByRole("button", { name: "Withdraw notes.txt" }).click();
    await expect.poll(() => draft.getByRole("cell", { name: "notes.txt", exact: true }).count()).toBe(0);
    await alice.getByRole("button", { name: "Resubmit" }).click();
    await statusIs(alice, "in review");

    // Both reviewers approve the replaced file: the request is approved.
    await openFromQueue(bob);
    await expect(bob.getByRole("heading", { name: "notes.txt" }).count()).resolves.toBe(0);
    await bob.getByRole("button", { name: "Approve counts.csv" }).click();
    await bob.getByText("Bob Checker: approve").waitFor();
    await openFromQueue(carol);
    await carol.getByRole("button", { name: "Approve counts.csv" }).click();
    await alice.reload();
    await statusIs(alice, "approved");

    // The researcher downloads the approved file: the bytes are the ones uploaded.
    const download = alice.waitForEvent("download");
    await alice.getByRole("link", { name: "Download counts.csv" }).click();
    const path = await (await download).path();
    await expect(readFile(path, "utf8")).resolves.toBe(ROUNDED_CSV);
    await expectAccessible(alice, "an approved request");
    await screenshot(alice, "approved");
    expect(violations).toEqual([]);
  });

  it("marks the cell the disclosure gate flagged in the reviewer's CSV preview, and shows the researcher the finding", async () => {
    const alice = await newPage(browser);
    const bob = await newPage(browser);
    await signIn(alice, "alice", "Alice Researcher", "WorkspaceResearcher");
    await alice.goto(`${server.url}/workspaces/${DISCLOSURE_WORKSPACE.id}/new`);
    await alice.getByLabel("Title").fill("Small cells");
    await alice.getByLabel("Business justification").fill("A table with a small count.");
    await alice.getByRole("button", { name: "Create draft" }).click();
    await alice.getByText("No files uploaded yet").waitFor();
    await alice.locator('input[type="file"]').setInputFiles([
      {
        name: "table.csv",
        mimeType: "text/csv",
        buffer: Buffer.from("region,count\nnorth,120\nsouth,3\n"),
      },
    ]);
    await alice.getByText("Uploaded", { exact: true }).waitFor();
    await alice.getByRole("button", { name: "Submit" }).click();
    await statusIs(alice, "in review");
    // The researcher sees the gates' findings on their own files.
    await alice.getByText('(at row 2, column 2 ("count"))').waitFor();

    await signIn(bob, "bob", "Bob Checker", "AirlockManager");
    await bob.getByRole("link", { name: "Awaiting my review" }).click();
    await bob.getByRole("link", { name: "Small cells" }).click();
    await bob.getByRole("button", { name: "Preview table.csv" }).click();
    const preview = bob.getByRole("table", { name: "Preview of table.csv" });
    const small = preview.getByRole("cell", { name: "3", exact: true });
    await small.waitFor();
    await expect(small.getAttribute("data-flagged")).resolves.toBe("true");
    // Only that cell is marked.
    await expect(preview.locator('[data-flagged="true"]').count()).resolves.toBe(1);
    await expectAccessible(bob, "a preview with a flagged cell");
    await screenshot(bob, "review-flagged-cell");
  });

  it("hides what independent review hides, and a reviewer votes with the keyboard alone", async () => {
    const title = "Counts reviewed independently";
    const note = "The south count looks unrounded";
    const alice = await newPage(browser);
    const bob = await newPage(browser);
    const carol = await newPage(browser);
    await signIn(alice, "alice", "Alice Researcher", "WorkspaceResearcher");
    await alice.goto(`${server.url}/workspaces/${INDEPENDENT_WORKSPACE.id}/new`);
    await alice.getByLabel("Title").fill(title);
    await alice.getByLabel("Business justification").fill("Two tables.");
    await alice.getByRole("button", { name: "Create draft" }).click();
    await alice.getByText("No files uploaded yet").waitFor();
    await alice.locator('input[type="file"]').setInputFiles([
      { name: "a.csv", mimeType: "text/csv", buffer: Buffer.from(FIRST_CSV) },
      { name: "b.csv", mimeType: "text/csv", buffer: Buffer.from(ROUNDED_CSV) },
    ]);
    await expect.poll(() => alice.getByText("Uploaded", { exact: true }).count()).toBe(2);
    await alice.getByRole("button", { name: "Submit" }).click();
    await statusIs(alice, "in review");

    await signIn(bob, "bob", "Bob Checker", "AirlockManager");
    await openFromQueue(bob, title);
    await bob.getByLabel("Note for the other reviewers, or your words to the requester").fill(note);
    await bob.getByRole("button", { name: "Request changes to a.csv" }).click();
    await bob.getByText("Bob Checker: request changes").waitFor();
    await bob.getByRole("button", { name: "Approve b.csv" }).click();
    await bob.getByText("Bob Checker: approve").waitFor();

    // Until she has voted on every file, the other reviewer's votes and note are not on her page.
    await signIn(carol, "carol", "Carol Checker", "AirlockManager");
    await carol.getByRole("link", { name: "Awaiting my review" }).click();
    await carol.getByRole("link", { name: title }).waitFor();
    await expectAccessible(carol, "the review queue");
    await screenshot(carol, "review-queue");
    await openFromQueue(carol, title);
    await tabTo(carol, "Approve a.csv");
    await carol.keyboard.press("Enter");
    await carol.getByText("Carol Checker: approve").waitFor();
    await expect(carol.content()).resolves.not.toContain("Bob Checker");
    await expect(carol.content()).resolves.not.toContain(note);
    await expectAccessible(carol, "a review page under independent review");
    await carol.locator("body").focus();
    await tabTo(carol, "Approve b.csv");
    await carol.keyboard.press("Enter");
    // Now she has: the API shows her Bob's votes and note, and so does the page.
    await carol.getByText("Bob Checker: request changes").waitFor();
    await carol.getByText(note).waitFor();
  });
});
