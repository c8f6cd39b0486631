/**
 * /docs in a real browser with no network: headless Chromium (Debian's, driven by playwright-core)
 * renders the operation list from the server's own files, sends no request to any other host, breaks no
 * rule of the page's Content-Security-Policy, and a screenshot is saved (test-results/screenshots/).
 * Without /usr/bin/chromium the suite is skipped locally with a loud warning, and fails in CI.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPresent, launchChromium, screenshot, watchedPage } from "./helpers/browser.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

describe.skipIf(!chromiumPresent("the /docs browser test"))("/docs in headless Chromium", () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer("lmdb"), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("renders every operation from the server's own files, offline", async () => {
    const { context, page, requests, problems, foreignRequests } = await watchedPage(browser, {
      height: 2000,
    });
    const origin = new URL(server.base).origin;

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

    await screenshot(page, "docs");

    expect(foreignRequests(origin)).toEqual([]);
    expect(requests).toContain(`${origin}/openapi.json`);
    expect(requests).toContain(`${origin}/docs/swagger-ui-bundle.js`);
    expect(problems).toEqual([]);
    await context.close();
  });
});
