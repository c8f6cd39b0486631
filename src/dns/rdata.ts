/** Record data (presentation text) normalised per RR type, and the value a reverse index holds. */
import { type ParsedIp, parseIp } from "./ip.js";
import { normalizeName } from "./name.js";

const A = 1;
const NS = 2;
const CNAME = 5;
const SOA = 6;
const PTR = 12;
const MX = 15;
const TXT = 16;
const RP = 17;
const AAAA = 28;
const SRV = 33;
const DNAME = 39;
const NSEC = 47;
const SPF = 99;

const QUOTE = 34;
const BACKSLASH = 92;

/** Whitespace-separated fields of an already trimmed string. */
function fields(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 32;
    if (c === 32 || c === 9) {
      if (start >= 0) out.push(s.slice(start, i));
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  }
  return out;
}

function isUint16(s: string): boolean {
  if (s.length < 1 || s.length > 5) return false;
  let value = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    value = value * 10 + d;
  }
  return value <= 0xffff;
}

/** Normalises the first `names` fields as names and keeps the rest; undefined if a name is bad. */
function withNames(parts: string[], names: number): string | undefined {
  const out: string[] = [];
  for (const part of parts) {
    const name = out.length < names ? normalizeName(part) : part;
    if (name === undefined) return undefined;
    out.push(name);
  }
  return out.join(" ");
}

/** Drops one pair of enclosing double quotes, unless the closing one is backslash-escaped. */
function unquote(text: string): string {
  const last = text.length - 1;
  if (last < 1 || text.charCodeAt(0) !== QUOTE || text.charCodeAt(last) !== QUOTE) return text;
  let slashes = 0;
  for (let i = last - 1; i > 0 && text.charCodeAt(i) === BACKSLASH; i--) slashes++;
  return slashes % 2 === 0 ? text.slice(1, last) : text;
}

/**
 * Normalised rdata for a record of `rrtype`, or undefined when `answer` is not valid for that type.
 * Addresses become canonical text; name fields go through {@link normalizeName}; TXT and SPF lose
 * their enclosing quotes but keep every escape and their case; other types are only trimmed (their
 * text may be case-sensitive base64 or hex).
 */
export function normalizeRdata(rrtype: number, answer: string): string | undefined {
  const text = answer.trim();
  if (text.length === 0) return undefined;
  switch (rrtype) {
    case A:
    case AAAA: {
      const ip = parseIp(text);
      return ip !== undefined && ip.version === (rrtype === A ? 4 : 6) ? ip.text : undefined;
    }
    case CNAME:
    case NS:
    case PTR:
    case DNAME:
      return normalizeName(text);
    case TXT:
    case SPF:
      return unquote(text);
    case SOA:
    case NSEC:
      return withNames(fields(text), rrtype === SOA ? 2 : 1);
    case RP: {
      const parts = fields(text);
      return parts.length <= 2 ? withNames(parts, 2) : undefined;
    }
    case MX: {
      // passivedns prints only the exchange; other sources print "preference exchange".
      const parts = fields(text);
      if (parts.length === 1) return normalizeName(text);
      if (parts.length !== 2) return undefined;
      const [preference, exchange] = parts as [string, string];
      const name = normalizeName(exchange);
      return isUint16(preference) && name !== undefined ? `${Number(preference)} ${name}` : undefined;
    }
    case SRV: {
      // passivedns prints only the target; other sources print "priority weight port target".
      const parts = fields(text);
      if (parts.length === 1) return normalizeName(text);
      if (parts.length !== 4) return undefined;
      const [priority, weight, port, target] = parts as [string, string, string, string];
      const name = normalizeName(target);
      if (name === undefined || !isUint16(priority) || !isUint16(weight) || !isUint16(port)) return undefined;
      // Numbers are rewritten so that "010" and "10" give the same rdata.
      return `${Number(priority)} ${Number(weight)} ${Number(port)} ${name}`;
    }
    default:
      return text;
  }
}

/** What a reverse index stores for a record: its address, or the host name it points to. */
export type RdataIndexKey = { kind: "ip"; ip: ParsedIp } | { kind: "name"; name: string };

/**
 * The reverse-index value of normalised rdata: the address of A/AAAA, the target name of CNAME, NS,
 * PTR, DNAME, MX and SRV. Undefined for other types, and for the root (a null MX or SRV target
 * names no host).
 */
export function rdataIndexKey(rrtype: number, rdata: string): RdataIndexKey | undefined {
  switch (rrtype) {
    case A:
    case AAAA: {
      const ip = parseIp(rdata);
      return ip !== undefined && ip.version === (rrtype === A ? 4 : 6) ? { kind: "ip", ip } : undefined;
    }
    case CNAME:
    case NS:
    case PTR:
    case DNAME:
      return nameKey(rdata);
    case MX:
    case SRV:
      // The target is the last field in both the abridged and the full form.
      return nameKey(rdata.slice(rdata.lastIndexOf(" ") + 1));
    default:
      return undefined;
  }
}

function nameKey(name: string): RdataIndexKey | undefined {
  return name === "." || name === "" ? undefined : { kind: "name", name };
}
