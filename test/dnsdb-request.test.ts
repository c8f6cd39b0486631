/**
 * DNSDB v2 requests → Lookup: path segments (split, then decoded), names and wildcards, rrtypes,
 * bailiwick, addresses / CIDR / ranges and their per-role width, raw values, and the parameters.
 */
import { describe, expect, it } from "vitest";
import { ipFromBytes } from "../src/dns/ip.js";
import { DnsdbError } from "../src/dnsdb/errors.js";
import type { IpBlockLimit } from "../src/dnsdb/ip-block.js";
import { type ParamContext, parseParams } from "../src/dnsdb/params.js";
import { BAILIWICK_MESSAGE, parseLookupPath, parseRrtypeFilter, pathSegments } from "../src/dnsdb/path.js";
import { parseDnsdbRequest } from "../src/dnsdb/request.js";
import type { LookupTarget } from "../src/pdns/lookup-types.js";

const ANALYST: IpBlockLimit = { ipv4: 16, ipv6: 48 };

function target(path: string, limit: IpBlockLimit | null = ANALYST): LookupTarget {
  return parseLookupPath(path.split("/"), limit).target;
}

/** An rdata-ip target as text, for readable expectations. */
function range(path: string, limit: IpBlockLimit | null = ANALYST): string {
  const t = target(path, limit);
  if (t.kind !== "rdata-ip") throw new Error(`not an rdata-ip target: ${t.kind}`);
  return `${ipFromBytes(t.first)}..${ipFromBytes(t.last)}`;
}

/** The DnsdbError a call throws (fails when it throws nothing or something else). */
function refusal(call: () => unknown): DnsdbError {
  try {
    call();
  } catch (error) {
    if (error instanceof DnsdbError) return error;
    throw error;
  }
  throw new Error("expected a DnsdbError");
}

describe("pathSegments", () => {
  const url = (path: string) => `http://127.0.0.1:8080${path}?swclient=dnsdbq&version=2.6.7`;

  it("splits on / first, then percent-decodes each segment", () => {
    expect(pathSegments(url("/dnsdb/v2/lookup/rrset/name/%2A.example.com/A"), "/dnsdb/v2/lookup/")).toEqual([
      "rrset",
      "name",
      "*.example.com",
      "A",
    ]);
    // An encoded slash is data inside its segment, not a separator.
    expect(pathSegments(url("/dnsdb/v2/lookup/rdata/ip/10.0.0.0%2F24"), "/dnsdb/v2/lookup/")).toEqual([
      "rdata",
      "ip",
      "10.0.0.0/24",
    ]);
    expect(pathSegments(url("/dnsdb/v2/lookup/rdata/ip/2001%3Adb8%3A%3A1"), "/dnsdb/v2/lookup/")).toEqual([
      "rdata",
      "ip",
      "2001:db8::1",
    ]);
  });

  it("ignores one trailing slash and answers undefined for another prefix", () => {
    expect(pathSegments(url("/dnsdb/v2/lookup/rrset/name/a.example/"), "/dnsdb/v2/lookup/")).toEqual([
      "rrset",
      "name",
      "a.example",
    ]);
    expect(pathSegments(url("/dnsdb/v2/lookup/"), "/dnsdb/v2/lookup/")).toEqual([]);
    expect(pathSegments(url("/dnsdb/v2/summarize/rrset"), "/dnsdb/v2/lookup/")).toBeUndefined();
  });

  it("refuses a malformed escape with 400", () => {
    const error = refusal(() => pathSegments(url("/dnsdb/v2/lookup/rrset/name/%zz"), "/dnsdb/v2/lookup/"));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/percent-encoding/);
  });
});

describe("names and wildcards", () => {
  it("maps exact names, left- and right-hand wildcards for owners and rdata", () => {
    expect(target("rrset/name/WWW.Example.COM.")).toEqual({ kind: "owner", name: "www.example.com" });
    expect(target("rrset/name/*.example.com")).toEqual({ kind: "owner-under", domain: "example.com" });
    expect(target("rrset/name/*.Example.com.")).toEqual({ kind: "owner-under", domain: "example.com" });
    expect(target("rrset/name/www.example.*")).toEqual({ kind: "owner-prefix", labels: "www.example" });
    expect(target("rrset/name/www.*")).toEqual({ kind: "owner-prefix", labels: "www" });
    expect(target("rdata/name/mail.example.lu")).toEqual({ kind: "rdata-name", name: "mail.example.lu" });
    expect(target("rdata/name/*.example.lu")).toEqual({ kind: "rdata-name-under", domain: "example.lu" });
    expect(target("rdata/name/mx.example.*")).toEqual({ kind: "rdata-name-prefix", labels: "mx.example" });
  });

  it("refuses malformed wildcards and names with 400", () => {
    for (const bad of [
      "*",
      "*.",
      "*.*",
      "*.example.*",
      "*example.com",
      "www*",
      "bad..name",
      ".*",
      "*.*.com",
      "a.*.b.*",
    ]) {
      const error = refusal(() => target(`rrset/name/${bad}`));
      expect(error.status, bad).toBe(400);
    }
    expect(refusal(() => target("rrset/name/*.example.*")).message).toMatch(/both/);
    expect(refusal(() => target("rrset/name/*.*.example")).message).toMatch(/one wildcard only/);
  });
});

describe("rrtypes", () => {
  it("reads ANY, ANY-DNSSEC, mnemonics, TYPEn and numbers, in any case", () => {
    expect(parseRrtypeFilter(undefined)).toEqual({ kind: "any" });
    expect(parseRrtypeFilter("ANY")).toEqual({ kind: "any" });
    expect(parseRrtypeFilter("any")).toEqual({ kind: "any" });
    expect(parseRrtypeFilter("ANY-DNSSEC")).toEqual({ kind: "any-dnssec" });
    expect(parseRrtypeFilter("any-dnssec")).toEqual({ kind: "any-dnssec" });
    expect(parseRrtypeFilter("aaaa")).toEqual({ kind: "one", rrtype: 28 });
    expect(parseRrtypeFilter("TYPE65280")).toEqual({ kind: "one", rrtype: 65280 });
    expect(parseRrtypeFilter("15")).toEqual({ kind: "one", rrtype: 15 });
    expect(parseLookupPath(["rrset", "name", "example.lu", "MX"], ANALYST).rrtypes).toEqual({
      kind: "one",
      rrtype: 15,
    });
  });

  it("refuses an unknown rrtype with 400", () => {
    for (const bad of ["NOPE", "", "TYPE70000", "-1"]) {
      expect(refusal(() => parseRrtypeFilter(bad)).status).toBe(400);
    }
  });

  it("takes only A, AAAA or ANY on rdata/ip", () => {
    expect(parseLookupPath(["rdata", "ip", "192.0.2.1", "A"], ANALYST).rrtypes).toEqual({
      kind: "one",
      rrtype: 1,
    });
    expect(parseLookupPath(["rdata", "ip", "2001:db8::1", "AAAA"], ANALYST).rrtypes).toEqual({
      kind: "one",
      rrtype: 28,
    });
    expect(parseLookupPath(["rdata", "ip", "192.0.2.1", "ANY"], ANALYST).rrtypes).toEqual({ kind: "any" });
    for (const type of ["MX", "ANY-DNSSEC", "PTR"]) {
      const error = refusal(() => parseLookupPath(["rdata", "ip", "192.0.2.1", type], ANALYST));
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/A, AAAA or ANY/);
    }
  });
});

describe("path shapes", () => {
  it("refuses a bailiwick segment with 400", () => {
    for (const path of [
      "rrset/name/www.example.lu/A/example.lu",
      "rrset/raw/076578616d706c65026c7500/ANY/lu",
    ]) {
      const error = refusal(() => target(path));
      expect(error.status).toBe(400);
      expect(error.message).toBe(BAILIWICK_MESSAGE);
    }
  });

  it("answers 404 for paths of no DNSDB shape", () => {
    for (const path of [
      "rrset/name",
      "rrset",
      "",
      "rrset/ip/192.0.2.1",
      "rdata/bogus/x",
      "names/name/x",
      "rdata/name/x.example/A/extra",
      "rdata/ip/192.0.2.1/A/extra",
      "rrset/name/x.example/A/lu/extra",
    ]) {
      expect(refusal(() => target(path)).status, path).toBe(404);
    }
  });

  it("refuses an empty value with 400", () => {
    expect(refusal(() => parseLookupPath(["rrset", "name", "", "A"], ANALYST)).status).toBe(400);
  });
});

describe("addresses, CIDR blocks and ranges", () => {
  it("maps one address, in any spelling, to a block of one", () => {
    expect(range("rdata/ip/192.0.2.11")).toBe("192.0.2.11..192.0.2.11");
    expect(range("rdata/ip/2001:0DB8:10:0::11")).toBe("2001:db8:10::11..2001:db8:10::11");
  });

  it("maps ADDR,PFXLEN to network..broadcast (the address may be inside the block)", () => {
    expect(range("rdata/ip/10.0.0.0,24")).toBe("10.0.0.0..10.0.0.255");
    expect(range("rdata/ip/10.0.0.77,24")).toBe("10.0.0.0..10.0.0.255");
    expect(range("rdata/ip/10.0.0.0,32")).toBe("10.0.0.0..10.0.0.0");
    expect(range("rdata/ip/2001:db8::,120")).toBe("2001:db8::..2001:db8::ff");
    expect(range("rdata/ip/2001:db8:1:2::,64")).toBe("2001:db8:1:2::..2001:db8:1:2:ffff:ffff:ffff:ffff");
    // A slash sent encoded (%2F) arrives inside the segment: taken like the comma.
    const slashed = parseLookupPath(["rdata", "ip", "10.0.1.0/24"], ANALYST).target;
    expect(slashed.kind === "rdata-ip" && `${ipFromBytes(slashed.first)}..${ipFromBytes(slashed.last)}`).toBe(
      "10.0.1.0..10.0.1.255",
    );
  });

  it("maps ADDR-ADDR to an inclusive range of one family", () => {
    expect(range("rdata/ip/192.0.2.10-192.0.2.20")).toBe("192.0.2.10..192.0.2.20");
    expect(range("rdata/ip/192.0.2.10-192.0.2.10")).toBe("192.0.2.10..192.0.2.10");
    expect(range("rdata/ip/2001:db8::1-2001:db8::ffff")).toBe("2001:db8::1..2001:db8::ffff");
  });

  it("refuses bad blocks and ranges with 400", () => {
    for (const bad of [
      "10.0.0.0,33",
      "2001:db8::,129",
      "10.0.0.0,x",
      "10.0.0.0,",
      "10.0.0.256",
      "192.0.2.20-192.0.2.10",
      "192.0.2.1-2001:db8::1",
      "192.0.2.1-",
      "example.lu",
    ]) {
      expect(refusal(() => target(`rdata/ip/${bad}`)).status, bad).toBe(400);
    }
  });

  it("refuses blocks wider than the role's maximum, and lets admins (null) ask anything", () => {
    expect(range("rdata/ip/10.0.0.0,16")).toBe("10.0.0.0..10.0.255.255");
    expect(range("rdata/ip/10.0.0.0-10.0.255.255")).toBe("10.0.0.0..10.0.255.255");
    expect(range("rdata/ip/2001:db8::,48")).toBe("2001:db8::..2001:db8:0:ffff:ffff:ffff:ffff:ffff");
    for (const wide of ["10.0.0.0,15", "10.0.0.0-10.1.0.0", "2001:db8::,47", "0.0.0.0,0"]) {
      const error = refusal(() => target(`rdata/ip/${wide}`));
      expect(error.status, wide).toBe(400);
      expect(error.message).toMatch(/wider than \/(16|48)/);
    }
    expect(range("rdata/ip/0.0.0.0,0", null)).toBe("0.0.0.0..255.255.255.255");
    expect(range("rdata/ip/::,0", null)).toBe("::..ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    expect(range("rdata/ip/10.0.0.0,8", { ipv4: 8, ipv6: 32 })).toBe("10.0.0.0..10.255.255.255");
  });
});

describe("raw values", () => {
  const hex = (s: string) => Buffer.from(s, "latin1").toString("hex");
  const wire = (...labels: string[]) =>
    `${labels.map((l) => `${l.length.toString(16).padStart(2, "0")}${hex(l)}`).join("")}00`;

  it("reads rrset/raw as an exact owner name, case folded", () => {
    expect(target(`rrset/raw/${wire("www", "example", "lu")}`)).toEqual({
      kind: "owner",
      name: "www.example.lu",
    });
    expect(target(`rrset/raw/${wire("WWW", "Example", "LU").toUpperCase()}`)).toEqual({
      kind: "owner",
      name: "www.example.lu",
    });
    // A literal "*" label is not a wildcard in raw form.
    expect(target(`rrset/raw/${wire("*", "example", "lu")}`)).toEqual({
      kind: "owner",
      name: "*.example.lu",
    });
    expect(parseLookupPath(["rrset", "raw", wire("www", "example", "lu"), "A"], ANALYST).value).toBe(
      "www.example.lu",
    );
  });

  it("reads rdata/raw as an address or a name, by type and by shape", () => {
    const ip = (path: string) => range(path);
    expect(ip("rdata/raw/c000020b/A")).toBe("192.0.2.11..192.0.2.11");
    expect(ip("rdata/raw/c000020b")).toBe("192.0.2.11..192.0.2.11");
    expect(ip("rdata/raw/20010db8001000000000000000000011/AAAA")).toBe("2001:db8:10::11..2001:db8:10::11");
    expect(ip("rdata/raw/20010db8001000000000000000000011")).toBe("2001:db8:10::11..2001:db8:10::11");
    expect(target(`rdata/raw/${wire("www", "example", "lu")}`)).toEqual({
      kind: "rdata-name",
      name: "www.example.lu",
    });
    expect(target(`rdata/raw/${wire("www", "example", "lu")}/CNAME`)).toEqual({
      kind: "rdata-name",
      name: "www.example.lu",
    });
    // MX and SRV raw rdata carry their fixed fields before the target.
    expect(target(`rdata/raw/000a${wire("mail", "example", "lu")}/MX`)).toEqual({
      kind: "rdata-name",
      name: "mail.example.lu",
    });
    expect(target(`rdata/raw/000a00051f90${wire("sip", "example", "lu")}/SRV`)).toEqual({
      kind: "rdata-name",
      name: "sip.example.lu",
    });
    expect(parseLookupPath(["rdata", "raw", "c000020b"], ANALYST).value).toBe("192.0.2.11");
  });

  it("refuses raw values this server cannot look up with a clear 400", () => {
    const cases: Array<[string, RegExp]> = [
      ["rrset/raw/abc", /hex/],
      ["rrset/raw/zz00", /hex/],
      ["rrset/raw/03777777", /wire-format name/],
      ["rrset/raw/c00c", /wire-format name/],
      ["rdata/raw/0b763d73706631202d616c6c", /neither a wire-format name nor/],
      ["rdata/raw/0b763d73706631202d616c6c/TXT", /addresses .* and host names/],
      ["rdata/raw/c000020b00/A", /must be 4 bytes/],
      ["rdata/raw/c000020b/AAAA", /must be 16 bytes/],
      ["rdata/raw/c000020b/CNAME", /not a wire-format name/],
      ["rdata/raw/000a/MX", /fixed fields/],
      ["rdata/raw/c000020b/ANY-DNSSEC", /not DNSSEC/],
    ];
    for (const [path, message] of cases) {
      const error = refusal(() => target(path));
      expect(error.status, path).toBe(400);
      expect(error.message, path).toMatch(message);
    }
  });
});

describe("parameters", () => {
  const context: ParamContext = { verb: "lookup", now: 1_800_000_000, callerMax: 50_000, offsetMax: 1000 };
  const params = (query: string, overrides: Partial<ParamContext> = {}) =>
    parseParams(new URLSearchParams(query), { ...context, ...overrides });

  it("has DNSDB's defaults and takes dnsdbq's informational parameters", () => {
    expect(params("swclient=dnsdbq&version=2.6.7&id=abc")).toEqual({
      limit: 10_000,
      offset: 0,
      humantime: false,
      maxCount: undefined,
      cursor: undefined,
      fences: { firstBefore: undefined, firstAfter: undefined, lastBefore: undefined, lastAfter: undefined },
    });
  });

  it("reads limit: 0 is the caller's maximum, more is capped at it", () => {
    expect(params("limit=7").limit).toBe(7);
    expect(params("limit=0").limit).toBe(50_000);
    expect(params("limit=999999").limit).toBe(50_000);
    expect(params("", { callerMax: 100 }).limit).toBe(100);
    for (const bad of ["limit=-1", "limit=abc", "limit=", "limit=1.5"])
      expect(refusal(() => params(bad)).status).toBe(400);
  });

  it("reads offset, refusing one above the maximum with 416", () => {
    expect(params("offset=1000").offset).toBe(1000);
    const error = refusal(() => params("offset=1001"));
    expect(error.status).toBe(416);
    expect(error.message).toMatch(/1000/);
    expect(refusal(() => params("offset=5", { verb: "summarize" })).status).toBe(400);
  });

  it("reads the four time fences, absolute or negative = seconds before now", () => {
    expect(
      params("time_first_before=1700000000&time_first_after=-86400&time_last_before=-60&time_last_after=0")
        .fences,
    ).toEqual({
      firstBefore: 1_700_000_000,
      firstAfter: 1_800_000_000 - 86_400,
      lastBefore: 1_800_000_000 - 60,
      lastAfter: 0,
    });
    expect(refusal(() => params("time_last_after=yesterday")).status).toBe(400);
    expect(refusal(() => params("time_last_after=1.5")).status).toBe(400);
  });

  it("accepts aggr and humantime as t, f, true or false", () => {
    for (const value of ["t", "f", "true", "false", "TRUE"])
      expect(() => params(`aggr=${value}`)).not.toThrow();
    expect(params("humantime=t").humantime).toBe(true);
    expect(params("humantime=true").humantime).toBe(true);
    expect(params("humantime=f").humantime).toBe(false);
    expect(refusal(() => params("aggr=yes")).status).toBe(400);
    expect(refusal(() => params("humantime=1")).status).toBe(400);
  });

  it("reads max_count for summarize only", () => {
    expect(params("max_count=100", { verb: "summarize" }).maxCount).toBe(100);
    expect(refusal(() => params("max_count=0", { verb: "summarize" })).status).toBe(400);
    expect(refusal(() => params("max_count=100")).message).toMatch(/summarize only/);
  });

  it("refuses unknown and repeated parameters with 400", () => {
    expect(refusal(() => params("limt=5")).message).toMatch(/unknown parameter "limt"/);
    expect(refusal(() => params("limit=5&limit=6")).message).toMatch(/more than once/);
    expect(refusal(() => params("cursor=")).status).toBe(400);
  });

  it("puts the path, fences and cursor together into one Lookup", () => {
    const request = parseDnsdbRequest(
      ["rrset", "name", "*.example.lu", "ANY-DNSSEC"],
      new URLSearchParams("cursor=AQID&time_last_after=-10&limit=3&humantime=t"),
      { ...context, ipLimit: ANALYST },
    );
    expect(request.lookup).toEqual({
      target: { kind: "owner-under", domain: "example.lu" },
      rrtypes: { kind: "any-dnssec" },
      fences: {
        firstBefore: undefined,
        firstAfter: undefined,
        lastBefore: undefined,
        lastAfter: 1_800_000_000 - 10,
      },
      cursor: "AQID",
    });
    expect(request.options).toMatchObject({ limit: 3, offset: 0, humantime: true });
    expect(request.value).toBe("*.example.lu");
    expect(request.verb).toBe("lookup");
  });
});
