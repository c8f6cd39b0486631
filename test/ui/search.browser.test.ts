/**
 * The analyst pages in a real browser (Debian's Chromium, headless, no network), over the real sensor
 * samples (passive DNS, D4 TLS ja3-jl and Suricata EVE, posted as a sensor does) and generated records: alice signs in, searches a
 * name and sees its records and timeline (one bar per record), pivots to an address (the names pointing
 * there, the certificates seen there), then to a certificate (subject, issuer, SANs, validity, key,
 * SHA-1 and SHA-256, where it was seen, the PEM downloaded); a JA3S page; CSV and NDJSON exports read
 * back from the downloaded files; 1,200 records paged by 500 through the cursor, each seen once, the
 * page never holding more than one page of rows; a 10,000-record answer showing its first page quickly;
 * sorting and filters by keyboard and URL; a 420 px wide window. No request leaves the server and nothing
 * breaks the CSP. Screenshots: ui-search, ui-timeline, ui-address, ui-certificate, ui-search-narrow.
 */
import { readFile } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chromiumPresent,
  launchChromium,
  screenshot,
  signInOnPage,
  watchedPage,
} from "../helpers/browser.js";
import { basic } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const SAMPLES = new URL("../../../shared/samples/", import.meta.url);
const LEAF5_SHA1 = "4562ab34c67d33c53a152eb9aa05ef855a61ad2c";
const LEAF5_SHA256 = "40075fff00c66df760790bb00d7bc2a7c1398f754c9b7651a71d35ba2c1010cc";
const LEAF4_SHA256 = "865a9b5ad5e7f2f914de333ea06b3bb0a77c510c01409215c1b61433e3968ca9";
const JA3S = "ec74a5c51106f0419184d0dd08fb05bc";
const FINGERPRINT_ONLY = "0123456789abcdef0123456789abcdef01234567";
const colonHex = (hex: string) => (hex.match(/../g) ?? []).join(":");
const PAGED = 1_200;
const MANY = 10_000;

/** passivedns sensor lines: one sighting per line (`||`-delimited, as the real sensor writes). */
function line(time: number, name: string, type: string, rdata: string): string {
  return `${time}.000000||10.0.0.1||10.0.0.53||IN||${name}.||${type}||${rdata}||300||1`;
}

/** Generated data: a name whose address and name servers change over two years, 1,200 records of one
 * name, and 10,000 names under one domain. */
function generated(): string {
  const day = 86_400;
  const t0 = Date.UTC(2024, 10, 1) / 1000;
  const lines: string[] = [];
  const span = (name: string, type: string, rdata: string, from: number, to: number) =>
    lines.push(line(t0 + from * day, name, type, rdata), line(t0 + to * day, name, type, rdata));
  span("portal.example.net", "A", "192.0.2.80", 0, 200);
  span("portal.example.net", "A", "198.51.100.80", 190, 480);
  span("portal.example.net", "A", "203.0.113.80", 470, 720);
  span("portal.example.net", "AAAA", "2001:db8::80", 300, 720);
  span("portal.example.net", "NS", "ns1.hoster-a.example", 0, 400);
  span("portal.example.net", "NS", "ns2.hoster-a.example", 0, 400);
  span("portal.example.net", "NS", "ns1.other-dns.example", 390, 720);
  span("portal.example.net", "MX", "mail.example.net", 10, 720);
  span("www.portal.example.net", "CNAME", "portal.example.net", 5, 700);
  for (let i = 0; i < PAGED; i++)
    lines.push(line(t0 + i * 600, "paged.example.org", "A", `10.20.${Math.floor(i / 250)}.${i % 250}`));
  for (let i = 0; i < MANY; i++)
    lines.push(line(t0 + i * 60, `h${i}.many.example.org`, "A", `10.30.${Math.floor(i / 250)}.${i % 250}`));
  return `${lines.join("\n")}\n`;
}

describe.skipIf(!chromiumPresent("the search pages' browser test"))(
  "search pages in headless Chromium",
  () => {
    let server: TestServer;
    let browser: Browser;
    let origin = "";

    beforeAll(async () => {
      [server, browser] = await Promise.all([startTestServer("lmdb"), launchChromium()]);
      origin = new URL(server.base).origin;
      // As a sensor posts its output (the CLI's `ingest` runs the same code, at a process start each).
      const ingest = async (route: string, body: string | Buffer) => {
        const response = await fetch(`${server.base}/ingest/${route}`, {
          method: "POST",
          headers: { authorization: basic("probe", server.sensorToken) },
          body,
        });
        expect(response.status, `${route}: ${await response.clone().text()}`).toBe(200);
      };
      await ingest("passivedns", await readFile(new URL("passivedns.txt", SAMPLES)));
      await ingest("passivedns", generated());
      await ingest("ja3-jl", await readFile(new URL("ja3-jl.ndjson", SAMPLES)));
      await ingest("eve", await readFile(new URL("suricata-eve-tls.ndjson", SAMPLES)));
      // A session whose certificate Suricata did not log: the server knows it by its fingerprint only.
      const eve = (await readFile(new URL("suricata-eve-tls.ndjson", SAMPLES), "utf8")).split(
        "\n",
      )[0] as string;
      const event = JSON.parse(eve) as { dest_ip: string; tls: Record<string, unknown> };
      event.dest_ip = "192.0.2.99";
      event.tls = {
        ...event.tls,
        fingerprint: colonHex(FINGERPRINT_ONLY),
        subject: "C=LU, CN=fponly.example.lu",
      };
      delete event.tls.certificate;
      delete event.tls.chain;
      delete event.tls.ja3;
      delete event.tls.ja3s;
      await ingest("eve", `${JSON.stringify(event)}\n`);
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    /**
     * A signed-in page that records what must not happen: requests to other hosts, page errors, CSP
     * violations, and any answer of 400 or more (the DevTools protocol reports every response, also those
     * Playwright does not, such as an icon's).
     */
    async function signedIn(width = 1280) {
      const watched = await watchedPage(browser, { width, height: 900 });
      const { page, context } = watched;
      page.setDefaultTimeout(10_000);
      const notFound: string[] = [];
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      cdp.on("Network.responseReceived", (event) => {
        if (event.response.status >= 400) notFound.push(`${event.response.status} ${event.response.url}`);
      });
      await page.goto(`${server.base}/ui/`);
      await signInOnPage(page, "alice", server.analystToken);
      const check = () => {
        expect(watched.foreignRequests(origin)).toEqual([]);
        expect(watched.problems).toEqual([]);
        expect(notFound).toEqual([]);
      };
      return { ...watched, check };
    }

    async function search(page: Page, value: string): Promise<void> {
      await page.fill("#search-box", value);
      await page.press("#search-box", "Enter");
      await page.waitForURL((url) => url.searchParams.get("q") === value);
    }

    const rows = (page: Page) => page.locator("table.records tbody tr");
    const bars = (page: Page) => page.locator("figure.timeline rect.bar");

    it("searches a name, pivots to an address, then to a certificate", async () => {
      const { page, context, check } = await signedIn();

      // A name from the sample: its records (owned and pointing to it) and one timeline bar per record.
      await search(page, "d4.test-circl.org");
      await rows(page).first().waitFor();
      expect(await rows(page).count()).toBe(3);
      await bars(page).first().waitFor();
      expect(await bars(page).count()).toBe(3);
      const groups = await page.locator("figure.timeline text.group").allTextContents();
      expect(groups).toEqual(["A", "AAAA", "PTR pointing here"]);
      const tooltip = await bars(page).first().locator("title").textContent();
      expect(tooltip).toMatch(/2026-11-26 04:12:\d\d → 2026-11-26 04:12:\d\d UTC/);
      const table = await page.locator("table.records").textContent();
      for (const text of ["127.0.1.11", "::1", "11.1.0.127.in-addr.arpa", "PTR"])
        expect(table).toContain(text);
      expect(await page.locator(".page-status").textContent()).toBe("3 records.");
      await page.waitForLoadState("networkidle");
      await screenshot(page, "ui-search", true);

      // A name with history: a change of address and of name servers reads as a staircase.
      await search(page, "portal.example.net");
      await bars(page).first().waitFor();
      expect(await bars(page).count()).toBe(await rows(page).count());
      expect(await rows(page).count()).toBe(9);
      const aRows = await page.$$eval("figure.timeline rect.bar.c0", (rects) =>
        rects.map((r) => ({ x: Number(r.getAttribute("x")), width: Number(r.getAttribute("width")) })),
      );
      expect(aRows).toHaveLength(3);
      expect(aRows[1]?.x).toBeGreaterThan(aRows[0]?.x ?? 0);
      expect(aRows[2]?.x).toBeGreaterThan(aRows[1]?.x ?? 0);
      await page.locator("figure.timeline").scrollIntoViewIfNeeded();
      await screenshot(page, "ui-timeline");

      // Back to the sample name; its AAAA value is a pivot to the address.
      await page.goBack();
      await page.waitForURL((url) => url.searchParams.get("q") === "d4.test-circl.org");
      await page.locator('table.records td.rdata a:text-is("::1")').click();
      await page.waitForURL((url) => url.searchParams.get("q") === "::1");
      expect(await page.locator(".result-head h1").textContent()).toBe("::1");
      // The names pointing there...
      await rows(page).first().waitFor();
      const names = await page.locator("table.records tbody tr td:first-child").allTextContents();
      expect(names.sort()).toEqual(["collector.d4-demo.net", "d4.test-circl.org"]);
      expect(await bars(page).count()).toBe(2);
      // ...and the certificates seen there, their subjects fetched a few at a time.
      const certificate = page.locator("table.certificates tbody tr");
      await certificate.first().waitFor();
      expect(await certificate.count()).toBe(1);
      await page.locator("table.certificates .dn .cn").first().waitFor();
      const seen = (await certificate.first().textContent()) ?? "";
      expect(seen).toContain("Zürich");
      expect(seen).toContain("D4 Sample Issuing CA 1");
      expect(seen).toContain("8447");
      expect(seen).toContain("valid");
      await page.waitForLoadState("networkidle");
      await screenshot(page, "ui-address", true);

      // The certificate's page: parsed certificate, fingerprints, where it was seen.
      await certificate.first().locator("td.value a").click();
      await page.waitForURL((url) => url.searchParams.get("q") === LEAF5_SHA1);
      const facts = page.locator(".certificate dl.facts").first();
      await facts.waitFor();
      await page.locator(".certificate a", { hasText: LEAF5_SHA256 }).waitFor();
      const text = (await facts.textContent()) ?? "";
      expect(text).toContain("Zürcher Testdienst AG");
      expect(text).toContain("D4 Sample Issuing CA 1");
      expect(text).toContain("xn--zrich-kva.example.lu");
      expect(text).toContain("localhost");
      expect(text).toContain("2026-11-26 04:14:40 → 2027-11-26 04:14:40 UTC");
      expect(text).toContain("EC P-384, 384 bits");
      expect(text).toContain(LEAF5_SHA1);
      expect(text).toContain(LEAF5_SHA256);
      expect(await page.locator(".result-head h1").textContent()).toBe("Zürich");
      const sightings = page.locator("table.sightings tbody tr");
      await sightings.first().waitFor();
      expect((await sightings.allTextContents()).map((row) => row.split("2026")[0]).sort()).toEqual([
        "127.0.0.1:8448",
        "[::1]:8447",
      ]);
      await page.waitForLoadState("networkidle");
      await screenshot(page, "ui-certificate", true);

      // The PEM downloads as the certificate's DER, byte for byte.
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("text=Download PEM")]);
      expect(download.suggestedFilename()).toBe(`${LEAF5_SHA1}.pem`);
      const pem = await readFile((await download.path()) as string, "utf8");
      const body = pem.replace(/-----[A-Z ]+-----|\s/g, "");
      expect(
        Buffer.from(body, "base64").equals(await readFile(new URL("certs/leaf5-utf8.der", SAMPLES))),
      ).toBe(true);

      // An expired certificate, by SHA-256, says so plainly.
      await search(page, LEAF4_SHA256);
      await page.locator(".notice.expired").waitFor();
      expect(await page.locator(".certificate dl.facts").first().textContent()).toMatch(/expired .* ago/);

      // A JA3S digest: its servers and the certificates they sent.
      await search(page, JA3S);
      await page.locator("table.sightings tbody tr").first().waitFor();
      expect(await page.locator(".fingerprint-answer h2").allTextContents()).toEqual(["JA3S (TLS server)"]);
      expect(await page.locator("table.sightings tbody tr").count()).toBe(3);
      await page.locator("table.certificates .dn .cn").first().waitFor();
      expect(await page.locator("table.certificates tbody tr").count()).toBe(3);
      expect(await page.locator("table.certificates").textContent()).toContain("expired.example.lu");

      // A certificate known by its fingerprint only: what is known, and a note instead of the PEM.
      await search(page, FINGERPRINT_ONLY);
      await page.locator(".notice", { hasText: "only by its fingerprint" }).waitFor();
      expect(await page.locator(".result-head h1").textContent()).toBe("fponly.example.lu");
      expect(await page.locator("text=Download PEM").count()).toBe(0);
      await page.locator("table.sightings tbody tr", { hasText: "192.0.2.99:8443" }).waitFor();

      await page.waitForLoadState("networkidle");
      check();
      await context.close();
    });

    it("exports every page of a search as CSV and NDJSON", async () => {
      const { page, context, check } = await signedIn();
      await page.goto(`${server.base}/ui/search?q=${encodeURIComponent("*.example.lu")}`);
      await rows(page).first().waitFor();
      const shown = await rows(page).count();
      expect(shown).toBeGreaterThan(20);

      const [csv] = await Promise.all([page.waitForEvent("download"), page.click("text=Export CSV")]);
      expect(csv.suggestedFilename()).toBe("pdns-wildcard.example.lu.csv");
      const text = await readFile((await csv.path()) as string, "utf8");
      const lines = text.split("\r\n");
      expect(lines[0]).toBe("rrname,rrtype,rdata,time_first,time_last,count,first_seen_utc,last_seen_utc");
      expect(lines.at(-1)).toBe("");
      expect(lines).toHaveLength(shown + 2);
      expect(
        lines.some((l) => /^www\.example\.lu,A,192\.0\.2\.11,\d+,\d+,6,2026-11-26 04:12:\d\d,/.test(l)),
      ).toBe(true);
      // A TXT with quotes comes out RFC 4180-quoted.
      expect(text).toContain('quote.example.lu,TXT,"He said \\""hello D4\\"" and left"');
      await page.locator(".export-status", { hasText: `Exported ${shown} records (CSV).` }).waitFor();

      // 10,000 records: the export follows the cursor past the first request's page.
      await page.goto(`${server.base}/ui/search?q=${encodeURIComponent("*.many.example.org")}`);
      await rows(page).first().waitFor();
      const [ndjson] = await Promise.all([
        page.waitForEvent("download", { timeout: 30_000 }),
        page.click("text=Export NDJSON"),
      ]);
      expect(ndjson.suggestedFilename()).toBe("pdns-wildcard.many.example.org.ndjson");
      const records = (await readFile((await ndjson.path()) as string, "utf8"))
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as { rrname: string; rrtype: string; rdata: string });
      expect(records).toHaveLength(MANY);
      expect(new Set(records.map((r) => r.rrname)).size).toBe(MANY);
      expect(records[0]).toMatchObject({ rrtype: "A", origin: "pdns-pssl" });
      check();
      await context.close();
    });

    it("pages 1,200 records by 500 through the cursor, one page of rows at a time", async () => {
      const { page, context, check } = await signedIn();
      await page.goto(`${server.base}/ui/search?q=paged.example.org&size=500`);
      const seen: string[] = [];
      const pages: string[][] = [];
      for (let index = 0; index < 3; index++) {
        await page.locator(".page-status", { hasText: `Page ${index + 1}:` }).waitFor();
        const values = await page.locator("table.records tbody td.rdata").allTextContents();
        expect(values.length).toBe(index < 2 ? 500 : 200);
        // The page holds this page's rows and bars, never more.
        expect(await page.locator("table.records tbody tr").count()).toBeLessThanOrEqual(500);
        await bars(page).first().waitFor();
        expect(await bars(page).count()).toBe(values.length);
        pages.push(values);
        seen.push(...values);
        const next = page.locator("nav.pager.top button", { hasText: "Next page" });
        if (index < 2) await next.click();
        else expect(await next.isDisabled()).toBe(true);
      }
      expect(seen).toHaveLength(PAGED);
      expect(new Set(seen).size).toBe(PAGED);
      expect(await page.locator(".page-status").textContent()).toBe(
        "Page 3: records 1,001–1,200, the last page.",
      );

      // Back one page, from the pager below the records: the same records again (the cursor is stable).
      await page.locator("nav.pager.bottom button", { hasText: "Previous page" }).click();
      await page.locator(".page-status", { hasText: "Page 2:" }).waitFor();
      expect(await page.locator("table.records tbody td.rdata").allTextContents()).toEqual(pages[1]);

      // Sorting by keyboard orders the page shown: Enter on a header sorts up, Space again sorts down.
      const firstSeen = page.locator("table.records th", { hasText: "First seen" });
      await firstSeen.focus();
      await page.keyboard.press("Enter");
      expect(await firstSeen.getAttribute("aria-sort")).toBe("ascending");
      await page.keyboard.press(" ");
      expect(await firstSeen.getAttribute("aria-sort")).toBe("descending");
      const times = await page.locator("table.records tbody tr td:nth-child(4)").allTextContents();
      expect(times).toEqual([...times].sort().reverse());
      check();
      await context.close();
    });

    it("shows the first page of a 10,000-record answer quickly, and filters through the URL", async () => {
      const { page, context, check } = await signedIn();
      const started = Date.now();
      await search(page, "*.many.example.org");
      await rows(page).first().waitFor();
      await bars(page).first().waitFor();
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(5_000);
      expect(await rows(page).count()).toBe(100);
      expect(await page.locator(".page-status").textContent()).toBe("Page 1: records 1–100, more follow.");

      // The type filter, applied with the form, lands in the URL (so the search can be shared).
      await search(page, "d4.test-circl.org");
      await rows(page).first().waitFor();
      await page.selectOption("form.filters select[name=rrtype]", "AAAA");
      await page.click("form.filters button[type=submit]");
      await page.waitForURL((url) => url.searchParams.get("rrtype") === "AAAA");
      await page.locator(".page-status", { hasText: "1 record." }).waitFor();
      expect(await page.locator("table.records tbody td.type").allTextContents()).toEqual(["AAAA"]);
      // A time fence that nothing meets: an empty state that says what to do.
      await page.goto(`${server.base}/ui/search?q=d4.test-circl.org&last_after=2030-01-01`);
      await page.locator(".state.empty", { hasText: "No records match these filters." }).waitFor();
      expect(await page.inputValue("form.filters input[name=last_after]")).toBe("2030-01-01");
      await page.click("text=clear the filters");
      await rows(page).first().waitFor();
      expect(await rows(page).count()).toBe(3);
      // Not a searchable value: the reason, not a request.
      await search(page, "not a value");
      await page.locator(".state.empty", { hasText: "This is not something to search." }).waitFor();
      check();
      await context.close();
    });

    it("reads well in a 420 px wide window: tables scroll inside their box, not the page", async () => {
      const { page, context, check } = await signedIn(420);
      await search(page, "portal.example.net");
      await rows(page).first().waitFor();
      await bars(page).first().waitFor();
      expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(420);
      const wrap = page.locator(".table-wrap").last();
      expect(await wrap.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
      await page.waitForLoadState("networkidle");
      await screenshot(page, "ui-search-narrow", true);
      check();
      await context.close();
    });
  },
);
