import { expect, it } from "vitest";
import { ObservationBatch, type RecordLine, SensorNumberCache } from "../src/pdns/observation-batch.js";
import {
  decodeObservation,
  decodeRcodeKey,
  decodeRdata,
  encodeObservation,
  encodeRdata,
  rrtypeRange,
  sortKeyOf,
} from "../src/pdns/record-codec.js";
import type { IndexRef, Store } from "../src/store/types.js";
import { describeEachBackend } from "./helpers/backends.js";

const A = 1;
const NS = 2;
const CNAME = 5;
const AAAA = 28;
const TXT = 16;

async function ingest(
  store: Store,
  lines: Array<RecordLine & { sensor?: string }>,
  cache = new SensorNumberCache((ids) => store.sensorNumbers(ids)),
) {
  const batch = new ObservationBatch();
  for (const line of lines) {
    batch.countLine(line.sensor ?? "s1");
    batch.addRecord(line, line.sensor ?? "s1");
  }
  return store.write(await batch.drain(cache));
}

async function collect<T>(chunks: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const chunk of chunks) all.push(...chunk);
  return all;
}

const ip = (text: string, bytes: number[]): IndexRef => ({ kind: "ip", text, bytes: Uint8Array.from(bytes) });

describeEachBackend("store contract", ({ store }) => {
  it("merges repeated observations: earliest first, latest last, counts summed, sensors united", async () => {
    const line = { rrname: "www.example.lu", rrtype: A, rdata: "192.0.2.11" };
    const first = await ingest(store(), [
      { ...line, time: 1000, count: 1 },
      { ...line, time: 900, count: 2, sensor: "s2" },
    ]);
    expect(first).toEqual({ created: 1, collisions: 0 });
    const second = await ingest(store(), [{ ...line, time: 5000, count: 4 }]);
    expect(second).toEqual({ created: 0, collisions: 0 });

    const [entry, ...rest] = await collect(store().scanOwner("www.example.lu", {}, 10));
    expect(rest).toEqual([]);
    expect(entry?.sortKey.equals(sortKeyOf(line.rrname, A, line.rdata))).toBe(true);
    const { obs, payload } = decodeObservation(entry?.value as Buffer);
    expect(obs.timeFirst).toBe(900);
    expect(obs.timeLast).toBe(5000);
    expect(obs.count).toBe(7);
    expect(obs.sensors).toHaveLength(2);
    expect(decodeRdata(A, payload)).toBe("192.0.2.11");
  });

  it("lists a name's records in sort-key order, in chunks, each exactly once", async () => {
    const lines = Array.from({ length: 300 }, (_, i) => ({
      rrname: "big.example",
      rrtype: i % 2 ? A : TXT,
      rdata: i % 2 ? `10.0.${i >> 8}.${i & 255}` : `text ${i}`,
      time: 1000 + i,
      count: 1,
    }));
    await ingest(store(), lines);
    const listed = await collect(store().scanOwner("big.example", {}, 7));
    expect(listed).toHaveLength(300);
    const keys = listed.map((e) => e.sortKey.toString("hex"));
    expect([...keys].sort()).toEqual(keys);
    expect(new Set(keys).size).toBe(300);
  });

  it("restricts scans to a sort-key range (an rrtype)", async () => {
    await ingest(store(), [
      { rrname: "example.lu", rrtype: A, rdata: "192.0.2.10", time: 1, count: 1 },
      { rrname: "example.lu", rrtype: AAAA, rdata: "2001:db8::10", time: 1, count: 1 },
      { rrname: "example.lu", rrtype: NS, rdata: "ns1.example.lu", time: 1, count: 1 },
    ]);
    const aaaa = await collect(store().scanOwner("example.lu", rrtypeRange(AAAA), 10));
    expect(aaaa.map((e) => decodeRdata(AAAA, decodeObservation(e.value).payload))).toEqual(["2001:db8::10"]);
  });

  it("indexes addresses and target names, and fetches the records they point to", async () => {
    await ingest(store(), [
      { rrname: "a.example", rrtype: A, rdata: "192.0.2.1", time: 1, count: 1 },
      { rrname: "b.example", rrtype: A, rdata: "192.0.2.1", time: 2, count: 1 },
      { rrname: "c.example", rrtype: A, rdata: "192.0.2.2", time: 3, count: 1 },
      { rrname: "www.example", rrtype: CNAME, rdata: "a.example", time: 4, count: 1 },
      { rrname: "v6.example", rrtype: AAAA, rdata: "2001:db8::1", time: 5, count: 1 },
    ]);
    const byIp = await collect(store().scanIndex(ip("192.0.2.1", [192, 0, 2, 1]), {}, 1));
    expect(byIp.map((e) => e.rrname).sort()).toEqual(["a.example", "b.example"]);
    const byV6 = await collect(
      store().scanIndex(ip("2001:db8::1", [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), {}, 10),
    );
    expect(byV6.map((e) => e.rrname)).toEqual(["v6.example"]);
    const byName = await collect(store().scanIndex({ kind: "name", name: "a.example" }, {}, 10));
    expect(byName.map((e) => e.rrname)).toEqual(["www.example"]);

    const values = await store().getRecords([
      ...byIp,
      { rrname: "nope.example", sortKey: byIp[0]?.sortKey as Buffer },
    ]);
    expect(values.slice(0, 2).every((v) => v !== undefined)).toBe(true);
    expect(values[2]).toBeUndefined();
  });

  it("indexes thousands of new records pointing to one address in one batch", async () => {
    const names = Array.from({ length: 6000 }, (_, i) => `host${i}.sinkhole.example`);
    await ingest(
      store(),
      names.map((rrname) => ({ rrname, rrtype: A, rdata: "192.0.2.99", time: 1, count: 1 })),
    );
    const pointing = await collect(store().scanIndex(ip("192.0.2.99", [192, 0, 2, 99]), {}, 1000));
    expect(pointing.map((e) => e.rrname).sort()).toEqual([...names].sort());
  });

  it("refuses a different tuple under a taken sort key instead of overwriting it", async () => {
    await ingest(store(), [{ rrname: "x.example", rrtype: A, rdata: "192.0.2.7", time: 1, count: 1 }]);
    const forged = {
      rrname: "x.example",
      member: encodeObservation(
        { timeFirst: 1, timeLast: 1, count: 1, sensors: [1] },
        encodeRdata(A, "192.0.2.8"),
        sortKeyOf("x.example", A, "192.0.2.7"),
      ),
      index: undefined,
    };
    const result = await store().write({ records: [forged], rcodes: [], linesBySensor: new Map() });
    expect(result).toEqual({ created: 0, collisions: 1 });
    const [entry] = await collect(store().scanOwner("x.example", {}, 10));
    expect(decodeRdata(A, decodeObservation(entry?.value as Buffer).payload)).toBe("192.0.2.7");
  });

  it("keeps names with key-separator characters apart", async () => {
    // "}a}" and "}x}.a.b": ioredis and Redis disagree on their hash slot (see misroutedByIoredis).
    const names = ["a:b", "a", "{a}", "a}b", "*.a", "a\\.b", "a.b", "}a}", "}", "{}a}", "}x}.a.b"];
    await ingest(
      store(),
      names.map((rrname, i) => ({ rrname, rrtype: TXT, rdata: `n${i}`, time: 1, count: 1 })),
    );
    for (const [i, rrname] of names.entries()) {
      const entries = await collect(store().scanOwner(rrname, {}, 10));
      expect(entries.map((e) => decodeRdata(TXT, decodeObservation(e.value).payload))).toEqual([`n${i}`]);
    }
  });

  it("merges rcode observations per name, rcode and query type", async () => {
    const cache = new SensorNumberCache((ids) => store().sensorNumbers(ids));
    for (const time of [30, 10, 20]) {
      const batch = new ObservationBatch();
      batch.countLine("s1");
      batch.addRcode({ rrname: "gone.example", rcode: 3, qtype: A, time, count: 1 }, "s1");
      batch.addRcode({ rrname: "gone.example", rcode: 2, qtype: 15, time, count: 1 }, "s1");
      await store().write(await batch.drain(cache));
    }
    const rcodes = await store().listRcodes("gone.example");
    const decoded = rcodes
      .map((r) => ({ ...decodeRcodeKey(r.key), ...decodeObservation(r.value).obs }))
      .sort((a, b) => a.rcode - b.rcode);
    expect(decoded).toEqual([
      { rcode: 2, qtype: 15, timeFirst: 10, timeLast: 30, count: 3, sensors: [1] },
      { rcode: 3, qtype: A, timeFirst: 10, timeLast: 30, count: 3, sensors: [1] },
    ]);
  });

  it("hands out stable sensor numbers and counts lines per sensor", async () => {
    const first = await store().sensorNumbers(["alpha", "beta"]);
    const again = await store().sensorNumbers(["beta", "gamma", "alpha"]);
    expect(again.get("alpha")).toBe(first.get("alpha"));
    expect(again.get("beta")).toBe(first.get("beta"));
    expect(new Set(again.values()).size).toBe(3);

    await ingest(store(), [
      { rrname: "a.example", rrtype: A, rdata: "192.0.2.1", time: 1, count: 1, sensor: "alpha" },
      { rrname: "b.example", rrtype: A, rdata: "192.0.2.1", time: 1, count: 1, sensor: "alpha" },
      { rrname: "c.example", rrtype: A, rdata: "192.0.2.1", time: 1, count: 1, sensor: "beta" },
    ]);
    const lines = (await store().sensorLines()).sort((a, b) => a.sensorId.localeCompare(b.sensorId));
    expect(lines).toEqual([
      { sensorId: "alpha", lines: 2 },
      { sensorId: "beta", lines: 1 },
    ]);
  });

  it("stores, lists and deletes documents by kind", async () => {
    await store().putDoc("user", "alice", '{"name":"alice"}');
    await store().putDoc("user", "bob", '{"name":"bob"}');
    await store().putDoc("token", "t1", '{"id":"t1"}');
    expect(await store().getDoc("user", "alice")).toBe('{"name":"alice"}');
    expect((await store().listDocs("user")).map(([id]) => id).sort()).toEqual(["alice", "bob"]);
    expect(await store().deleteDoc("user", "alice")).toBe(true);
    expect(await store().deleteDoc("user", "alice")).toBe(false);
    expect(await store().getDoc("user", "alice")).toBeUndefined();
    expect((await store().listDocs("token")).map(([id]) => id)).toEqual(["t1"]);
  });

  it("merges sightings per group and key, and lists them in key order", async () => {
    const sighting = (key: string, time: number, count: number) =>
      encodeObservation(
        { timeFirst: time, timeLast: time, count, sensors: [1] },
        undefined,
        Buffer.from(key, "hex"),
      );
    const keyA = "aa".repeat(22);
    const keyB = "11".repeat(22);
    await store().writeSets({
      sightings: [
        { space: "ip-certs", group: "192.0.2.1", member: sighting(keyA, 100, 1) },
        { space: "ip-certs", group: "192.0.2.1", member: sighting(keyB, 50, 2) },
        { space: "ip-certs", group: "192.0.2.2", member: sighting(keyA, 10, 1) },
      ],
      members: [],
      blobs: [],
    });
    await store().writeSets({
      sightings: [{ space: "ip-certs", group: "192.0.2.1", member: sighting(keyA, 300, 4) }],
      members: [],
      blobs: [],
    });
    const listed = [];
    for await (const chunk of store().scanSet("ip-certs", "192.0.2.1", {}, 1)) listed.push(...chunk);
    expect(listed.map((m) => m.subarray(0, 22).toString("hex"))).toEqual([keyB, keyA]);
    const merged = decodeObservation((listed[1] as Buffer).subarray(22)).obs;
    expect(merged).toMatchObject({ timeFirst: 100, timeLast: 300, count: 5 });

    const [found, missing] = await store().getSightings("ip-certs", [
      { group: "192.0.2.2", key: Buffer.from(keyA, "hex") },
      { group: "192.0.2.2", key: Buffer.from(keyB, "hex") },
    ]);
    expect(decodeObservation((found as Buffer).subarray(22)).obs.count).toBe(1);
    expect(missing).toBeUndefined();
  });

  it("adds members idempotently and lists them in order", async () => {
    const members = ["03", "01", "02", "01"].map((m) => ({
      space: "cert-ips" as const,
      group: "abc",
      member: Buffer.from(m, "hex"),
    }));
    await store().writeSets({ sightings: [], members, blobs: [] });
    await store().writeSets({ sightings: [], members: members.slice(0, 1), blobs: [] });
    const listed = [];
    for await (const chunk of store().scanSet("cert-ips", "abc", {}, 2)) listed.push(...chunk);
    expect(listed.map((m) => m.toString("hex"))).toEqual(["01", "02", "03"]);
    const none = [];
    for await (const chunk of store().scanSet("cert-ips", "other", {}, 2)) none.push(...chunk);
    expect(none).toEqual([]);
  });

  it("stores blobs, keeping an existing one when asked to", async () => {
    const blob = (bytes: string, ifAbsent: boolean) => ({
      space: "certificates" as const,
      id: "c1",
      bytes: Buffer.from(bytes),
      ifAbsent,
    });
    await store().writeSets({ sightings: [], members: [], blobs: [blob("first", true)] });
    await store().writeSets({ sightings: [], members: [], blobs: [blob("second", true)] });
    expect((await store().getBlobs("certificates", ["c1"]))[0]?.toString()).toBe("first");
    await store().writeSets({ sightings: [], members: [], blobs: [blob("third", false)] });
    const [c1, c2] = await store().getBlobs("certificates", ["c1", "c2"]);
    expect(c1?.toString()).toBe("third");
    expect(c2).toBeUndefined();
  });

  it("takes from counters only while every one is under its limit, and resets them after their lifetime", async () => {
    const counters = [
      { name: "burst", limit: 2, ttlMs: 300 },
      { name: "day", limit: 10, ttlMs: 60_000 },
    ];
    const first = await store().takeCounters("user:alice", counters, 1);
    expect(first.taken).toBe(true);
    expect(first.counts).toEqual([1, 1]);
    expect(first.resetMs[0]).toBeGreaterThan(0);
    expect(first.resetMs[0]).toBeLessThanOrEqual(300);
    expect((await store().takeCounters("user:alice", counters, 1)).counts).toEqual([2, 2]);
    const refused = await store().takeCounters("user:alice", counters, 1);
    expect(refused).toMatchObject({ taken: false, counts: [2, 2] });
    // Another scope has counters of its own; a zero-cost call only reads.
    expect((await store().takeCounters("user:bob", counters, 1)).counts).toEqual([1, 1]);
    expect(await store().takeCounters("user:alice", counters, 0)).toMatchObject({
      taken: false,
      counts: [2, 2],
    });
    await new Promise((resolve) => setTimeout(resolve, 350));
    const later = await store().takeCounters("user:alice", counters, 1);
    expect(later).toMatchObject({ taken: true, counts: [1, 3] });
    const unlimited = await store().takeCounters(
      "ip:192.0.2.1",
      [{ name: "f", limit: Infinity, ttlMs: 1000 }],
      5,
    );
    expect(unlimited).toMatchObject({ taken: true, counts: [5] });
  });

  it("keeps audit entries newest first, by user and time, resumable after any entry, within retention", async () => {
    const entry = (timeMs: number, id: string, user: string) => ({
      timeMs,
      id,
      user,
      json: JSON.stringify({ t: timeMs, id, user }),
    });
    const now = Date.now();
    const entries = [
      entry(now - 5000, "00000000000000a1", "alice"),
      entry(now - 4000, "00000000000000b1", "bob"),
      entry(now - 3000, "00000000000000a2", "alice"),
      entry(now - 3000, "00000000000000a3", "alice"),
      entry(now - 1000, "00000000000000b2", "bob"),
    ];
    const retention = { maxAgeMs: 3_600_000, maxEntries: 100 };
    await store().appendAudit(entries.slice(0, 2), retention);
    await store().appendAudit(entries.slice(2), retention);
    const ids = (list: Array<{ id: string }>) => list.map((e) => e.id.slice(-2));

    const all = await store().readAudit({ limit: 10 });
    expect(ids(all)).toEqual(["b2", "a3", "a2", "b1", "a1"]);
    expect(all[0]).toEqual(entries[4]);
    expect(ids(await store().readAudit({ user: "alice", limit: 10 }))).toEqual(["a3", "a2", "a1"]);
    expect(ids(await store().readAudit({ sinceMs: now - 4000, untilMs: now - 3000, limit: 10 }))).toEqual([
      "a3",
      "a2",
      "b1",
    ]);
    // Paging by the last entry of each page: the two entries of one millisecond are split across pages.
    const pages: string[][] = [];
    let before: { timeMs: number; id: string } | undefined;
    for (;;) {
      const page = await store().readAudit({ limit: 2, before });
      if (page.length === 0) break;
      pages.push(ids(page));
      const last = page[page.length - 1] as { timeMs: number; id: string };
      before = { timeMs: last.timeMs, id: last.id };
    }
    expect(pages).toEqual([["b2", "a3"], ["a2", "b1"], ["a1"]]);
    const alicePage = await store().readAudit({
      user: "alice",
      limit: 10,
      before: { timeMs: now - 3000, id: "00000000000000a3" },
    });
    expect(ids(alicePage)).toEqual(["a2", "a1"]);

    // Retention: a smaller cap drops the oldest, a shorter age drops what is older.
    await store().appendAudit([entry(now, "00000000000000c1", "carol")], {
      maxAgeMs: 3_600_000,
      maxEntries: 4,
    });
    expect(ids(await store().readAudit({ limit: 10 }))).toEqual(["c1", "b2", "a3", "a2"]);
    await store().appendAudit([entry(now, "00000000000000c2", "carol")], { maxAgeMs: 2000, maxEntries: 100 });
    expect(ids(await store().readAudit({ limit: 10 }))).toEqual(["c2", "c1", "b2"]);
    expect(ids(await store().readAudit({ user: "carol", limit: 10 }))).toEqual(["c2", "c1"]);
  });
});
