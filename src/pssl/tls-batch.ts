/**
 * Accumulates TLS sessions and merges repeats before anything reaches the store: each distinct
 * sighting once per batch with min/max times and summed counts, each certificate parsed once (by the
 * cache) and written once per batch.
 *
 * Per session it records: the leaf certificate at (server ip, port) — `ip-certs` and its reverse
 * `cert-ips`; JA3 and JA3S at (ip, port, leaf) — `fingerprints`, with their full strings; the SNI at
 * (ip, port, leaf) — `sni`; every certificate of the chain by SHA-1 with its SHA-256 and the names in
 * its subject CN and SAN — `cert-names`, under the name itself and under `*.<parent>` for each parent
 * domain of two labels or more, so "everything under a domain" is one set.
 */
import { normalizeName } from "../dns/name.js";
import type { TlsSession } from "../ingest/tls-session.js";
import type { SensorNumberCache } from "../pdns/observation-batch.js";
import {
  absorb,
  type PendingObservation,
  sensorIdsOf,
  startObservation,
  toObservation,
} from "../pdns/pending-observation.js";
import { encodeObservation } from "../pdns/record-codec.js";
import type { BlobWrite, MemberSpace, SetWriteBatch, SightingSpace } from "../store/types.js";
import type { CertificateCache, CertificateFacts } from "./certificate.js";
import { addressKey, certificatePortKey, endpointKey, NO_CERTIFICATE, portBytes } from "./sighting-keys.js";
import { encodeStoredCertificate } from "./stored-certificate.js";

interface PendingSighting extends PendingObservation {
  space: SightingSpace;
  group: string;
  key: Buffer;
}

/** Groups of the names a certificate is found under: the name, and `*.<parent>` for its parents. */
export function nameGroups(name: string): string[] {
  const groups = [name];
  const labels = name.split(".");
  for (let i = 1; i < labels.length - 1; i++) groups.push(`*.${labels.slice(i).join(".")}`);
  return groups;
}

export class TlsBatch {
  #sightings = new Map<string, PendingSighting>();
  #members = new Map<string, { space: MemberSpace; group: string; member: Buffer }>();
  #blobs = new Map<string, BlobWrite>();
  /** Certificates of this batch already taken from DER. */
  #parsed = new Set<string>();
  #sensors = new Set<string>();
  #sessions = 0;

  /** Sessions added since the last drain. */
  get sessions(): number {
    return this.#sessions;
  }

  #sight(space: SightingSpace, group: string, key: Buffer, time: number, sensorId: string) {
    const id = `${space}\0${group}\0${key.toString("latin1")}`;
    const pending = this.#sightings.get(id);
    if (pending) absorb(pending, time, 1, sensorId);
    else this.#sightings.set(id, { space, group, key, ...startObservation(time, 1, sensorId) });
  }

  #member(space: MemberSpace, group: string, member: Buffer) {
    this.#members.set(`${space}\0${group}\0${member.toString("latin1")}`, { space, group, member });
  }

  #blob(write: BlobWrite) {
    const id = `${write.space}\0${write.id}`;
    // A certificate parsed from DER replaces a fingerprint-only one; never the reverse.
    if (!this.#blobs.has(id) || !write.ifAbsent) this.#blobs.set(id, write);
  }

  #certificate(facts: CertificateFacts) {
    if (this.#parsed.has(facts.sha1)) return;
    this.#parsed.add(facts.sha1);
    this.#blob({
      space: "certificates",
      id: facts.sha1,
      bytes: encodeStoredCertificate({ kind: "der", facts }),
      ifAbsent: false,
    });
    this.#blob({ space: "sha256", id: facts.sha256, bytes: Buffer.from(facts.sha1, "hex"), ifAbsent: true });
    const sha1 = Buffer.from(facts.sha1, "hex");
    for (const raw of new Set([...facts.commonNames.map((n) => n.toLowerCase()), ...facts.dnsNames])) {
      const name = normalizeName(raw);
      if (name === undefined) continue;
      for (const group of nameGroups(name)) this.#member("cert-names", group, sha1);
    }
  }

  /** Adds one session; returns how many of its certificates could not be parsed. */
  addSession(session: TlsSession, sensorId: string, certificates: CertificateCache): number {
    this.#sessions++;
    this.#sensors.add(sensorId);
    let unparsable = 0;
    let leaf: Buffer | undefined;
    session.chain.forEach((der, position) => {
      const facts = certificates.get(der);
      if ("error" in facts) {
        unparsable++;
        return;
      }
      this.#certificate(facts);
      if (position === 0) leaf = Buffer.from(facts.sha1, "hex");
    });
    const stub = session.leafWithoutDer;
    if (!leaf && stub) {
      leaf = Buffer.from(stub.sha1, "hex");
      this.#blob({
        space: "certificates",
        id: stub.sha1,
        bytes: encodeStoredCertificate({ kind: "fingerprint-only", ...stub }),
        ifAbsent: true,
      });
    }
    const { serverIp, serverPort, time } = session;
    const address = addressKey(serverIp);
    if (leaf) {
      this.#sight("ip-certs", serverIp, certificatePortKey(leaf, serverPort), time, sensorId);
      this.#member("cert-ips", leaf.toString("hex"), Buffer.concat([address, portBytes(serverPort)]));
    }
    const endpoint = endpointKey(address, serverPort, leaf ?? NO_CERTIFICATE);
    for (const [kind, fingerprint] of [
      ["ja3", session.ja3],
      ["ja3s", session.ja3s],
    ] as const) {
      if (!fingerprint) continue;
      const group = `${kind}:${fingerprint.digest}`;
      this.#sight("fingerprints", group, endpoint, time, sensorId);
      if (fingerprint.text !== "") {
        this.#blob({
          space: "fingerprint-texts",
          id: group,
          bytes: Buffer.from(fingerprint.text),
          ifAbsent: true,
        });
      }
    }
    if (session.sni) this.#sight("sni", session.sni, endpoint, time, sensorId);
    return unparsable;
  }

  /** Encodes the batch for the store (resolving sensor ids to their numbers) and empties it. */
  async drain(sensorNumbers: SensorNumberCache): Promise<SetWriteBatch> {
    const ids = new Set<string>(this.#sensors);
    for (const pending of this.#sightings.values()) for (const id of sensorIdsOf(pending)) ids.add(id);
    const numbers = await sensorNumbers.resolve(ids);
    const batch: SetWriteBatch = {
      sightings: [...this.#sightings.values()].map((p) => ({
        space: p.space,
        group: p.group,
        member: encodeObservation(toObservation(p, numbers), undefined, p.key),
      })),
      members: [...this.#members.values()],
      blobs: [...this.#blobs.values()],
    };
    this.#sightings = new Map();
    this.#members = new Map();
    this.#blobs = new Map();
    this.#parsed = new Set();
    this.#sensors = new Set();
    this.#sessions = 0;
    return batch;
  }
}
