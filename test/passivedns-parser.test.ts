import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { rrtypeMnemonic } from "../src/dns/rrtype.js";
import {
  createPassiveDnsParser,
  DEFAULT_LAYOUT,
  type ParsedLine,
  parseFieldLetters,
  type RejectReason,
} from "../src/ingest/passivedns-parser.js";

function sampleLines(file: string): string[] {
  const text = readFileSync(new URL(`../../shared/samples/${file}`, import.meta.url), "utf8");
  return text.split("\n").filter((line) => line.length > 0);
}

const textLines = sampleLines("passivedns.txt");
const jsonLines = sampleLines("passivedns.json");
const parseText = createPassiveDnsParser(DEFAULT_LAYOUT);
const parseJson = createPassiveDnsParser({ ...DEFAULT_LAYOUT, format: "json" });

const BASE = [
  "1795666358.860205",
  "127.0.0.1",
  "127.0.0.53",
  "IN",
  "example.lu.",
  "A",
  "192.0.2.10",
  "300",
  "1",
];

/** The base line with some columns replaced. */
function line(changes: Record<number, string>): string {
  return BASE.map((value, k) => changes[k] ?? value).join("||");
}

function expectReject(result: ParsedLine, reason: RejectReason): void {
  expect(result.kind).toBe("reject");
  if (result.kind === "reject") {
    expect(result.reason).toBe(reason);
    expect(result.detail.length).toBeGreaterThan(0);
    expect(result.detail.length).toBeLessThanOrEqual(120);
  }
}

describe("the real passivedns sample", () => {
  const parsed = textLines.map(parseText);

  it("parses every line: 206 records and 10 rcode lines", () => {
    expect(textLines).toHaveLength(216);
    expect(parsed.filter((r) => r.kind === "reject")).toEqual([]);
    expect(parsed.filter((r) => r.kind === "record")).toHaveLength(206);
    expect(parsed.filter((r) => r.kind === "rcode")).toHaveLength(10);
  });

  it("has the record types and rcodes the sample README lists", () => {
    const types: Record<string, number> = {};
    const rcodes: Record<number, number> = {};
    for (const r of parsed) {
      const qtype = r.kind === "record" ? r.rrtype : r.kind === "rcode" ? r.qtype : -1;
      const name = rrtypeMnemonic(qtype) ?? String(qtype);
      types[name] = (types[name] ?? 0) + 1;
      if (r.kind === "rcode") rcodes[r.rcode] = (rcodes[r.rcode] ?? 0) + 1;
    }
    expect(types).toEqual({
      A: 57,
      PTR: 32,
      AAAA: 26,
      TXT: 23,
      CNAME: 18,
      SRV: 12,
      NS: 12,
      MX: 12,
      SOA: 6,
      SSHFP: 2,
      SPF: 2,
      RP: 2,
      NAPTR: 2,
      LOC: 2,
      HINFO: 2,
      DS: 2,
      DNSKEY: 2,
      DNAME: 2,
    });
    expect(rcodes).toEqual({ 3: 6, 5: 2, 2: 2 });
  });

  it("keeps the sensor's counts (the sum is the number of observations)", () => {
    const total = parsed.reduce(
      (sum, r) => sum + (r.kind === "record" || r.kind === "rcode" ? r.count : 0),
      0,
    );
    expect(total).toBe(367);
    expect(
      parsed.find((r) => r.kind === "record" && r.rrname === "edge.d4-demo.net" && r.count === 11),
    ).toEqual({
      kind: "record",
      rrname: "edge.d4-demo.net",
      rrtype: 1,
      rdata: "203.0.113.80",
      time: 1795666367,
      count: 11,
    });
  });

  it("keeps TXT escapes and case without the enclosing quotes", () => {
    const quote = parsed.find((r) => r.kind === "record" && r.rrname === "quote.example.lu");
    expect(quote).toEqual({
      kind: "record",
      rrname: "quote.example.lu",
      rrtype: 16,
      rdata: 'He said \\"hello D4\\" and left',
      time: 1795666359,
      count: 1,
    });
    const token = parsed.find((r) => r.kind === "record" && r.rdata.startsWith("google-site-verification="));
    expect(token).toMatchObject({ rdata: "google-site-verification=AbCdEf0123456789_sample-token" });
  });

  it("normalises names, addresses and the abridged name-valued answers", () => {
    expect(parsed[0]).toEqual({
      kind: "record",
      rrname: "example.lu",
      rrtype: 1,
      rdata: "192.0.2.10",
      time: 1795666358,
      count: 1,
    });
    expect(parsed[1]).toMatchObject({ rrtype: 28, rdata: "2001:db8:10::10" });
    expect(parsed.find((r) => r.kind === "record" && r.rrtype === 15)).toMatchObject({
      rdata: "mx2.example.lu",
    });
    expect(parsed.find((r) => r.kind === "record" && r.rrtype === 6)).toMatchObject({
      rdata: "ns1.example.lu",
    });
    expect(parsed.find((r) => r.kind === "record" && r.rrname.endsWith("ip6.arpa"))).toMatchObject({
      rrname: "1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
      rrtype: 12,
      rdata: "www.example.lu",
    });
    expect(parsed.find((r) => r.kind === "record" && r.rrtype === 35)).toMatchObject({
      rdata: '100 10 "S" "SIP+D2U" "" _sip._udp.example.lu.',
    });
  });

  it("turns error lines into rcode sightings with the query type", () => {
    expect(parsed.find((r) => r.kind === "rcode")).toEqual({
      kind: "rcode",
      rrname: "doesnotexist.example.lu",
      qtype: 1,
      rcode: 3,
      time: 1795666361,
      count: 1,
    });
    expect(parsed.find((r) => r.kind === "rcode" && r.rrname === "old-host.example.lu")).toMatchObject({
      qtype: 15,
      rcode: 3,
    });
    expect(parsed.find((r) => r.kind === "rcode" && r.rrname === "broken.d4-demo.net")).toMatchObject({
      qtype: 15,
      rcode: 2,
    });
  });
});

describe("the real JSON sample", () => {
  it("gives the text sample's results line by line", () => {
    expect(jsonLines).toHaveLength(textLines.length);
    jsonLines.forEach((json, k) => {
      const fromJson = parseJson(json);
      const fromText = parseText(textLines[k] ?? "");
      expect(fromJson.kind).not.toBe("reject");
      // In JSON mode the sensor prints the owner name's last-seen time, not the tuple's, so its time
      // can only be later (38 lines differ in the sample, 15 of them by a whole second or more).
      const { time: jsonTime, ...jsonRest } = fromJson as ParsedLine & { time: number };
      const { time: textTime, ...textRest } = fromText as ParsedLine & { time: number };
      expect(jsonRest, `line ${k + 1}`).toEqual(textRest);
      expect(jsonTime).toBeGreaterThanOrEqual(textTime);
      expect(jsonTime - textTime).toBeLessThanOrEqual(2);
    });
  });

  it("matches the text time exactly where the sensor agrees with itself", () => {
    expect(parseJson(jsonLines[55] ?? "")).toEqual(parseText(textLines[55] ?? ""));
    expect(parseJson(jsonLines[55] ?? "")).toMatchObject({ rdata: 'He said \\"hello D4\\" and left' });
  });
});

describe("text lines that are rejected", () => {
  it("wrong field count", () => {
    expectReject(parseText("1795666358.860205||127.0.0.1||127.0.0.53||IN||example.lu."), "field_count");
    expectReject(parseText(BASE.slice(0, 8).join("||")), "field_count");
    expectReject(parseText("just some text"), "field_count");
    expectReject(parseText(BASE.join("|")), "field_count");
  });

  it("bad timestamp", () => {
    for (const ts of [
      "abc",
      "-1",
      "-1.5",
      "",
      "1.",
      ".5",
      "1795666358.86x",
      "4294967296",
      "1.2.3",
      "1e9",
      " 1",
    ]) {
      expectReject(parseText(line({ 0: ts })), "bad_timestamp");
    }
    expect(parseText(line({ 0: "4294967295.999999" }))).toMatchObject({ kind: "record", time: 4294967295 });
    expect(parseText(line({ 0: "1795666358" }))).toMatchObject({ kind: "record", time: 1795666358 });
  });

  it("bad client or server address", () => {
    for (const ip of ["127.0", "999.1.1.1", "42", "localhost", "fe80::1%eth0", "", "[::1]"]) {
      expectReject(parseText(line({ 1: ip })), "bad_ip");
      expectReject(parseText(line({ 2: ip })), "bad_ip");
    }
  });

  it("classes other than IN", () => {
    for (const cls of ["CH", "HS", "NONE", "ANY", "ch", "3", "4", "254", "255", "CLASS3", "CLASS255"]) {
      expectReject(parseText(line({ 3: cls })), "non_in_class");
    }
    for (const cls of ["FOO", "", "2", "CLASS2", "CLASS", "65536", "I N"]) {
      expectReject(parseText(line({ 3: cls })), "bad_class");
    }
    for (const cls of ["IN", "in", "1", "CLASS1"])
      expect(parseText(line({ 3: cls })).kind, cls).toBe("record");
  });

  it("bad query name", () => {
    const label = "a".repeat(64);
    const long = `${"abcdefghi.".repeat(30)}lu.`;
    for (const name of [
      "bad\u0000name.lu.",
      "with space.lu.",
      "a..b.",
      ".lead.lu.",
      `${label}.lu.`,
      long,
      "",
    ]) {
      expectReject(parseText(line({ 4: name })), "bad_name");
    }
  });

  it("unknown rrtype", () => {
    const result = parseText(line({ 5: "FOO" }));
    expectReject(result, "unknown_rrtype");
    expect(result).toMatchObject({ detail: 'rrtype "FOO"' });
    expectReject(parseText(line({ 5: "65536" })), "unknown_rrtype");
  });

  it("rdata that does not fit the type", () => {
    expectReject(parseText(line({ 6: "2001:db8::1" })), "bad_rdata");
    expectReject(parseText(line({ 6: "127.0" })), "bad_rdata");
    expectReject(parseText(line({ 5: "AAAA", 6: "192.0.2.1" })), "bad_rdata");
    expectReject(parseText(line({ 5: "CNAME", 6: "a..b." })), "bad_rdata");
    expectReject(parseText(line({ 5: "TXT", 6: "" })), "bad_rdata");
  });

  it("bad ttl", () => {
    for (const ttl of ["-1", "x", "", "4294967296", "1.5", " 300"])
      expectReject(parseText(line({ 7: ttl })), "bad_ttl");
    expect(parseText(line({ 7: "4294967295" })).kind).toBe("record");
    expect(parseText(line({ 7: "0" })).kind).toBe("record");
  });

  it("bad count", () => {
    for (const count of ["0", "-1", "x", "", "1.0", "9007199254740992"]) {
      expectReject(parseText(line({ 8: count })), "bad_count");
    }
    expect(parseText(line({ 8: "9007199254740991" }))).toMatchObject({ count: Number.MAX_SAFE_INTEGER });
  });

  it("reports the first bad column and truncates long details", () => {
    expectReject(parseText(line({ 1: "127.0", 5: "FOO" })), "bad_ip");
    const result = parseText(line({ 4: `${"x".repeat(300)} y.` }));
    expectReject(result, "bad_name");
  });
});

describe("text lines that are accepted", () => {
  it("keeps a TXT answer that contains the delimiter", () => {
    const result = parseText(line({ 5: "TXT", 6: '"left||right || end||"', 8: "3" }));
    expect(result).toEqual({
      kind: "record",
      rrname: "example.lu",
      rrtype: 16,
      rdata: "left||right || end||",
      time: 1795666358,
      count: 3,
    });
  });

  it("treats empty and whitespace-only lines as blank", () => {
    for (const blank of ["", " ", "\t  ", "\r"]) expect(parseText(blank)).toEqual({ kind: "blank" });
  });

  it("ignores a trailing CR", () => {
    expect(parseText(`${line({})}\r`)).toEqual(parseText(line({})));
  });

  it("reads uppercase names and numeric types", () => {
    expect(parseText(line({ 4: "WWW.Example.LU.", 5: "65", 6: "1 . alpn=h2" }))).toEqual({
      kind: "record",
      rrname: "www.example.lu",
      rrtype: 65,
      rdata: "1 . alpn=h2",
      time: 1795666358,
      count: 1,
    });
  });

  it("accepts IPv6 clients and servers but does not return them", () => {
    const result = parseText(line({ 1: "::1", 2: "2001:db8::53" }));
    expect(result.kind).toBe("record");
    expect(JSON.stringify(result)).not.toContain("::1");
  });
});

describe("parseFieldLetters and other layouts", () => {
  it("maps the default letters to the default fields", () => {
    expect(parseFieldLetters("SMcsCQTAtn")).toEqual(DEFAULT_LAYOUT.fields);
  });

  it("follows the sensor's print order, not the letter order", () => {
    expect(parseFieldLetters("nAQTsScMCt")).toEqual(DEFAULT_LAYOUT.fields);
    expect(parseFieldLetters("SMhcwsWpCQLTAltn")).toEqual([
      "time",
      "ignore",
      "client",
      "ignore",
      "server",
      "ignore",
      "ignore",
      "class",
      "query",
      "ignore",
      "type",
      "answer",
      "ignore",
      "ttl",
      "count",
    ]);
    expect(parseFieldLetters("SQTA")).toEqual(["time", "query", "type", "answer"]);
    expect(parseFieldLetters("MQTA")).toEqual(["ignore", "query", "type", "answer"]);
  });

  it("throws on letters it cannot use", () => {
    expect(() => parseFieldLetters("SMcsCQTAtnX")).toThrow(/"X"/);
    expect(() => parseFieldLetters("HcsCQTAtn")).toThrow(/"H"/);
    expect(() => parseFieldLetters("")).toThrow();
  });

  it("refuses a layout without the columns a record needs", () => {
    expect(() =>
      createPassiveDnsParser({ format: "text", delimiter: "||", fields: ["time", "query", "type"] }),
    ).toThrow(/answer/);
    expect(() => createPassiveDnsParser({ ...DEFAULT_LAYOUT, fields: parseFieldLetters("MQTA") })).toThrow(
      /time/,
    );
    expect(() => createPassiveDnsParser({ ...DEFAULT_LAYOUT, delimiter: "" })).toThrow();
  });

  it("parses extra columns and another delimiter", () => {
    const parse = createPassiveDnsParser({
      format: "text",
      delimiter: "\t",
      fields: parseFieldLetters("SMhcsCQTAtnp"),
    });
    const result = parse(
      "1795666358.860205\tsensor-1\t10.0.0.2\t10.0.0.1\tudp\tIN\tExample.LU.\tMX\tmx.example.lu.\t60\t4",
    );
    expect(result).toEqual({
      kind: "record",
      rrname: "example.lu",
      rrtype: 15,
      rdata: "mx.example.lu",
      time: 1795666358,
      count: 4,
    });
  });

  it("counts one sighting when the layout has no count column", () => {
    const parse = createPassiveDnsParser({ ...DEFAULT_LAYOUT, fields: parseFieldLetters("SQTA") });
    expect(parse("1795666358||example.lu.||A||192.0.2.10")).toMatchObject({ kind: "record", count: 1 });
    expect(parse('1795666358||example.lu.||TXT||"a||b"')).toMatchObject({ rdata: "a||b" });
    expectReject(parse("1795666358||example.lu.||A"), "field_count");
  });
});

describe("JSON lines", () => {
  const base = JSON.parse(jsonLines[0] ?? "{}") as Record<string, unknown>;
  const json = (changes: Record<string, unknown>) => JSON.stringify({ ...base, ...changes });

  it("rejects what is not a JSON object", () => {
    for (const bad of ["{", "[]", "42", "null", '"x"', "{'a':1}", line({})])
      expectReject(parseJson(bad), "bad_json");
    expect(parseJson("  ")).toEqual({ kind: "blank" });
  });

  it("names the reason for missing or mistyped keys", () => {
    expectReject(parseJson(json({ timestamp_s: undefined })), "bad_timestamp");
    expectReject(parseJson(json({ timestamp_s: "1795666358" })), "bad_timestamp");
    expectReject(parseJson(json({ timestamp_s: -1 })), "bad_timestamp");
    expectReject(parseJson(json({ timestamp_s: 1.5 })), "bad_timestamp");
    expectReject(parseJson(json({ timestamp_ms: 1_000_000 })), "bad_timestamp");
    expectReject(parseJson(json({ client: "127.0" })), "bad_ip");
    expectReject(parseJson(json({ server: 2130706433 })), "bad_ip");
    expectReject(parseJson(json({ class: "CH" })), "non_in_class");
    expectReject(parseJson(json({ class: 1 })), "bad_class");
    expectReject(parseJson(json({ query: undefined })), "bad_name");
    expectReject(parseJson(json({ query: "a..b." })), "bad_name");
    expectReject(parseJson(json({ type: 1 })), "unknown_rrtype");
    expectReject(parseJson(json({ type: "FOO" })), "unknown_rrtype");
    expectReject(parseJson(json({ answer: null })), "bad_rdata");
    expectReject(parseJson(json({ answer: "::1" })), "bad_rdata");
    expectReject(parseJson(json({ ttl: "300" })), "bad_ttl");
    expectReject(parseJson(json({ ttl: -1 })), "bad_ttl");
    expectReject(parseJson(json({ count: 0 })), "bad_count");
    expectReject(parseJson(json({ count: "2" })), "bad_count");
    expectReject(parseJson(json({ count: undefined })), "bad_count");
  });

  it("rejects an answer with a lone surrogate as invalid UTF-8", () => {
    const text = json({ type: "TXT", answer: '"x"' }).replace('\\"x\\"', '\\"\\ud800\\"');
    expectReject(parseJson(text), "invalid_utf8");
  });

  it("accepts a layout without the optional keys", () => {
    const parse = createPassiveDnsParser({
      format: "json",
      delimiter: "||",
      fields: parseFieldLetters("SQTA"),
    });
    const minimal = '{"timestamp_s":1795666358,"query":"example.lu.","type":"A","answer":"192.0.2.10"}';
    expect(parse(minimal)).toEqual(parseText(line({})));
  });
});

describe("robustness", () => {
  it("never throws, whatever the input", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pieces = [
      "||",
      "|",
      ".",
      ":",
      "\\",
      '"',
      "\u0000",
      "\ud800",
      "é",
      "IN",
      "A",
      "TXT",
      "NXDOMAIN",
      "1",
      "{",
      "}",
    ];
    const parsers = [parseText, parseJson, createPassiveDnsParser({ ...DEFAULT_LAYOUT, delimiter: "|" })];
    for (let n = 0; n < 3000; n++) {
      const sample = textLines[n % textLines.length] ?? "";
      let text = "";
      const mode = n % 3;
      if (mode === 0) {
        for (let k = 0; k < 20; k++) text += pieces[Math.floor(random() * pieces.length)];
      } else {
        // Mutate a real line: cut it, or splice in a random piece.
        const at = Math.floor(random() * sample.length);
        text =
          mode === 1
            ? sample.slice(0, at)
            : sample.slice(0, at) + (pieces[n % pieces.length] ?? "") + sample.slice(at);
      }
      for (const parse of parsers) {
        const result = parse(text);
        expect(["record", "rcode", "reject", "blank"]).toContain(result.kind);
      }
    }
    expect(() => parseText(undefined as unknown as string)).not.toThrow();
    expect(() => parseJson(undefined as unknown as string)).not.toThrow();
  });
});
