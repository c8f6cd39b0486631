/**
 * What the certificate page reads out of cfetch's answer: the SANs from OpenSSL's text
 * (`DNS:a, IP Address:0:0:0:0:0:0:0:1, email:x@y`), the DER from the PEM (for the SHA-256 fingerprint),
 * the key's type from its SubjectPublicKeyInfo, and whether the certificate is in its validity window.
 * Pure (no DOM), so the unit tests run it in Node.
 */

export interface SubjectAltName {
  /** OpenSSL's label: `DNS`, `IP Address`, `email`, `URI`, `DirName`, `othername`... */
  type: string;
  value: string;
}

/** The entries of OpenSSL's subjectAltName text, in order. */
export function parseSubjectAltNames(text: string | null | undefined): SubjectAltName[] {
  if (!text) return [];
  return text
    .split(/,\s*(?=[A-Za-z][A-Za-z ]*:)/)
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => {
      const colon = part.indexOf(":");
      return colon < 0
        ? { type: "", value: part }
        : { type: part.slice(0, colon).trim(), value: part.slice(colon + 1).trim() };
    });
}

/** The bytes of the first PEM block (`-----BEGIN ...-----`), or undefined when there is none. */
export function pemToDer(pem: string | null | undefined): Uint8Array | undefined {
  if (!pem) return undefined;
  const match = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(pem);
  if (!match?.[1]) return undefined;
  const base64 = match[1].replace(/\s+/g, "");
  try {
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

/** Lowercase hex of bytes. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (const byte of view) out += byte.toString(16).padStart(2, "0");
  return out;
}

/** Algorithm and curve object identifiers (DER content bytes, hex) → names. */
const KEY_ALGORITHMS: Array<[string, string]> = [
  ["2a864886f70d010101", "RSA"],
  ["2a8648ce3d0201", "EC"],
  ["2a8648ce380401", "DSA"],
  ["2b6570", "Ed25519"],
  ["2b6571", "Ed448"],
];
const CURVES: Array<[string, string]> = [
  ["2a8648ce3d030107", "P-256"],
  ["2b81040022", "P-384"],
  ["2b81040023", "P-521"],
  ["2b8104000a", "secp256k1"],
  ["2b2403030208010107", "brainpoolP256r1"],
  ["2b240303020801010b", "brainpoolP384r1"],
  ["2b240303020801010d", "brainpoolP512r1"],
];

/**
 * The key type of a public key PEM (cfetch's `info.key`): `RSA`, `EC P-256`, `Ed25519`... read from the
 * algorithm identifier at the start of its SubjectPublicKeyInfo; undefined when it is not recognised.
 */
export function keyTypeOf(publicKeyPem: string | null | undefined): string | undefined {
  const der = pemToDer(publicKeyPem);
  if (!der) return undefined;
  // The AlgorithmIdentifier comes first: the OIDs sit within the first few dozen bytes.
  const head = toHex(der.subarray(0, 48));
  const oid = (hex: string) => head.includes(`06${(hex.length / 2).toString(16).padStart(2, "0")}${hex}`);
  const algorithm = KEY_ALGORITHMS.find(([hex]) => oid(hex))?.[1];
  if (algorithm !== "EC") return algorithm;
  const curve = CURVES.find(([hex]) => oid(hex))?.[1];
  return curve ? `EC ${curve}` : "EC";
}

export type Validity = "valid" | "expired" | "not yet valid" | "unknown";

/** Where `now` falls in a certificate's validity window (all epoch seconds). */
export function validityAt(
  notBefore: number | undefined,
  notAfter: number | undefined,
  now: number,
): Validity {
  if (notAfter === undefined && notBefore === undefined) return "unknown";
  if (notAfter !== undefined && notAfter < now) return "expired";
  if (notBefore !== undefined && notBefore > now) return "not yet valid";
  return "valid";
}
