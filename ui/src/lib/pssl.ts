/**
 * Passive SSL as the pages read it: certificates seen at addresses (`/v2pssl/sightings`), where a
 * certificate was seen (`csightings`), the certificate itself (`cfetch`, CIRCL's shape), JA3/JA3S
 * fingerprints and the certificates naming a domain (`csearch`). `certificateSummaries` fetches many
 * certificates at once, a few at a time, so a busy address does not fire hundreds of requests together.
 */
import { getJson, segment } from "./api.js";

/** A certificate seen at an address (`/v2pssl/sightings`). */
export interface AddressSighting {
  certificate: string;
  port: number;
  first_seen: number;
  last_seen: number;
  count: number;
}

/** An address a certificate was seen at (`/v2pssl/csightings`). */
export interface CertificateSighting {
  ip: string;
  port: number;
  first_seen: number;
  last_seen: number;
  count: number;
}

/** A session with a JA3 or JA3S fingerprint. */
export interface FingerprintSighting extends CertificateSighting {
  certificate: string | null;
}

export interface FingerprintAnswer {
  ja3?: string;
  ja3s?: string;
  /** The full fingerprint (`771,49196-49200-...`), null when never seen. */
  string: string | null;
  sightings: FingerprintSighting[];
  truncated: boolean;
}

/** cfetch's answer (CIRCL's shape). */
export interface CertificateFetch {
  /** Empty when the server knows the certificate only by its fingerprint. */
  pem: string;
  info: {
    subject: string;
    issuer: string;
    /** SHA-1, uppercase hex. */
    fingerprint: string;
    keylength?: number | null;
    key?: string | null;
    not_before: string;
    not_after: string;
    extension?: Record<string, string>;
  };
}

/** A certificate naming a domain (`/v2pssl/csearch`). */
export interface NamedCertificate {
  sha1: string;
  subject: string;
  issuer: string;
  not_before: string;
  not_after: string;
  names: string[];
}

export function addressSightings(
  value: string,
  signal?: AbortSignal,
): Promise<Record<string, AddressSighting[]>> {
  return getJson(`/v2pssl/sightings/${segment(value)}`, { signal });
}

export function certificateSightings(
  fingerprint: string,
  signal?: AbortSignal,
): Promise<{ certificate: string; sightings: CertificateSighting[]; truncated: boolean }> {
  return getJson(`/v2pssl/csightings/${segment(fingerprint)}`, { signal });
}

export function fetchCertificate(fingerprint: string, signal?: AbortSignal): Promise<CertificateFetch> {
  return getJson(`/v2pssl/cfetch/${segment(fingerprint)}`, { signal });
}

export function fingerprintSightings(
  kind: "ja3" | "ja3s",
  digest: string,
  signal?: AbortSignal,
): Promise<FingerprintAnswer> {
  return getJson(`/v2pssl/${kind}/${segment(digest)}`, { signal });
}

export function certificatesNaming(
  value: string,
  signal?: AbortSignal,
): Promise<{ query: string; certificates: NamedCertificate[]; truncated: boolean }> {
  return getJson(`/v2pssl/csearch/${segment(value)}`, { signal });
}

/** What a certificate list shows of each certificate; `error` when it could not be fetched. */
export interface CertificateSummary {
  subject?: string;
  issuer?: string;
  notBefore?: string;
  notAfter?: string;
  error?: string;
}

/** At most this many certificates are fetched for one list, this many at a time. */
export const SUMMARY_LIMIT = 100;
const CONCURRENCY = 4;

/**
 * The subject, issuer and validity of each certificate (cfetch), `CONCURRENCY` requests at a time, the
 * first `SUMMARY_LIMIT` only; `onEach` is told as each arrives so the list fills in as it goes.
 */
export async function certificateSummaries(
  fingerprints: string[],
  signal: AbortSignal,
  onEach: (fingerprint: string, summary: CertificateSummary) => void,
): Promise<void> {
  const queue = fingerprints.slice(0, SUMMARY_LIMIT);
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      if (signal.aborted) return;
      try {
        const { info } = await fetchCertificate(next, signal);
        onEach(next, {
          subject: info.subject,
          issuer: info.issuer,
          notBefore: info.not_before,
          notAfter: info.not_after,
        });
      } catch (error) {
        if (signal.aborted) return;
        onEach(next, { error: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}
