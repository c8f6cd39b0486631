/**
 * /docs in a real browser with no network: headless Chromium (Debian's, driven by playwright-core)
 * renders the operation list from the server's own files, sends no request to any other host, breaks no
 * rule of the page's Content-Security-Policy, and a screenshot is saved (test-results/screenshots/).
 * Without /usr/bin/chromium the suite is skipped locally with a loud warning, and fails in CI.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = new URL("../test-results/screenshots/", import.meta.url);

const chromiumPresent = existsSync(CHROMIUM);
if (!chromiumPresent) {
  if (process.env.CI)
    throw new Error(`CI is set but there is no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  console.warn(
    `\n!!! No Chromium at ${CHROMIUM}: the /docs browser test is SKIPPED (apt-get install chromium) !!!\n`,
  );
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

describe.skipIf(!chromiumPresent)("/docs in headless Chromium", () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startTestServer("lmdb"),
      chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("renders every operation from the server's own files, offline", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 2000 } });
    const page = await context.newPage();
    const origin = new URL(server.base).origin;
    const requests: string[] = [];
    const failures: string[] = [];
    const problems: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    page.on("requestfailed", (request) => failures.push(`${request.url()}: ${request.failure()?.errorText}`));
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

    const response = await page.goto(`${server.base}/docs`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    // Swagger UI has fetched /openapi.json and drawn the operations.
    await page.waitForSelector(".opblock-summary-path", { timeout: 20_000 });
    await page.waitForLoadState("networkidle");

    const paths = await page.$$eval(".opblock-summary-path", (nodes) =>
      nodes.map((node) => node.getAttribute("data-path") ?? node.textContent?.trim() ?? ""),
    );
    expect(paths).toContain("/pdns/query/{value}");
    expect(paths).toContain("/dnsdb/v2/lookup/rrset/name/{name}");
    expect(paths).toContain("/v2pssl/cfetch/{fingerprint}");
    expect(paths).toContain("/admin/users/{name}/tokens/{id}");
    expect(paths.length).toBeGreaterThan(60);
    expect(await page.textContent(".info .title")).toContain("pdns-pssl");
    // Swagger UI accepts the document as it is (it shows errors and warnings above the operations).
    expect(await page.locator(".errors-wrapper, .error-wrapper, .version-pragma").count()).toBe(0);
    expect(await page.locator(".scheme-container .authorize").count()).toBe(1);

    // Open one operation: its parameters and the sample example render.
    const operation = page.locator('.opblock[id$="-pdnsQuery"]');
    await operation.locator(".opblock-summary-control").click();
    await operation.locator(".parameters").waitFor();
    const opened = (await operation.textContent()) ?? "";
    expect(opened).toContain("dribble-paginate-cursor");
    expect(opened).toContain("blog.example.lu");

    await mkdir(SCREENSHOTS, { recursive: true });
    const file = new URL("docs.png", SCREENSHOTS).pathname;
    await page.screenshot({ path: file, fullPage: false });
    console.log(`/docs screenshot: ${file}`);

    expect(requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith("data:"))).toEqual([]);
    expect(requests).toContain(`${origin}/openapi.json`);
    expect(requests).toContain(`${origin}/docs/swagger-ui-bundle.js`);
    expect(failures).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
