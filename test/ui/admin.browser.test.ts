/**
 * The admin pages in a real browser (Debian's Chromium, headless, no network): the admin `root` signs in,
 * creates a user and a token for it (its secret shown once, gone on reload), the token works from Node
 * and stops working once revoked in the page; quotas saved; the audit log filtered by user and time,
 * paged with its cursor; a sensor that connected over real D4 TLS listed as pending, approved (its key
 * shown once and downloaded in a zip whose key feeds a D4 session), revoked; another deleted. No request
 * leaves the server, nothing breaks the CSP, every input has a label. Screenshots: ui-users,
 * ui-user-tokens, ui-audit, ui-sensors, ui-sensors-narrow (test-results/screenshots/).
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { connect } from "node:tls";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeD4Packet } from "../../src/d4/d4-session.js";
import {
  chromiumPresent,
  launchChromium,
  screenshot,
  signInOnPage,
  type WatchedPage,
  watchedPage,
} from "../helpers/browser.js";
import { basic } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { readZip } from "../helpers/zip-reader.js";

const SAMPLES = new URL("../../../shared/samples/", import.meta.url);

/** A port free right now, for the D4 endpoint (the test server does not say which one it got). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** A D4 client session over TLS: the packets, then close; resolves once the server has closed too. */
function d4Session(port: number, stream: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => socket.end(stream));
    socket.on("error", (error: NodeJS.ErrnoException) =>
      error.code === "ECONNRESET" ? resolve() : reject(error),
    );
    socket.on("close", () => resolve());
    socket.resume();
  });
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The text of the element that has the focus. */
function focused(page: Page): Promise<string | null> {
  return page.locator(":focus").textContent();
}

/** Inputs and selects on the page that no label names (a label[for], a wrapping label or aria-label). */
function unlabelled(page: Page): Promise<string[]> {
  return page.$$eval("main input, main select, main textarea", (controls) =>
    controls
      .filter((c) => {
        const control = c as unknown as {
          labels: { length: number } | null;
          type: string;
          getAttribute(name: string): string | null;
        };
        return (
          control.labels?.length === 0 && !control.getAttribute("aria-label") && control.type !== "hidden"
        );
      })
      .map((c) => c.outerHTML),
  );
}

describe.skipIf(!chromiumPresent("the admin pages' browser test"))("admin pages in headless Chromium", () => {
  let server: TestServer;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;
  let origin = "";
  /** The page's own answers of 400 and over, as `409 /admin/users`. */
  const failedLoads: string[] = [];
  let d4Port = 0;
  const pendingA = randomUUID();
  const pendingB = randomUUID();

  const api = (path: string, user: string, token: string, init: RequestInit = {}) =>
    fetch(`${server.base}${path}`, { ...init, headers: { authorization: basic(user, token) } });
  const asRoot = (path: string, init: RequestInit = {}) => api(path, "root", server.adminToken, init);

  beforeAll(async () => {
    d4Port = await freePort();
    [server, browser] = await Promise.all([
      startTestServer("lmdb", { d4Listen: `127.0.0.1:${d4Port}` }),
      launchChromium(),
    ]);
    origin = new URL(server.base).origin;
    await server.ingestPassiveDns(await readFile(new URL("passivedns.txt", SAMPLES), "utf8"));
    watched = await watchedPage(browser);
    page = watched.page;
    page.setDefaultTimeout(10_000);
    page.on("response", (response) => {
      if (response.status() >= 400)
        failedLoads.push(`${response.status()} ${new URL(response.url()).pathname}`);
    });
    await watched.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("users: creates a user and a token shown once, which works until revoked in the page", async () => {
    await page.goto(`${server.base}/ui/admin/users`);
    await signInOnPage(page, "root", server.adminToken);
    await page.waitForSelector(".users-table tbody tr[data-user='alice']");
    expect(await page.locator(".users-table tbody tr").count()).toBe(3);
    expect(await page.textContent("tr[data-user='root']")).toContain("(you)");
    // Token counts arrive after the table.
    await page.locator("tr[data-user='alice'] td.num", { hasText: /^1$/ }).waitFor();

    await page.fill("#new-user-name", "bob");
    await page.selectOption("#new-user-role", "analyst");
    await page.click("form[aria-label='Add a user'] button[type=submit]");
    await page.waitForSelector("tr[data-user='bob']");
    expect(await page.textContent(".admin-notice")).toContain("User bob (analyst) created");
    // The focus goes to the next step: the new user's page.
    expect(await focused(page)).toBe("Create a token for bob →");
    await page.locator("tr[data-user='bob'] td.num", { hasText: /^0$/ }).waitFor();
    await page.mouse.move(0, 0);
    await screenshot(page, "ui-users");

    // A second bob: 409, said in words with what to do.
    await page.fill("#new-user-name", "bob");
    await page.click("form[aria-label='Add a user'] button[type=submit]");
    await page.waitForSelector(".admin-notice.error");
    expect(await page.textContent(".admin-notice")).toMatch(/already exists: pick another name/);

    // Role change asks for Apply; Cancel puts it back.
    await page.selectOption("tr[data-user='alice'] select", "admin");
    await page.click("tr[data-user='alice'] .confirm button.secondary");
    expect(await page.inputValue("tr[data-user='alice'] select")).toBe("analyst");
    // Disabling asks first; Escape backs out.
    await page.click("tr[data-user='alice'] button:has-text('Disable')");
    await page.waitForSelector("tr[data-user='alice'] .confirm");
    await page.keyboard.press("Escape");
    expect(await page.locator("tr[data-user='alice'] .confirm").count()).toBe(0);
    expect(await focused(page)).toBe("Disable");
    // Disabled for real: alice's token is refused; enabled again, it works.
    await page.click("tr[data-user='alice'] button:has-text('Disable')");
    await page.click("tr[data-user='alice'] .confirm button.danger");
    await page.waitForSelector("tr[data-user='alice'] .badge:has-text('disabled')");
    expect(await focused(page)).toBe("Enable");
    expect((await api("/pdns/query/example.lu", "alice", server.analystToken)).status).toBe(401);
    await page.keyboard.press("Enter");
    await page.waitForSelector("tr[data-user='alice'] .badge:has-text('active')");
    expect((await api("/pdns/query/example.lu", "alice", server.analystToken)).status).toBe(200);
    expect(await unlabelled(page)).toEqual([]);

    // bob's page: a token, its secret shown once.
    await page.click("tr[data-user='bob'] th a");
    await page.waitForSelector("h1:has-text('bob')");
    expect(await page.textContent(".tokens-table, .state.empty")).toContain("bob has no token");
    await page.fill("#token-label", "ci pipeline");
    await page.selectOption("#token-expiry", { label: "30 days" });
    await page.click("form[aria-label='Create a token for bob'] button[type=submit]");
    await page.waitForSelector(".secret .secret-value");
    const secret = (await page.textContent(".secret .secret-value"))?.trim() ?? "";
    expect(secret.length).toBeGreaterThan(20);
    expect(await page.textContent(".secret")).toContain("this is the only time it is shown");
    expect(await focused(page)).toBe("Copy");
    await page.click(".secret button.copy");
    await page.waitForSelector(".copy-status:has-text('Copied')");
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(secret);
    const row = page.locator(".tokens-table tbody tr");
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain("ci pipeline");
    const tokenId = (await row.getAttribute("data-token")) ?? "";

    // The quota: a daily limit and no cap on answers.
    await page.fill("#quota-daily", "1000");
    await page.check("#quota-results_max-none");
    await page.click(".quota-form button[type=submit]");
    const saved = page.locator("section[aria-labelledby='quota-title'] .admin-notice");
    await saved.locator("text=Quota of bob saved").waitFor();
    expect(await saved.textContent()).toContain("In force now: 1,000/day");
    expect(await (await asRoot("/admin/users/bob/quota")).json()).toMatchObject({
      quota: { daily: 1000, results_max: null },
      limits: { daily: 1000, results_max: null },
    });
    expect(await unlabelled(page)).toEqual([]);
    await page.evaluate("window.scrollTo(0, 0)");
    await screenshot(page, "ui-user-tokens", true);

    // The token works from anywhere.
    const query = await api("/pdns/query/example.lu", "bob", secret);
    expect(query.status).toBe(200);
    expect(await query.text()).toContain("192.0.2.10");

    // Reloaded, the secret is gone for good; the token is still listed.
    await page.reload();
    await page.waitForSelector(`.tokens-table tr[data-token='${tokenId}']`);
    expect(await page.locator(".secret").count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    // Revoked in the page: the next call with it is refused.
    await page.click(`tr[data-token='${tokenId}'] button:has-text('Revoke')`);
    await page.click(`tr[data-token='${tokenId}'] .confirm button.danger`);
    await page.waitForSelector(".admin-notice:has-text('revoked')");
    await page.waitForSelector(".state.empty:has-text('bob has no token')");
    expect(await page.evaluate("document.activeElement?.id")).toBe("tokens-title");
    expect((await api("/pdns/query/example.lu", "bob", secret)).status).toBe(401);
  }, 45_000);

  it("audit: filters by user and time, in the URL, paged with the cursor", async () => {
    await new Promise((resolve) => setTimeout(resolve, 400)); // the audit log writes every quarter second
    await page.goto(`${server.base}/ui/admin/audit`);
    await page.waitForSelector(".audit-table tbody tr");
    await screenshot(page, "ui-audit");

    await page.fill("#audit-user", "bob");
    await page.click("form[aria-label='Filter the audit log'] button[type=submit]");
    await page.waitForURL(/\/ui\/admin\/audit\?user=bob$/);
    await page.waitForSelector(".audit-summary:has-text('Requests by bob')");
    await page.waitForSelector(".audit-table tbody tr");
    const bobs: string[][] = [];
    for (const row of await page.locator(".audit-table tbody tr").all()) {
      bobs.push((await row.locator("td").allTextContents()).map((text) => text.trim()));
    }
    expect(bobs.length).toBeGreaterThan(0);
    for (const cells of bobs) expect(cells[1]?.startsWith("bob")).toBe(true);
    expect(bobs.some((c) => c[2] === "GET /pdns/query/" && c[3] === "example.lu" && c[4] === "200")).toBe(
      true,
    );

    // A time range: from an hour ago (typed in local time) still has them; one in the past has none.
    const hourAgo = new Date(Date.now() - 3600_000);
    const pad = (n: number) => String(n).padStart(2, "0");
    const local = `${hourAgo.getFullYear()}-${pad(hourAgo.getMonth() + 1)}-${pad(hourAgo.getDate())}T${pad(hourAgo.getHours())}:${pad(hourAgo.getMinutes())}`;
    await page.fill("#audit-since", local);
    await page.click("form[aria-label='Filter the audit log'] button[type=submit]");
    await page.waitForURL(/since=/);
    const since = new URL(page.url()).searchParams.get("since") ?? "";
    expect(Math.abs(Date.parse(since) - Math.floor(hourAgo.getTime() / 60_000) * 60_000)).toBeLessThan(1000);
    await page.waitForSelector(".audit-table tbody tr");
    await page.fill("#audit-since", "2001-01-01T00:00");
    await page.fill("#audit-until", "2001-01-02T00:00");
    await page.click("form[aria-label='Filter the audit log'] button[type=submit]");
    await page.waitForSelector(".state.empty:has-text('No audit entries match')");

    // More than a page of alice's queries: a page of 100, then the older ones.
    for (let i = 0; i < 105; i++) {
      const response = await api(`/pdns/query/www${i}.example.lu`, "alice", server.analystToken);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    await page.goto(`${server.base}/ui/admin/audit?user=alice`);
    await page.waitForSelector(".audit-table tbody tr");
    expect(await page.locator(".audit-table tbody tr").count()).toBe(100);
    await page.click("button:has-text('Older entries')");
    await page.waitForSelector(".pager:has-text('the end of the log')");
    expect(await page.locator(".audit-table tbody tr").count()).toBeGreaterThanOrEqual(105);
    expect(await unlabelled(page)).toEqual([]);
  }, 45_000);

  it("sensors: a pending sensor approved, its key shown once and zipped for the client, then revoked", async () => {
    // Two unknown sensors connect over TLS: both are recorded as pending and refused.
    for (const uuid of [pendingA, pendingB]) {
      const packet = encodeD4Packet({
        type: 8,
        uuid,
        key: Buffer.from("guess"),
        payload: Buffer.from("x\n"),
      });
      await d4Session(d4Port, packet);
    }
    await waitFor("two pending sensors", async () => {
      const { sensors } = (await (await asRoot("/admin/sensors")).json()) as {
        sensors: { status: string }[];
      };
      return sensors.filter((s) => s.status === "pending").length === 2 ? true : undefined;
    });

    await page.goto(`${server.base}/ui/admin/sensors`);
    const rowA = page.locator(`.pending-table tr[data-uuid='${pendingA}']`);
    await rowA.waitFor();
    expect(await page.locator(".pending-table tbody tr").count()).toBe(2);
    const cells = await rowA.locator("td").allTextContents();
    expect(cells[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/); // first seen
    expect(cells[2]).toBe("127.0.0.1"); // source address

    await rowA.locator("select").selectOption("8");
    await rowA.locator("button:has-text('Approve')").click();
    await page.waitForSelector(".secret .secret-value");
    const key = (await page.textContent(".secret .secret-value"))?.trim() ?? "";
    expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await page.textContent(".secret")).toContain("this is the only time it is shown");
    expect(await focused(page)).toBe("Copy");
    expect(await page.inputValue("#sensor-destination")).toBe("127.0.0.1:4443");
    await screenshot(page, "ui-sensor-key");
    await page.waitForSelector(`.sensors-table tr[data-uuid='${pendingA}']`);

    // The client folder, for this server's D4 endpoint.
    await page.fill("#sensor-destination", `127.0.0.1:${d4Port}`);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("button:has-text('Download D4 client config (.zip)')"),
    ]);
    expect(download.suggestedFilename()).toBe(`d4-sensor-${pendingA}.zip`);
    const zipped = readZip(await readFile((await download.path()) as string));
    const folder = `d4-sensor-${pendingA}/`;
    const file = (name: string) => zipped.find((e) => e.name === `${folder}${name}`);
    expect(zipped.map((e) => e.name).sort()).toEqual(
      ["", "destination", "key", "snaplen", "source", "type", "uuid", "version"].map((n) => `${folder}${n}`),
    );
    expect(file("uuid")?.data.toString()).toBe(`${pendingA}\n`);
    expect(file("key")?.data.toString()).toBe(`${key}\n`);
    expect(file("key")?.mode).toBe(0o100600);
    expect(file("destination")?.data.toString()).toBe(`127.0.0.1:${d4Port}\n`);
    expect(file("type")?.data.toString()).toBe("8\n");

    // The zipped key feeds a D4 session: its records count on the page.
    const text = await readFile(new URL("passivedns.txt", SAMPLES));
    const zippedKey = Buffer.from((file("key")?.data.toString() ?? "").trim());
    await d4Session(
      d4Port,
      Buffer.concat([
        encodeD4Packet({ type: 8, uuid: pendingA, key: zippedKey, payload: text }),
        encodeD4Packet({ type: 8, uuid: pendingA, key: zippedKey, payload: Buffer.alloc(0) }),
      ]),
    );
    await waitFor("the session's records", async () => {
      const { sensors } = (await (await asRoot("/admin/sensors")).json()) as {
        sensors: { uuid: string; records: number }[];
      };
      return (sensors.find((s) => s.uuid === pendingA)?.records ?? 0) > 0 ? true : undefined;
    });
    await page.click(".secret button:has-text('Done, hide it')");
    expect(await page.locator(".secret").count()).toBe(0);
    await page.click("button:has-text('Refresh')");
    const rowApproved = page.locator(`.sensors-table tr[data-uuid='${pendingA}']`);
    await rowApproved.locator("td.num", { hasText: /^206$/ }).waitFor();
    expect(await rowApproved.textContent()).toContain("approved");

    // Reloaded: no key anywhere.
    await page.reload();
    await rowApproved.waitFor();
    expect(await page.locator(".secret").count()).toBe(0);
    expect(await page.content()).not.toContain(key);
    expect(await unlabelled(page)).toEqual([]);
    await page.evaluate("window.scrollTo(0, 0)");
    await screenshot(page, "ui-sensors", true);

    // Narrow window: everything reachable, nothing wider than the window but the tables' own scroll.
    const narrow = await watchedPage(browser, { width: 420, height: 900 });
    await narrow.page.goto(`${server.base}/ui/admin/sensors`);
    await signInOnPage(narrow.page, "root", server.adminToken);
    await narrow.page.waitForSelector(`.sensors-table tr[data-uuid='${pendingA}']`);
    expect(await narrow.page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(
      420,
    );
    await screenshot(narrow.page, "ui-sensors-narrow", true);
    expect(narrow.problems).toEqual([]);
    expect(narrow.foreignRequests(origin)).toEqual([]);
    await narrow.context.close();

    // A server without a secret key answers 503 (here from the network layer of another tab): the page
    // says how to give it one.
    const keyless = await watchedPage(browser);
    await keyless.page.route(
      (url) => url.pathname === "/admin/sensors",
      (route) =>
        route.fulfill({
          status: 503,
          contentType: "application/json",
          body: JSON.stringify({ code: "no_secret_key", message: "set PDNS_PSSL_SECRET_KEY on this server" }),
        }),
    );
    await keyless.page.goto(`${server.base}/ui/admin/sensors`);
    await signInOnPage(keyless.page, "root", server.adminToken);
    const advice = (await keyless.page.locator(".state.error").textContent()) ?? "";
    expect(advice).toContain("openssl rand -base64 32");
    expect(advice).toContain("PDNS_PSSL_SECRET_KEY");
    expect(await keyless.page.locator("#new-sensor-type").isVisible()).toBe(false);
    await keyless.context.close();

    // Revoke A; delete B.
    await rowApproved.locator("button:has-text('Revoke')").click();
    await rowApproved.locator(".confirm button.danger").click();
    await page.waitForSelector(".admin-notice:has-text('revoked')");
    await page.waitForSelector(`.sensors-table tr[data-uuid='${pendingA}'] .badge:has-text('revoked')`);
    expect(await focused(page)).toBe("Refresh");
    const rowB = page.locator(`.pending-table tr[data-uuid='${pendingB}']`);
    await rowB.locator("button:has-text('Delete')").click();
    await rowB.locator(".confirm button.danger").click();
    await page.waitForSelector(".admin-notice:has-text('deleted')");
    expect(await page.locator(`tr[data-uuid='${pendingB}']`).count()).toBe(0);
    const { sensors } = (await (await asRoot("/admin/sensors")).json()) as {
      sensors: { uuid: string; status: string }[];
    };
    expect(sensors.map((s) => `${s.uuid} ${s.status}`)).toEqual([`${pendingA} revoked`]);
  }, 45_000);

  it("sent nothing to another host and broke no rule of the CSP", () => {
    expect(watched.foreignRequests(origin)).toEqual([]);
    // The one refusal the test asked for: a second user named bob.
    expect(failedLoads).toEqual(["409 /admin/users"]);
    expect(watched.problems).toEqual([
      "console: Failed to load resource: the server responded with a status of 409 (Conflict)",
    ]);
  });
});
