import { expect, it } from "vitest";
import { parseIp } from "../src/dns/ip.js";
import {
  DNSSEC_RRTYPES,
  LookupError,
  type LookupRecord,
  lookupCursor,
  lookupRecords,
  parseLookupCursor,
} from "../src/pdns/lookup.js";
import type { Lookup, LookupTarget } from "../src/pdns/lookup-types.js";
import { ObservationBatch, type RecordLine, SensorNumberCache } from "../src/pdns/observation-batch.js";
import type { Store } from "../src/store/types.js";
import { describeEachBackend } from "./helpers/backends.js";

const A = 1;
const NS = 2;
const CNAME = 5;
const MX = 15;
const AAAA = 28;
const DS = 43;
const RRSIG = 46;

async function ingest(store: Store, lines: RecordLine[]) {
  const batch = new ObservationBatch();
  for (const line of lines) {
    batch.countLine("s1");
    batch.addRecord(line, "s1");
  }
  await store.write(await batch.drain(new SensorNumberCache((ids) => store.sensorNumbers(ids))));
}

const line = (rrname: string, rrtype: number, rdata: string, time = 1_700_000_000): RecordLine => ({
  rrname,
  rrtype,
  rdata,
  time,
  count: 1,
});

async function all(store: Store, lookup: Lookup, chunkSize = 512): Promise<LookupRecord[]> {
  const out: LookupRecord[] = [];
  for await (const chunk of lookupRecords(store, lookup, chunkSize)) out.push(...chunk);
  return out;
}

const any = (target: LookupTarget): Lookup => ({ target, rrtypes: { kind: "any" }, fences: {} });
const names = (records: LookupRecord[]) => records.map((r) => `${r.rrname} ${r.rdata}`);
const range = (first: string, last: string): LookupTarget => ({
  kind: "rdata-ip",
  first: parseIp(first)?.bytes as Uint8Array,
  last: parseIp(last)?.bytes as Uint8Array,
});

const DATA: RecordLine[] = [
  line("example.lu", NS, "ns1.example.lu"),
  line("www.example.lu", A, "192.0.2.10"),
  line("www.example.lu", AAAA, "2001:db8::10"),
  line("mail.example.lu", A, "192.0.2.25"),
  line("example.lu", MX, "10 mail.example.lu"),
  line("a.b.example.lu", CNAME, "www.example.lu"),
  line("www.example.com", A, "192.0.3.1"),
  line("www.exampleXlu.com", A, "10.0.255.254"),
  line("notexample.lu", A, "10.1.0.1"),
  line("www.other.lu", A, "10.0.255.255"),
  line("www.other.lu", CNAME, "mail.example.lu"),
  line("ftp.example.lu", A, "10.1.0.2"),
  line("example.lu", DS, "12345 8 2 ABCDEF"),
  line("example.lu", RRSIG, "DS 8 2 3600 20240101000000 20231201000000 1 lu. abc"),
];

describeEachBackend("lookups", ({ store }) => {
  it("finds every name strictly under a domain, in reversed-label order", async () => {
    await ingest(store(), DATA);
    const under = await all(store(), any({ kind: "owner-under", domain: "example.lu" }));
    expect(names(under)).toEqual([
      "a.b.example.lu www.example.lu",
      "ftp.example.lu 10.1.0.2",
      "mail.example.lu 192.0.2.25",
      // www: A before AAAA (sort keys start with the rrtype)
      "www.example.lu 192.0.2.10",
      "www.example.lu 2001:db8::10",
    ]);
    const tld = await all(store(), any({ kind: "owner-under", domain: "lu" }));
    expect(new Set(tld.map((r) => r.rrname))).toEqual(
      new Set([
        "example.lu",
        "a.b.example.lu",
        "ftp.example.lu",
        "mail.example.lu",
        "www.example.lu",
        "notexample.lu",
        "www.other.lu",
      ]),
    );
    expect(await all(store(), any({ kind: "owner-under", domain: "nothing.lu" }))).toEqual([]);
  });

  it("finds names starting with labels", async () => {
    await ingest(store(), DATA);
    const www = await all(store(), any({ kind: "owner-prefix", labels: "www.example" }));
    expect(names(www)).toEqual([
      "www.example.com 192.0.3.1",
      "www.example.lu 192.0.2.10",
      "www.example.lu 2001:db8::10",
    ]);
    const anyWww = await all(store(), any({ kind: "owner-prefix", labels: "www" }));
    expect(new Set(anyWww.map((r) => r.rrname))).toEqual(
      new Set(["www.example.com", "www.example.lu", "www.exampleXlu.com", "www.other.lu"]),
    );
  });

  it("finds records pointing to names under a domain or starting with labels", async () => {
    await ingest(store(), DATA);
    const under = await all(store(), any({ kind: "rdata-name-under", domain: "example.lu" }));
    expect(new Set(names(under))).toEqual(
      new Set([
        "example.lu ns1.example.lu",
        "example.lu 10 mail.example.lu",
        "www.other.lu mail.example.lu",
        "a.b.example.lu www.example.lu",
      ]),
    );
    // Ordered by the target name (mail < ns1 < www), whatever the rdata text.
    expect(under.map((r) => r.via)).toEqual([
      "mail.example.lu",
      "mail.example.lu",
      "ns1.example.lu",
      "www.example.lu",
    ]);
    const prefix = await all(store(), any({ kind: "rdata-name-prefix", labels: "mail" }));
    expect(new Set(names(prefix))).toEqual(
      new Set(["example.lu 10 mail.example.lu", "www.other.lu mail.example.lu"]),
    );
  });

  it("finds A/AAAA records in address blocks and ranges, across /16 buckets, in address order", async () => {
    await ingest(store(), DATA);
    expect(names(await all(store(), any(range("192.0.2.0", "192.0.2.255"))))).toEqual([
      "www.example.lu 192.0.2.10",
      "mail.example.lu 192.0.2.25",
    ]);
    expect(names(await all(store(), any(range("10.0.255.250", "10.1.0.1"))))).toEqual([
      "www.exampleXlu.com 10.0.255.254",
      "www.other.lu 10.0.255.255",
      "notexample.lu 10.1.0.1",
    ]);
    expect(names(await all(store(), any(range("2001:db8::", "2001:db8::ffff"))))).toEqual([
      "www.example.lu 2001:db8::10",
    ]);
    expect(await all(store(), any(range("198.51.100.0", "198.51.100.255")))).toEqual([]);
  });

  it("filters by rrtype (one, ANY without DNSSEC, ANY-DNSSEC) and by the four time fences", async () => {
    await ingest(store(), [
      ...DATA,
      line("old.example.lu", A, "192.0.2.1", 1_000),
      line("old.example.lu", A, "192.0.2.1", 2_000),
      line("new.example.lu", A, "192.0.2.2", 5_000),
    ]);
    const apex = { kind: "owner" as const, name: "example.lu" };
    const types = async (lookup: Lookup) =>
      (await all(store(), lookup)).map((r) => r.rrtype).sort((a, b) => a - b);
    expect(await types(any(apex))).toEqual([NS, MX]);
    expect(await types({ ...any(apex), rrtypes: { kind: "any-dnssec" } })).toEqual([DS, RRSIG]);
    expect(await types({ ...any(apex), rrtypes: { kind: "one", rrtype: MX } })).toEqual([MX]);
    expect(DNSSEC_RRTYPES.has(DS)).toBe(true);

    const target = { kind: "owner-prefix" as const, labels: "old" };
    const fenced = async (fences: Lookup["fences"]) =>
      (await all(store(), { ...any({ kind: "owner-under", domain: "example.lu" }), fences })).map(
        (r) => r.rrname,
      );
    expect(await fenced({ lastBefore: 3_000 })).toEqual(["old.example.lu"]);
    expect(await fenced({ firstAfter: 1_000, lastBefore: 10_000 })).toEqual(["new.example.lu"]);
    expect(await fenced({ firstBefore: 1_001, lastAfter: 1_999 })).toEqual(["old.example.lu"]);
    expect(await all(store(), { ...any(target), fences: { lastAfter: 2_000 } })).toEqual([]);
  });

  it("resumes after any record: pages of 2 return every record once, even while names are added", async () => {
    await ingest(store(), DATA);
    for (const target of [
      { kind: "owner-under", domain: "lu" },
      { kind: "owner-prefix", labels: "www" },
      { kind: "rdata-name-under", domain: "example.lu" },
      range("10.0.0.0", "10.255.255.255"),
    ] as LookupTarget[]) {
      const before = names(await all(store(), any(target)));
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 50; page++) {
        const got: LookupRecord[] = [];
        for await (const chunk of lookupRecords(store(), { ...any(target), cursor }, 2)) {
          got.push(...chunk);
          if (got.length >= 2) break;
        }
        const kept = got.slice(0, 2);
        if (kept.length === 0) break;
        seen.push(...names(kept));
        cursor = lookupCursor(target, kept[kept.length - 1] as LookupRecord);
        // New records between pages, before and after the cursor's position.
        if (page === 0) {
          await ingest(store(), [
            line("aaa.example.lu", A, "10.0.0.1"),
            line("zzz.example.lu", A, "10.200.0.1"),
            line("www.aaa.lu", CNAME, "aaa.example.lu"),
          ]);
        }
      }
      for (const record of before)
        expect(
          seen.filter((r) => r === record),
          `${target.kind} ${record}`,
        ).toHaveLength(1);
      expect(new Set(seen).size).toBe(seen.length);
    }
  });

  it("refuses a cursor it did not issue, or one issued for another kind of query", async () => {
    const target: LookupTarget = { kind: "owner-under", domain: "example.lu" };
    expect(() => parseLookupCursor(target, "garbage!")).toThrow(LookupError);
    expect(() => parseLookupCursor(target, "AAAA")).toThrow(LookupError);
    await ingest(store(), DATA);
    const [record] = await all(store(), any({ kind: "owner", name: "www.example.lu" }));
    const exactCursor = lookupCursor({ kind: "owner", name: "www.example.lu" }, record as LookupRecord);
    expect(() => parseLookupCursor(target, exactCursor)).toThrow(LookupError);
    await expect(all(store(), { ...any(target), cursor: "nope" })).rejects.toThrow(LookupError);
  });

  it("streams a name with more records than are read ahead, whole and in order, among the others", async () => {
    const big = Array.from({ length: 2500 }, (_, i) =>
      line("big.example.lu", A, `10.7.${i >> 8}.${i & 255}`),
    );
    await ingest(store(), [...DATA, ...big]);
    const under = await all(store(), any({ kind: "owner-under", domain: "example.lu" }), 300);
    expect(under.filter((r) => r.rrname === "big.example.lu")).toHaveLength(2500);
    expect(under.map((r) => r.rrname)).toEqual([
      "a.b.example.lu",
      ...Array(2500).fill("big.example.lu"),
      "ftp.example.lu",
      "mail.example.lu",
      "www.example.lu",
      "www.example.lu",
    ]);
    const bigKeys = under.filter((r) => r.rrname === "big.example.lu").map((r) => r.sortKey.toString("hex"));
    expect(bigKeys).toEqual([...bigKeys].sort());
  });
});
