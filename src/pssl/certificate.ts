/**
 * The facts a passive SSL service keeps of one X.509 certificate, read from its DER with asn1-ts:
 * hashes, serial, validity, key, names as CIRCL prints them, PEMs and OpenSSL's extension texts.
 */
import { createHash } from "node:crypto";
import { ASN1Construction, type ASN1Element, ASN1TagClass, ASN1UniversalType, BERElement } from "asn1-ts";
import { ipFromBytes } from "../dns/ip.js";
import {
  attributeText,
  circlName,
  compatName,
  type NameAttribute,
  nameAttributes,
  objectIdentifierOf,
} from "./distinguished-name.js";
import { type CertificateExtension, extensionTexts } from "./openssl-extensions.js";

/** What is known of a certificate. Shared by {@link CertificateCache}: treat as read-only. */
export interface CertificateFacts {
  /** SHA-1 of the DER, 40 lowercase hex: the certificate's identity in CIRCL's API. */
  sha1: string;
  sha256: string;
  md5: string;
  /** As `openssl x509 -serial` prints it: uppercase hex bytes, `-` before a negative one, `00` for zero. */
  serialHex: string;
  /** The serial in decimal (it may exceed 2^64). */
  serialDecimal: string;
  /** Validity bounds, epoch seconds. */
  notBefore: number;
  notAfter: number;
  /** Subject and issuer as CIRCL prints them, e.g. `C=LU, O=CIRCL, CN=*.circl.lu/emailAddress=a@b.lu`. */
  subject: string;
  issuer: string;
  /** Subject and issuer in OpenSSL 1.x's slash form, e.g. `/C=LU/O=CIRCL/CN=*.circl.lu`. */
  subjectCompat: string;
  issuerCompat: string;
  /** `RSA`, `RSA-PSS`, `EC`, `DSA`, `DH`, `Ed25519`, `Ed448`, `X25519`, `X448`, else the dotted OID. */
  keyType: string;
  /** Key size as OpenSSL's `EVP_PKEY_bits` gives it (456 for Ed448); 0 when unknown. */
  keyBits: number;
  /** Named curve of an EC key, OpenSSL's short name (`prime256v1`) or the dotted OID. */
  curve?: string;
  /** OpenSSL's long name (`sha256WithRSAEncryption`) or the dotted OID. */
  signatureAlgorithm: string;
  /** basicConstraints says cA. */
  isCa: boolean;
  /** Subject equals issuer, the key identifiers agree and the signature fits the key (OpenSSL's rule). */
  selfSigned: boolean;
  /** subjectAltName DNS names, read as UTF-8 and lowercased, distinct, in order. */
  dnsNames: string[];
  /** subjectAltName addresses, canonical text, distinct, in order. */
  ipAddresses: string[];
  /** Subject commonName values. */
  commonNames: string[];
  /** The certificate PEM, lines of 64, ending with a newline. */
  pem: string;
  /** The SubjectPublicKeyInfo as a `PUBLIC KEY` PEM, ending with a newline. */
  publicKeyPem: string;
  /** OpenSSL short name → OpenSSL text; see `openssl-extensions.ts`. */
  extensions: Record<string, string>;
}

/** Why a DER could not be read as a certificate. */
export interface CertificateError {
  error: string;
}

const SIGNATURE_ALGORITHMS = new Map<string, [name: string, keyFamily: string]>([
  ["1.2.840.113549.1.1.2", ["md2WithRSAEncryption", "RSA"]],
  ["1.2.840.113549.1.1.4", ["md5WithRSAEncryption", "RSA"]],
  ["1.2.840.113549.1.1.5", ["sha1WithRSAEncryption", "RSA"]],
  ["1.2.840.113549.1.1.10", ["rsassaPss", "RSA"]],
  ["1.2.840.113549.1.1.11", ["sha256WithRSAEncryption", "RSA"]],
  ["1.2.840.113549.1.1.12", ["sha384WithRSAEncryption", "RSA"]],
  ["1.2.840.113549.1.1.13", ["sha512WithRSAEncryption", "RSA"]],
  ["1.2.840.113549.1.1.14", ["sha224WithRSAEncryption", "RSA"]],
  ["1.2.840.113549.1.1.15", ["sha512-224WithRSAEncryption", "RSA"]],
  ["1.2.840.113549.1.1.16", ["sha512-256WithRSAEncryption", "RSA"]],
  ["1.3.14.3.2.29", ["sha1WithRSA", "RSA"]],
  ["2.16.840.1.101.3.4.3.13", ["RSA-SHA3-224", "RSA"]],
  ["2.16.840.1.101.3.4.3.14", ["RSA-SHA3-256", "RSA"]],
  ["2.16.840.1.101.3.4.3.15", ["RSA-SHA3-384", "RSA"]],
  ["2.16.840.1.101.3.4.3.16", ["RSA-SHA3-512", "RSA"]],
  ["1.2.840.10045.4.1", ["ecdsa-with-SHA1", "EC"]],
  ["1.2.840.10045.4.3.1", ["ecdsa-with-SHA224", "EC"]],
  ["1.2.840.10045.4.3.2", ["ecdsa-with-SHA256", "EC"]],
  ["1.2.840.10045.4.3.3", ["ecdsa-with-SHA384", "EC"]],
  ["1.2.840.10045.4.3.4", ["ecdsa-with-SHA512", "EC"]],
  ["2.16.840.1.101.3.4.3.9", ["ecdsa_with_SHA3-224", "EC"]],
  ["2.16.840.1.101.3.4.3.10", ["ecdsa_with_SHA3-256", "EC"]],
  ["2.16.840.1.101.3.4.3.11", ["ecdsa_with_SHA3-384", "EC"]],
  ["2.16.840.1.101.3.4.3.12", ["ecdsa_with_SHA3-512", "EC"]],
  ["1.2.156.10197.1.501", ["SM2-with-SM3", "EC"]],
  ["1.2.840.10040.4.3", ["dsaWithSHA1", "DSA"]],
  ["2.16.840.1.101.3.4.3.1", ["dsa_with_SHA224", "DSA"]],
  ["2.16.840.1.101.3.4.3.2", ["dsa_with_SHA256", "DSA"]],
  ["2.16.840.1.101.3.4.3.3", ["dsa_with_SHA384", "DSA"]],
  ["2.16.840.1.101.3.4.3.4", ["dsa_with_SHA512", "DSA"]],
  ["1.3.101.112", ["ED25519", "Ed25519"]],
  ["1.3.101.113", ["ED448", "Ed448"]],
]);

const KEY_TYPES = new Map<string, string>([
  ["1.2.840.113549.1.1.1", "RSA"],
  ["1.2.840.113549.1.1.10", "RSA-PSS"],
  ["1.2.840.10045.2.1", "EC"],
  ["1.2.840.10040.4.1", "DSA"],
  ["1.2.840.10046.2.1", "DH"],
  ["1.2.840.113549.1.3.1", "DH"],
  ["1.3.101.112", "Ed25519"],
  ["1.3.101.113", "Ed448"],
  ["1.3.101.110", "X25519"],
  ["1.3.101.111", "X448"],
]);

// OpenSSL 3.0's EVP_PKEY_bits for the fixed-size key types (s_client shows 256 for Ed25519, 456 for Ed448).
const FIXED_BITS: Partial<Record<string, number>> = { Ed25519: 256, Ed448: 456, X25519: 253, X448: 448 };

const CURVES = new Map<string, [name: string, bits: number]>([
  ["1.2.840.10045.3.1.7", ["prime256v1", 256]],
  ["1.3.132.0.34", ["secp384r1", 384]],
  ["1.3.132.0.35", ["secp521r1", 521]],
  ["1.3.132.0.33", ["secp224r1", 224]],
  ["1.2.840.10045.3.1.1", ["prime192v1", 192]],
  ["1.3.132.0.10", ["secp256k1", 256]],
  ["1.3.36.3.3.2.8.1.1.7", ["brainpoolP256r1", 256]],
  ["1.3.36.3.3.2.8.1.1.11", ["brainpoolP384r1", 384]],
  ["1.3.36.3.3.2.8.1.1.13", ["brainpoolP512r1", 512]],
  ["1.2.156.10197.1.301", ["SM2", 256]],
]);

const EXTENSION = {
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
} as const;

const COMMON_NAME = "2.5.4.3";

class NotACertificate extends Error {}

function decode(bytes: Uint8Array, whole: boolean): ASN1Element {
  const element = new BERElement();
  const used = element.fromBytes(bytes);
  if (whole && used !== bytes.length) throw new NotACertificate("trailing bytes after the certificate");
  return element;
}

/** The element if it has this universal tag. */
function universal(element: ASN1Element | undefined, tag: number): ASN1Element | undefined {
  return element?.tagClass === ASN1TagClass.universal && element.tagNumber === tag ? element : undefined;
}

/** The element if it has this context-specific tag. */
function context(element: ASN1Element | undefined, tag: number): ASN1Element | undefined {
  return element?.tagClass === ASN1TagClass.context && element.tagNumber === tag ? element : undefined;
}

function constructed(element: ASN1Element | undefined): ASN1Element[] | undefined {
  return element?.construction === ASN1Construction.constructed ? element.components : undefined;
}

function sequence(element: ASN1Element | undefined, what: string): ASN1Element[] {
  const items = constructed(universal(element, ASN1UniversalType.sequence));
  if (!items) throw new NotACertificate(`${what} is not a SEQUENCE`);
  return items;
}

function oid(element: ASN1Element | undefined, what: string): string {
  if (!element) throw new NotACertificate(`${what} is missing`);
  return objectIdentifierOf(element);
}

function isTrue(element: ASN1Element | undefined): boolean {
  return universal(element, ASN1UniversalType.boolean)?.value.some((byte) => byte !== 0) ?? false;
}

/** Bit length of an INTEGER element's magnitude; 0 when it is not an INTEGER. */
function integerBits(element: ASN1Element | undefined): number {
  const integer = universal(element, ASN1UniversalType.integer);
  return integer ? bitLength(integer.value) : 0;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Bit length of an unsigned big-endian integer. */
function bitLength(content: Uint8Array): number {
  let start = 0;
  while (start < content.length && content[start] === 0) start++;
  const first = content[start];
  if (first === undefined) return 0;
  return (content.length - start - 1) * 8 + (32 - Math.clz32(first));
}

/** OpenSSL prints the magnitude of an INTEGER, in whole bytes. */
function serialOf(content: Uint8Array): { serialHex: string; serialDecimal: string } {
  if (content.length === 0) throw new NotACertificate("empty serial number");
  let value = BigInt(`0x${hex(content)}`);
  const negative = (content[0] ?? 0) >= 0x80;
  if (negative) value = (1n << BigInt(content.length * 8)) - value;
  let digits = value.toString(16).toUpperCase();
  if (digits.length % 2) digits = `0${digits}`;
  const sign = negative ? "-" : "";
  return { serialHex: sign + digits, serialDecimal: sign + value.toString() };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const TIME = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?(Z|[+-]\d{4})$/;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/**
 * A UTCTime or GeneralizedTime as epoch seconds. Accepts what OpenSSL accepts beyond DER: missing
 * seconds, a fraction, an offset instead of `Z`.
 */
function timeOf(element: ASN1Element | undefined): number {
  const utcTime = universal(element, ASN1UniversalType.utcTime);
  const time = utcTime ?? universal(element, ASN1UniversalType.generalizedTime);
  if (!time) throw new NotACertificate("validity bound is not a time");
  const utc = utcTime !== undefined;
  const text = Buffer.from(time.value).toString("latin1");
  const match = TIME.exec(text);
  if (!match || (match[1]?.length === 2) !== utc || (utc && text.includes("."))) {
    throw new NotACertificate(`bad time ${JSON.stringify(text)}`);
  }
  const [, y = "", mo = "", d = "", h = "", mi = "", s = "00", zone = "Z"] = match;
  let year = Number(y);
  if (utc) year += year < 50 ? 2000 : 1900;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = (DAYS_IN_MONTH[month - 1] ?? 0) + (month === 2 && leap ? 1 : 0);
  if (day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) {
    throw new NotACertificate(`bad time ${JSON.stringify(text)}`);
  }
  const offset =
    zone === "Z" ? 0 : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3)));
  return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset * 60;
}

/** Epoch seconds as CIRCL prints validity bounds: `2014-07-17T12:24:16+00:00`. */
export function circlDate(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

function pemOf(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  let body = "";
  for (let i = 0; i < base64.length; i += 64) body += `${base64.slice(i, i + 64)}\n`;
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

interface KeyFacts {
  keyType: string;
  keyBits: number;
  curve?: string;
}

function ecKey(parameters: ASN1Element | undefined, point: Uint8Array): KeyFacts {
  const named = universal(parameters, ASN1UniversalType.objectIdentifier);
  if (named) {
    const curveOid = objectIdentifierOf(named);
    const known = CURVES.get(curveOid);
    if (known) return { keyType: "EC", keyBits: known[1], curve: known[0] };
    // An unnamed curve: the field size read off the point, uncompressed (04) or compressed.
    const fieldBytes = point[0] === 4 ? (point.length - 1) / 2 : point.length - 1;
    return { keyType: "EC", keyBits: Math.max(0, Math.floor(fieldBytes) * 8), curve: curveOid };
  }
  // Explicit parameters: OpenSSL counts the bits of the group order.
  const explicit = constructed(universal(parameters, ASN1UniversalType.sequence));
  return { keyType: "EC", keyBits: integerBits(explicit?.[4]) };
}

function keyOf(spki: ASN1Element): KeyFacts {
  const [algorithm, publicKey] = sequence(spki, "SubjectPublicKeyInfo");
  const [algorithmOid, parameters] = sequence(algorithm, "key algorithm");
  const keyOid = oid(algorithmOid, "key algorithm");
  const bits = universal(publicKey, ASN1UniversalType.bitString);
  if (!bits) throw new NotACertificate("public key is not a BIT STRING");
  const keyBytes = bits.value.subarray(1);
  const keyType = KEY_TYPES.get(keyOid) ?? keyOid;
  if (keyType === "EC") return ecKey(parameters, keyBytes);
  const fixed = FIXED_BITS[keyType];
  if (fixed !== undefined) return { keyType, keyBits: fixed };
  try {
    if (keyType === "RSA" || keyType === "RSA-PSS") {
      const [modulus] = sequence(decode(keyBytes, false), "RSA public key");
      return { keyType, keyBits: integerBits(modulus) };
    }
    if (keyType === "DSA" || keyType === "DH") {
      const [prime] = sequence(parameters, "domain parameters");
      return { keyType, keyBits: integerBits(prime) };
    }
  } catch {
    // An unreadable key still leaves a readable certificate; its size is just unknown.
  }
  return { keyType, keyBits: 0 };
}

function extensionsOf(tagged: ASN1Element | undefined): CertificateExtension[] {
  if (!tagged) return [];
  const [list] = constructed(tagged) ?? [];
  return sequence(list, "extensions").map((extension) => {
    const [id, second, third] = sequence(extension, "extension");
    const flagged = universal(second, ASN1UniversalType.boolean) !== undefined;
    const value = universal(flagged ? third : second, ASN1UniversalType.octetString);
    if (!value) throw new NotACertificate("extnValue is not an OCTET STRING");
    return { oid: oid(id, "extnID"), critical: isTrue(second), value: value.value };
  });
}

/** The value of an extension decoded, or undefined when absent or malformed (OpenSSL ignores those too). */
function extensionElement(extensions: readonly CertificateExtension[], id: string): ASN1Element | undefined {
  const extension = extensions.find((candidate) => candidate.oid === id);
  if (!extension) return undefined;
  try {
    return decode(extension.value, false);
  } catch {
    return undefined;
  }
}

function alternativeNames(extensions: readonly CertificateExtension[]): {
  dnsNames: string[];
  ipAddresses: string[];
} {
  const dnsNames = new Set<string>();
  const ipAddresses = new Set<string>();
  const names = constructed(
    universal(extensionElement(extensions, EXTENSION.subjectAltName), ASN1UniversalType.sequence),
  );
  for (const name of names ?? []) {
    const dns = context(name, 2)?.value;
    const ip = context(name, 7)?.value;
    if (dns) dnsNames.add(Buffer.from(dns).toString("utf8").toLowerCase());
    else if (ip && (ip.length === 4 || ip.length === 16)) ipAddresses.add(ipFromBytes(ip));
  }
  return { dnsNames: [...dnsNames], ipAddresses: [...ipAddresses] };
}

function isCaOf(extensions: readonly CertificateExtension[]): boolean {
  const constraints = extensionElement(extensions, EXTENSION.basicConstraints);
  const [first] = constructed(universal(constraints, ASN1UniversalType.sequence)) ?? [];
  return isTrue(first);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/**
 * OpenSSL's self-signed test (`EXFLAG_SS`): subject equals issuer (compared byte for byte, where
 * OpenSSL compares canonical forms), the authorityKeyIdentifier, if any, matches the certificate's own
 * key identifier, serial and issuer, and the signature algorithm fits the key type.
 */
function isSelfSigned(
  subject: ASN1Element,
  issuer: ASN1Element,
  serial: Uint8Array,
  keyType: string,
  signatureOid: string,
  extensions: readonly CertificateExtension[],
): boolean {
  if (!sameBytes(subject.value, issuer.value)) return false;
  const family = SIGNATURE_ALGORITHMS.get(signatureOid)?.[1];
  if (family === undefined || family !== (keyType === "RSA-PSS" ? "RSA" : keyType)) return false;
  const akid = constructed(
    universal(extensionElement(extensions, EXTENSION.authorityKeyIdentifier), ASN1UniversalType.sequence),
  );
  const ski = universal(
    extensionElement(extensions, EXTENSION.subjectKeyIdentifier),
    ASN1UniversalType.octetString,
  );
  const keyId = akid?.find((field) => context(field, 0));
  if (keyId && ski && !sameBytes(keyId.value, ski.value)) return false;
  const akidSerial = akid?.find((field) => context(field, 2));
  if (akidSerial && !sameBytes(akidSerial.value, serial)) return false;
  // Like OpenSSL, only the first directoryName of the AKID issuer counts.
  const akidIssuer = constructed(akid?.find((field) => context(field, 1)));
  const [akidName] = constructed(akidIssuer?.find((name) => context(name, 4))) ?? [];
  return !akidName || sameBytes(akidName.value, issuer.value);
}

function factsOf(der: Buffer, sha1: string): CertificateFacts {
  const [tbs, signatureAlgorithm] = sequence(decode(der, true), "Certificate");
  const fields = sequence(tbs, "TBSCertificate");
  let k = context(fields[0], 0) ? 1 : 0;
  const serial = universal(fields[k++], ASN1UniversalType.integer);
  if (!serial) throw new NotACertificate("serial is not an INTEGER");
  k++; // the signature AlgorithmIdentifier repeated inside the TBS
  const issuer = fields[k++];
  const [notBefore, notAfter] = sequence(fields[k++], "validity");
  const subject = fields[k++];
  const spki = fields[k++];
  if (!subject || !issuer || !spki) throw new NotACertificate("TBSCertificate is truncated");
  const extensions = extensionsOf(fields.slice(k).find((field) => context(field, 3)));
  const subjectAttributes = nameAttributes(subject);
  const issuerAttributes = nameAttributes(issuer);
  const signatureOid = oid(sequence(signatureAlgorithm, "signatureAlgorithm")[0], "signature algorithm");
  const key = keyOf(spki);
  return {
    sha1,
    sha256: createHash("sha256").update(der).digest("hex"),
    md5: createHash("md5").update(der).digest("hex"),
    ...serialOf(serial.value),
    notBefore: timeOf(notBefore),
    notAfter: timeOf(notAfter),
    subject: circlName(subjectAttributes),
    issuer: circlName(issuerAttributes),
    subjectCompat: compatName(subjectAttributes),
    issuerCompat: compatName(issuerAttributes),
    ...key,
    signatureAlgorithm: SIGNATURE_ALGORITHMS.get(signatureOid)?.[0] ?? signatureOid,
    isCa: isCaOf(extensions),
    selfSigned: isSelfSigned(subject, issuer, serial.value, key.keyType, signatureOid, extensions),
    ...alternativeNames(extensions),
    commonNames: subjectAttributes
      .filter((attribute: NameAttribute) => attribute.oid === COMMON_NAME)
      .map(attributeText),
    pem: pemOf("CERTIFICATE", der),
    publicKeyPem: pemOf("PUBLIC KEY", spki.toBytes()),
    extensions: extensionTexts(extensions),
  };
}

function parseKnown(der: Buffer, sha1: string): CertificateFacts | CertificateError {
  try {
    return factsOf(der, sha1);
  } catch (error) {
    // asn1-ts throws its own errors on malformed DER; all of them mean "not a certificate".
    return { error: `not a certificate: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function sha1Of(der: Buffer): string {
  return createHash("sha1").update(der).digest("hex");
}

/** The facts of one DER certificate, or why it is not one. Never throws. */
export function parseCertificate(der: Buffer): CertificateFacts | CertificateError {
  return parseKnown(der, sha1Of(der));
}

/**
 * Parses each distinct certificate once for the ingest path: keyed by the SHA-1 of the DER (the
 * identity CIRCL's API uses), at most `maxEntries` results (errors included), the oldest dropped
 * first. Results are shared between callers.
 */
export class CertificateCache {
  readonly #entries = new Map<string, CertificateFacts | CertificateError>();
  /** SHA-1 by buffer identity: a parser that hands back the same buffer for the same DER skips the hash. */
  readonly #sha1ByBuffer = new WeakMap<Buffer, string>();
  readonly #maxEntries: number;
  #parsed = 0;

  constructor(maxEntries = 10_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError("maxEntries must be a positive integer");
    }
    this.#maxEntries = maxEntries;
  }

  /** Number of results held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Certificates parsed successfully so far (each distinct DER once while it stays cached). */
  get parsed(): number {
    return this.#parsed;
  }

  /** The cached result for this DER, parsing it on first sight. Never throws. */
  get(der: Buffer): CertificateFacts | CertificateError {
    const sha1 = this.#sha1ByBuffer.get(der) ?? sha1Of(der);
    this.#sha1ByBuffer.set(der, sha1);
    const cached = this.#entries.get(sha1);
    if (cached) return cached;
    const result = parseKnown(der, sha1);
    if (!("error" in result)) this.#parsed++;
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(sha1, result);
    return result;
  }
}
