/**
 * The CIRCL route's powers beyond CIRCL, over real HTTP: wildcards, address blocks and ranges, the
 * rrtype parameter, time fences and `limit`, with PyPDNS-style dribble paging (decimal cursors).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, backendAvailable } from "./helpers/backends.js";
import { assertCofRecord, basic, parseNdjsonStrict } from "./helpers/http.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

const NOW = Math.floor(Date.now() / 1000);

/** passivedns lines: 30 hosts under wild.example (A in 198.51.100.0/24), a few others, old and new. */
function corpus(): string {
  const lines: string[] = [];
  const at = (time: number, name: string, type: string, rdata: string) =>
    lines.push(`${time}.000001||10.0.0.1||10.0.0.2||IN||${name}.||${type}||${rdata}||60||1`);
  for (let i = 0; i < 30; i++) at(NOW - 100, `h${i}.wild.example`, "A", `198.51.100.${i}`);
  at(NOW - 100, "wild.example", "NS", "ns.wild.example");
  at(NOW - 100, "deep.h1.wild.example", "AAAA", "2001:db8:51::1");
  at(NOW - 100, "h1.wild.example", "DS", "1 8 2 ABCD");
  at(NOW - 100, "wildexample.other", "A", "198.51.101.1");
  at(1_000_000, "old.wild.example", "A", "203.0.113.1");
  at(NOW - 100, "www.wild.other", "A", "203.0.113.2");
  at(NOW - 100, "cafe-face.de", "A", "203.0.113.3");
  return `${lines.join("\n")}\n`;
}

for (const backend of BACKENDS) {
  describe.skipIf(!backendAvailable(backend))(`CIRCL route lookups [${backend}]`, () => {
    let server: TestServer;

    const get = async (path: string, headers: Record<string, string> = {}, token?: string) => {
      const response = await fetch(`${server.base}${path}`, {
        headers: { authorization: token ?? basic("alice", server.analystToken), ...headers },
      });
      return { response, text: await response.text() };
    };
    const records = (text: string) => {
      const parsed = parseNdjsonStrict(text);
      for (const record of parsed) assertCofRecord(record);
      return parsed as Array<{ rrname: string; rrtype: string; rdata: string; time_last: number }>;
    };

    beforeAll(async () => {
      server = await startTestServer(backend);
      await server.ingestPassiveDns(corpus());
    }, 60_000);
    afterAll(() => server?.close());

    it("answers every name under a domain for *.domain, and names starting with labels for labels.*", async () => {
      const { response, text } = await get("/pdns/query/*.wild.example");
      expect(response.status).toBe(200);
      const under = records(text);
      expect(new Set(under.map((r) => r.rrname)).size).toBe(32); // h0..h29, deep.h1, old
      expect(under.every((r) => r.rrname.endsWith(".wild.example"))).toBe(true);
      const encoded = await get("/pdns/query/%2A.wild.example");
      expect(encoded.text).toBe(text);
      const prefix = records((await get("/pdns/query/www.wild.*")).text);
      expect(prefix.map((r) => r.rrname)).toEqual(["www.wild.other"]);
    });

    it("pages a wildcard the way PyPDNS does: decimal cursors, every record once, no cursor on the last page", async () => {
      const all = records((await get("/pdns/query/*.wild.example")).text);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const headers: Record<string, string> = { "dribble-paginate-count": "7" };
        if (cursor) headers["dribble-paginate-cursor"] = cursor;
        const { response, text } = await get("/pdns/query/*.wild.example", headers);
        seen.push(...records(text).map((r) => `${r.rrname} ${r.rrtype} ${r.rdata}`));
        const next = response.headers.get("x-dribble-cursor");
        if (next === null) break;
        expect(next).toMatch(/^[1-9][0-9]*$/);
        cursor = next;
      }
      expect(seen).toEqual(all.map((r) => `${r.rrname} ${r.rrtype} ${r.rdata}`));
    });

    it("answers address blocks (slash and dnsdbq's comma) and ranges, within the role's width", async () => {
      const block = records((await get("/pdns/query/198.51.100.0/27")).text);
      expect(block.map((r) => r.rdata)).toEqual(Array.from({ length: 30 }, (_, i) => `198.51.100.${i}`));
      expect((await get("/pdns/query/198.51.100.0,27")).text).toBe(
        (await get("/pdns/query/198.51.100.0/27")).text,
      );
      const span = records((await get("/pdns/query/198.51.100.28-198.51.101.1")).text);
      expect(span.map((r) => r.rdata)).toEqual(["198.51.100.28", "198.51.100.29", "198.51.101.1"]);
      const v6 = records((await get("/pdns/query/2001:db8:51::/64")).text);
      expect(v6.map((r) => r.rrname)).toEqual(["deep.h1.wild.example"]);
      const tooWide = await get("/pdns/query/10.0.0.0/8");
      expect(tooWide.response.status).toBe(400);
      expect(JSON.parse(tooWide.text).message).toMatch(/at most \/16/);
      const asAdmin = await get("/pdns/query/198.0.0.0/8", {}, basic("root", server.adminToken));
      expect(asAdmin.response.status).toBe(200);
      expect(records(asAdmin.text)).toHaveLength(31);
    });

    it("filters by rrtype (dribble header or parameter), time fences and limit", async () => {
      const ds = records((await get("/pdns/query/*.wild.example?rrtype=DS")).text);
      expect(ds.map((r) => r.rrtype)).toEqual(["DS"]);
      const viaHeader = records(
        (await get("/pdns/query/h1.wild.example", { "dribble-filter-rrtype": "DS" })).text,
      );
      expect(viaHeader.map((r) => r.rrtype)).toEqual(["DS"]);
      const anyDnssec = records((await get("/pdns/query/h1.wild.example?rrtype=ANY-DNSSEC")).text);
      expect(anyDnssec.map((r) => r.rrtype)).toEqual(["DS"]);
      const anyPlain = records((await get("/pdns/query/h1.wild.example?rrtype=ANY")).text);
      expect(anyPlain.map((r) => r.rrtype)).toEqual(["A"]);
      const recent = records((await get("/pdns/query/*.wild.example?time_last_after=-86400")).text);
      expect(recent.some((r) => r.rrname === "old.wild.example")).toBe(false);
      const old = records((await get("/pdns/query/*.wild.example?time_last_before=2000000")).text);
      expect(old.map((r) => r.rrname)).toEqual(["old.wild.example"]);
      const limited = await get("/pdns/query/*.wild.example?limit=5");
      expect(records(limited.text)).toHaveLength(5);
      expect(limited.response.headers.get("x-dribble-cursor")).toMatch(/^[1-9][0-9]*$/);
      for (const bad of ["?rrtype=NOPE", "?time_first_after=yesterday", "?limit=lots"]) {
        expect((await get(`/pdns/query/*.wild.example${bad}`)).response.status, bad).toBe(400);
      }
      expect(
        (await get("/pdns/query/h1.wild.example?rrtype=A", { "dribble-filter-rrtype": "AAAA" })).response
          .status,
      ).toBe(400);
    });

    it("still reads names that look like ranges, and refuses a cursor it did not issue", async () => {
      expect(records((await get("/pdns/query/cafe-face.de")).text).map((r) => r.rdata)).toEqual([
        "203.0.113.3",
      ]);
      const bad = await get("/pdns/query/*.wild.example", {
        "dribble-paginate-count": "5",
        "dribble-paginate-cursor": "12345",
      });
      expect(bad.response.status).toBe(400);
    });
  });
}
