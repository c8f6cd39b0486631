/**
 * Certificate extensions as OpenSSL 3.0 prints them (`X509V3_EXT_print`), keyed by OpenSSL short
 * name: the `extension` object of CIRCL's cfetch answer.
 *
 * The text of an extension is exactly what `X509V3_EXT_print` writes with indent 0 (what pyOpenSSL's
 * `str(extension)` gives). `openssl x509 -text` prints the same text at indent 16 and then a newline:
 * every indentation OpenSSL inserts grows by 16 spaces, and that includes the places where OpenSSL
 * 3.0 glues a line to the previous one (`URI:http://a/c.crl                Reasons:` in a CRL
 * distribution point with reasons). Multi-line texts keep OpenSSL's newlines; a text ends with a
 * newline only where OpenSSL writes one (`<EMPTY>\n`, a relative CRL name).
 *
 * Rendered this way: subjectAltName, issuerAltName, basicConstraints, keyUsage, extendedKeyUsage,
 * subjectKeyIdentifier, authorityKeyIdentifier, crlDistributionPoints, freshestCRL,
 * authorityInfoAccess, subjectInfoAccess, certificatePolicies. Any other extension, and one of these
 * that OpenSSL itself could not print (undecodable, or a printer that refuses, as for an empty
 * keyUsage), is given as `DER:` + its extnValue in colon-separated uppercase hex: OpenSSL's own
 * notation for a raw extension value, lossless, and never mistaken for OpenSSL's text.
 *
 * Bytes that OpenSSL copies raw into its text (DNS names, URIs, policy texts) are decoded as UTF-8,
 * malformed sequences becoming U+FFFD.
 */
import {
  ASN1Construction,
  type ASN1Element,
  ASN1TagClass,
  ASN1UniversalType,
  BERElement,
  ObjectIdentifier,
} from "asn1-ts";
import { compatName, objectIdentifierOf, onelineName } from "./distinguished-name.js";

/** One extension of a certificate. */
export interface CertificateExtension {
  /** Dotted extnID. */
  oid: string;
  critical: boolean;
  /** Content of the extnValue OCTET STRING: the DER of the extension's own structure. */
  value: Uint8Array;
}

// Short names of extensions as OpenSSL 3.0 knows them (probed with `openssl req -subj`).
const SHORT_NAMES = new Map<string, string>([
  ["2.5.29.9", "subjectDirectoryAttributes"],
  ["2.5.29.14", "subjectKeyIdentifier"],
  ["2.5.29.15", "keyUsage"],
  ["2.5.29.16", "privateKeyUsagePeriod"],
  ["2.5.29.17", "subjectAltName"],
  ["2.5.29.18", "issuerAltName"],
  ["2.5.29.19", "basicConstraints"],
  ["2.5.29.20", "crlNumber"],
  ["2.5.29.21", "CRLReason"],
  ["2.5.29.23", "holdInstructionCode"],
  ["2.5.29.24", "invalidityDate"],
  ["2.5.29.27", "deltaCRL"],
  ["2.5.29.28", "issuingDistributionPoint"],
  ["2.5.29.29", "certificateIssuer"],
  ["2.5.29.30", "nameConstraints"],
  ["2.5.29.31", "crlDistributionPoints"],
  ["2.5.29.32", "certificatePolicies"],
  ["2.5.29.33", "policyMappings"],
  ["2.5.29.35", "authorityKeyIdentifier"],
  ["2.5.29.36", "policyConstraints"],
  ["2.5.29.37", "extendedKeyUsage"],
  ["2.5.29.46", "freshestCRL"],
  ["2.5.29.54", "inhibitAnyPolicy"],
  ["2.5.29.55", "targetInformation"],
  ["2.5.29.56", "noRevAvail"],
  ["1.3.6.1.5.5.7.1.1", "authorityInfoAccess"],
  ["1.3.6.1.5.5.7.1.2", "biometricInfo"],
  ["1.3.6.1.5.5.7.1.3", "qcStatements"],
  ["1.3.6.1.5.5.7.1.4", "ac-auditEntity"],
  ["1.3.6.1.5.5.7.1.5", "ac-targeting"],
  ["1.3.6.1.5.5.7.1.6", "aaControls"],
  ["1.3.6.1.5.5.7.1.7", "sbgp-ipAddrBlock"],
  ["1.3.6.1.5.5.7.1.8", "sbgp-autonomousSysNum"],
  ["1.3.6.1.5.5.7.1.9", "sbgp-routerIdentifier"],
  ["1.3.6.1.5.5.7.1.10", "ac-proxying"],
  ["1.3.6.1.5.5.7.1.11", "subjectInfoAccess"],
  ["1.3.6.1.5.5.7.1.14", "proxyCertInfo"],
  ["1.3.6.1.5.5.7.1.24", "tlsfeature"],
  ["1.3.6.1.5.5.7.1.28", "sbgp-ipAddrBlockv2"],
  ["1.3.6.1.5.5.7.1.29", "sbgp-autonomousSysNumv2"],
  ["1.3.6.1.5.5.7.48.1.2", "Nonce"],
  ["1.3.6.1.5.5.7.48.1.5", "noCheck"],
  ["2.16.840.1.113730.1.1", "nsCertType"],
  ["2.16.840.1.113730.1.2", "nsBaseUrl"],
  ["2.16.840.1.113730.1.3", "nsRevocationUrl"],
  ["2.16.840.1.113730.1.4", "nsCaRevocationUrl"],
  ["2.16.840.1.113730.1.7", "nsRenewalUrl"],
  ["2.16.840.1.113730.1.8", "nsCaPolicyUrl"],
  ["2.16.840.1.113730.1.12", "nsSslServerName"],
  ["2.16.840.1.113730.1.13", "nsComment"],
  ["1.3.6.1.4.1.11129.2.4.2", "ct_precert_scts"],
  ["1.3.6.1.4.1.11129.2.4.3", "ct_precert_poison"],
  ["1.3.6.1.4.1.11129.2.4.5", "ct_cert_scts"],
  ["1.2.643.100.111", "subjectSignTool"],
  ["1.2.643.100.112", "issuerSignTool"],
  ["1.3.36.8.3.3", "x509ExtAdmission"],
]);

// Long names OpenSSL 3.0 prints for OIDs inside extensions (key purposes, access methods, policies,
// other-name types); any other OID is printed dotted. Probed through an extendedKeyUsage.
const LONG_NAMES = new Map<string, string>([
  ["1.3.6.1.5.5.7.3.1", "TLS Web Server Authentication"],
  ["1.3.6.1.5.5.7.3.2", "TLS Web Client Authentication"],
  ["1.3.6.1.5.5.7.3.3", "Code Signing"],
  ["1.3.6.1.5.5.7.3.4", "E-mail Protection"],
  ["1.3.6.1.5.5.7.3.5", "IPSec End System"],
  ["1.3.6.1.5.5.7.3.6", "IPSec Tunnel"],
  ["1.3.6.1.5.5.7.3.7", "IPSec User"],
  ["1.3.6.1.5.5.7.3.8", "Time Stamping"],
  ["1.3.6.1.5.5.7.3.9", "OCSP Signing"],
  ["1.3.6.1.5.5.7.3.10", "dvcs"],
  ["1.3.6.1.5.5.7.3.17", "ipsec Internet Key Exchange"],
  ["1.3.6.1.5.5.7.3.18", "Ctrl/provision WAP Access"],
  ["1.3.6.1.5.5.7.3.19", "Ctrl/Provision WAP Termination"],
  ["1.3.6.1.5.5.7.3.21", "SSH Client"],
  ["1.3.6.1.5.5.7.3.22", "SSH Server"],
  ["1.3.6.1.5.5.7.3.23", "Send Router"],
  ["1.3.6.1.5.5.7.3.24", "Send Proxied Router"],
  ["1.3.6.1.5.5.7.3.25", "Send Owner"],
  ["1.3.6.1.5.5.7.3.26", "Send Proxied Owner"],
  ["1.3.6.1.5.5.7.3.27", "CMC Certificate Authority"],
  ["1.3.6.1.5.5.7.3.28", "CMC Registration Authority"],
  ["1.3.6.1.5.5.7.3.29", "CMC Archive Server"],
  ["1.3.6.1.5.5.7.3.30", "BGPsec Router"],
  ["1.3.6.1.5.5.7.3.31", "Brand Indicator for Message Identification"],
  ["1.3.6.1.5.5.7.3.32", "Certificate Management Key Generation Authority"],
  ["1.3.6.1.5.5.7.48.1", "OCSP"],
  ["1.3.6.1.5.5.7.48.2", "CA Issuers"],
  ["1.3.6.1.5.5.7.48.3", "AD Time Stamping"],
  ["1.3.6.1.5.5.7.48.4", "ad dvcs"],
  ["1.3.6.1.5.5.7.48.5", "CA Repository"],
  ["1.3.6.1.5.5.7.48.10", "RPKI Manifest"],
  ["1.3.6.1.5.5.7.48.11", "Signed Object"],
  ["1.3.6.1.5.5.7.48.13", "RPKI Notify"],
  ["1.3.6.1.5.5.7.48.1.1", "Basic OCSP Response"],
  ["1.3.6.1.5.5.7.48.1.5", "OCSP No Check"],
  ["1.3.6.1.5.5.7.2.1", "Policy Qualifier CPS"],
  ["1.3.6.1.5.5.7.2.2", "Policy Qualifier User Notice"],
  ["1.3.6.1.5.5.7.8.3", "Permanent Identifier"],
  ["1.3.6.1.5.5.7.8.5", "XmppAddr"],
  ["1.3.6.1.5.5.7.8.7", "SRVName"],
  ["1.3.6.1.5.5.7.8.8", "NAIRealm"],
  ["1.3.6.1.5.5.7.8.9", "Smtp UTF8 Mailbox"],
  ["2.5.29.32.0", "X509v3 Any Policy"],
  ["2.5.29.37.0", "Any Extended Key Usage"],
  ["1.3.6.1.4.1.311.2.1.21", "Microsoft Individual Code Signing"],
  ["1.3.6.1.4.1.311.2.1.22", "Microsoft Commercial Code Signing"],
  ["1.3.6.1.4.1.311.10.3.1", "Microsoft Trust List Signing"],
  ["1.3.6.1.4.1.311.10.3.3", "Microsoft Server Gated Crypto"],
  ["1.3.6.1.4.1.311.10.3.4", "Microsoft Encrypted File System"],
  ["1.3.6.1.4.1.311.20.2.2", "Microsoft Smartcard Login"],
  ["1.3.6.1.4.1.311.20.2.3", "Microsoft User Principal Name"],
  ["2.16.840.1.113730.4.1", "Netscape Server Gated Crypto"],
  ["1.3.6.1.5.2.3.4", "PKINIT Client Auth"],
  ["1.3.6.1.5.2.3.5", "Signing KDC Response"],
  ["1.3.6.1.4.1.11129.2.4.4", "CT Precertificate Signer"],
]);

// Other names OpenSSL prints by a label of its own, with the universal type their value must have.
const OTHER_NAMES = new Map<string, [label: string, tag: number]>([
  ["1.3.6.1.5.5.7.8.9", ["SmtpUTF8Mailbox", ASN1UniversalType.utf8String]],
  ["1.3.6.1.5.5.7.8.5", ["XmppAddr", ASN1UniversalType.utf8String]],
  ["1.3.6.1.5.5.7.8.7", ["SRVName", ASN1UniversalType.ia5String]],
  ["1.3.6.1.4.1.311.20.2.3", ["UPN", ASN1UniversalType.utf8String]],
  ["1.3.6.1.5.5.7.8.8", ["NAIRealm", ASN1UniversalType.utf8String]],
]);

const KEY_USAGES = [
  "Digital Signature",
  "Non Repudiation",
  "Key Encipherment",
  "Data Encipherment",
  "Key Agreement",
  "Certificate Sign",
  "CRL Sign",
  "Encipher Only",
  "Decipher Only",
];

const REASONS = [
  "Unused",
  "Key Compromise",
  "CA Compromise",
  "Affiliation Changed",
  "Superseded",
  "Cessation Of Operation",
  "Certificate Hold",
  "Privilege Withdrawn",
  "AA Compromise",
];

const CPS = "1.3.6.1.5.5.7.2.1";
const USER_NOTICE = "1.3.6.1.5.5.7.2.2";

/** OpenSSL's short name of an extension, or the dotted OID when OpenSSL has none. */
export function extensionShortName(oid: string): string {
  return SHORT_NAMES.get(oid) ?? oid;
}

/** Thrown where OpenSSL's printer would fail; the extension then falls back to its DER. */
class Unprintable extends Error {}

function decode(bytes: Uint8Array): ASN1Element {
  const element = new BERElement();
  // Like OpenSSL's d2i, bytes after the first element are ignored.
  element.fromBytes(bytes);
  return element;
}

function isUniversal(element: ASN1Element, tag: number): boolean {
  return element.tagClass === ASN1TagClass.universal && element.tagNumber === tag;
}

function isContext(element: ASN1Element, tag: number): boolean {
  return element.tagClass === ASN1TagClass.context && element.tagNumber === tag;
}

function items(element: ASN1Element): ASN1Element[] {
  if (element.construction !== ASN1Construction.constructed) throw new Unprintable("not constructed");
  return element.components;
}

function sequenceItems(element: ASN1Element): ASN1Element[] {
  if (!isUniversal(element, ASN1UniversalType.sequence)) throw new Unprintable("not a SEQUENCE");
  return items(element);
}

/** A registeredID: an OID under an IMPLICIT context tag. */
function taggedOid(element: ASN1Element): string {
  return ObjectIdentifier.fromBytes(element.value).toString();
}

function universalOid(element: ASN1Element | undefined): string {
  if (!element) throw new Unprintable("missing OID");
  return objectIdentifierOf(element);
}

/** `i2t_ASN1_OBJECT` / `i2a_ASN1_OBJECT`: the long name, or the dotted OID. */
function oidText(oid: string): string {
  return LONG_NAMES.get(oid) ?? oid;
}

/** OpenSSL's `i2s_ASN1_OCTET_STRING`: uppercase hex bytes joined by colons. */
function hexColon(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).toUpperCase().padStart(2, "0")).join(":");
}

/** The magnitude bytes OpenSSL keeps for an INTEGER, and its sign. */
function integerMagnitude(content: Uint8Array): { negative: boolean; bytes: Uint8Array } {
  if (content.length === 0) throw new Unprintable("empty INTEGER");
  const negative = (content[0] ?? 0) >= 0x80;
  let value = 0n;
  for (const byte of content) value = (value << 8n) | BigInt(byte);
  if (negative) value = (1n << BigInt(content.length * 8)) - value;
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return { negative, bytes: Buffer.from(hex, "hex") };
}

/** OpenSSL's `i2s_ASN1_INTEGER`: decimal below 128 bits, else `0x` and uppercase hex bytes. */
function integerText(content: Uint8Array): string {
  const { negative, bytes } = integerMagnitude(content);
  const sign = negative ? "-" : "";
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  if (value < 1n << 127n) return sign + value.toString();
  return `${sign}0x${Buffer.from(bytes).toString("hex").toUpperCase()}`;
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

/** Bytes OpenSSL copies raw with `%.*s`, which stops at the first NUL. */
function printfText(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return utf8(nul < 0 ? bytes : bytes.subarray(0, nul));
}

/** A string value the way OpenSSL 3.0's `x509v3_add_len_value` takes it: refused if it holds a NUL. */
function lengthValue(bytes: Uint8Array): string {
  if (bytes.includes(0)) throw new Unprintable("NUL in value");
  return utf8(bytes);
}

/** OpenSSL's `ASN1_STRING_print`: bytes outside 0x20–0x7E, except CR and LF, as `.`. */
function stringPrint(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) {
    out += (byte >= 0x20 && byte <= 0x7e) || byte === 10 || byte === 13 ? String.fromCharCode(byte) : ".";
  }
  return out;
}

/** OpenSSL's `ossl_ipaddr_to_asc`. */
function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  if (bytes.length !== 16) return `<invalid length=${bytes.length}>`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) {
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16).toUpperCase());
  }
  return groups.join(":");
}

function explicitInner(element: ASN1Element): ASN1Element {
  const [inner, extra] = items(element);
  if (!inner || extra) throw new Unprintable("explicit tag without exactly one element");
  return inner;
}

/** The type OID and the value of an otherName. */
function otherName(element: ASN1Element): [oid: string, value: ASN1Element] {
  const [type, tagged] = items(element);
  if (!tagged || !isContext(tagged, 0)) throw new Unprintable("otherName without its value");
  return [universalOid(type), explicitInner(tagged)];
}

function stringContent(value: ASN1Element, tag: number): Uint8Array | undefined {
  return isUniversal(value, tag) && value.construction === ASN1Construction.primitive
    ? value.value
    : undefined;
}

/** One GeneralName as `i2v_GENERAL_NAME` makes it: the `name:value` item of a list. */
function generalNameItem(element: ASN1Element): string {
  if (element.tagClass !== ASN1TagClass.context) throw new Unprintable("GeneralName is context-tagged");
  switch (element.tagNumber) {
    case 0: {
      const [oid, value] = otherName(element);
      const known = OTHER_NAMES.get(oid);
      if (known) {
        const content = stringContent(value, known[1]);
        if (!content) throw new Unprintable("other name of an unexpected type");
        return `othername: ${known[0]}::${lengthValue(content)}`;
      }
      const label = `othername: ${oidText(oid)}:`;
      const content =
        stringContent(value, ASN1UniversalType.ia5String) ??
        stringContent(value, ASN1UniversalType.utf8String);
      if (content) {
        try {
          return `${label}:${lengthValue(content)}`;
        } catch {
          // OpenSSL falls through to <unsupported> when the string is refused.
        }
      }
      return `${label}:<unsupported>`;
    }
    case 1:
      return `email:${lengthValue(element.value)}`;
    case 2:
      return `DNS:${lengthValue(element.value)}`;
    case 3:
      return "X400Name:<unsupported>";
    case 4:
      return `DirName:${compatName(explicitInner(element), { openssl3: true, maxLength: 255 })}`;
    case 5:
      return "EdiPartyName:<unsupported>";
    case 6:
      return `URI:${lengthValue(element.value)}`;
    case 7:
      return `IP Address:${ipText(element.value)}`;
    case 8:
      return `Registered ID:${oidText(taggedOid(element))}`;
    default:
      throw new Unprintable("unknown GeneralName");
  }
}

/** One GeneralName as `GENERAL_NAME_print` writes it (CRL distribution points). */
function generalNamePrint(element: ASN1Element): string {
  if (element.tagClass !== ASN1TagClass.context) throw new Unprintable("GeneralName is context-tagged");
  switch (element.tagNumber) {
    case 0: {
      const [oid, value] = otherName(element);
      const known = OTHER_NAMES.get(oid);
      const expected =
        oid === "1.3.6.1.5.5.7.8.7" ? ASN1UniversalType.ia5String : ASN1UniversalType.utf8String;
      const content = stringContent(value, expected);
      if (!known || !content) return "othername:<unsupported>";
      return `othername:${known[0]}:${printfText(content)}`;
    }
    case 1:
      return `email:${stringPrint(element.value)}`;
    case 2:
      return `DNS:${stringPrint(element.value)}`;
    case 3:
      return "X400Name:<unsupported>";
    case 4:
      return `DirName:${onelineName(explicitInner(element))}`;
    case 5:
      return "EdiPartyName:<unsupported>";
    case 6:
      return `URI:${stringPrint(element.value)}`;
    case 7:
      return `IP Address:${ipText(element.value)}`;
    case 8:
      return `Registered ID:${oidText(taggedOid(element))}`;
    default:
      throw new Unprintable("unknown GeneralName");
  }
}

/** OpenSSL's `X509V3_EXT_val_prn`: a list on one line joined by `, `, or one item per line. */
function listText(values: readonly string[], indent: number, multiline: boolean): string {
  const pad = " ".repeat(indent);
  if (values.length === 0) return `${pad}<EMPTY>\n`;
  return multiline ? values.map((value) => pad + value).join("\n") : pad + values.join(", ");
}

/** The set bits of a BIT STRING, as OpenSSL reads it (unused trailing bits cleared). */
function bitNames(element: ASN1Element, names: readonly string[]): string[] {
  const content = element.value;
  const unused = content[0] ?? 0;
  if (content.length === 0 || unused > 7) throw new Unprintable("bad BIT STRING");
  const bytes = content.subarray(1);
  return names.filter((_, bit) => {
    const index = bit >> 3;
    let byte = bytes[index] ?? 0;
    if (index === bytes.length - 1) byte &= (0xff << unused) & 0xff;
    return (byte & (0x80 >> (bit & 7))) !== 0;
  });
}

function alternativeNames(value: Uint8Array, indent: number): string {
  return listText(sequenceItems(decode(value)).map(generalNameItem), indent, false);
}

function basicConstraints(value: Uint8Array, indent: number): string {
  const fields = sequenceItems(decode(value));
  const ca = fields[0] && isUniversal(fields[0], ASN1UniversalType.boolean) ? fields.shift() : undefined;
  const pathlen = fields.shift();
  if (fields.length > 0 || (pathlen && !isUniversal(pathlen, ASN1UniversalType.integer))) {
    throw new Unprintable("basicConstraints is an optional BOOLEAN and an optional INTEGER");
  }
  const values = [`CA:${ca?.value.some((byte) => byte !== 0) ? "TRUE" : "FALSE"}`];
  if (pathlen) values.push(`pathlen:${integerText(pathlen.value)}`);
  return listText(values, indent, false);
}

function keyUsage(value: Uint8Array, indent: number): string {
  const element = decode(value);
  if (!isUniversal(element, ASN1UniversalType.bitString)) throw new Unprintable("not a BIT STRING");
  const names = bitNames(element, KEY_USAGES);
  if (names.length === 0) throw new Unprintable("no key usage");
  return listText(names, indent, false);
}

function extendedKeyUsage(value: Uint8Array, indent: number): string {
  const purposes = sequenceItems(decode(value)).map((purpose) => oidText(universalOid(purpose)));
  if (purposes.length === 0) throw new Unprintable("no key purpose");
  return listText(purposes, indent, false);
}

function subjectKeyIdentifier(value: Uint8Array, indent: number): string {
  const element = decode(value);
  if (!isUniversal(element, ASN1UniversalType.octetString)) throw new Unprintable("not an OCTET STRING");
  return " ".repeat(indent) + hexColon(element.value);
}

function authorityKeyIdentifier(value: Uint8Array, indent: number): string {
  const fields = sequenceItems(decode(value));
  const keyId = fields.find((field) => isContext(field, 0));
  const issuer = fields.find((field) => isContext(field, 1));
  const serial = fields.find((field) => isContext(field, 2));
  const values: string[] = [];
  if (keyId) values.push(`${issuer || serial ? "keyid:" : ""}${hexColon(keyId.value)}`);
  if (issuer) values.push(...items(issuer).map(generalNameItem));
  if (serial) values.push(`serial:${hexColon(integerMagnitude(serial.value).bytes)}`);
  if (values.length === 0) throw new Unprintable("empty authorityKeyIdentifier");
  return listText(values, indent, true);
}

function reasonsText(element: ASN1Element, label: string, indent: number): string {
  const names = bitNames(element, REASONS);
  const list = names.length > 0 ? names.join(", ") : "<EMPTY>";
  return `${" ".repeat(indent)}${label}:\n${" ".repeat(indent + 2)}${list}\n`;
}

function namesText(element: ASN1Element, indent: number): string {
  return items(element)
    .map((name) => " ".repeat(indent + 2) + generalNamePrint(name))
    .join("\n");
}

/** A relative name is one RDN; OpenSSL prints it as a Name whose entries all share one set. */
function relativeNameText(element: ASN1Element): string {
  const rdn = new BERElement(ASN1TagClass.universal, ASN1Construction.constructed, ASN1UniversalType.set);
  rdn.value = new Uint8Array(element.value);
  const name = new BERElement(
    ASN1TagClass.universal,
    ASN1Construction.constructed,
    ASN1UniversalType.sequence,
  );
  name.value = rdn.toBytes();
  return onelineName(name);
}

function distributionPoints(value: Uint8Array, indent: number): string {
  const pad = " ".repeat(indent);
  return sequenceItems(decode(value))
    .map((point) => {
      let text = "";
      for (const field of sequenceItems(point)) {
        if (isContext(field, 0)) {
          const name = explicitInner(field);
          if (isContext(name, 0)) text += `${pad}Full Name:\n${namesText(name, indent)}`;
          else if (isContext(name, 1)) {
            text += `${pad}Relative Name:\n${pad}  ${relativeNameText(name)}\n`;
          } else throw new Unprintable("unknown DistributionPointName");
        } else if (isContext(field, 1)) text += reasonsText(field, "Reasons", indent);
        else if (isContext(field, 2)) text += `${pad}CRL Issuer:\n${namesText(field, indent)}`;
        else throw new Unprintable("unexpected field in DistributionPoint");
      }
      return text;
    })
    .join("\n");
}

function infoAccess(value: Uint8Array, indent: number): string {
  const lines = sequenceItems(decode(value)).map((description) => {
    const [method, location, extra] = sequenceItems(description);
    if (!location || extra) throw new Unprintable("AccessDescription is a method and a location");
    return `${oidText(universalOid(method))} - ${generalNameItem(location)}`;
  });
  return listText(lines, indent, true);
}

const DISPLAY_TEXT_TAGS: readonly number[] = [
  ASN1UniversalType.ia5String,
  ASN1UniversalType.visibleString,
  ASN1UniversalType.bmpString,
  ASN1UniversalType.utf8String,
];

function displayText(element: ASN1Element | undefined): string {
  if (
    !element ||
    element.tagClass !== ASN1TagClass.universal ||
    !DISPLAY_TEXT_TAGS.includes(element.tagNumber)
  ) {
    throw new Unprintable("not a DisplayText");
  }
  return printfText(element.value);
}

function userNotice(qualifier: ASN1Element, indent: number): string {
  const pad = " ".repeat(indent);
  let text = "";
  let explicitText: string | undefined;
  for (const field of sequenceItems(qualifier)) {
    if (isUniversal(field, ASN1UniversalType.sequence)) {
      const [organization, numbers, extra] = items(field);
      if (!numbers || extra) throw new Unprintable("NoticeReference is an organization and numbers");
      const values = sequenceItems(numbers).map((number) => {
        if (!isUniversal(number, ASN1UniversalType.integer)) throw new Unprintable("notice number");
        return integerText(number.value);
      });
      text += `${pad}Organization: ${displayText(organization)}\n`;
      text += `${pad}Number${values.length > 1 ? "s" : ""}: ${values.join(", ")}`;
    } else explicitText = displayText(field);
  }
  if (explicitText === undefined) return text;
  return `${text}${text ? "\n" : ""}${pad}Explicit Text: ${explicitText}`;
}

function qualifierText(qualifier: ASN1Element, indent: number): string {
  const [id, value, extra] = sequenceItems(qualifier);
  const oid = universalOid(id);
  if (!value || extra) throw new Unprintable("PolicyQualifierInfo is an OID and a value");
  if (oid === CPS) {
    const uri = stringContent(value, ASN1UniversalType.ia5String);
    if (!uri) throw new Unprintable("CPS is an IA5String");
    return `${" ".repeat(indent)}CPS: ${printfText(uri)}`;
  }
  if (oid === USER_NOTICE) return `${" ".repeat(indent)}User Notice:\n${userNotice(value, indent + 2)}`;
  // OpenSSL indents this one two more spaces than its siblings.
  return `${" ".repeat(indent + 2)}Unknown Qualifier: ${oidText(oid)}`;
}

function certificatePolicies(value: Uint8Array, indent: number): string {
  return sequenceItems(decode(value))
    .map((policy) => {
      const [id, qualifiers, extra] = sequenceItems(policy);
      if (extra) throw new Unprintable("PolicyInformation has two fields");
      let text = `${" ".repeat(indent)}Policy: ${oidText(universalOid(id))}`;
      if (qualifiers) {
        const lines = sequenceItems(qualifiers).map((qualifier) => qualifierText(qualifier, indent + 2));
        text += `\n${lines.join("\n")}`;
      }
      return text;
    })
    .join("\n");
}

const PRINTERS = new Map<string, (value: Uint8Array, indent: number) => string>([
  ["2.5.29.17", alternativeNames],
  ["2.5.29.18", alternativeNames],
  ["2.5.29.19", basicConstraints],
  ["2.5.29.15", keyUsage],
  ["2.5.29.37", extendedKeyUsage],
  ["2.5.29.14", subjectKeyIdentifier],
  ["2.5.29.35", authorityKeyIdentifier],
  ["2.5.29.31", distributionPoints],
  ["2.5.29.46", distributionPoints],
  ["1.3.6.1.5.5.7.1.1", infoAccess],
  ["1.3.6.1.5.5.7.1.11", infoAccess],
  ["2.5.29.32", certificatePolicies],
]);

/**
 * The text OpenSSL 3.0's `X509V3_EXT_print(out, extension, 0, indent)` writes, or undefined when this
 * module does not render that extension or OpenSSL could not print it.
 */
export function opensslExtensionText(oid: string, value: Uint8Array, indent = 0): string | undefined {
  const printer = PRINTERS.get(oid);
  if (!printer) return undefined;
  try {
    return printer(value, indent);
  } catch {
    // Malformed DER (asn1-ts errors) and refusals alike: OpenSSL would not print it either.
    return undefined;
  }
}

/**
 * The CIRCL `extension` object: OpenSSL short name (or dotted OID) → text, in certificate order. When
 * an extension appears twice, the first is kept. See the module comment for the `DER:` fallback.
 */
export function extensionTexts(extensions: readonly CertificateExtension[]): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const { oid, value } of extensions) {
    const key = extensionShortName(oid);
    if (Object.hasOwn(texts, key)) continue;
    texts[key] = opensslExtensionText(oid, value) ?? `DER:${hexColon(value)}`;
  }
  return texts;
}
