/**
 * End to end, as a user runs it: the real CLI creates users and tokens and imports the real sensor
 * sample into a store while the real server runs on a socket; the queries go over HTTP.
 */
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, backendAvailable } from "./helpers/backends.js";
import { assertCofRecord, basic, parseNdjsonStrict } from "./helpers/http.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

const MANY = 3000;
const SAMPLE = new URL("../../shared/samples/passivedns.txt", import.meta.url).pathname;

for (const backend of BACKENDS) {
  describe.skipIf(!backendAvailable(backend))(`HTTP passive DNS API [${backend}]`, () => {
    let server: TestServer;
    let base = "";
    let analystToken = "";
    let sensorToken = "";

    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { headers: { authorization: basic("alice", analystToken), ...headers } });

    const cli = (...args: string[]) => server.cli(...args);

    beforeAll(async () => {
      server = await startTestServer(backend);
      ({ base, analystToken, sensorToken } = server);
      const ingest = await cli("ingest", "passivedns", SAMPLE, "--sensor-id", "sensor-1", "--json");
      const summary = JSON.parse(ingest.stdout);
      expect(summary).toMatchObject({ lines: 216, records: 206, rcodes: 10, rejected: {} });

      // A name whose answer spans several chunks, so it is streamed rather than sent whole.
      const many = join(tmpdir(), `pp-many-${process.pid}-${backend}.txt`);
      const lines = Array.from(
        { length: MANY },
        (_, i) =>
          `1700000000.000001||10.0.0.1||10.0.0.2||IN||many.example.||A||10.9.${i >> 8}.${i & 255}||60||1\n`,
      );
      await writeFile(many, lines.join(""));
      await cli("ingest", "passivedns", many, "--sensor-id", "sensor-2");
      await rm(many);
    }, 60_000);

    afterAll(() => server?.close());

    it("answers 401 with WWW-Authenticate without or with bad credentials", async () => {
      const none = await fetch(`${base}/pdns/query/example.lu`);
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toMatch(/^Basic/);
      // The common error shape, its request id also in the response header.
      const body = (await none.json()) as { code: string; requestId: string };
      expect(body).toMatchObject({ code: "unauthorized", message: "credentials required" });
      expect(body.requestId).toBe(none.headers.get("x-request-id"));
      const bad = await get("/pdns/query/example.lu", {
        authorization: basic("alice", "pps_0000000000000000_nope"),
      });
      expect(bad.status).toBe(401);
      const wrongUser = await get("/pdns/query/example.lu", { authorization: basic("probe", analystToken) });
      expect(wrongUser.status).toBe(401);
    });

    it("answers 403 to a valid token whose role may not query", async () => {
      const res = await get("/pdns/query/example.lu", { authorization: basic("probe", sensorToken) });
      expect(res.status).toBe(403);
    });

    it("serves a name's records and the records pointing to it as strict COF NDJSON", async () => {
      for (const authorization of [basic("alice", analystToken), analystToken]) {
        const res = await get("/pdns/query/www.example.lu.", { authorization });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("application/x-ndjson");
        const records = parseNdjsonStrict(await res.text());
        records.forEach(assertCofRecord);
        const tuples = records.map((r) => `${r.rrname} ${r.rrtype} ${r.rdata}`).sort();
        expect(tuples).toEqual([
          "1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa PTR www.example.lu",
          "11.2.0.192.in-addr.arpa PTR www.example.lu",
          "blog.example.lu CNAME www.example.lu",
          "www.example.lu A 192.0.2.11",
          "www.example.lu AAAA 2001:db8:10::11",
        ]);
        // Two sensor lines for this tuple (counts 1 then 5, seen at .202400 then .875767).
        expect(records.find((r) => r.rrname === "blog.example.lu")).toEqual({
          rrname: "blog.example.lu",
          rrtype: "CNAME",
          rdata: "www.example.lu",
          time_first: 1795666359,
          time_last: 1795666366,
          count: 6,
          origin: "pdns-pssl",
        });
      }
    });

    it("finds the records pointing to an address whatever its IPv6 spelling", async () => {
      const spellings = ["2001:db8:10::11", "2001:0db8:0010:0000:0000:0000:0000:0011", "2001:DB8:10:0::11"];
      for (const spelling of spellings) {
        const records = parseNdjsonStrict(await (await get(`/pdns/query/${spelling}`)).text());
        expect(records.map((r) => `${r.rrname} ${r.rrtype} ${r.rdata}`)).toEqual([
          "www.example.lu AAAA 2001:db8:10::11",
        ]);
      }
      const v4 = parseNdjsonStrict(await (await get("/pdns/query/192.0.2.11")).text());
      expect(v4.map((r) => r.rrname)).toEqual(["www.example.lu"]);
    });

    it("keeps TXT case and escapes, without the surrounding quotes", async () => {
      const records = parseNdjsonStrict(await (await get("/pdns/query/quote.example.lu")).text());
      expect(records.map((r) => r.rdata)).toEqual(['He said \\"hello D4\\" and left']);
    });

    it("filters by rrtype with dribble-filter-rrtype", async () => {
      const records = parseNdjsonStrict(
        await (await get("/pdns/query/example.lu", { "dribble-filter-rrtype": "MX" })).text(),
      );
      expect(records.map((r) => r.rdata).sort()).toEqual(["mail.example.lu", "mx2.example.lu"]);
      const unknown = await get("/pdns/query/example.lu", { "dribble-filter-rrtype": "NOPE" });
      expect(unknown.status).toBe(400);
    });

    it("pages like PyPDNS: every record exactly once, cursor absent on the last page", async () => {
      const whole = parseNdjsonStrict(await (await get("/pdns/query/example.lu")).text());
      expect(whole.length).toBeGreaterThan(8);
      const paged: Record<string, unknown>[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const headers: Record<string, string> = { "dribble-paginate-count": "3" };
        // PyPDNS: int() of the header, sent back only when above 0.
        if (cursor !== null && BigInt(cursor) > 0n) headers["dribble-paginate-cursor"] = cursor;
        const res = await get("/pdns/query/example.lu", headers);
        expect(res.status).toBe(200);
        const page = parseNdjsonStrict(await res.text());
        expect(page.length).toBeLessThanOrEqual(3);
        paged.push(...page);
        cursor = res.headers.get("x-dribble-cursor");
        if (cursor !== null) expect(cursor).toMatch(/^[1-9][0-9]*$/);
        pages++;
      } while (cursor !== null && pages < 100);
      expect(pages).toBe(Math.ceil(whole.length / 3));
      expect(paged).toEqual(whole);
    });

    it("rejects malformed paging headers and values with 400", async () => {
      expect((await get("/pdns/query/example.lu", { "dribble-paginate-count": "0" })).status).toBe(400);
      expect((await get("/pdns/query/example.lu", { "dribble-paginate-count": "x" })).status).toBe(400);
      expect((await get("/pdns/query/example.lu", { "dribble-paginate-cursor": "abc" })).status).toBe(400);
      const bad = await get("/pdns/query/bad..name");
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ code: "bad_request" });
    });

    it("streams an answer larger than one chunk, every line strict COF", async () => {
      const res = await get("/pdns/query/many.example");
      expect(res.status).toBe(200);
      const records = parseNdjsonStrict(await res.text());
      expect(records).toHaveLength(MANY);
      records.forEach(assertCofRecord);
      expect(new Set(records.map((r) => r.rdata)).size).toBe(MANY);
    });

    it("answers an unknown name with 200 and an empty body", async () => {
      const res = await get("/pdns/query/nothing-here.example");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/x-ndjson");
      expect(await res.text()).toBe("");
    });

    it("serves the D4 routes: /query, /fquery and /info", async () => {
      const byIp = parseNdjsonStrict(await (await get("/query/192.0.2.11")).text());
      // every record of www.example.lu, the name that has this address
      expect(byIp.map((r) => `${r.rrname} ${r.rrtype}`).sort()).toEqual([
        "www.example.lu A",
        "www.example.lu AAAA",
      ]);
      const pointing = parseNdjsonStrict(await (await get("/fquery/edge.d4-demo.net")).text());
      expect(pointing.map((r) => `${r.rrname} ${r.rrtype}`).sort()).toEqual([
        "0.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.4.d.0.0.8.b.d.0.1.0.0.2.ip6.arpa PTR",
        "80.113.0.203.in-addr.arpa PTR",
        "cdn.example.lu CNAME",
        "front.d4-demo.net CNAME",
      ]);
      const info = (await (await get("/info")).json()) as { sensors: unknown[] };
      expect(info).toMatchObject({ software: "pdns-pssl", stats: 216 + MANY });
      expect(info.sensors).toContainEqual({ sensor_id: "sensor-1", count: 216 });
      expect(info.sensors).toContainEqual({ sensor_id: "sensor-2", count: MANY });
    });

    it("lists error answers apart from records", async () => {
      const rcodes = parseNdjsonStrict(await (await get("/pdns/rcodes/old-host.example.lu")).text());
      expect(rcodes).toEqual([
        {
          rrname: "old-host.example.lu",
          rrtype: "MX",
          rcode: "NXDOMAIN",
          time_first: 1795666361,
          time_last: 1795666361,
          count: 1,
        },
      ]);
      const none = parseNdjsonStrict(await (await get("/pdns/query/old-host.example.lu")).text());
      expect(none).toEqual([]);
    });

    it("refuses a revoked token on the very next request", async () => {
      const token = (await cli("tokens", "create", "alice", "--name", "short-lived")).stdout.trim();
      const auth = { authorization: basic("alice", token) };
      expect((await get("/pdns/query/example.lu", auth)).status).toBe(200);
      const id = token.split("_")[1] as string;
      await cli("tokens", "revoke", "alice", id);
      expect((await get("/pdns/query/example.lu", auth)).status).toBe(401);
    });
  });
}
