/**
 * Pages in a real browser with no network: Debian's Chromium, headless, driven by playwright-core (no
 * browser download). Without /usr/bin/chromium (or CHROMIUM_PATH) browser suites are skipped locally
 * with a loud warning, and fail in CI. Screenshots go to test-results/screenshots/, and their paths are
 * printed, so CI's log names them.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = new URL("../../test-results/screenshots/", import.meta.url);

/** Whether browser suites can run here; throws in CI when they cannot. */
export function chromiumPresent(suite: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI)
    throw new Error(`CI is set but there is no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  console.warn(`\n!!! No Chromium at ${CHROMIUM}: ${suite} is SKIPPED (apt-get install chromium) !!!\n`);
  return false;
}

/** Flags for a closed network: without them Chromium keeps trying Google's services. */
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** A page that records what should never happen: requests to other hosts, failed loads, page errors, CSP violations. */
export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Every URL requested. */
  requests: string[];
  /** Failed requests, page errors, console errors (CSP violations among them). */
  problems: string[];
  /** Requests that left for another origin than `origin` (data: and blob: URLs are local). */
  foreignRequests(origin: string): string[];
}

export async function watchedPage(
  browser: Browser,
  options: { width?: number; height?: number; acceptDownloads?: boolean } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    acceptDownloads: options.acceptDownloads ?? true,
  });
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("requestfailed", (request) => {
    const reason = request.failure()?.errorText ?? "";
    // A request the page itself aborted (leaving a page mid-load) is not a failure.
    if (!reason.includes("ERR_ABORTED")) problems.push(`request failed: ${request.url()}: ${reason}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  // Chromium reports CSP violations on the console too; this names the directive and the URL.
  await page.addInitScript({
    content:
      'document.addEventListener("securitypolicyviolation", (e) => console.error(' +
      '"CSP violation: " + e.violatedDirective + " " + e.blockedURI));',
  });
  return {
    context,
    page,
    requests,
    problems,
    foreignRequests: (origin) =>
      requests.filter(
        (url) => !url.startsWith(`${origin}/`) && !url.startsWith("data:") && !url.startsWith("blob:"),
      ),
  };
}

/** Saves a screenshot under test-results/screenshots/ and prints its path. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = new URL(`${name}.png`, SCREENSHOTS).pathname;
  await page.screenshot({ path: file, fullPage });
  console.log(`screenshot: ${file}`);
  return file;
}

/** Signs in on the web pages' form (the page is on any /ui/ URL showing it). */
export async function signInOnPage(page: Page, user: string, token: string): Promise<void> {
  await page.fill("#signin-user", user);
  await page.fill("#signin-token", token);
  await page.click("form.signin button[type=submit]");
  await page.waitForSelector("header.top");
}
