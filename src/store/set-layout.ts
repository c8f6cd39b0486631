import type { BlobSpace, MemberSpace, SightingSpace } from "./types.js";

/**
 * Length of the key part of each sighting member, per space (the rest is the observation value):
 * - ip-certs: certificate SHA-1 (20) + server port (2), grouped by server address
 * - fingerprints, sni: address (17: 4|6 + 16 bytes) + port (2) + certificate SHA-1 (20, zeros for none)
 */
export const SIGHTING_KEY_BYTES: Record<SightingSpace, number> = {
  "ip-certs": 22,
  fingerprints: 39,
  sni: 39,
};

/** One-byte tags of the spaces in the embedded store's keys. */
export const SPACE_TAGS: Record<SightingSpace | MemberSpace | BlobSpace, number> = {
  "ip-certs": 1,
  fingerprints: 2,
  sni: 3,
  "cert-ips": 4,
  "cert-names": 5,
  certificates: 6,
  sha256: 7,
  "fingerprint-texts": 8,
};
