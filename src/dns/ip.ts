/** An IP address with its bytes and its canonical text (dotted quad, or RFC 5952 for IPv6). */
export interface ParsedIp {
  version: 4 | 6;
  bytes: Uint8Array;
  text: string;
}

const DOT = 46;
const COLON = 58;
// Longest valid IPv6 text: six 4-digit groups and a dotted quad.
const MAX_V6_TEXT = 45;

// Parsing is synchronous, so one scratch area per module is safe and spares an allocation per call.
const groups = new Uint16Array(8);

function group(k: number): number {
  return groups[k] ?? 0;
}

/**
 * Strict dotted quad in s[start, end): exactly four decimal parts 0..255 without leading zeros.
 * Returns the address as an unsigned 32-bit number, or -1.
 */
function parseV4(s: string, start: number, end: number): number {
  let address = 0;
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || parts === 3) return -1;
      address = address * 256 + value;
      parts++;
      value = 0;
      digits = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return -1;
    // "0" alone is fine; "01" is octal to some parsers and decimal to others, so refuse it.
    if (digits === 1 && value === 0) return -1;
    value = value * 10 + d;
    if (value > 255) return -1;
    digits++;
  }
  if (digits === 0 || parts !== 3) return -1;
  return address * 256 + value;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Any valid RFC 4291 text in s[start, n) into the 8 module `groups`; no zone id, brackets or spaces. */
function parseV6(s: string, start: number, n: number): boolean {
  if (n - start < 2 || n - start > MAX_V6_TEXT) return false;
  let i = start;
  let count = 0;
  let gap = -1;
  if (s.charCodeAt(i) === COLON) {
    if (s.charCodeAt(i + 1) !== COLON) return false;
    gap = 0;
    i += 2;
  }
  while (i < n) {
    const groupStart = i;
    let value = 0;
    let digits = 0;
    for (; i < n; i++) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      if (++digits > 4) return false;
      value = value * 16 + h;
    }
    if (i < n && s.charCodeAt(i) === DOT) {
      // An embedded IPv4 address fills the last 32 bits and ends the text.
      const v4 = count > 6 ? -1 : parseV4(s, groupStart, n);
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || count === 8) return false;
    groups[count++] = value;
    if (i === n) break;
    if (s.charCodeAt(i) !== COLON) return false;
    i++;
    if (i < n && s.charCodeAt(i) === COLON) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i === n) {
      return false;
    }
  }
  if (gap < 0) return count === 8;
  if (count > 7) return false;
  const tail = count - gap;
  groups.copyWithin(8 - tail, gap, count);
  groups.fill(0, gap, 8 - tail);
  return true;
}

const HEX = "0123456789abcdef";

/** Lowercase hex without leading zeros; Number#toString(16) is several times slower. */
function hex(v: number): string {
  if (v < 0x10) return HEX.charAt(v);
  if (v < 0x100) return HEX.charAt(v >>> 4) + HEX.charAt(v & 15);
  if (v < 0x1000) return HEX.charAt(v >>> 8) + HEX.charAt((v >>> 4) & 15) + HEX.charAt(v & 15);
  return HEX.charAt(v >>> 12) + HEX.charAt((v >>> 8) & 15) + HEX.charAt((v >>> 4) & 15) + HEX.charAt(v & 15);
}

function v4Text(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

/** RFC 5952 text of the module `groups`. */
function v6Text(): string {
  if (group(0) === 0 && group(1) === 0 && group(2) === 0 && group(3) === 0 && group(4) === 0) {
    if (group(5) === 0xffff) return `::ffff:${v4Text(group(6) * 0x10000 + group(7))}`;
  }
  // Longest run of at least two zero groups; the first one wins a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (group(k) !== 0) {
      k++;
      continue;
    }
    let end = k + 1;
    while (end < 8 && group(end) === 0) end++;
    if (end - k > bestLen) {
      bestStart = k;
      bestLen = end - k;
    }
    k = end;
  }
  let text = "";
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      text += "::";
      k += bestLen - 1;
      continue;
    }
    if (text.length > 0 && k !== bestStart + bestLen) text += ":";
    text += hex(group(k));
  }
  return text;
}

/**
 * Parses an IPv4 dotted quad (strict: `42`, `127.0`, `01.2.3.4` are not addresses) or any valid
 * IPv6 text (no zone id, no brackets). Undefined when `s` is not an address.
 */
export function parseIp(s: string): ParsedIp | undefined {
  // parseV4 stops at the first colon, so trying it first costs IPv6 text almost nothing.
  const v4 = parseV4(s, 0, s.length);
  if (v4 >= 0) {
    const bytes = Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff);
    // A strict dotted quad is already canonical.
    return { version: 4, bytes, text: s };
  }
  if (!parseV6(s, 0, s.length)) return undefined;
  const bytes = new Uint8Array(16);
  for (let k = 0; k < 8; k++) {
    bytes[2 * k] = group(k) >>> 8;
    bytes[2 * k + 1] = group(k) & 0xff;
  }
  return { version: 6, bytes, text: v6Text() };
}

/** Whether s[start, end) is an address `parseIp` accepts, without building the result. */
export function isIp(s: string, start = 0, end = s.length): boolean {
  return parseV4(s, start, end) >= 0 || parseV6(s, start, end);
}

/** Canonical text of a 4-byte (IPv4) or 16-byte (IPv6) address. */
export function ipFromBytes(bytes: Uint8Array): string {
  const byte = (i: number) => bytes[i] ?? 0;
  if (bytes.length === 4) return v4Text(byte(0) * 0x1000000 + byte(1) * 0x10000 + byte(2) * 0x100 + byte(3));
  if (bytes.length !== 16) throw new RangeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  for (let k = 0; k < 8; k++) groups[k] = byte(2 * k) * 0x100 + byte(2 * k + 1);
  return v6Text();
}
