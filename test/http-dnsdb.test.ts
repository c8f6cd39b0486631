/**
 * The DNSDB v2 API end to end, on both backends: the real server on a socket, data ingested from the
 * real sensor sample (and small generated files) with the real CLI, requests made the way dnsdbq makes
 * them. Every 200 answer goes through a strict SAF validator (JSON per `\n`-ended line, begin first,
 * exactly one terminator last, integer times and counts unless humantime, rdata arrays).
 */
import { readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, backendAvailable } from "./helpers/backends.js";
import { basic } from "./helpers/http.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

const SAMPLE = new URL("../../shared/samples/passivedns.txt", import.meta.url).pathname;
const DNSDBQ_QUERY = "?swclient=dnsdbq&version=2.6.7";
const NOW = Math.floor(Date.now() / 1000);
const MANY = 3000;
const PAGED = 20;

type Json = Record<string, unknown>;

interface SafAnswer {
  objs: Json[];
  terminator: Json;
}

const RFC3339 = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;
const LOOKUP_KEYS = ["count", "rdata", "rrname", "rrtype", "time_first", "time_last"];
const SUMMARY_KEYS = ["count", "num_results", "time_first", "time_last"];

/**
 * The strict SAF validator: what dnsdbq (and DNSDB's documentation) demand of every answer. Throws
 * with the offending line; returns the objects and the terminator.
 */
function validateSaf(body: string, options: { humantime?: boolean; summarize?: boolean } = {}): SafAnswer {
  if (!body.endsWith("\n"))
    throw new Error(`the body does not end with \\n: ${JSON.stringify(body.slice(-80))}`);
  const lines = body.slice(0, -1).split("\n");
  const parsed = lines.map((line, i) => {
    if (line.trim() === "") throw new Error(`blank line ${i + 1}`);
    if (line.includes("\r")) throw new Error(`carriage return in line ${i + 1}`);
    const value = JSON.parse(line) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new Error(`line ${i + 1} is not a JSON object: ${line}`);
    }
    return value as Json;
  });
  if (parsed.length < 2) throw new Error(`a SAF answer has at least begin and a terminator: ${body}`);
  expect(parsed[0], "first line").toEqual({ cond: "begin" });
  const terminator = parsed[parsed.length - 1] as Json;
  const objs = parsed.slice(1, -1).map((line, i) => {
    if (Object.keys(line).length !== 1 || typeof line.obj !== "object" || line.obj === null) {
      throw new Error(`line ${i + 2} is neither an obj line nor the last: ${JSON.stringify(line)}`);
    }
    return line.obj as Json;
  });
  switch (terminator.cond) {
    case "succeeded":
      expect(terminator).toEqual({ cond: "succeeded" });
      break;
    case "limited":
      expect(Object.keys(terminator).sort()).toEqual(["cond", "cursor", "msg"]);
      expect(terminator.msg).toBe("Result limit reached");
      expect(terminator.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(objs.length).toBeGreaterThan(0);
      break;
    case "failed":
      expect(Object.keys(terminator).sort()).toEqual(["cond", "msg"]);
      expect(typeof terminator.msg).toBe("string");
      break;
    default:
      throw new Error(`the last line is not a terminator: ${JSON.stringify(terminator)}`);
  }
  const time = (value: unknown, what: string) => {
    if (options.humantime) expect(value, what).toMatch(RFC3339);
    else if (!Number.isInteger(value) || (value as number) < 0)
      throw new Error(`${what} is not an integer: ${value}`);
  };
  if (options.summarize) expect(objs.length).toBeLessThanOrEqual(1);
  for (const obj of objs) {
    const keys = Object.keys(obj).sort();
    if (options.summarize) {
      expect(keys).toEqual(SUMMARY_KEYS);
      for (const field of ["count", "num_results"]) {
        if (!Number.isInteger(obj[field]) || (obj[field] as number) < 1) throw new Error(`bad ${field}`);
      }
    } else {
      expect(keys).toEqual(LOOKUP_KEYS);
      expect(typeof obj.rrname).toBe("string");
      // dnsdbq refuses an rrtype that is not a string
      expect(obj.rrtype).toMatch(/^[A-Z][A-Z0-9-]*$/);
      expect(Array.isArray(obj.rdata)).toBe(true);
      expect((obj.rdata as unknown[]).length).toBe(1);
      expect(typeof (obj.rdata as unknown[])[0]).toBe("string");
      if (!Number.isInteger(obj.count) || (obj.count as number) < 1)
        throw new Error(`bad count ${obj.count}`);
    }
    time(obj.time_first, "time_first");
    time(obj.time_last, "time_last");
  }
  return { objs, terminator };
}

/** A 200 SAF answer, validated. */
async function saf(
  response: Response,
  options: { humantime?: boolean; summarize?: boolean } = {},
): Promise<SafAnswer> {
  const body = await response.text();
  expect(response.status, body).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/x-ndjson");
  return validateSaf(body, options);
}

/** An error answer: the status, and a first line `Error: <message>` matching `message`. */
async function expectError(response: Response, status: number, message: RegExp): Promise<void> {
  const body = await response.text();
  expect(response.status, body).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
  const first = body.split("\n")[0] as string;
  expect(first).toMatch(/^Error: /);
  expect(first).toMatch(message);
  expect(body.endsWith("\n")).toBe(true);
}

/** Percent-encodes a path segment as dnsdbq's curl_escape does: everything but [A-Za-z0-9-._~]. */
function curlEscape(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const tuple = (obj: Json) => `${obj.rrname} ${obj.rrtype} ${(obj.rdata as string[])[0]}`;
const tuples = (answer: SafAnswer) => answer.objs.map(tuple).sort();
const wire = (name: string) =>
  `${name
    .split(".")
    .map((label) => label.length.toString(16).padStart(2, "0") + Buffer.from(label).toString("hex"))
    .join("")}00`;

/** passivedns lines (default layout) for one name and type at `time`. */
function sensorLine(time: number, name: string, type: string, answer: string, count = 1): string {
  return `${time}.000001||10.0.0.1||10.0.0.2||IN||${name}.||${type}||${answer}||60||${count}\n`;
}

/** The records of the sensor sample as the server keeps them (names without the dot; errors left out). */
function sampleRecords(): Array<{ rrname: string; rrtype: string; rdata: string }> {
  const seen = new Map<string, { rrname: string; rrtype: string; rdata: string }>();
  for (const line of readFileSync(SAMPLE, "utf8").split("\n")) {
    const fields = line.split("||");
    const [rrname, rrtype, answer] = [fields[4], fields[5], fields[6]];
    if (!rrname || !rrtype || answer === undefined || /^(NXDOMAIN|REFUSED|SERVFAIL)$/.test(answer)) continue;
    const record = { rrname: rrname.replace(/\.$/, ""), rrtype, rdata: answer.replace(/\.$/, "") };
    seen.set(`${record.rrname} ${record.rrtype} ${record.rdata}`, record);
  }
  return [...seen.values()];
}

for (const backend of BACKENDS) {
  describe.skipIf(!backendAvailable(backend))(`DNSDB v2 API [${backend}]`, () => {
    let server: TestServer;
    let base = "";
    let key = "";

    /** A request as dnsdbq makes it: each segment escaped, X-API-Key, NDJSON, swclient and version. */
    const dnsdbq = (verb: "lookup" | "summarize", ...segments: string[]) =>
      fetch(`${base}/dnsdb/v2/${verb}/${segments.map(curlEscape).join("/")}${DNSDBQ_QUERY}`, {
        headers: { "X-API-Key": key, Accept: "application/x-ndjson" },
      });

    /** A request with a path and query as written (already encoded where needed). */
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/dnsdb/v2/${path}`, { headers: { "X-API-Key": key, ...headers } });

    const ingest = async (lines: string[], sensor: string) => {
      const file = join(tmpdir(), `pp-dnsdb-${process.pid}-${backend}-${sensor}-${Date.now()}.txt`);
      await writeFile(file, lines.join(""));
      try {
        await server.cli("ingest", "passivedns", file, "--sensor-id", sensor);
      } finally {
        await rm(file, { force: true });
      }
    };

    beforeAll(async () => {
      server = await startTestServer(backend);
      base = server.base;
      key = server.analystToken;
      await server.cli("ingest", "passivedns", SAMPLE, "--sensor-id", "sensor-1");
      const lines: string[] = [];
      for (let i = 1; i <= PAGED; i++)
        lines.push(sensorLine(1_700_000_000, "paging.example", "A", `10.20.0.${i}`));
      for (let i = 0; i < MANY; i++)
        lines.push(sensorLine(1_700_000_000, "many.example", "A", `10.9.${i >> 8}.${i & 255}`));
      lines.push(
        sensorLine(1_600_000_000, "fence.example", "A", "10.30.0.1"),
        sensorLine(1_600_000_100, "fence.example", "A", "10.30.0.1"),
        sensorLine(1_600_000_000, "fence.example", "A", "10.30.0.2"),
        sensorLine(NOW - 60, "fence.example", "A", "10.30.0.2"),
        sensorLine(NOW - 3600, "fence.example", "A", "10.30.0.3"),
        sensorLine(NOW - 200_000, "fence.example", "A", "10.30.0.4"),
        sensorLine(1_700_000_000, "weird.example", "65280", "\\# 2 abcd", 3),
      );
      await ingest(lines, "sensor-2");
    }, 60_000);

    afterAll(() => server?.close());

    it("answers dnsdbq for every path shape", async () => {
      const cases: Array<[string[], string[]]> = [
        [
          ["rrset", "name", "www.example.lu"],
          ["www.example.lu A 192.0.2.11", "www.example.lu AAAA 2001:db8:10::11"],
        ],
        [["rrset", "name", "www.example.lu.", "AAAA"], ["www.example.lu AAAA 2001:db8:10::11"]],
        [["rrset", "raw", wire("www.example.lu"), "A"], ["www.example.lu A 192.0.2.11"]],
        [
          ["rdata", "name", "www.example.lu"],
          [
            "1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa PTR www.example.lu",
            "11.2.0.192.in-addr.arpa PTR www.example.lu",
            "blog.example.lu CNAME www.example.lu",
          ],
        ],
        [["rdata", "name", "www.example.lu", "CNAME"], ["blog.example.lu CNAME www.example.lu"]],
        [["rdata", "ip", "192.0.2.11"], ["www.example.lu A 192.0.2.11"]],
        [["rdata", "ip", "2001:db8:10::11"], ["www.example.lu AAAA 2001:db8:10::11"]],
        [["rdata", "raw", "c000020b"], ["www.example.lu A 192.0.2.11"]],
        [
          ["rdata", "raw", "20010db8001000000000000000000011", "AAAA"],
          ["www.example.lu AAAA 2001:db8:10::11"],
        ],
        [
          ["rdata", "raw", wire("edge.d4-demo.net"), "CNAME"],
          ["cdn.example.lu CNAME edge.d4-demo.net", "front.d4-demo.net CNAME edge.d4-demo.net"],
        ],
      ];
      for (const [segments, expected] of cases) {
        const answer = await saf(await dnsdbq("lookup", ...segments));
        expect(tuples(answer), segments.join("/")).toEqual(expected);
        expect(answer.terminator).toEqual({ cond: "succeeded" });
        const summary = await saf(await dnsdbq("summarize", ...segments), { summarize: true });
        expect(summary.objs[0], segments.join("/")).toMatchObject({
          count: answer.objs.reduce((sum, obj) => sum + (obj.count as number), 0),
          num_results: answer.objs.length,
          time_first: Math.min(...answer.objs.map((obj) => obj.time_first as number)),
          time_last: Math.max(...answer.objs.map((obj) => obj.time_last as number)),
        });
      }
      // The IPv6 colons arrive escaped (%3A): check that dnsdbq really sent them so.
      expect(curlEscape("2001:db8::1")).toBe("2001%3Adb8%3A%3A1");
      expect(curlEscape("*.example.lu")).toBe("%2A.example.lu");
    });

    it("answers the record of a type without mnemonic with a TYPEn string", async () => {
      const answer = await saf(await dnsdbq("lookup", "rrset", "name", "weird.example"));
      expect(answer.objs).toEqual([
        {
          rrname: "weird.example",
          rrtype: "TYPE65280",
          rdata: ["\\# 2 abcd"],
          time_first: 1_700_000_000,
          time_last: 1_700_000_000,
          count: 3,
        },
      ]);
      const byType = await saf(await dnsdbq("lookup", "rrset", "name", "weird.example", "TYPE65280"));
      expect(byType.objs).toHaveLength(1);
    });

    it("passes the validator for every route and parameter combination", async () => {
      const paths = [
        "rrset/name/example.lu",
        "rrset/name/example.lu/MX",
        "rrset/name/d4-demo.net/ANY-DNSSEC",
        `rrset/raw/${wire("example.lu")}`,
        "rdata/name/ns1.example.lu",
        "rdata/name/ns1.example.lu/NS",
        "rdata/ip/192.0.2.11",
        "rdata/ip/2001%3Adb8%3A10%3A%3A11/AAAA",
        "rdata/raw/c000020b/A",
        `rdata/raw/${wire("ns1.example.lu")}`,
        "rrset/name/nothing-here.example",
        "rrset/name/many.example/A",
      ];
      const parameterSets = [
        "",
        "?swclient=dnsdbq&version=2.6.7",
        "?limit=1",
        "?limit=0",
        "?limit=2&humantime=t",
        "?humantime=true&aggr=f",
        "?time_last_after=-315360000&time_first_before=2000000000",
        "?offset=1&limit=3",
        "?id=x&aggr=t&humantime=f",
      ];
      let answers = 0;
      for (const path of paths) {
        for (const parameters of parameterSets) {
          const humantime = /humantime=t/.test(parameters);
          await saf(await get(`lookup/${path}${parameters}`), { humantime });
          const summarizeParameters = parameters.replace(/offset=1&?/, "");
          await saf(await get(`summarize/${path}${summarizeParameters}`), { humantime, summarize: true });
          answers += 2;
        }
      }
      expect(answers).toBe(paths.length * parameterSets.length * 2);
    });

    it("streams a large answer, and limits it with a cursor to the rest", async () => {
      const all = await saf(await dnsdbq("lookup", "rrset", "name", "many.example"));
      expect(all.objs).toHaveLength(MANY);
      expect(new Set(all.objs.map(tuple)).size).toBe(MANY);
      const first = await saf(await get("lookup/rrset/name/many.example?limit=2500"));
      expect(first.objs).toHaveLength(2500);
      expect(first.terminator.cond).toBe("limited");
      const rest = await saf(await get(`lookup/rrset/name/many.example?cursor=${first.terminator.cursor}`));
      expect(rest.objs).toHaveLength(MANY - 2500);
      expect([...first.objs, ...rest.objs]).toEqual(all.objs);
    });

    it("pages of 7 with the cursor return every pre-existing record exactly once while ingest goes on", async () => {
      const before = await saf(await get("lookup/rrset/name/paging.example"));
      expect(before.objs).toHaveLength(PAGED);
      const preExisting = new Set(before.objs.map(tuple));
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      for (;;) {
        const query = `?limit=7${cursor ? `&cursor=${cursor}` : ""}&swclient=dnsdbq&version=2.6.7`;
        const page = await saf(await get(`lookup/rrset/name/paging.example${query}`));
        expect(page.objs.length).toBeLessThanOrEqual(7);
        seen.push(...page.objs.map(tuple));
        pages++;
        if (pages <= 2) {
          // New records of the same name land anywhere in the order, before and after the cursor.
          const fresh = Array.from({ length: 10 }, (_, i) =>
            sensorLine(1_700_000_500, "paging.example", "A", `10.20.${pages}.${i + 1}`),
          );
          await ingest(fresh, `sensor-paging-${pages}`);
        }
        if (page.terminator.cond === "succeeded") break;
        expect(page.terminator.cond).toBe("limited");
        expect(page.objs).toHaveLength(7);
        cursor = page.terminator.cursor as string;
        expect(pages).toBeLessThan(20);
      }
      expect(new Set(seen).size).toBe(seen.length);
      for (const record of preExisting)
        expect(
          seen.filter((t) => t === record),
          record,
        ).toHaveLength(1);
      const after = await saf(await get("lookup/rrset/name/paging.example"));
      expect(after.objs).toHaveLength(PAGED + 20);
      for (const record of seen) expect(after.objs.map(tuple)).toContain(record);
      // The order is stable: the records seen keep their relative order in the full answer.
      const order = after.objs.map(tuple);
      const positions = seen.map((record) => order.indexOf(record));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    });

    it("skips offset records of the stable order, up to the maximum (416 above)", async () => {
      const all = await saf(await get("lookup/rrset/name/example.lu"));
      expect(all.objs.length).toBeGreaterThan(7);
      const offset = await saf(await get("lookup/rrset/name/example.lu?offset=7"));
      expect(offset.objs).toEqual(all.objs.slice(7));
      const window = await saf(await get("lookup/rrset/name/example.lu?offset=2&limit=3"));
      expect(window.objs).toEqual(all.objs.slice(2, 5));
      expect(window.terminator.cond).toBe("limited");
      await expectError(await get("lookup/rrset/name/example.lu?offset=1000001"), 416, /offset .* maximum/);
    });

    it("fences by time, absolute and relative to now", async () => {
      const fenced = async (parameters: string) =>
        tuples(await saf(await get(`lookup/rrset/name/fence.example?${parameters}`)))
          .map((t) => t.split(" ")[2])
          .sort();
      expect(await fenced("")).toEqual(["10.30.0.1", "10.30.0.2", "10.30.0.3", "10.30.0.4"]);
      // "seen in the last day", "first seen in the last day"
      expect(await fenced("time_last_after=-86400")).toEqual(["10.30.0.2", "10.30.0.3"]);
      expect(await fenced("time_first_after=-86400")).toEqual(["10.30.0.3"]);
      expect(await fenced("time_last_before=-86400")).toEqual(["10.30.0.1", "10.30.0.4"]);
      expect(await fenced("time_first_before=1600000001")).toEqual(["10.30.0.1", "10.30.0.2"]);
      expect(await fenced("time_last_before=1600000101")).toEqual(["10.30.0.1"]);
      expect(await fenced("time_last_after=1600000100")).toEqual(["10.30.0.2", "10.30.0.3", "10.30.0.4"]);
      expect(await fenced(`time_first_after=${NOW - 100_000}`)).toEqual(["10.30.0.3"]);
      expect(await fenced("time_first_before=1600000001&time_last_after=-86400")).toEqual(["10.30.0.2"]);
      const summary = await saf(await get("summarize/rrset/name/fence.example?time_last_after=-86400"), {
        summarize: true,
      });
      expect(summary.objs[0]).toMatchObject({
        num_results: 2,
        time_first: 1_600_000_000,
        time_last: NOW - 60,
      });
    });

    it("writes times as RFC 3339 strings with humantime", async () => {
      const answer = await saf(
        await get("lookup/rrset/name/fence.example/A?humantime=t&time_last_before=1600000101"),
        {
          humantime: true,
        },
      );
      expect(answer.objs).toEqual([
        {
          rrname: "fence.example",
          rrtype: "A",
          rdata: ["10.30.0.1"],
          time_first: "2020-09-13T12:26:40Z",
          time_last: "2020-09-13T12:28:20Z",
          count: 2,
        },
      ]);
      const summary = await saf(
        await get("summarize/rrset/name/fence.example?humantime=true&time_last_before=1600000101"),
        {
          humantime: true,
          summarize: true,
        },
      );
      expect(summary.objs[0]).toEqual({
        count: 2,
        num_results: 1,
        time_first: "2020-09-13T12:26:40Z",
        time_last: "2020-09-13T12:28:20Z",
      });
    });

    it("selects ANY (no DNSSEC), ANY-DNSSEC (only DNSSEC) or one type", async () => {
      const types = async (path: string) =>
        (await saf(await get(`lookup/${path}`))).objs.map((obj) => obj.rrtype as string).sort();
      const any = await types("rrset/name/d4-demo.net");
      expect(any).toEqual(["A", "AAAA", "MX", "NS", "NS", "SOA", "TXT"]);
      expect(await types("rrset/name/d4-demo.net/ANY")).toEqual(any);
      expect(await types("rrset/name/d4-demo.net/any")).toEqual(any);
      expect(await types("rrset/name/d4-demo.net/ANY-DNSSEC")).toEqual(["DNSKEY", "DS"]);
      expect(await types("rrset/name/d4-demo.net/DS")).toEqual(["DS"]);
      expect(await types("rrset/name/d4-demo.net/TYPE43")).toEqual(["DS"]);
      expect(await types("rrset/name/d4-demo.net/48")).toEqual(["DNSKEY"]);
      expect(await types("rdata/ip/203.0.113.1/A")).toEqual(["A"]);
      expect(await types("rdata/ip/203.0.113.1/AAAA")).toEqual([]);
    });

    it("summarizes: sums, max_count, limit, nothing", async () => {
      const all = await saf(await get("lookup/rrset/name/example.lu"));
      const summary = await saf(await get("summarize/rrset/name/example.lu"), { summarize: true });
      expect(summary.objs[0]).toMatchObject({
        count: all.objs.reduce((sum, obj) => sum + (obj.count as number), 0),
        num_results: all.objs.length,
      });
      expect(summary.terminator).toEqual({ cond: "succeeded" });
      // max_count: stops once the count reaches it; the last record counts whole.
      const capped = await saf(await get("summarize/rrset/name/example.lu?max_count=1"), { summarize: true });
      expect(capped.objs[0]).toMatchObject({ num_results: 1, count: all.objs[0]?.count });
      expect(capped.terminator).toEqual({ cond: "succeeded" });
      const limited = await saf(await get("summarize/rrset/name/many.example?limit=100"), {
        summarize: true,
      });
      expect(limited.objs[0]).toMatchObject({ num_results: 100, count: 100 });
      expect(limited.terminator.cond).toBe("limited");
      const rest = await saf(
        await get(`summarize/rrset/name/many.example?cursor=${limited.terminator.cursor}`),
        {
          summarize: true,
        },
      );
      expect(rest.objs[0]).toMatchObject({ num_results: MANY - 100 });
      const none = await saf(await get("summarize/rrset/name/nothing-here.example"), { summarize: true });
      expect(none.objs).toEqual([]);
      expect(none.terminator).toEqual({ cond: "succeeded" });
    });

    it("answers no result with 200, begin and succeeded", async () => {
      const response = await dnsdbq("lookup", "rrset", "name", "nothing-here.example");
      const answer = await saf(response);
      expect(answer.objs).toEqual([]);
      expect(answer.terminator).toEqual({ cond: "succeeded" });
    });

    it("refuses bad requests with 400 and a one-line message first", async () => {
      const cases: Array<[string, RegExp]> = [
        ["lookup/rrset/name/www.example.lu/A/example.lu", /bailiwick is not recorded by this server/],
        ["lookup/rrset/name/www.example.lu/NOPE", /unknown rrtype/],
        ["lookup/rdata/ip/192.0.2.11/MX", /A, AAAA or ANY/],
        ["lookup/rdata/ip/192.0.2.999", /not an IP address/],
        ["lookup/rdata/ip/192.0.2.20-192.0.2.10", /end before it starts/],
        ["lookup/rdata/ip/10.0.0.0%2C8", /wider than \/16/],
        ["lookup/rdata/ip/2001%3Adb8%3A%3A%2C32", /wider than \/48/],
        ["lookup/rrset/name/bad..name", /not a valid domain name/],
        ["lookup/rrset/name/%2A.%2A", /both/],
        ["lookup/rrset/raw/abc", /hex/],
        ["lookup/rrset/raw/03777777", /wire-format name/],
        ["lookup/rdata/raw/0b763d73706631202d616c6c", /neither a wire-format name nor/],
        ["lookup/rdata/raw/0b763d73706631202d616c6c/TXT", /addresses .* and host names/],
        ["lookup/rrset/name/%zz", /percent-encoding/],
        ["lookup/rrset/name/example.lu?limt=5", /unknown parameter "limt"/],
        ["lookup/rrset/name/example.lu?limit=-1", /limit must be/],
        ["lookup/rrset/name/example.lu?limit=1&limit=2", /more than once/],
        ["lookup/rrset/name/example.lu?time_last_after=yesterday", /time_last_after/],
        ["lookup/rrset/name/example.lu?aggr=maybe", /aggr/],
        ["lookup/rrset/name/example.lu?max_count=5", /summarize only/],
        ["summarize/rrset/name/example.lu?offset=5", /lookup only/],
        ["lookup/rrset/name/example.lu?cursor=not-a-cursor", /cursor/],
        ["lookup/rrset/name/example.lu?cursor=AQ", /cursor/],
      ];
      for (const [path, message] of cases) await expectError(await get(path), 400, message);
    });

    it("answers left- and right-hand wildcards over owners and rdata names", async () => {
      const owners = (predicate: (name: string) => boolean) =>
        sampleRecords()
          .filter((r) => predicate(r.rrname))
          .map((r) => `${r.rrname} ${r.rrtype}`)
          .sort();
      const pairs = (answer: SafAnswer) => answer.objs.map((obj) => `${obj.rrname} ${obj.rrtype}`).sort();
      const under = await saf(await dnsdbq("lookup", "rrset", "name", "*.example.lu"));
      expect(pairs(under)).toEqual(owners((name) => name.endsWith(".example.lu")));
      const prefix = await saf(await dnsdbq("lookup", "rrset", "name", "www.example.*"));
      expect(tuples(prefix)).toEqual(["www.example.lu A 192.0.2.11", "www.example.lu AAAA 2001:db8:10::11"]);
      const underTyped = await saf(await dnsdbq("lookup", "rrset", "name", "*.test-circl.org", "CNAME"));
      expect(pairs(underTyped)).toEqual(
        owners((name) => name.endsWith(".test-circl.org")).filter((pair) => pair.endsWith(" CNAME")),
      );
      // rdata names: every record pointing to a name under the domain / starting with the labels.
      const pointing = await saf(await dnsdbq("lookup", "rdata", "name", "*.d4-demo.net"));
      expect(pointing.objs.length).toBeGreaterThan(5);
      for (const obj of pointing.objs) expect((obj.rdata as string[])[0]).toMatch(/\.d4-demo\.net$/);
      const exact = await saf(await dnsdbq("lookup", "rdata", "name", "mail.example.lu"));
      const rightHand = await saf(await dnsdbq("lookup", "rdata", "name", "mail.example.*"));
      expect(tuples(rightHand)).toEqual(tuples(exact));
      expect(exact.objs.length).toBeGreaterThan(0);
    });

    it("answers CIDR blocks and ranges, IPv4 and IPv6", async () => {
      const addresses = (predicate: (address: string) => boolean, type: string) =>
        sampleRecords()
          .filter((r) => r.rrtype === type && predicate(r.rdata))
          .map((r) => `${r.rrname} ${r.rrtype} ${r.rdata}`)
          .sort();
      const v4 = await saf(await dnsdbq("lookup", "rdata", "ip", "192.0.2.0,24"));
      expect(tuples(v4)).toEqual(addresses((a) => a.startsWith("192.0.2."), "A"));
      expect(v4.objs.length).toBeGreaterThan(5);
      const range = await saf(await dnsdbq("lookup", "rdata", "ip", "192.0.2.10-192.0.2.26"));
      const last = (a: string) => Number(a.split(".")[3]);
      expect(tuples(range)).toEqual(
        addresses((a) => a.startsWith("192.0.2.") && last(a) >= 10 && last(a) <= 26, "A"),
      );
      const v6 = await saf(await dnsdbq("lookup", "rdata", "ip", "2001:db8:10::,120"));
      expect(tuples(v6)).toEqual(addresses((a) => a.startsWith("2001:db8:10::"), "AAAA"));
      const v6range = await saf(await dnsdbq("lookup", "rdata", "ip", "2001:db8:10::11-2001:db8:10::25"));
      expect(tuples(v6range)).toEqual([
        "mail.example.lu AAAA 2001:db8:10::25",
        "www.example.lu AAAA 2001:db8:10::11",
      ]);
      expect((await saf(await dnsdbq("lookup", "rdata", "ip", "192.0.2.0,24", "AAAA"))).objs).toEqual([]);
      // An admin may ask for any width; an analyst only up to /16 (IPv6: /48).
      await expectError(await dnsdbq("lookup", "rdata", "ip", "10.0.0.0,8"), 400, /wider than \/16/);
      const admin = await fetch(`${base}/dnsdb/v2/lookup/rdata/ip/10.0.0.0%2C8`, {
        headers: { "X-API-Key": server.adminToken },
      });
      expect((await saf(admin)).objs.length).toBeGreaterThanOrEqual(MANY);
    });

    it("pages wildcards and address blocks with the cursor, every record exactly once", async () => {
      const cases = [
        ["lookup/rrset/name/%2A.example.lu", 7],
        ["lookup/rdata/name/%2A.example.lu", 7],
        ["lookup/rrset/name/www.%2A", 1],
        ["lookup/rdata/ip/10.9.0.0%2C20", 700],
        ["lookup/rdata/ip/192.0.2.0-192.0.2.255", 3],
      ] as const;
      for (const [path, size] of cases) {
        const whole = await saf(await get(path));
        const paged: Json[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 1000; pages++) {
          const page = await saf(await get(`${path}?limit=${size}${cursor ? `&cursor=${cursor}` : ""}`));
          paged.push(...page.objs);
          if (page.terminator.cond === "succeeded") break;
          cursor = page.terminator.cursor as string;
        }
        expect(paged, path).toEqual(whole.objs);
        expect(new Set(paged.map(tuple)).size).toBe(paged.length);
        const summary = await saf(await get(path.replace("lookup/", "summarize/")), { summarize: true });
        expect(summary.objs[0]?.num_results ?? 0, path).toBe(whole.objs.length);
      }
    });

    it("answers 404 for unknown paths under /dnsdb/v2", async () => {
      for (const path of [
        "lookup/rrset/bogus/x",
        "lookup/rrset/name",
        "lookup",
        "summarize/rdata/ip/1.2.3.4/A/x",
      ]) {
        await expectError(await get(path), 404, /no such DNSDB API path/);
      }
      // Outside lookup and summarize, no credential is needed to learn that a path does not exist.
      await expectError(await fetch(`${base}/dnsdb/v2/nothing`), 404, /no such DNSDB API path/);
      await expectError(await fetch(`${base}/dnsdb/v2/ping`, { method: "POST" }), 404, /no such/);
    });

    it("answers 415 to an Accept it cannot satisfy, but never on rate_limit", async () => {
      for (const accept of ["text/html", "application/xml", "application/json;q=0"]) {
        await expectError(await get("lookup/rrset/name/example.lu", { Accept: accept }), 415, /x-ndjson/);
        await expectError(await get("summarize/rrset/name/example.lu", { Accept: accept }), 415, /x-ndjson/);
      }
      for (const accept of ["application/json", "*/*", "application/x-ndjson, text/plain;q=0.5"]) {
        await saf(await get("lookup/rrset/name/example.lu", { Accept: accept }));
      }
      await saf(
        await fetch(`${base}/dnsdb/v2/lookup/rrset/name/example.lu`, { headers: { "X-API-Key": key } }),
      );
      for (const accept of ["application/x-ndjson", "text/html"]) {
        const rate = await get("rate_limit", { Accept: accept });
        expect(rate.status).toBe(200);
        expect(await rate.json()).toHaveProperty("rate");
      }
    });

    it("needs an analyst's credential for queries, none for ping", async () => {
      const none = await fetch(`${base}/dnsdb/v2/lookup/rrset/name/example.lu`);
      expect(none.status).toBe(401);
      const bad = await get("lookup/rrset/name/example.lu", { "X-API-Key": "pps_0000000000000000_nope" });
      expect(bad.status).toBe(401);
      const sensor = await get("lookup/rrset/name/example.lu", { "X-API-Key": server.sensorToken });
      expect(sensor.status).toBe(403);
      // Every credential kind the server takes works here too.
      const basicAuth = await fetch(`${base}/dnsdb/v2/lookup/rrset/name/example.lu`, {
        headers: { authorization: basic("alice", key) },
      });
      await saf(basicAuth);
      const pingHeaders: Array<Record<string, string>> = [
        {},
        { "X-API-Key": key },
        { Accept: "application/x-ndjson" },
      ];
      for (const headers of pingHeaders) {
        const ping = await fetch(`${base}/dnsdb/v2/ping${DNSDBQ_QUERY}`, { headers });
        expect(ping.status).toBe(200);
        expect(await ping.json()).toEqual({ ping: "ok" });
      }
    });

    it("gives limit=0 the caller's results_max, and caps larger limits at it", async () => {
      const admin = { authorization: basic("root", server.adminToken), "content-type": "application/json" };
      const call = (method: string, path: string, body?: object) =>
        fetch(`${base}${path}`, { method, headers: admin, ...(body ? { body: JSON.stringify(body) } : {}) });
      expect((await call("POST", "/admin/users", { name: "bob", role: "analyst" })).status).toBe(201);
      const token = ((await (await call("POST", "/admin/users/bob/tokens", {})).json()) as { token: string })
        .token;
      expect((await call("PUT", "/admin/users/bob/quota", { results_max: 5 })).status).toBe(200);
      const asBob = (query: string) =>
        fetch(`${base}/dnsdb/v2/lookup/rrset/name/many.example${query}`, { headers: { "X-API-Key": token } });
      for (const query of ["?limit=0", "", "?limit=100"]) {
        const answer = await saf(await asBob(query));
        expect(answer.objs, query).toHaveLength(5);
        expect(answer.terminator.cond).toBe("limited");
      }
      expect((await saf(await asBob("?limit=3"))).objs).toHaveLength(3);
    });

    it("audits each query with the value looked up and the records sent", async () => {
      const answer = await saf(await dnsdbq("lookup", "rdata", "raw", "c000020b"));
      expect(answer.objs).toHaveLength(1);
      let entry: Json | undefined;
      for (let attempt = 0; attempt < 40 && !entry; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const audit = await fetch(`${base}/admin/audit?user=alice&limit=20`, {
          headers: { authorization: basic("root", server.adminToken) },
        });
        const { entries } = (await audit.json()) as { entries: Json[] };
        entry = entries.find((e) => String(e.route).startsWith("/dnsdb/v2/lookup/rdata/raw"));
      }
      expect(entry).toMatchObject({ user: "alice", value: "192.0.2.11", results: 1, status: 200 });
    });
  });
}
