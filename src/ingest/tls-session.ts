/**
 * The TLS session both TLS parsers (ja3-jl and Suricata EVE) produce, and the field checks they share:
 * addresses, ports, timestamps, JA3 digests and base64 DER.
 */
import { parseIp } from "../dns/ip.js";

/** A JA3 or JA3S fingerprint: the MD5 the sensor sent (32 lowercase hex) and its full string. */
export interface TlsDigest {
  digest: string;
  /** The JA3 string exactly as sent (a trailing `-` stays); `""` when the sensor sent none. */
  text: string;
}

/** What an EVE event without DER still says of the leaf certificate. */
export interface LeafWithoutDer {
  /** SHA-1 of the DER, 40 lowercase hex. */
  sha1: string;
  subject?: string;
  issuer?: string;
  /** Epoch seconds. */
  notBefore?: number;
  notAfter?: number;
  /** As the sensor printed it (Suricata: uppercase colon-separated hex). */
  serial?: string;
}

/** One TLS session as seen by a sensor. Client addresses are checked but not kept (privacy). */
export interface TlsSession {
  /** Epoch seconds, whole (the fraction is dropped). */
  time: number;
  /** Canonical text (dotted quad or RFC 5952). */
  serverIp: string;
  serverPort: number;
  ja3?: TlsDigest;
  ja3s?: TlsDigest;
  /** Server name the client asked for, lowercased; absent when not given or not a valid name. */
  sni?: string;
  /** Distinct DER certificates in wire order, leaf first; empty when the session showed none. */
  chain: Buffer[];
  /** Only when `chain` is empty but the event still identifies the leaf. */
  leafWithoutDer?: LeafWithoutDer;
}

/**
 * Why a line was not ingested. `invalid_utf8` and `line_too_long` are for the line reader's caller;
 * `not_tls_event` is a skip, listed here so that one table of counts keyed by reason covers both.
 */
export type TlsRejectReason =
  | "bad_json"
  | "not_an_object"
  | "bad_ip"
  | "bad_port"
  | "bad_timestamp"
  | "bad_ja3"
  | "bad_certificate_encoding"
  | "bad_fingerprint"
  | "not_tls_event"
  | "line_too_long"
  | "invalid_utf8";

/** The outcome of parsing one line: a session, a counted skip, a reject, or a blank line. */
export type ParsedTlsLine =
  | { kind: "session"; session: TlsSession }
  | { kind: "skip"; reason: "not_tls_event"; detail: string }
  | { kind: "reject"; reason: TlsRejectReason; detail: string }
  | { kind: "blank" };

const MAX_DETAIL = 120;
const MAX_UINT32 = 0xffffffff;

/** A reject whose detail is cut to 120 characters. */
export function tlsReject(reason: TlsRejectReason, detail: string): ParsedTlsLine {
  const short = detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail;
  return { kind: "reject", reason, detail: short };
}

/** `what` and the offending value, quoted so that control characters stay visible. */
export function describeValue(what: string, value: unknown): string {
  if (value === undefined) return `${what} missing`;
  const shown = typeof value === "string" && value.length > MAX_DETAIL ? value.slice(0, MAX_DETAIL) : value;
  return `${what} ${JSON.stringify(shown)}`;
}

/** Whether a line holds nothing but whitespace. */
export function isBlankLine(line: string): boolean {
  return line.length === 0 || line.trim().length === 0;
}

/** Canonical text of an IP address given as a string; undefined for anything else. */
function ipFromValue(value: unknown): string | undefined {
  return typeof value === "string" ? parseIp(value)?.text : undefined;
}

/** A port given as an integer or a decimal string, 0..65535; -1 for anything else. */
function portFromValue(value: unknown): number {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 && value <= 65535 ? value : -1;
  if (typeof value !== "string" || value.length === 0 || value.length > 5) return -1;
  let port = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    port = port * 10 + d;
  }
  return port <= 65535 ? port : -1;
}

// RFC 3339 (`2019-06-12T15:08:09.123456789+02:00`) and Suricata's `+0100` offsets. Date.parse is not
// used: engines differ on nine fractional digits and on offsets without a colon.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/**
 * Whole epoch seconds of `YYYY-MM-DDTHH:MM:SS[.fraction]` followed by `Z`, `±HH:MM` or `±HHMM`; a
 * text without a zone is read as UTC only when `zone` is "optional". Undefined when malformed.
 */
export function parseDateTime(text: string, zone: "required" | "optional"): number | undefined {
  const m = DATE_TIME.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) return undefined;
  const monthDays = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  // A leap second (60) is valid RFC 3339; it counts as the next second.
  if (day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 60) return undefined;
  let offset = 0;
  if (m[8] !== undefined) {
    const offsetHours = Number(m[9]);
    const offsetMinutes = Number(m[10]);
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    offset = (m[8] === "-" ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  } else if (m[7] === undefined && zone === "required") {
    return undefined;
  }
  // Offsets are whole minutes, so dropping the fraction is the floor of the exact instant.
  return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
}

/** Epoch seconds of a session timestamp with its zone, within 32 bits; undefined otherwise. */
export function sessionTimeFromValue(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const time = parseDateTime(value, "required");
  return time !== undefined && time >= 0 && time <= MAX_UINT32 ? time : undefined;
}

const MD5_HEX = /^[0-9a-f]{32}$/;
const JA3_TEXT = /^[0-9,-]*$/;

/**
 * A JA3 or JA3S from the digest and string fields a sensor sent: undefined when both are absent or
 * empty (a partial session), "bad" when the digest is not 32 lowercase hex, the string holds more than
 * digits, commas and dashes, or a string comes without its digest.
 */
export function digestFromValues(digest: unknown, text: unknown): TlsDigest | undefined | "bad" {
  const noDigest = digest === undefined || digest === null || digest === "";
  const noText = text === undefined || text === null || text === "";
  if (noDigest) return noText ? undefined : "bad";
  if (typeof digest !== "string" || !MD5_HEX.test(digest)) return "bad";
  if (noText) return { digest, text: "" };
  if (typeof text !== "string" || !JA3_TEXT.test(text)) return "bad";
  return { digest, text };
}

/** Whether `der` is one DER SEQUENCE whose length covers exactly all its bytes. */
function isWholeDerSequence(der: Buffer): boolean {
  const first = der[1] ?? 0;
  if (der.length < 2 || der[0] !== 0x30) return false;
  if (first < 0x80) return der.length === 2 + first;
  const octets = first & 0x7f;
  if (octets === 0 || octets > 4 || der.length < 2 + octets) return false;
  let length = 0;
  for (let k = 0; k < octets; k++) length = length * 256 + (der[2 + k] ?? 0);
  return der.length === 2 + octets + length;
}

/**
 * The DER bytes of a base64 certificate; undefined when the text is not strict padded base64 or the
 * bytes are not one whole DER SEQUENCE (a truncated certificate, say).
 */
export function derFromBase64(text: string): Buffer | undefined {
  // A few hundred certificates make up most of the traffic: decode and check each text once, and hand
  // back the same (read-only) buffer, which also lets the certificate cache find it by identity.
  const known = decodedDer.get(text);
  if (known) return known;
  const der = Buffer.from(text, "base64");
  // Buffer.from skips characters it does not know and accepts base64url; encoding the bytes back is
  // the cheapest strict check (cheaper than a regular expression over the text).
  if (der.toString("base64") !== text || !isWholeDerSequence(der)) return undefined;
  if (decodedDer.size >= DECODED_DER_KEPT) decodedDer.clear();
  decodedDer.set(text, der);
  return der;
}

const DECODED_DER_KEPT = 4096;
const decodedDer = new Map<string, Buffer>();

/** Appends `der` to `chain` unless a certificate with the same bytes is already there. */
export function addDistinct(chain: Buffer[], der: Buffer): void {
  if (!chain.some((known) => known.equals(der))) chain.push(der);
}

/** A field's name (for reject details) and its value. */
type Field = [name: string, value: unknown];

/**
 * The server address and port of a session, after checking them and the client's (which may be absent,
 * and is not kept); a reject naming the first bad field otherwise.
 */
export function serverEndpointFrom(
  server: { ip: Field; port: Field },
  client: { ip: Field; port: Field },
): { serverIp: string; serverPort: number } | ParsedTlsLine {
  const serverIp = ipFromValue(server.ip[1]);
  if (serverIp === undefined) return tlsReject("bad_ip", describeValue(...server.ip));
  const serverPort = portFromValue(server.port[1]);
  if (serverPort < 0) return tlsReject("bad_port", describeValue(...server.port));
  if (client.ip[1] !== undefined && ipFromValue(client.ip[1]) === undefined) {
    return tlsReject("bad_ip", describeValue(...client.ip));
  }
  if (client.port[1] !== undefined && portFromValue(client.port[1]) < 0) {
    return tlsReject("bad_port", describeValue(...client.port));
  }
  return { serverIp, serverPort };
}
