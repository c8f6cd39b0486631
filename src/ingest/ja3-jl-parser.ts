/**
 * One line of D4 `ja3-jl` output (sensor-d4-tls-fingerprinting: Go field names, string ports, a Go
 * x509.Certificate per chain element) to a TLS session, or a reject with its reason.
 *
 * Of each certificate only `Raw` (the DER) is read. `CertHash`, `SerialNumber`, `PublicKey` and the
 * other decoded Go fields are never used: JSON.parse rounds a 160-bit `SerialNumber` and turns an RSA
 * `PublicKey.N` over 1024 bits (a 4096-bit one too) into Infinity, harmless only because nothing
 * reads them.
 */
import {
  addDistinct,
  derFromBase64,
  describeValue,
  digestFromValues,
  isBlankLine,
  type ParsedTlsLine,
  serverEndpointFrom,
  sessionTimeFromValue,
  type TlsSession,
  tlsReject,
} from "./tls-session.js";

/** The fields of a record this parser reads, as JSON.parse would give them. */
type Ja3Record = Record<string, unknown>;

function chainFrom(certificates: unknown): Buffer[] | ParsedTlsLine {
  const chain: Buffer[] = [];
  if (certificates === undefined || certificates === null) return chain;
  if (!Array.isArray(certificates)) {
    return tlsReject("bad_certificate_encoding", "Certificates is neither an array nor null");
  }
  for (let k = 0; k < certificates.length; k++) {
    const certificate: unknown = certificates[k];
    // Go prints a nil pointer or a nil []byte as null; neither carries a certificate.
    if (certificate === null) continue;
    if (typeof certificate !== "object" || Array.isArray(certificate)) {
      return tlsReject("bad_certificate_encoding", `Certificates[${k}] is not an object`);
    }
    const raw = (certificate as Ja3Record).Raw;
    if (raw === undefined || raw === null || raw === "") continue;
    const der = typeof raw === "string" ? derFromBase64(raw) : undefined;
    if (der === undefined) {
      return tlsReject("bad_certificate_encoding", describeValue(`Certificates[${k}].Raw`, raw));
    }
    addDistinct(chain, der);
  }
  return chain;
}

function sessionFrom(o: Ja3Record): ParsedTlsLine {
  const endpoint = serverEndpointFrom(
    { ip: ["ServerIP", o.ServerIP], port: ["ServerPort", o.ServerPort] },
    { ip: ["ClientIP", o.ClientIP], port: ["ClientPort", o.ClientPort] },
  );
  if ("kind" in endpoint) return endpoint;
  const { serverIp, serverPort } = endpoint;
  const time = sessionTimeFromValue(o.Timestamp);
  if (time === undefined) return tlsReject("bad_timestamp", describeValue("Timestamp", o.Timestamp));
  const ja3 = digestFromValues(o.JA3Digest, o.JA3);
  if (ja3 === "bad") return tlsReject("bad_ja3", describeValue("JA3Digest, JA3", [o.JA3Digest, o.JA3]));
  const ja3s = digestFromValues(o.JA3SDigest, o.JA3S);
  if (ja3s === "bad") return tlsReject("bad_ja3", describeValue("JA3SDigest, JA3S", [o.JA3SDigest, o.JA3S]));
  const chain = chainFrom(o.Certificates);
  if (!Array.isArray(chain)) return chain;
  const session: TlsSession = { time, serverIp, serverPort, chain };
  if (ja3 !== undefined) session.ja3 = ja3;
  if (ja3s !== undefined) session.ja3s = ja3s;
  return { kind: "session", session };
}

// The fast path. A ja3-jl line is ~12 KB and ~500 JSON tokens of Go x509 fields around the few we
// read, and JSON.parse spends its time building objects for all of them. The sensor writes compact
// JSON with no escapes, so for such lines a scan that checks every token but builds only the fields
// we read gives exactly what JSON.parse gives, in under two thirds of the time. Any other line (whitespace,
// escapes, control characters, a non-string header value, deep nesting) goes through JSON.parse.

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const MINUS = 45;
const DOT = 46;
const MAX_DEPTH = 32;
const FAIL = -1;

// JSON strings may not hold raw control characters. Matching the whole line runs twice as fast as
// searching for one, and twice as fast again without the backslash in the class.
// biome-ignore lint/suspicious/noControlCharactersInRegex: this looks for exactly those characters.
const NO_CONTROL_CHARACTER = /^[^\u0000-\u001f]*$/;

const HEADER_KEYS = new Set([
  "ServerIP",
  "ServerPort",
  "ClientIP",
  "ClientPort",
  "Timestamp",
  "JA3",
  "JA3Digest",
  "JA3S",
  "JA3SDigest",
]);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** End of the string starting at the quote s[i]; there are no escapes on this path. */
function skipString(s: string, i: number): number {
  const end = s.indexOf('"', i + 1);
  return end < 0 ? FAIL : end + 1;
}

const DIGITS = /[0-9]*/y;
const SHORT_DIGITS = 16;

function skipDigits(s: string, i: number): number {
  let k = i;
  const stop = i + SHORT_DIGITS;
  while (k < stop && isDigit(s.charCodeAt(k))) k++;
  if (k < stop) return k;
  // An RSA PublicKey.N has hundreds of digits: the regular expression engine runs through them faster.
  DIGITS.lastIndex = k;
  DIGITS.test(s);
  return DIGITS.lastIndex;
}

/** End of the JSON number at s[i]: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
function skipNumber(s: string, i: number): number {
  let k = s.charCodeAt(i) === MINUS ? i + 1 : i;
  const c = s.charCodeAt(k);
  if (!isDigit(c)) return FAIL;
  k = c === 48 ? k + 1 : skipDigits(s, k);
  if (s.charCodeAt(k) === DOT) {
    const end = skipDigits(s, k + 1);
    if (end === k + 1) return FAIL;
    k = end;
  }
  const e = s.charCodeAt(k);
  if (e === 101 || e === 69) {
    k++;
    const sign = s.charCodeAt(k);
    if (sign === 43 || sign === MINUS) k++;
    const end = skipDigits(s, k);
    if (end === k) return FAIL;
    k = end;
  }
  return k;
}

function skipWord(s: string, i: number, word: string): number {
  return s.startsWith(word, i) ? i + word.length : FAIL;
}

/** End of the object or array at s[i], every value inside checked. */
function skipContainer(s: string, i: number, depth: number): number {
  if (depth > MAX_DEPTH) return FAIL;
  const isObject = s.charCodeAt(i) === OPEN_BRACE;
  const close = isObject ? CLOSE_BRACE : CLOSE_BRACKET;
  let k = i + 1;
  if (s.charCodeAt(k) === close) return k + 1;
  for (;;) {
    if (isObject) {
      if (s.charCodeAt(k) !== QUOTE) return FAIL;
      k = skipString(s, k);
      if (k < 0 || s.charCodeAt(k) !== COLON) return FAIL;
      k++;
    }
    k = skipValue(s, k, depth + 1);
    if (k < 0) return FAIL;
    const c = s.charCodeAt(k);
    if (c === close) return k + 1;
    if (c !== COMMA) return FAIL;
    k++;
  }
}

/** End of the JSON value at s[i], or FAIL. */
function skipValue(s: string, i: number, depth: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return skipString(s, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return skipContainer(s, i, depth);
  if (c === 116) return skipWord(s, i, "true");
  if (c === 102) return skipWord(s, i, "false");
  if (c === 110) return skipWord(s, i, "null");
  return skipNumber(s, i);
}

/**
 * Reads the members of the object at s[i] (which must be `{`), calling `member(keyStart, keyEnd,
 * valueStart)` for each; `member` returns where the value ends. Returns the object's end, or FAIL.
 */
function scanObject(
  s: string,
  i: number,
  member: (keyStart: number, keyEnd: number, valueStart: number) => number,
): number {
  if (s.charCodeAt(i) !== OPEN_BRACE) return FAIL;
  let k = i + 1;
  if (s.charCodeAt(k) === CLOSE_BRACE) return k + 1;
  for (;;) {
    if (s.charCodeAt(k) !== QUOTE) return FAIL;
    const keyEnd = skipString(s, k);
    if (keyEnd < 0 || s.charCodeAt(keyEnd) !== COLON) return FAIL;
    k = member(k + 1, keyEnd - 1, keyEnd + 1);
    if (k < 0) return FAIL;
    const c = s.charCodeAt(k);
    if (c === CLOSE_BRACE) return k + 1;
    if (c !== COMMA) return FAIL;
    k++;
  }
}

/** The `Certificates` array at s[i] as `[{Raw}, ...]` into `out`; only objects and strings fit. */
function scanCertificates(s: string, i: number, out: Ja3Record[]): number {
  if (s.charCodeAt(i) !== OPEN_BRACKET) return FAIL;
  let k = i + 1;
  if (s.charCodeAt(k) === CLOSE_BRACKET) return k + 1;
  for (;;) {
    const certificate: Ja3Record = {};
    k = scanObject(s, k, (keyStart, keyEnd, valueStart) => {
      if (keyEnd - keyStart !== 3 || !s.startsWith("Raw", keyStart)) return skipValue(s, valueStart, 3);
      const end = s.charCodeAt(valueStart) === QUOTE ? skipString(s, valueStart) : FAIL;
      if (end > 0) certificate.Raw = s.slice(valueStart + 1, end - 1);
      return end;
    });
    if (k < 0) return FAIL;
    out.push(certificate);
    const c = s.charCodeAt(k);
    if (c === CLOSE_BRACKET) return k + 1;
    if (c !== COMMA) return FAIL;
    k++;
  }
}

/** The fields this parser reads, without JSON.parse; undefined when the line needs JSON.parse. */
function scanRecord(line: string): Ja3Record | undefined {
  if (line.charCodeAt(0) !== OPEN_BRACE || line.charCodeAt(line.length - 1) !== CLOSE_BRACE) return undefined;
  if (line.includes("\\") || !NO_CONTROL_CHARACTER.test(line)) return undefined;
  const record: Ja3Record = {};
  const end = scanObject(line, 0, (keyStart, keyEnd, valueStart) => {
    const key = line.slice(keyStart, keyEnd);
    if (key === "Certificates") {
      if (line.startsWith("null", valueStart)) {
        record.Certificates = null;
        return valueStart + 4;
      }
      const certificates: Ja3Record[] = [];
      record.Certificates = certificates;
      return scanCertificates(line, valueStart, certificates);
    }
    if (!HEADER_KEYS.has(key)) return skipValue(line, valueStart, 1);
    const valueEnd = line.charCodeAt(valueStart) === QUOTE ? skipString(line, valueStart) : FAIL;
    if (valueEnd > 0) record[key] = line.slice(valueStart + 1, valueEnd - 1);
    return valueEnd;
  });
  return end === line.length ? record : undefined;
}

function parseLine(raw: string): ParsedTlsLine {
  // Lines popped from a D4 queue skip the line reader, so a CR may still be there; JSON.parse would
  // ignore it, so removing it changes nothing but keeps such lines on the fast path.
  const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
  const scanned = scanRecord(line);
  if (scanned !== undefined) return sessionFrom(scanned);
  if (isBlankLine(line)) return { kind: "blank" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return tlsReject("bad_json", describeValue("invalid JSON", line));
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return tlsReject("not_an_object", describeValue("not a JSON object:", line));
  }
  return sessionFrom(parsed as Ja3Record);
}

/**
 * Parses one `ja3-jl` line. Never throws: every input gives a session, a blank or a reject. Partial
 * sessions (no JA3S, no certificates) are sessions; ports may be strings or numbers.
 */
export function parseJa3JlLine(line: string): ParsedTlsLine {
  try {
    return parseLine(line);
  } catch (err) {
    return tlsReject("bad_json", `unexpected parser error: ${String(err)}`);
  }
}
