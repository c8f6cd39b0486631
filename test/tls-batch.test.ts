import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseEveLine } from "../src/ingest/eve-tls-parser.js";
import { parseJa3JlLine } from "../src/ingest/ja3-jl-parser.js";
import type { ParsedTlsLine, TlsSession } from "../src/ingest/tls-session.js";
import { SensorNumberCache } from "../src/pdns/observation-batch.js";
import { decodeObservation } from "../src/pdns/record-codec.js";
import { CertificateCache } from "../src/pssl/certificate.js";
import { ADDRESS_BYTES, addressOfKey, decodeEndpointKey } from "../src/pssl/sighting-keys.js";
import { decodeStoredCertificate } from "../src/pssl/stored-certificate.js";
import { nameGroups, TlsBatch } from "../src/pssl/tls-batch.js";
import { SIGHTING_KEY_BYTES } from "../src/store/set-layout.js";
import type { SetWriteBatch, SightingSpace } from "../src/store/types.js";

const SAMPLES = new URL("../../shared/samples/", import.meta.url);

function sampleLines(file: string): string[] {
  return readFileSync(new URL(file, SAMPLES), "utf8")
    .split("\n")
    .filter((line) => line.length > 0);
}

const ja3Lines = sampleLines("ja3-jl-with-ipv6.ndjson");
const eveLines = sampleLines("suricata-eve-tls.ndjson");

interface Ja3JlRecord {
  ServerPort: string;
  JA3Digest: string;
  JA3: string;
  Certificates: Array<{ Raw: string }> | null;
}

const ja3Records = ja3Lines.map((line) => JSON.parse(line) as Ja3JlRecord);

const hex = (algorithm: string, base64: string) =>
  createHash(algorithm).update(Buffer.from(base64, "base64")).digest("hex");

/** SHA-1 of each certificate a sample line sends, leaf first. */
const chainOf = (i: number) => (ja3Records[i]?.Certificates ?? []).map((c) => hex("sha1", c.Raw));

function sessionOf(parsed: ParsedTlsLine): TlsSession {
  if (parsed.kind !== "session") throw new Error(`expected a session, got ${JSON.stringify(parsed)}`);
  return parsed.session;
}

const ja3Session = (i: number) => sessionOf(parseJa3JlLine(ja3Lines[i] ?? ""));

/** Sample lines (by index) whose leaf is the first line's leaf, and those without certificates. */
const leaf1 = chainOf(0)[0] ?? "";
const issuing = chainOf(0)[1] ?? "";
const leaf1Lines = ja3Records.flatMap((_, i) => (chainOf(i)[0] === leaf1 ? [i] : []));
const bareLines = ja3Records.flatMap((r, i) => (r.Certificates === null ? [i] : []));

const numbering = () => new SensorNumberCache(async (ids) => new Map(ids.map((id, i) => [id, i + 1])));

function sightingsIn(batch: SetWriteBatch, space: SightingSpace) {
  const keyLength = SIGHTING_KEY_BYTES[space];
  return batch.sightings
    .filter((s) => s.space === space)
    .map((s) => ({
      group: s.group,
      key: s.member.subarray(0, keyLength),
      ...decodeObservation(s.member.subarray(keyLength)).obs,
    }));
}

const blobsIn = (batch: SetWriteBatch, space: string) => batch.blobs.filter((b) => b.space === space);

/** An EVE event of the first sample line with its DER removed: only the text fields describe the leaf. */
function eveWithoutDer(): { line: string; subject: string } {
  const event = JSON.parse(eveLines[0] ?? "") as { tls: Record<string, unknown> };
  delete event.tls.certificate;
  delete event.tls.chain;
  return { line: JSON.stringify(event), subject: event.tls.subject as string };
}

describe("nameGroups", () => {
  it("files a name under itself and under *.<parent> for each parent of two labels or more", () => {
    expect(nameGroups("www.example.lu")).toEqual(["www.example.lu", "*.example.lu"]);
    expect(nameGroups("a.b.example.lu")).toEqual(["a.b.example.lu", "*.b.example.lu", "*.example.lu"]);
  });

  it("gives a two-label or single-label name only itself", () => {
    expect(nameGroups("example.lu")).toEqual(["example.lu"]);
    expect(nameGroups("localhost")).toEqual(["localhost"]);
  });

  it("never files a name under a single-label *.<tld>", () => {
    for (const name of ["www.example.lu", "a.b.example.lu", "example.lu", "x.y.z.co.uk"]) {
      expect(nameGroups(name)).not.toContain("*.lu");
      expect(nameGroups(name).every((group) => group === name || group.split(".").length >= 3)).toBe(true);
    }
  });
});

describe("TlsBatch", () => {
  it("merges the same session added twice into one ip-certs sighting counted twice", async () => {
    const batch = new TlsBatch();
    const certificates = new CertificateCache();
    const session = ja3Session(0);
    expect(batch.addSession(session, "sensor-a", certificates)).toBe(0);
    expect(batch.addSession(session, "sensor-a", certificates)).toBe(0);
    expect(batch.sessions).toBe(2);

    const drained = await batch.drain(numbering());
    const ipCerts = sightingsIn(drained, "ip-certs");
    expect(ipCerts).toHaveLength(1);
    const [sighting] = ipCerts;
    expect(sighting?.group).toBe("127.0.0.1");
    expect(sighting?.key.subarray(0, 20).toString("hex")).toBe(leaf1);
    expect(sighting?.key.readUInt16BE(20)).toBe(Number(ja3Records[0]?.ServerPort));
    expect(sighting).toMatchObject({
      count: 2,
      timeFirst: session.time,
      timeLast: session.time,
      sensors: [1],
    });

    expect(batch.sessions).toBe(0);
    expect(await batch.drain(numbering())).toEqual({ sightings: [], members: [], blobs: [] });
  });

  it("keeps the earliest and latest time of the sessions it merges, whatever their order", async () => {
    expect(leaf1Lines.length).toBeGreaterThan(2);
    const sessions = leaf1Lines.map(ja3Session).filter((s) => s.serverPort === ja3Session(0).serverPort);
    const times = sessions.map((s) => s.time);
    expect(Math.min(...times)).toBeLessThan(Math.max(...times));
    const batch = new TlsBatch();
    const certificates = new CertificateCache();
    for (const session of [...sessions].reverse()) batch.addSession(session, "sensor-a", certificates);
    const ipCerts = sightingsIn(await batch.drain(numbering()), "ip-certs");
    expect(ipCerts).toHaveLength(1);
    expect(ipCerts[0]).toMatchObject({
      count: sessions.length,
      timeFirst: Math.min(...times),
      timeLast: Math.max(...times),
    });
  });

  it("lists every sensor of a merged sighting by its number", async () => {
    const batch = new TlsBatch();
    const certificates = new CertificateCache();
    batch.addSession(ja3Session(0), "sensor-a", certificates);
    batch.addSession(ja3Session(0), "sensor-b", certificates);
    const [sighting] = sightingsIn(await batch.drain(numbering()), "ip-certs");
    expect(sighting).toMatchObject({ count: 2, sensors: [1, 2] });
  });

  it("writes each certificate of the chain once, from DER, with its SHA-256 index", async () => {
    const secondLeafLine = ja3Records.findIndex(
      (_, i) => chainOf(i)[0] !== leaf1 && chainOf(i)[1] === issuing,
    );
    expect(secondLeafLine).toBeGreaterThan(0);
    const batch = new TlsBatch();
    const certificates = new CertificateCache();
    batch.addSession(ja3Session(0), "sensor-a", certificates);
    batch.addSession(ja3Session(0), "sensor-a", certificates);
    batch.addSession(ja3Session(secondLeafLine), "sensor-a", certificates);
    const drained = await batch.drain(numbering());

    const stored = blobsIn(drained, "certificates");
    const expected = [leaf1, issuing, chainOf(secondLeafLine)[0]].sort();
    expect(stored.map((b) => b.id).sort()).toEqual(expected);
    for (const blob of stored) {
      expect(blob.ifAbsent).toBe(false);
      const document = decodeStoredCertificate(blob.bytes);
      expect(document.kind).toBe("der");
      if (document.kind === "der") expect(document.facts.sha1).toBe(blob.id);
    }

    const raws = (ja3Records[0]?.Certificates ?? []).map((c) => c.Raw);
    const sha256 = blobsIn(drained, "sha256");
    expect(sha256).toHaveLength(3);
    for (const raw of raws) {
      const blob = sha256.find((b) => b.id === hex("sha256", raw));
      expect(blob?.bytes.toString("hex")).toBe(hex("sha1", raw));
      expect(blob?.ifAbsent).toBe(true);
    }
  });

  it("indexes a certificate by its names and the domains above them, and by its endpoint", async () => {
    const batch = new TlsBatch();
    batch.addSession(ja3Session(0), "sensor-a", new CertificateCache());
    const drained = await batch.drain(numbering());

    const groupsOfLeaf1 = drained.members
      .filter((m) => m.space === "cert-names" && m.member.toString("hex") === leaf1)
      .map((m) => m.group)
      .sort();
    // leaf1: CN and SAN www.example.lu, SAN example.lu and *.example.lu.
    expect(groupsOfLeaf1).toEqual(["*.example.lu", "example.lu", "www.example.lu"]);
    expect(drained.members.some((m) => m.group === "*.lu")).toBe(false);

    const certIps = drained.members.filter((m) => m.space === "cert-ips");
    expect(certIps).toHaveLength(1);
    expect(certIps[0]?.group).toBe(leaf1);
    const member = certIps[0]?.member ?? Buffer.alloc(0);
    expect(addressOfKey(member)).toBe("127.0.0.1");
    expect(member.readUInt16BE(ADDRESS_BYTES)).toBe(Number(ja3Records[0]?.ServerPort));
  });

  it("records JA3 and JA3S at the endpoint with their strings", async () => {
    const record = ja3Records[0];
    const batch = new TlsBatch();
    batch.addSession(ja3Session(0), "sensor-a", new CertificateCache());
    const drained = await batch.drain(numbering());
    const fingerprints = sightingsIn(drained, "fingerprints");
    expect(fingerprints.map((f) => f.group).sort()).toEqual(
      [`ja3:${record?.JA3Digest}`, `ja3s:${ja3Session(0).ja3s?.digest}`].sort(),
    );
    for (const f of fingerprints) {
      expect(decodeEndpointKey(f.key)).toEqual({
        ip: "127.0.0.1",
        port: Number(record?.ServerPort),
        sha1: leaf1,
      });
    }
    const text = blobsIn(drained, "fingerprint-texts").find((b) => b.id === `ja3:${record?.JA3Digest}`);
    expect(text?.bytes.toString()).toBe(record?.JA3);
  });

  it("records a session without certificates under its fingerprints only", async () => {
    expect(bareLines.length).toBeGreaterThan(0);
    const index = bareLines[0] ?? 0;
    const batch = new TlsBatch();
    expect(batch.addSession(ja3Session(index), "sensor-a", new CertificateCache())).toBe(0);
    const drained = await batch.drain(numbering());
    expect(sightingsIn(drained, "ip-certs")).toEqual([]);
    expect(drained.members).toEqual([]);
    expect(blobsIn(drained, "certificates")).toEqual([]);
    const fingerprints = sightingsIn(drained, "fingerprints");
    expect(fingerprints.length).toBeGreaterThan(0);
    for (const f of fingerprints) expect(decodeEndpointKey(f.key).sha1).toBeUndefined();
  });

  it("counts a chain element whose DER is not a certificate", async () => {
    const batch = new TlsBatch();
    const session: TlsSession = { ...ja3Session(0), chain: [Buffer.from([0x30, 0x00])] };
    expect(batch.addSession(session, "sensor-a", new CertificateCache())).toBe(1);
    const drained = await batch.drain(numbering());
    expect(blobsIn(drained, "certificates")).toEqual([]);
    expect(sightingsIn(drained, "ip-certs")).toEqual([]);
  });

  it("stores an EVE leaf without DER as fingerprint-only, never over a DER certificate", async () => {
    const { line, subject } = eveWithoutDer();
    const stub = sessionOf(parseEveLine(line));
    expect(stub.chain).toEqual([]);
    expect(stub.leafWithoutDer?.sha1).toBe(leaf1);

    const alone = new TlsBatch();
    expect(alone.addSession(stub, "sensor-a", new CertificateCache())).toBe(0);
    const drained = await alone.drain(numbering());
    const [blob, ...others] = blobsIn(drained, "certificates");
    expect(others).toEqual([]);
    expect(blob).toMatchObject({ id: leaf1, ifAbsent: true });
    expect(decodeStoredCertificate(blob?.bytes ?? Buffer.alloc(0))).toMatchObject({
      kind: "fingerprint-only",
      sha1: leaf1,
      subject,
    });
    expect(blobsIn(drained, "sha256")).toEqual([]);
    expect(drained.members.filter((m) => m.space === "cert-names")).toEqual([]);
    const ipCerts = sightingsIn(drained, "ip-certs");
    expect(ipCerts.map((s) => s.key.subarray(0, 20).toString("hex"))).toEqual([leaf1]);

    const der = sessionOf(parseEveLine(eveLines[0] ?? ""));
    for (const order of [
      [stub, der],
      [der, stub],
    ]) {
      const batch = new TlsBatch();
      const certificates = new CertificateCache();
      for (const session of order) batch.addSession(session, "sensor-a", certificates);
      const merged = await batch.drain(numbering());
      const leafBlob = blobsIn(merged, "certificates").find((b) => b.id === leaf1);
      expect(leafBlob?.ifAbsent).toBe(false);
      expect(decodeStoredCertificate(leafBlob?.bytes ?? Buffer.alloc(0)).kind).toBe("der");
      expect(sightingsIn(merged, "ip-certs")).toMatchObject([{ count: 2 }]);
    }
  });
});
