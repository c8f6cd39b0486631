/**
 * X.509 Names as OpenSSL prints them: the slash form of `X509_NAME_oneline`, CIRCL's comma form
 * derived from it, and the `XN_FLAG_ONELINE` form used inside some extensions. All work on the raw
 * bytes of each attribute value, in certificate order.
 */
import {
  ASN1Construction,
  type ASN1Element,
  ASN1TagClass,
  ASN1UniversalType,
  BERElement,
  ObjectIdentifier,
} from "asn1-ts";

/** One attribute of a Name, in certificate order. */
export interface NameAttribute {
  /** Dotted attribute type, e.g. `2.5.4.3`. */
  oid: string;
  /** Position of its RDN in the Name; the members of a multi-valued RDN share it. */
  rdn: number;
  /** Universal tag of the value (12 UTF8String, 19 PrintableString, 30 BMPString...); -1 if not universal. */
  tag: number;
  /**
   * The bytes OpenSSL keeps for the value: the content octets of a string, the whole encoding of a
   * SEQUENCE, a SET or a value with a non-universal tag.
   */
  bytes: Uint8Array;
}

/** A Name: its DER (or parsed element), or its attributes from {@link nameAttributes}. */
export type NameInput = Uint8Array | ASN1Element | readonly NameAttribute[];

// Short names of attribute types as OpenSSL 3.0 prints them, by arc (probed with `openssl req -subj`).
const SHORT_NAMES = new Map<string, string>();
function arc(prefix: string, names: Record<number, string>): void {
  for (const [n, name] of Object.entries(names)) SHORT_NAMES.set(`${prefix}.${n}`, name);
}
arc("2.5.4", {
  3: "CN",
  4: "SN",
  5: "serialNumber",
  6: "C",
  7: "L",
  8: "ST",
  9: "street",
  10: "O",
  11: "OU",
  12: "title",
  13: "description",
  14: "searchGuide",
  15: "businessCategory",
  16: "postalAddress",
  17: "postalCode",
  18: "postOfficeBox",
  19: "physicalDeliveryOfficeName",
  20: "telephoneNumber",
  21: "telexNumber",
  22: "teletexTerminalIdentifier",
  23: "facsimileTelephoneNumber",
  24: "x121Address",
  25: "internationaliSDNNumber",
  26: "registeredAddress",
  27: "destinationIndicator",
  28: "preferredDeliveryMethod",
  29: "presentationAddress",
  30: "supportedApplicationContext",
  31: "member",
  32: "owner",
  33: "roleOccupant",
  34: "seeAlso",
  35: "userPassword",
  36: "userCertificate",
  37: "cACertificate",
  38: "authorityRevocationList",
  39: "certificateRevocationList",
  40: "crossCertificatePair",
  41: "name",
  42: "GN",
  43: "initials",
  44: "generationQualifier",
  45: "x500UniqueIdentifier",
  46: "dnQualifier",
  47: "enhancedSearchGuide",
  48: "protocolInformation",
  49: "distinguishedName",
  50: "uniqueMember",
  51: "houseIdentifier",
  52: "supportedAlgorithms",
  53: "deltaRevocationList",
  54: "dmdName",
  65: "pseudonym",
  72: "role",
  97: "organizationIdentifier",
  98: "c3",
  99: "n3",
  100: "dnsName",
});
arc("0.9.2342.19200300.100.1", {
  1: "UID",
  2: "textEncodedORAddress",
  3: "mail",
  4: "info",
  5: "favouriteDrink",
  6: "roomNumber",
  7: "photo",
  8: "userClass",
  9: "host",
  10: "manager",
  11: "documentIdentifier",
  12: "documentTitle",
  13: "documentVersion",
  14: "documentAuthor",
  15: "documentLocation",
  20: "homeTelephoneNumber",
  21: "secretary",
  22: "otherMailbox",
  23: "lastModifiedTime",
  24: "lastModifiedBy",
  25: "DC",
  26: "aRecord",
  27: "pilotAttributeType27",
  28: "mXRecord",
  29: "nSRecord",
  30: "sOARecord",
  31: "cNAMERecord",
  37: "associatedDomain",
  38: "associatedName",
  39: "homePostalAddress",
  40: "personalTitle",
  41: "mobileTelephoneNumber",
  42: "pagerTelephoneNumber",
  43: "friendlyCountryName",
  44: "uid",
  45: "organizationalStatus",
  46: "janetMailbox",
  47: "mailPreferenceOption",
  48: "buildingName",
  49: "dSAQuality",
  50: "singleLevelQuality",
  51: "subtreeMinimumQuality",
  52: "subtreeMaximumQuality",
  53: "personalSignature",
  54: "dITRedirect",
  55: "audio",
  56: "documentPublisher",
});
arc("1.2.840.113549.1.9", {
  1: "emailAddress",
  2: "unstructuredName",
  3: "contentType",
  4: "messageDigest",
  5: "signingTime",
  6: "countersignature",
  7: "challengePassword",
  8: "unstructuredAddress",
  9: "extendedCertificateAttributes",
  14: "extReq",
  15: "SMIME-CAPS",
  16: "SMIME",
  20: "friendlyName",
  21: "localKeyID",
});
arc("1.3.6.1.4.1.311.60.2.1", { 1: "jurisdictionL", 2: "jurisdictionST", 3: "jurisdictionC" });
arc("1.3.6.1.5.5.7.9", {
  1: "id-pda-dateOfBirth",
  2: "id-pda-placeOfBirth",
  3: "id-pda-gender",
  4: "id-pda-countryOfCitizenship",
  5: "id-pda-countryOfResidence",
});
arc("1.2.643.100", { 1: "OGRN", 3: "SNILS", 5: "OGRNIP", 111: "subjectSignTool" });
arc("1.2.643.3.131.1", { 1: "INN" });
arc("1.3.6.1.4.1.311.20.2", { 3: "msUPN" });

// Certificates repeat a small set of OIDs; decoding one costs more than a lookup. Bounded against floods.
const OID_CACHE = new Map<string, string>();
const OID_CACHE_LIMIT = 4096;

/**
 * The dotted form of an OBJECT IDENTIFIER element, shared by the pssl modules. Throws when the element
 * is not a primitive universal OID or its content is malformed.
 */
export function objectIdentifierOf(element: ASN1Element): string {
  if (
    element.tagClass !== ASN1TagClass.universal ||
    element.tagNumber !== ASN1UniversalType.objectIdentifier ||
    element.construction !== ASN1Construction.primitive
  ) {
    throw new Error("not an OBJECT IDENTIFIER");
  }
  const bytes = element.value;
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  let dotted = OID_CACHE.get(key);
  if (dotted === undefined) {
    dotted = ObjectIdentifier.fromBytes(bytes).toString();
    if (OID_CACHE.size >= OID_CACHE_LIMIT) OID_CACHE.clear();
    OID_CACHE.set(key, dotted);
  }
  return dotted;
}

/** OpenSSL's short name of an attribute type, or the dotted OID when OpenSSL has none. */
export function attributeShortName(oid: string): string {
  return SHORT_NAMES.get(oid) ?? oid;
}

function children(element: ASN1Element, what: string): ASN1Element[] {
  if (element.tagClass !== ASN1TagClass.universal || element.construction !== ASN1Construction.constructed) {
    throw new Error(`${what} is not a constructed universal element`);
  }
  return element.components;
}

/** The attributes of a Name (DER or parsed element), flattened in certificate order. Throws if malformed. */
export function nameAttributes(name: Uint8Array | ASN1Element): NameAttribute[] {
  let element: ASN1Element;
  if (name instanceof Uint8Array) {
    element = new BERElement();
    if (element.fromBytes(name) !== name.length) throw new Error("trailing bytes after the Name");
  } else {
    element = name;
  }
  if (element.tagNumber !== ASN1UniversalType.sequence) throw new Error("a Name is a SEQUENCE");
  const attributes: NameAttribute[] = [];
  children(element, "Name").forEach((set, rdn) => {
    if (set.tagNumber !== ASN1UniversalType.set) throw new Error("an RDN is a SET");
    for (const pair of children(set, "RDN")) {
      const [type, value, extra] = children(pair, "AttributeTypeAndValue");
      if (!type || !value || extra) throw new Error("an AttributeTypeAndValue is an OID and one value");
      const oid = objectIdentifierOf(type);
      const tag = value.tagClass === ASN1TagClass.universal ? value.tagNumber : -1;
      // OpenSSL keeps SEQUENCE and SET values in encoded form, and only content octets of the rest.
      const whole = tag === ASN1UniversalType.sequence || tag === ASN1UniversalType.set || tag === -1;
      attributes.push({ oid, rdn, tag, bytes: whole ? value.toBytes() : value.value });
    }
  });
  return attributes;
}

function attributesOf(name: NameInput): readonly NameAttribute[] {
  return Array.isArray(name) ? name : nameAttributes(name as Uint8Array | ASN1Element);
}

const HEX = "0123456789ABCDEF";

function hexByte(byte: number): string {
  return (HEX[byte >> 4] ?? "") + (HEX[byte & 15] ?? "");
}

/** How {@link compatName} writes a Name. */
export interface CompatOptions {
  /**
   * OpenSSL 3 writes `+` before the later members of a multi-valued RDN and escapes `/` and `+` in
   * values as `\/` and `\+`; OpenSSL 1.x, which CIRCL's service runs on, does neither.
   */
  openssl3?: boolean;
  /** Drop the attributes from the first one that would make the text longer than this. */
  maxLength?: number;
}

/**
 * OpenSSL's `X509_NAME_oneline` (what `-nameopt compat` prints): for each attribute `/` + short name
 * (or dotted OID) + `=` + the raw value bytes, each byte outside 0x20–0x7E as `\xHH`. The empty Name
 * is `""`. Throws only when given malformed DER. OpenSSL refuses to load a certificate whose Name holds
 * a VisibleString, GeneralString or GraphicString; here those print from their bytes like the others.
 */
export function compatName(name: NameInput, options: CompatOptions = {}): string {
  const { openssl3 = false, maxLength = Number.POSITIVE_INFINITY } = options;
  let out = "";
  let previousRdn = -1;
  for (const attribute of attributesOf(name)) {
    let part = openssl3 && attribute.rdn === previousRdn ? "+" : "/";
    previousRdn = attribute.rdn;
    part += `${attributeShortName(attribute.oid)}=`;
    for (const byte of attribute.bytes) {
      if (byte < 0x20 || byte > 0x7e) part += `\\x${hexByte(byte)}`;
      else if (openssl3 && (byte === 0x2f || byte === 0x2b)) part += `\\${String.fromCharCode(byte)}`;
      else part += String.fromCharCode(byte);
    }
    // OpenSSL stops at the first attribute that does not fit its buffer.
    if (out.length + part.length > maxLength) break;
    out += part;
  }
  return out;
}

/**
 * The subject or issuer text CIRCL's pssl API serves (OpenSSL 1.x `X509_NAME_print`): the
 * {@link compatName} slash form without its first `/`, each other `/` turned into `, ` only when one
 * or two uppercase ASCII letters and `=` follow. So `O=SMILE, CIRCL` keeps its comma and
 * `CN=x/emailAddress=y` keeps its slash.
 */
export function circlName(name: NameInput): string {
  return compatName(name)
    .slice(1)
    .replace(/\/(?=[A-Z]{1,2}=)/g, ", ");
}

// Bytes per character of the string types `X509_NAME_print_ex` decodes (0: UTF-8); others are dumped.
const CHAR_WIDTH: Partial<Record<number, number>> = {
  12: 0,
  18: 1,
  19: 1,
  20: 1,
  22: 1,
  23: 1,
  24: 1,
  26: 1,
  28: 4,
  30: 2,
};

function utf8Bytes(code: number): number[] {
  if (code < 0x80) return [code];
  if (code < 0x800) return [0xc0 | (code >> 6), 0x80 | (code & 63)];
  if (code < 0x10000) return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)];
  return [0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)];
}

/** The characters of a value as code points, or undefined when its length does not fit its width. */
function codePoints(bytes: Uint8Array, width: number): number[] | undefined {
  if (width <= 1) return Array.from(bytes);
  if (bytes.length % width !== 0) return undefined;
  const codes: number[] = [];
  for (let i = 0; i < bytes.length; i += width) {
    let code = 0;
    for (let k = 0; k < width; k++) code = code * 256 + (bytes[i + k] ?? 0);
    codes.push(code);
  }
  return codes;
}

function encodedValue(attribute: NameAttribute): Uint8Array {
  const { tag } = attribute;
  if (tag === ASN1UniversalType.sequence || tag === ASN1UniversalType.set || tag === -1)
    return attribute.bytes;
  const element = new BERElement(ASN1TagClass.universal, ASN1Construction.primitive, attribute.tag);
  element.value = new Uint8Array(attribute.bytes);
  return element.toBytes();
}

/**
 * One value under `ASN1_STRFLGS_RFC2253 | ASN1_STRFLGS_ESC_QUOTE` (OpenSSL's `do_print_ex`): UTF-8
 * bytes kept raw, other types converted to UTF-8; bytes above 0x7E and control characters as `\HH`;
 * `"` and `\` backslash-escaped; `, + ; < >`, a leading `#` or space and a trailing space make the
 * whole value quoted; types that are not strings dumped as `#` + hex of their DER.
 */
function rfc2253Value(attribute: NameAttribute): string {
  const width = CHAR_WIDTH[attribute.tag];
  const codes = width === undefined ? undefined : codePoints(attribute.bytes, width);
  if (width === undefined || codes === undefined) {
    let dump = "#";
    for (const byte of encodedValue(attribute)) dump += hexByte(byte);
    return dump;
  }
  let quotes = false;
  let text = "";
  codes.forEach((code, index) => {
    const first = index === 0;
    const last = index === codes.length - 1;
    for (const byte of width === 0 ? [code] : utf8Bytes(code)) {
      const char = String.fromCharCode(byte);
      if (byte > 0x7e || byte < 0x20) text += `\\${hexByte(byte)}`;
      else if (byte === 0x22 || byte === 0x5c) text += `\\${char}`;
      else {
        if (",+;<>".includes(char) || ((first || last) && byte === 0x20) || (first && byte === 0x23)) {
          quotes = true;
        }
        text += char;
      }
    }
  });
  return quotes ? `"${text}"` : text;
}

/**
 * OpenSSL's `X509_NAME_print_ex(..., XN_FLAG_ONELINE)` (`-nameopt oneline`): `C = LU, O = "A, B",
 * CN = x`, with ` + ` between the members of a multi-valued RDN.
 */
export function onelineName(name: NameInput): string {
  let out = "";
  let previousRdn = -1;
  for (const attribute of attributesOf(name)) {
    if (previousRdn !== -1) out += attribute.rdn === previousRdn ? " + " : ", ";
    previousRdn = attribute.rdn;
    out += `${attributeShortName(attribute.oid)} = ${rfc2253Value(attribute)}`;
  }
  return out;
}

const utf16Decoder = new TextDecoder("utf-16be");

/**
 * A value as text, for reading rather than printing: UTF-8, BMP (UTF-16BE) and UniversalString decoded,
 * the single-byte types read as Latin-1. Malformed sequences become U+FFFD.
 */
export function attributeText(attribute: NameAttribute): string {
  const { tag, bytes } = attribute;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (tag === ASN1UniversalType.utf8String) return buffer.toString("utf8");
  if (tag === ASN1UniversalType.bmpString) return utf16Decoder.decode(bytes);
  if (tag === ASN1UniversalType.universalString) {
    const codes = codePoints(bytes, 4) ?? [];
    return codes.map((code) => (code <= 0x10ffff ? String.fromCodePoint(code) : "\ufffd")).join("");
  }
  return buffer.toString("latin1");
}
