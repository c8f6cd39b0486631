/**
 * Passive SSL reads for any backend: certificates seen at addresses, where a certificate was seen,
 * certificate documents, JA3/JA3S sightings and certificates by name.
 */
import { decodeObservation } from "../pdns/record-codec.js";
import { SIGHTING_KEY_BYTES } from "../store/set-layout.js";
import type { MemberSpace, SightingSpace, Store } from "../store/types.js";
import { ADDRESS_BYTES, addressOfKey, certificatePortKey, decodeEndpointKey } from "./sighting-keys.js";
import { decodeStoredCertificate, type StoredCertificate } from "./stored-certificate.js";

export interface Seen {
  firstSeen: number;
  lastSeen: number;
  count: number;
}

export interface CertificateAtAddress extends Seen {
  sha1: string;
  port: number;
}

export interface AddressOfCertificate extends Seen {
  ip: string;
  port: number;
}

export interface FingerprintSighting extends Seen {
  ip: string;
  port: number;
  sha1: string | undefined;
}

const CHUNK = 1024;

async function collect(
  store: Store,
  space: SightingSpace | MemberSpace,
  group: string,
  limit = Number.POSITIVE_INFINITY,
): Promise<Buffer[]> {
  const members: Buffer[] = [];
  for await (const chunk of store.scanSet(space, group, {}, CHUNK)) {
    for (const member of chunk) {
      if (members.length >= limit) return members;
      members.push(member);
    }
  }
  return members;
}

function seenOf(member: Buffer, keyLength: number): Seen {
  const { obs } = decodeObservation(member.subarray(keyLength));
  return { firstSeen: obs.timeFirst, lastSeen: obs.timeLast, count: obs.count };
}

/** Every (certificate, port) seen at an address, ordered by certificate then port. */
export async function certificatesAt(store: Store, ip: string): Promise<CertificateAtAddress[]> {
  const keyLength = SIGHTING_KEY_BYTES["ip-certs"];
  return (await collect(store, "ip-certs", ip)).map((member) => ({
    sha1: member.subarray(0, 20).toString("hex"),
    port: member.readUInt16BE(20),
    ...seenOf(member, keyLength),
  }));
}

/** Every (address, port) where a certificate was seen, with first/last seen and count. */
export async function addressesOf(
  store: Store,
  sha1: string,
  limit?: number,
): Promise<AddressOfCertificate[]> {
  const endpoints = (await collect(store, "cert-ips", sha1, limit)).map((member) => ({
    ip: addressOfKey(member),
    port: member.readUInt16BE(ADDRESS_BYTES),
  }));
  const sha1Bytes = Buffer.from(sha1, "hex");
  const sightings = await store.getSightings(
    "ip-certs",
    endpoints.map((e) => ({ group: e.ip, key: certificatePortKey(sha1Bytes, e.port) })),
  );
  const keyLength = SIGHTING_KEY_BYTES["ip-certs"];
  return endpoints.flatMap((endpoint, i) => {
    const member = sightings[i];
    return member ? [{ ...endpoint, ...seenOf(member, keyLength) }] : [];
  });
}

/** Distinct addresses where a certificate was seen (CIRCL's cquery), in address order. */
export async function distinctAddressesOf(store: Store, sha1: string): Promise<string[]> {
  const ips: string[] = [];
  let previous: Buffer | undefined;
  for (const member of await collect(store, "cert-ips", sha1)) {
    const address = member.subarray(0, ADDRESS_BYTES);
    if (previous?.equals(address)) continue;
    previous = address;
    ips.push(addressOfKey(address));
  }
  return ips;
}

export async function certificateDocuments(
  store: Store,
  sha1s: readonly string[],
): Promise<Map<string, StoredCertificate>> {
  const blobs = await store.getBlobs("certificates", sha1s);
  const documents = new Map<string, StoredCertificate>();
  sha1s.forEach((sha1, i) => {
    const blob = blobs[i];
    if (blob) documents.set(sha1, decoded(sha1, blob));
  });
  return documents;
}

const DECODED_KEPT = 4096;
const decodedDocuments = new Map<string, { bytes: Buffer; document: StoredCertificate }>();

/**
 * Certificate documents are read far more often than they change (a fingerprint-only one is replaced
 * once its DER shows up): parse each stored version once, recognising it by its bytes.
 */
function decoded(sha1: string, bytes: Buffer): StoredCertificate {
  const known = decodedDocuments.get(sha1);
  if (known?.bytes.equals(bytes)) return known.document;
  const document = decodeStoredCertificate(bytes);
  if (decodedDocuments.size >= DECODED_KEPT) decodedDocuments.clear();
  decodedDocuments.set(sha1, { bytes: Buffer.from(bytes), document });
  return document;
}

/**
 * The SHA-1 a user means by a fingerprint: a SHA-1 as given, a SHA-256 through its index (undefined when
 * unknown); anything else is undefined too. Hex of either case.
 */
export async function resolveCertificateId(store: Store, fingerprint: string): Promise<string | undefined> {
  const hex = fingerprint.toLowerCase().replaceAll(":", "");
  if (/^[0-9a-f]{40}$/.test(hex)) return hex;
  if (!/^[0-9a-f]{64}$/.test(hex)) return undefined;
  const [sha1] = await store.getBlobs("sha256", [hex]);
  return sha1?.toString("hex");
}

export async function fingerprintSightings(
  store: Store,
  kind: "ja3" | "ja3s",
  digest: string,
  limit?: number,
): Promise<{ text: string | undefined; sightings: FingerprintSighting[] }> {
  const group = `${kind}:${digest}`;
  const keyLength = SIGHTING_KEY_BYTES.fingerprints;
  const [text] = await store.getBlobs("fingerprint-texts", [group]);
  const sightings = (await collect(store, "fingerprints", group, limit)).map((member) => ({
    ...decodeEndpointKey(member.subarray(0, keyLength)),
    ...seenOf(member, keyLength),
  }));
  return { text: text?.toString("utf8"), sightings };
}

/**
 * Certificates whose subject CN or SAN names `name` exactly, or — for `*.example.com` — any name under
 * example.com (including a wildcard certificate for it).
 */
export async function certificatesNamed(store: Store, name: string, limit?: number): Promise<string[]> {
  return (await collect(store, "cert-names", name, limit)).map((member) => member.toString("hex"));
}
