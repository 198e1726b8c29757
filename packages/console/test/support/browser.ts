import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";

/** Debian's Chromium (`apt-get install chromium`): Playwright's own browser download is not used. */
export const CHROMIUM = process.env.AIRLOCK_CHROMIUM ?? "/usr/bin/chromium";

/** A page in a context of its own: nothing (session, storage) is shared between pages. */
/**
 * Options of every test's browser context. Reduced motion: Fluent then skips its colour transitions,
 * so axe judges the colours a control settles on, never a frame halfway between two states.
 */
export const CONTEXT_OPTIONS = { reducedMotion: "reduce" } as const;

export const newPage = async (browser: Browser): Promise<Page> =>
  (await browser.newContext(CONTEXT_OPTIONS)).newPage();

export const launch = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });

/** Every CSP violation the page reports: the console must run under its policy without one. */
export const watchCsp = (page: Page): string[] => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
};

/** axe-core on the page as it is now: no serious or critical violation. */
export const expectAccessible = async (page: Page, what: string): Promise<void> => {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) =>
        `${violation.id}: ${violation.help} (${violation.nodes
          .map((node) => `${node.target.join(" ")}: ${node.html.slice(0, 200)} ${node.failureSummary ?? ""}`)
          .join(", ")})`,
    );
  expect(bad, `axe on ${what}`).toEqual([]);
};

const SCREENSHOTS = fileURLToPath(new URL("../../../../docs/console/", import.meta.url));

/** With AIRLOCK_SCREENSHOTS=1 (`pnpm screenshots`), the page as it is now goes into docs/console/. */
export const screenshot = async (page: Page, name: string): Promise<void> => {
  if (process.env.AIRLOCK_SCREENSHOTS !== "1") return;
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
};

/**
 * Moves the focus with Tab only until it rests on the control named `name` (its text or accessible
 * label), failing when Tab never reaches it.
 */
export const tabTo = async (page: Page, name: string | RegExp, limit = 60): Promise<void> => {
  for (let step = 0; step < limit; step += 1) {
    await page.keyboard.press("Tab");
    const label = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement | null;
      if (!element) return "";
      const labelled = element.getAttribute("aria-label");
      const byId = element.id
        ? document.querySelector(`label[for="${CSS.escape(element.id)}"]`)?.textContent
        : null;
      // A required field's label ends with its asterisk.
      return (labelled ?? byId ?? element.textContent ?? "").replace(/\s*\*\s*$/, "").trim();
    });
    if (typeof name === "string" ? label === name : name.test(label)) return;
  }
  throw new Error(`Tab never reached "${String(name)}"`);
};

/** The roles the tests sign in with; each person holds one. */
export type TestRole = "WorkspaceResearcher" | "WorkspaceOwner" | "AirlockManager" | "TREAdmin";

/** Signs in on the development sign-in page of `baseUrl` as `userId` holding `role` alone. */
export const signInAs = async (
  page: Page,
  baseUrl: string,
  person: { readonly userId: string; readonly name: string; readonly role: TestRole },
): Promise<void> => {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel("User id").fill(person.userId);
  await page.getByLabel("Display name").fill(person.name);
  if (person.role !== "WorkspaceResearcher") {
    await page.getByRole("checkbox", { name: "WorkspaceResearcher" }).uncheck();
    await page.getByRole("checkbox", { name: person.role }).check();
  }
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Airlock", exact: true }).waitFor();
};
