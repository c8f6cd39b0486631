/**
 * Retention: records and TLS sightings past their maximum age (since last seen) go, with their index
 * entries, on both stores; what was seen again recently stays; per-rrtype ages override the global one.
 * The sweep visits only old expiry buckets (the store is never scanned).
 */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { parseIp } from "../src/dns/ip.js";
import { ingestLines } from "../src/ingest/ingest-lines.js";
import { rrtypeOfSortKey } from "../src/pdns/record-codec.js";
import type { RetentionPolicy } from "../src/retention/retention-policy.js";
import { sweepExpired } from "../src/retention/sweeper.js";
import { decodeBucket } from "../src/store/expiry-layout.js";
import type { IndexRef, Store } from "../src/store/types.js";
import { BACKENDS, backendAvailable, describeEachBackend } from "./helpers/backends.js";
import { basic, parseNdjsonStrict } from "./helpers/http.js";
import { startTestServer } from "./helpers/test-server.js";

const DAY = 86_400;
/** A fixed "now" at noon UTC, so that day boundaries are predictable. */
const NOW = 1_795_608_000;
const THIRTY_DAYS: RetentionPolicy = { maxAgeSeconds: 30 * DAY, rrtypeAges: { 16: null } };

function line(time: number, name: string, type: string, answer: string): string {
  return `${time}.000000||10.0.0.1||10.0.0.53||IN||${name}.||${type}||${answer}||300||1`;
}

function ipRef(text: string): IndexRef {
  const ip = parseIp(text);
  if (!ip) throw new Error(text);
  return { kind: "ip", bytes: ip.bytes, text: ip.text };
}

async function owned(store: Store, rrname: string): Promise<number[]> {
  const types: number[] = [];
  for await (const chunk of store.scanOwner(rrname, {}, 100)) {
    for (const { sortKey } of chunk) types.push(rrtypeOfSortKey(sortKey));
  }
  return types.sort((a, b) => a - b);
}

async function indexed(store: Store, ref: IndexRef): Promise<string[]> {
  const names: string[] = [];
  for await (const chunk of store.scanIndex(ref, {}, 100)) names.push(...chunk.map((e) => e.rrname));
  return names;
}

async function setMembers(store: Store, space: "ip-certs" | "cert-ips" | "fingerprints", group: string) {
  const members: Buffer[] = [];
  for await (const chunk of store.scanSet(space, group, {}, 100)) members.push(...chunk);
  return members;
}

const SAMPLE_TLS = readFileSync(new URL("../../shared/samples/ja3-jl.ndjson", import.meta.url), "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as Record<string, unknown>);

/** A sample TLS session moved to another time and server address. */
function tlsLine(time: number, serverIp: string): string {
  const session = SAMPLE_TLS.find((s) => Array.isArray(s.Certificates) && s.Certificates.length > 0);
  return JSON.stringify({ ...session, ServerIP: serverIp, Timestamp: new Date(time * 1000).toISOString() });
}

describeEachBackend("retention", ({ store }) => {
  it("deletes records last seen before the cutoff with their index entries, and keeps the rest", async () => {
    await store().enableExpiryFiling();
    const old = NOW - 100 * DAY;
    await ingestLines(
      store(),
      [
        line(old, "old.example", "A", "192.0.2.1"),
        line(old, "alias.example", "CNAME", "old.example"),
        line(old, "old.example", "TXT", '"kept forever"'),
        line(NOW - DAY, "new.example", "A", "192.0.2.2"),
      ],
      "passivedns",
      "s1",
    );
    const report = await sweepExpired(store(), THIRTY_DAYS, NOW);
    expect(report).toMatchObject({ records: 2, sightings: 0 });
    expect(await owned(store(), "old.example")).toEqual([16]);
    expect(await owned(store(), "alias.example")).toEqual([]);
    expect(await indexed(store(), ipRef("192.0.2.1"))).toEqual([]);
    expect(await indexed(store(), { kind: "name", name: "old.example" })).toEqual([]);
    expect(await owned(store(), "new.example")).toEqual([1]);
    expect(await indexed(store(), ipRef("192.0.2.2"))).toEqual(["new.example"]);
    // What remains filed: the TXT (never expires) and the recent A; the swept buckets are gone.
    const left = (await store().expiryBuckets()).map((id) => decodeBucket(id));
    expect(left).toHaveLength(2);
    expect(left).toContainEqual({ day: Math.floor(old / DAY), kind: "record", rrtype: 16 });
    expect(left).toContainEqual({ day: Math.floor((NOW - DAY) / DAY), kind: "record", rrtype: 1 });
    // A second sweep finds nothing more.
    expect(await sweepExpired(store(), THIRTY_DAYS, NOW)).toMatchObject({ records: 0, buckets: 0 });
  });

  it("keeps a record seen again since, by moving it to the bucket of its new last day", async () => {
    await store().enableExpiryFiling();
    await ingestLines(store(), [line(NOW - 100 * DAY, "seen.example", "A", "192.0.2.3")], "passivedns", "s1");
    await ingestLines(store(), [line(NOW - 2 * DAY, "seen.example", "A", "192.0.2.3")], "passivedns", "s2");
    const days = (await store().expiryBuckets()).map((id) => decodeBucket(id)?.day);
    expect(days).toContain(Math.floor((NOW - 2 * DAY) / DAY));
    expect(await sweepExpired(store(), THIRTY_DAYS, NOW)).toMatchObject({ records: 0 });
    expect(await owned(store(), "seen.example")).toEqual([1]);
    expect(await indexed(store(), ipRef("192.0.2.3"))).toEqual(["seen.example"]);
    // ...and deletes it once that day is past the cutoff too.
    expect(await sweepExpired(store(), THIRTY_DAYS, NOW + 40 * DAY)).toMatchObject({ records: 1 });
    expect(await owned(store(), "seen.example")).toEqual([]);
  });

  it("sweeps a big bucket in chunks, keeping what was seen after the cutoff on the cutoff's day", async () => {
    await store().enableExpiryFiling();
    const cutoffDay = Math.floor((NOW - 30 * DAY) / DAY) * DAY;
    const cutoff = NOW - 30 * DAY; // noon of that day
    const lines: string[] = [];
    for (let i = 0; i < 2_500; i++) lines.push(line(cutoffDay + 60, `n${i}.bulk.example`, "A", "192.0.2.9"));
    for (let i = 0; i < 10; i++) lines.push(line(cutoff + 60, `k${i}.bulk.example`, "A", "192.0.2.9"));
    await ingestLines(store(), lines, "passivedns", "s1");
    expect(await sweepExpired(store(), THIRTY_DAYS, NOW)).toMatchObject({ records: 2_500, buckets: 1 });
    const left = await indexed(store(), ipRef("192.0.2.9"));
    expect(left.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}.bulk.example`).sort());
  });

  it("per-rrtype ages override the global one, both ways", async () => {
    await store().enableExpiryFiling();
    const policy: RetentionPolicy = { maxAgeSeconds: null, rrtypeAges: { 1: 7 * DAY } };
    await ingestLines(
      store(),
      [
        line(NOW - 10 * DAY, "t.example", "A", "192.0.2.4"),
        line(NOW - 10 * DAY, "t.example", "MX", "10 mx.example"),
      ],
      "passivedns",
      "s1",
    );
    expect(await sweepExpired(store(), policy, NOW)).toMatchObject({ records: 1 });
    expect(await owned(store(), "t.example")).toEqual([15]);
  });

  it("deletes TLS sightings past the age, with the certificate's address, and keeps the certificate", async () => {
    await store().enableExpiryFiling();
    await ingestLines(store(), [tlsLine(NOW - 100 * DAY, "198.51.100.7")], "ja3-jl", "s1");
    await ingestLines(store(), [tlsLine(NOW - DAY, "198.51.100.8")], "ja3-jl", "s1");
    const [oldSighting] = await setMembers(store(), "ip-certs", "198.51.100.7");
    expect(oldSighting).toBeDefined();
    const sha1 = (oldSighting as Buffer).subarray(0, 20).toString("hex");
    expect(await setMembers(store(), "cert-ips", sha1)).toHaveLength(2);
    const report = await sweepExpired(store(), THIRTY_DAYS, NOW);
    expect(report.sightings).toBeGreaterThanOrEqual(2); // ip-certs and the JA3/JA3S sightings at least
    expect(await setMembers(store(), "ip-certs", "198.51.100.7")).toEqual([]);
    expect(await setMembers(store(), "ip-certs", "198.51.100.8")).toHaveLength(1);
    expect(await setMembers(store(), "cert-ips", sha1)).toHaveLength(1);
    expect((await store().getBlobs("certificates", [sha1]))[0]).toBeDefined();
  });

  it("files nothing until filing is turned on", async () => {
    await ingestLines(
      store(),
      [line(NOW - 100 * DAY, "quiet.example", "A", "192.0.2.5")],
      "passivedns",
      "s1",
    );
    expect(await store().expiryBuckets()).toEqual([]);
    expect(await sweepExpired(store(), THIRTY_DAYS, NOW)).toMatchObject({ records: 0 });
    expect(await owned(store(), "quiet.example")).toEqual([1]);
  });
});

for (const backend of BACKENDS) {
  it.skipIf(!backendAvailable(backend))(
    `serve --retention files records, and \`retention sweep\` empties what is too old [${backend}]`,
    async () => {
      const server = await startTestServer(backend, { retention: "30d", retentionRrtypes: "TXT=off" });
      try {
        const now = Math.floor(Date.now() / 1000);
        await server.ingestPassiveDns(
          [
            line(now - 100 * DAY, "gone.example", "A", "192.0.2.77"),
            line(now - 100 * DAY, "gone.example", "TXT", '"stays"'),
            line(now - 60, "here.example", "A", "192.0.2.78"),
          ].join("\n"),
        );
        const sweep = await server.cli(
          "retention",
          "sweep",
          "--retention",
          "30d",
          "--retention-rrtypes",
          "TXT=off",
        );
        expect(JSON.parse(sweep.stdout)).toMatchObject({ records: 1, sightings: 0 });
        const auth = { headers: { Authorization: basic("alice", server.analystToken) } };
        const gone = await fetch(`${server.base}/pdns/query/gone.example`, auth);
        expect(gone.status).toBe(200);
        expect(parseNdjsonStrict(await gone.text()).map((r) => r.rrtype)).toEqual(["TXT"]);
        const goneIp = await fetch(`${server.base}/pdns/query/192.0.2.77`, auth);
        expect(parseNdjsonStrict(await goneIp.text())).toEqual([]);
        const here = await fetch(`${server.base}/pdns/query/192.0.2.78`, auth);
        expect(parseNdjsonStrict(await here.text()).map((r) => r.rrname)).toEqual(["here.example"]);
      } finally {
        await server.close();
      }
    },
  );
}
