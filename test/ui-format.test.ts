/**
 * The web pages' other pure helpers, run here in Node: times and counts as the pages print them, day
 * filters as API time fences, certificate details read out of cfetch's answer (SANs, key type, escaped
 * subjects), the timeline's axis ticks and how records sort and group.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { keyTypeOf, parseSubjectAltNames, pemToDer, toHex, validityAt } from "../ui/src/lib/certificate.js";
import {
  colonHex,
  commonName,
  dayToEpoch,
  decodeOpenSslEscapes,
  duration,
  formatCount,
  isoTime,
} from "../ui/src/lib/format.js";
import {
  apiQuery,
  type CofRecord,
  filtersOf,
  groupRecords,
  rdataPivot,
  sortRecords,
} from "../ui/src/lib/records.js";
import { timeTicks } from "../ui/src/lib/time-axis.js";

const CERTS = new URL("../../shared/samples/certs/", import.meta.url);

describe("format", () => {
  it("prints UTC times, counts and durations", () => {
    expect(isoTime(1795666358)).toBe("2026-11-26 04:12:38");
    expect(isoTime(undefined)).toBe("");
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(12)).toBe("12");
    expect(duration(90)).toBe("90 seconds");
    expect(duration(86_400 * 3)).toBe("3 days");
    expect(duration(86_400 * 365 * 3)).toBe("3 years");
  });

  it("turns whole UTC days into time fences that include the day", () => {
    expect(dayToEpoch("2026-11-26")).toBe(Date.UTC(2026, 10, 26) / 1000);
    expect(dayToEpoch("2026-11-26", true)).toBe(Date.UTC(2026, 10, 27) / 1000);
    expect(dayToEpoch("26/11/2026")).toBeUndefined();
    const filters = filtersOf(
      new URLSearchParams("rrtype=mx&last_after=2026-11-01&first_before=2026-11-26&x=1"),
    );
    expect(filters.rrtype).toBe("MX");
    expect(apiQuery(filters)).toBe(
      `?rrtype=MX&time_first_before=${Date.UTC(2026, 10, 27) / 1000}&time_last_after=${Date.UTC(2026, 10, 1) / 1000}`,
    );
    expect(apiQuery(filtersOf(new URLSearchParams()))).toBe("");
  });

  it("reads CIRCL's escaped subjects", () => {
    const subject = "C=CH, L=Z\\xC3\\xBCrich, O=Z\\xC3\\xBCrcher Testdienst AG, CN=Z\\xC3\\xBCrich";
    expect(decodeOpenSslEscapes(subject)).toBe("C=CH, L=Zürich, O=Zürcher Testdienst AG, CN=Zürich");
    expect(decodeOpenSslEscapes("CN=bad \\xFF byte")).toBe("CN=bad \\xFF byte");
    expect(commonName(subject)).toBe("Zürich");
    expect(commonName("C=LU, O=SMILE, CIRCL, CN=selfsigned.d4-demo.net/emailAddress=info@circl.lu")).toBe(
      "selfsigned.d4-demo.net",
    );
    expect(commonName("C=LU, O=x")).toBeUndefined();
    expect(colonHex("9944a6")).toBe("99:44:A6");
  });
});

describe("certificate", () => {
  it("splits OpenSSL's subjectAltName text", () => {
    expect(
      parseSubjectAltNames(
        "DNS:www.example.lu, DNS:*.example.lu, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, email:info@circl.lu, URI:https://www.circl.lu/",
      ),
    ).toEqual([
      { type: "DNS", value: "www.example.lu" },
      { type: "DNS", value: "*.example.lu" },
      { type: "IP Address", value: "127.0.0.1" },
      { type: "IP Address", value: "0:0:0:0:0:0:0:1" },
      { type: "email", value: "info@circl.lu" },
      { type: "URI", value: "https://www.circl.lu/" },
    ]);
    expect(parseSubjectAltNames(undefined)).toEqual([]);
  });

  it("reads the DER from a PEM and the key type from a public key", async () => {
    const pem = readFileSync(new URL("leaf1-rsa.pem", CERTS), "utf8");
    const der = pemToDer(pem);
    expect(der && Buffer.from(der).equals(readFileSync(new URL("leaf1-rsa.der", CERTS)))).toBe(true);
    const digest = await crypto.subtle.digest("SHA-256", der as Uint8Array<ArrayBuffer>);
    expect(toHex(digest)).toBe("948af3f2b32c42187a0c6de78a352e6d6ec9f26a4b34cec79efec5eed145bcc6");
    const { X509Certificate } = await import("node:crypto");
    const key = (name: string) =>
      new X509Certificate(readFileSync(new URL(`${name}.pem`, CERTS))).publicKey
        .export({ type: "spki", format: "pem" })
        .toString();
    expect(keyTypeOf(key("leaf1-rsa"))).toBe("RSA");
    expect(keyTypeOf(key("leaf2-ecdsa"))).toBe("EC P-256");
    expect(keyTypeOf(key("leaf5-utf8"))).toBe("EC P-384");
    expect(keyTypeOf("")).toBeUndefined();
    expect(pemToDer("no pem here")).toBeUndefined();
  });

  it("says where now falls in the validity window", () => {
    expect(validityAt(100, 200, 150)).toBe("valid");
    expect(validityAt(100, 200, 250)).toBe("expired");
    expect(validityAt(100, 200, 50)).toBe("not yet valid");
    expect(validityAt(undefined, undefined, 50)).toBe("unknown");
  });
});

describe("timeTicks", () => {
  it("puts round ticks inside the span for seconds to decades", () => {
    const cases: Array<[number, number]> = [
      [1795666358, 1795666368],
      [1795666358, 1795666358 + 3_600],
      [1795666358, 1795666358 + 86_400 * 20],
      [Date.UTC(2024, 10, 1) / 1000, Date.UTC(2026, 9, 22) / 1000],
      [Date.UTC(2000, 0, 1) / 1000, Date.UTC(2026, 0, 1) / 1000],
    ];
    for (const [start, end] of cases) {
      const ticks = timeTicks(start, end, 8);
      expect(ticks.length, `${start}-${end}`).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(17);
      for (const tick of ticks) {
        expect(tick.time).toBeGreaterThanOrEqual(start);
        expect(tick.time).toBeLessThanOrEqual(end);
      }
      expect(new Set(ticks.map((t) => t.label)).size).toBe(ticks.length);
    }
    expect(
      timeTicks(Date.UTC(2024, 10, 1) / 1000, Date.UTC(2026, 9, 22) / 1000, 8).map((t) => t.label),
    ).toEqual(["2025-01", "2025-04", "2025-07", "2025-10", "2026-01", "2026-04", "2026-07", "2026-10"]);
  });
});

describe("records", () => {
  const record = (
    rrname: string,
    rrtype: string,
    rdata: string,
    first: number,
    last = first,
    count = 1,
  ): CofRecord => ({
    rrname,
    rrtype,
    rdata,
    time_first: first,
    time_last: last,
    count,
  });
  const page = [
    record("shop.example.net", "A", "198.51.100.7", 200, 480, 5),
    record("shop.example.net", "A", "192.0.2.10", 0, 200, 9),
    record("shop.example.net", "TXT", "v=spf1 -all", 10, 20),
    record("www.shop.example.net", "CNAME", "shop.example.net", 5, 700),
    record("shop.example.net", "NS", "ns1.hoster.example", 0, 400),
  ];

  it("makes names and addresses pivots, not other data", () => {
    expect(rdataPivot(page[0] as CofRecord)).toBe("198.51.100.7");
    expect(rdataPivot(page[2] as CofRecord)).toBeUndefined();
    expect(rdataPivot(record("x.example", "NS", "ns1.example", 0))).toBe("ns1.example");
    expect(rdataPivot(record("x.example", "SSHFP", "4 2 6618513d", 0))).toBeUndefined();
  });

  it("sorts a page, stably, either way", () => {
    expect(sortRecords(page, { key: "count", descending: true }).map((r) => r.count)).toEqual([
      9, 5, 1, 1, 1,
    ]);
    expect(sortRecords(page, { key: "time_first", descending: false }).map((r) => r.time_first)).toEqual([
      0, 0, 5, 10, 200,
    ]);
    expect(sortRecords(page, { key: "rrtype", descending: false }).map((r) => r.rrtype)).toEqual([
      "A",
      "A",
      "CNAME",
      "NS",
      "TXT",
    ]);
    expect(sortRecords(page, undefined)).toEqual(page);
  });

  it("groups a name's records by type, owned first, rows in order of first sighting", () => {
    const groups = groupRecords(page, "name", "shop.example.net");
    expect(groups.map((g) => g.title)).toEqual(["A", "NS", "TXT", "CNAME pointing here"]);
    expect(groups[0]?.rows.map((r) => r.label)).toEqual(["192.0.2.10", "198.51.100.7"]);
    expect(groups[3]?.rows.map((r) => [r.label, r.pivot])).toEqual([
      ["www.shop.example.net", "www.shop.example.net"],
    ]);
    expect(groups.flatMap((g) => g.rows)).toHaveLength(page.length);
    const address = groupRecords(
      [record("b.example", "A", "192.0.2.1", 5), record("a.example", "A", "192.0.2.1", 1)],
      "ip",
      "192.0.2.1",
    );
    expect(address.map((g) => [g.title, g.rows.map((r) => r.label)])).toEqual([
      ["A", ["a.example", "b.example"]],
    ]);
  });
});
