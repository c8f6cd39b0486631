/**
 * A certificate as the D4 TLS sensor prints it in `ja3-jl` lines: Go's `x509.Certificate` through
 * `encoding/json`, field for field and in the same order as /work/shared/samples/ja3-jl.ndjson (raw
 * parts and `[]byte` fields in base64, empty slices as null, big integers as bare JSON numbers). It is
 * built from the DER by a small DER reader that knows what the bench's own certificates use: RSA and EC
 * keys, and the usual extensions of a web PKI.
 */
import { createHash, createPublicKey } from "node:crypto";

/** One DER element: its tag, where it starts, where its contents start, and where it ends. */
interface Element {
  tag: number;
  start: number;
  body: number;
  end: number;
}

const SEQUENCE = 0x30;
const BOOLEAN = 0x01;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const UTC_TIME = 0x17;
const CONTEXT_0 = 0xa0;
const CONTEXT_3 = 0xa3;
const IMPLICIT_0 = 0x80;
const EMAIL_NAME = 0x81;
const DNS_NAME = 0x82;
const URI_NAME = 0x86;
const IP_ADDRESS = 0x87;

function elementAt(der: Buffer, at: number): Element {
  const tag = der.readUInt8(at);
  let length = der.readUInt8(at + 1);
  let body = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der.readUInt8(body++);
  }
  if (body + length > der.length) throw new Error(`DER element at ${at} runs past the end`);
  return { tag, start: at, body, end: body + length };
}

function childrenOf(der: Buffer, parent: Element): Element[] {
  const children: Element[] = [];
  for (let at = parent.body; at < parent.end; ) {
    const child = elementAt(der, at);
    children.push(child);
    at = child.end;
  }
  return children;
}

function child(der: Buffer, parent: Element, index: number): Element {
  const found = childrenOf(der, parent)[index];
  if (!found) throw new Error(`DER element at ${parent.start} has no child ${index}`);
  return found;
}

const raw = (der: Buffer, e: Element) => der.subarray(e.start, e.end);
const body = (der: Buffer, e: Element) => der.subarray(e.body, e.end);
const base64 = (bytes: Buffer) => bytes.toString("base64");

function oidOf(der: Buffer, e: Element): number[] {
  const bytes = body(der, e);
  const first = bytes.readUInt8(0);
  const arcs = [Math.floor(first / 40), first % 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    const byte = bytes.readUInt8(i);
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  return arcs;
}

const unsigned = (bytes: Buffer) => (bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString("hex")}`));

/** Go prints times as RFC 3339 in UTC (UTCTime years 50-99 are 19xx). */
function timeOf(der: Buffer, e: Element): string {
  const text = body(der, e).toString("latin1");
  const full = e.tag === UTC_TIME ? `${Number(text.slice(0, 2)) >= 50 ? "19" : "20"}${text}` : text;
  const [y, mo, d, h, mi, s] = [0, 4, 6, 8, 10, 12].map((at, i) => full.slice(at, at + (i === 0 ? 4 : 2)));
  return `${y}-${mo}-${d}T${h}:${mi}:${s}Z`;
}

/** Go's pkix.Name: the attributes in order (`Names`), and the common ones by field. */
function nameOf(der: Buffer, name: Element) {
  const names: Array<{ Type: number[]; Value: string }> = [];
  for (const rdn of childrenOf(der, name)) {
    for (const attribute of childrenOf(der, rdn)) {
      const [type, value] = childrenOf(der, attribute);
      if (!type || !value) throw new Error("a name attribute without type or value");
      names.push({ Type: oidOf(der, type), Value: body(der, value).toString("utf8") });
    }
  }
  const all = (last: number) => {
    const values = names.filter((n) => n.Type.join(".") === `2.5.4.${last}`).map((n) => n.Value);
    return values.length > 0 ? values : null;
  };
  const one = (last: number) => all(last)?.at(-1) ?? "";
  return {
    Country: all(6),
    Organization: all(10),
    OrganizationalUnit: all(11),
    Locality: all(7),
    Province: all(8),
    StreetAddress: all(9),
    PostalCode: all(17),
    SerialNumber: one(5),
    CommonName: one(3),
    Names: names,
    ExtraNames: null,
  };
}

/** Go's x509.SignatureAlgorithm and PublicKeyAlgorithm numbers. */
const SIGNATURE_ALGORITHMS: Record<string, number> = {
  "1.2.840.113549.1.1.5": 3,
  "1.2.840.113549.1.1.11": 4,
  "1.2.840.113549.1.1.12": 5,
  "1.2.840.113549.1.1.13": 6,
  "1.2.840.10045.4.3.2": 10,
  "1.2.840.10045.4.3.3": 11,
  "1.2.840.10045.4.3.4": 12,
};
const PUBLIC_KEY_ALGORITHMS: Record<string, number> = { "1.2.840.113549.1.1.1": 1, "1.2.840.10045.2.1": 3 };
/** Go's x509.ExtKeyUsage numbers, by the last arc under 1.3.6.1.5.5.7.3. */
const EXT_KEY_USAGES: Record<string, number> = { "1": 1, "2": 2, "3": 3, "4": 4, "8": 8, "9": 9 };

function bigFromBase64Url(text: string | undefined): bigint {
  if (text === undefined) throw new Error("a public key without its numbers");
  return unsigned(Buffer.from(text, "base64url"));
}

/** RSA `{N, E}` or ECDSA `{Curve: {}, X, Y}`, as Go marshals the key structs. */
function publicKeyOf(spki: Buffer): Record<string, unknown> {
  const jwk = createPublicKey({ key: spki, format: "der", type: "spki" }).export({ format: "jwk" });
  if (jwk.kty === "RSA") return { N: bigFromBase64Url(jwk.n), E: Number(bigFromBase64Url(jwk.e)) };
  if (jwk.kty === "EC") return { Curve: {}, X: bigFromBase64Url(jwk.x), Y: bigFromBase64Url(jwk.y) };
  throw new Error(`unsupported key type ${jwk.kty}`);
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join(".");
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // The URL parser prints an IPv6 host in its canonical (RFC 5952) form, as Go does.
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

/** The fields Go derives from the extensions it knows; null where Go leaves a nil slice. */
function extensionFacts(der: Buffer, extensions: Element[]) {
  const facts = {
    KeyUsage: 0,
    ExtKeyUsage: null as number[] | null,
    BasicConstraintsValid: false,
    IsCA: false,
    MaxPathLen: 0,
    MaxPathLenZero: false,
    SubjectKeyId: null as string | null,
    AuthorityKeyId: null as string | null,
    OCSPServer: null as string[] | null,
    IssuingCertificateURL: null as string[] | null,
    DNSNames: null as string[] | null,
    EmailAddresses: null as string[] | null,
    IPAddresses: null as string[] | null,
    CRLDistributionPoints: null as string[] | null,
    PolicyIdentifiers: null as number[][] | null,
  };
  const push = <T>(list: T[] | null, item: T): T[] => [...(list ?? []), item];
  const list: Array<{ Id: number[]; Critical: boolean; Value: string }> = [];
  for (const extension of extensions) {
    const parts = childrenOf(der, extension);
    const [id, second] = parts;
    const value = parts.at(-1);
    if (!id || !second || !value || value.tag !== OCTET_STRING) throw new Error("a malformed extension");
    const critical = second.tag === BOOLEAN && der.readUInt8(second.body) !== 0;
    const oid = oidOf(der, id);
    list.push({ Id: oid, Critical: critical, Value: base64(body(der, value)) });
    const inner = elementAt(der, value.body);
    switch (oid.join(".")) {
      case "2.5.29.15": {
        const bits = body(der, inner);
        for (let i = 0; i < 9; i++) {
          const byte = bits[1 + (i >> 3)] ?? 0;
          if ((byte >> (7 - (i & 7))) & 1) facts.KeyUsage |= 1 << i;
        }
        break;
      }
      case "2.5.29.37":
        for (const usage of childrenOf(der, inner)) {
          const arcs = oidOf(der, usage);
          const known = arcs.slice(0, -1).join(".") === "1.3.6.1.5.5.7.3" && EXT_KEY_USAGES[`${arcs.at(-1)}`];
          if (!known) throw new Error(`unsupported extended key usage ${arcs.join(".")}`);
          facts.ExtKeyUsage = push(facts.ExtKeyUsage, known);
        }
        break;
      case "2.5.29.19": {
        facts.BasicConstraintsValid = true;
        facts.MaxPathLen = -1;
        for (const field of childrenOf(der, inner)) {
          if (field.tag === BOOLEAN) facts.IsCA = der.readUInt8(field.body) !== 0;
          if (field.tag === INTEGER) facts.MaxPathLen = Number(unsigned(body(der, field)));
        }
        facts.MaxPathLenZero = facts.MaxPathLen === 0;
        break;
      }
      case "2.5.29.14":
        facts.SubjectKeyId = base64(body(der, inner));
        break;
      case "2.5.29.35": {
        const keyId = childrenOf(der, inner).find((e) => e.tag === IMPLICIT_0);
        if (keyId) facts.AuthorityKeyId = base64(body(der, keyId));
        break;
      }
      case "2.5.29.17":
        for (const name of childrenOf(der, inner)) {
          const text = body(der, name).toString("latin1");
          if (name.tag === DNS_NAME) facts.DNSNames = push(facts.DNSNames, text);
          else if (name.tag === EMAIL_NAME) facts.EmailAddresses = push(facts.EmailAddresses, text);
          else if (name.tag === IP_ADDRESS)
            facts.IPAddresses = push(facts.IPAddresses, ipText(body(der, name)));
          else throw new Error(`unsupported subject alternative name (tag ${name.tag})`);
        }
        break;
      case "1.3.6.1.5.5.7.1.1":
        for (const access of childrenOf(der, inner)) {
          const [method, location] = childrenOf(der, access);
          if (!method || location?.tag !== URI_NAME) continue;
          const uri = body(der, location).toString("latin1");
          const kind = oidOf(der, method).join(".");
          if (kind === "1.3.6.1.5.5.7.48.1") facts.OCSPServer = push(facts.OCSPServer, uri);
          if (kind === "1.3.6.1.5.5.7.48.2") {
            facts.IssuingCertificateURL = push(facts.IssuingCertificateURL, uri);
          }
        }
        break;
      case "2.5.29.31":
        for (const point of childrenOf(der, inner)) {
          const name = childrenOf(der, point).find((e) => e.tag === CONTEXT_0);
          const full = name && childrenOf(der, name).find((e) => e.tag === CONTEXT_0);
          for (const uri of full ? childrenOf(der, full) : []) {
            if (uri.tag === URI_NAME) {
              facts.CRLDistributionPoints = push(
                facts.CRLDistributionPoints,
                body(der, uri).toString("latin1"),
              );
            }
          }
        }
        break;
      case "2.5.29.32":
        for (const policy of childrenOf(der, inner)) {
          facts.PolicyIdentifiers = push(facts.PolicyIdentifiers, oidOf(der, child(der, policy, 0)));
        }
        break;
    }
  }
  return { list, facts };
}

/** Big integers go through JSON.stringify as marked strings and come out as bare numbers. */
const BIG_MARK = "@@bigint:";
const BIG_STRINGS = new RegExp(`"${BIG_MARK}(\\d+)"`, "g");

/** The compact JSON of the Go `x509.Certificate` for `der`, with the sensor's extra `CertHash` first. */
export function goCertificateJson(der: Buffer): string {
  const certificate = elementAt(der, 0);
  if (certificate.tag !== SEQUENCE || certificate.end !== der.length)
    throw new Error("not a DER certificate");
  const [tbs, signatureAlgorithm, signature] = childrenOf(der, certificate);
  if (!tbs || !signatureAlgorithm || signature?.tag !== BIT_STRING)
    throw new Error("not an X.509 certificate");
  const fields = childrenOf(der, tbs);
  const versioned = fields[0]?.tag === CONTEXT_0;
  const version = versioned ? Number(unsigned(body(der, child(der, fields[0] as Element, 0)))) + 1 : 1;
  const [serial, , issuer, validity, subject, spki] = fields.slice(versioned ? 1 : 0);
  if (!serial || !issuer || !validity || !subject || !spki) throw new Error("a TBSCertificate lacks fields");
  const extensionsField = fields.find((e) => e.tag === CONTEXT_3);
  const extensions = extensionsField ? childrenOf(der, child(der, extensionsField, 0)) : [];
  const { list, facts } = extensionFacts(der, extensions);
  const algorithm = (e: Element) => oidOf(der, child(der, e, 0)).join(".");
  const value = {
    CertHash: createHash("sha1").update(der).digest("hex"),
    Raw: base64(der),
    RawTBSCertificate: base64(raw(der, tbs)),
    RawSubjectPublicKeyInfo: base64(raw(der, spki)),
    RawSubject: base64(raw(der, subject)),
    RawIssuer: base64(raw(der, issuer)),
    Signature: base64(body(der, signature).subarray(1)),
    SignatureAlgorithm: SIGNATURE_ALGORITHMS[algorithm(signatureAlgorithm)] ?? 0,
    PublicKeyAlgorithm: PUBLIC_KEY_ALGORITHMS[algorithm(child(der, spki, 0))] ?? 0,
    PublicKey: publicKeyOf(raw(der, spki)),
    Version: version,
    SerialNumber: unsigned(body(der, serial)),
    Issuer: nameOf(der, issuer),
    Subject: nameOf(der, subject),
    NotBefore: timeOf(der, child(der, validity, 0)),
    NotAfter: timeOf(der, child(der, validity, 1)),
    KeyUsage: facts.KeyUsage,
    Extensions: list.length > 0 ? list : null,
    ExtraExtensions: null,
    UnhandledCriticalExtensions: null,
    ExtKeyUsage: facts.ExtKeyUsage,
    UnknownExtKeyUsage: null,
    BasicConstraintsValid: facts.BasicConstraintsValid,
    IsCA: facts.IsCA,
    MaxPathLen: facts.MaxPathLen,
    MaxPathLenZero: facts.MaxPathLenZero,
    SubjectKeyId: facts.SubjectKeyId,
    AuthorityKeyId: facts.AuthorityKeyId,
    OCSPServer: facts.OCSPServer,
    IssuingCertificateURL: facts.IssuingCertificateURL,
    DNSNames: facts.DNSNames,
    EmailAddresses: facts.EmailAddresses,
    IPAddresses: facts.IPAddresses,
    URIs: null,
    PermittedDNSDomainsCritical: false,
    PermittedDNSDomains: null,
    ExcludedDNSDomains: null,
    PermittedIPRanges: null,
    ExcludedIPRanges: null,
    PermittedEmailAddresses: null,
    ExcludedEmailAddresses: null,
    PermittedURIDomains: null,
    ExcludedURIDomains: null,
    CRLDistributionPoints: facts.CRLDistributionPoints,
    PolicyIdentifiers: facts.PolicyIdentifiers,
  };
  const json = JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? `${BIG_MARK}${v}` : v));
  return json.replace(BIG_STRINGS, "$1");
}
