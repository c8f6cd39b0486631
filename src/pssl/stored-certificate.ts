/**
 * What the store keeps of a certificate, by SHA-1: every fact parsed from its DER once at ingest, or —
 * when a sensor (Suricata EVE without `certificate`) gave only its fingerprint — the text it printed.
 */
import type { CertificateFacts } from "./certificate.js";

export type StoredCertificate =
  | { kind: "der"; facts: CertificateFacts }
  | {
      kind: "fingerprint-only";
      sha1: string;
      subject?: string | undefined;
      issuer?: string | undefined;
      notBefore?: number | undefined;
      notAfter?: number | undefined;
      serial?: string | undefined;
    };

export function encodeStoredCertificate(certificate: StoredCertificate): Buffer {
  return Buffer.from(JSON.stringify(certificate), "utf8");
}

export function decodeStoredCertificate(bytes: Buffer): StoredCertificate {
  return JSON.parse(bytes.toString("utf8")) as StoredCertificate;
}
