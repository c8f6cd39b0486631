/**
 * DNSDB "raw" values: hex pairs of DNS wire format, turned into the presentation form the store keys
 * on (and back, for names). `rrset/raw/<HEX>` is an owner name in wire form (labels, then the root);
 * `rdata/raw/<HEX>` is the rdata of a record, which this server can look up only when it is an
 * address (A, AAAA) or a host name (CNAME, NS, PTR, DNAME, and the target of MX and SRV).
 *
 * Names become presentation text as ldns (which passivedns prints with) writes it: `.`, `;`, `(`,
 * `)` and `\` escaped with a backslash, bytes outside printable ASCII as `\DDD`; the caller
 * normalises case.
 */
import { ipFromBytes } from "../dns/ip.js";

const MAX_NAME_WIRE = 255;
const MAX_LABEL = 63;
const BACKSLASH = 92;
const DOT = 46;

const A = 1;
const NS = 2;
const CNAME = 5;
const PTR = 12;
const MX = 15;
const AAAA = 28;
const SRV = 33;
const DNAME = 39;

/** Rdata types whose whole rdata is one name. */
const NAME_TYPES: ReadonlySet<number> = new Set([NS, CNAME, PTR, DNAME]);
/** Rdata types that are fixed fields then a target name: how many bytes precede the name. */
const NAME_AFTER: ReadonlyMap<number, number> = new Map([
  [MX, 2], // preference
  [SRV, 6], // priority, weight, port
]);

/** The bytes of an even number of hex digits (either case); undefined for anything else or nothing. */
export function hexBytes(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(text)) return undefined;
  return Uint8Array.from(Buffer.from(text, "hex"));
}

function labelText(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    if (c === DOT || c === 59 || c === 40 || c === 41 || c === BACKSLASH)
      text += `\\${String.fromCharCode(c)}`;
    else if (c > 0x20 && c < 0x7f) text += String.fromCharCode(c);
    else text += `\\${String(c).padStart(3, "0")}`;
  }
  return text;
}

/**
 * A wire-format name filling `bytes` exactly (from `start`) in presentation form, without the
 * trailing dot (the root is `.`). Undefined when the bytes are not one uncompressed name: a
 * compression pointer, a label over 63 octets, a name over 255, no root label, or bytes after it.
 */
export function wireName(bytes: Uint8Array, start = 0): string | undefined {
  const labels: string[] = [];
  let at = start;
  for (;;) {
    if (at >= bytes.length) return undefined;
    const length = bytes[at] as number;
    if (length > MAX_LABEL) return undefined;
    if (length === 0) {
      at++;
      break;
    }
    if (at + 1 + length > bytes.length) return undefined;
    labels.push(labelText(bytes, at + 1, at + 1 + length));
    at += 1 + length;
  }
  if (at !== bytes.length || at - start > MAX_NAME_WIRE) return undefined;
  return labels.length === 0 ? "." : labels.join(".");
}

/**
 * The wire form of a presentation name (RFC 1035 escapes `\X` and `\DDD` understood; a trailing dot
 * optional; non-ASCII characters as their UTF-8 bytes). Undefined when it is not a valid name.
 */
export function nameWire(name: string): Uint8Array | undefined {
  if (name === ".") return Uint8Array.of(0);
  const text = name.endsWith(".") && !name.endsWith("\\.") ? name.slice(0, -1) : name;
  const out: number[] = [];
  let label: number[] = [];
  const endLabel = () => {
    if (label.length === 0 || label.length > MAX_LABEL) return false;
    out.push(label.length, ...label);
    label = [];
    return true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (!endLabel()) return undefined;
    } else if (c === BACKSLASH) {
      const digits = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(digits)) {
        if (Number(digits) > 255) return undefined;
        label.push(Number(digits));
        i += 3;
      } else if (i + 1 < text.length) {
        label.push(...Buffer.from(String.fromCodePoint(text.codePointAt(i + 1) as number), "utf8"));
        i += (text.codePointAt(i + 1) as number) > 0xffff ? 2 : 1;
      } else return undefined;
    } else {
      const point = text.codePointAt(i) as number;
      label.push(...Buffer.from(String.fromCodePoint(point), "utf8"));
      if (point > 0xffff) i++;
    }
  }
  if (!endLabel()) return undefined;
  out.push(0);
  return out.length > MAX_NAME_WIRE ? undefined : Uint8Array.from(out);
}

/** What raw rdata stands for: an address or a host name, or why this server cannot look it up. */
export type RawRdata =
  | { kind: "address"; bytes: Uint8Array; text: string }
  | { kind: "name"; name: string }
  | { kind: "invalid"; reason: string };

const ADDRESS_BYTES: ReadonlyMap<number, number> = new Map([
  [A, 4],
  [AAAA, 16],
]);

function address(bytes: Uint8Array): RawRdata {
  return { kind: "address", bytes, text: ipFromBytes(bytes) };
}

/**
 * Raw rdata for an rrtype (undefined: any type). With A or AAAA it must be 4 or 16 bytes; with CNAME,
 * NS, PTR or DNAME a wire name; with MX or SRV their full wire rdata (the fixed fields, then the
 * target name). With no type: a wire name, else 4 or 16 bytes as an address. Other types are invalid:
 * this server indexes rdata only by address and by host name.
 */
export function rawRdata(bytes: Uint8Array, rrtype: number | undefined): RawRdata {
  if (rrtype === undefined) {
    const name = wireName(bytes);
    if (name !== undefined) return { kind: "name", name };
    if (bytes.length === 4 || bytes.length === 16) return address(bytes);
    return {
      kind: "invalid",
      reason: "raw rdata is neither a wire-format name nor a 4- or 16-byte address",
    };
  }
  const addressLength = ADDRESS_BYTES.get(rrtype);
  if (addressLength !== undefined) {
    if (bytes.length === addressLength) return address(bytes);
    return {
      kind: "invalid",
      reason: `raw rdata of this type must be ${addressLength} bytes, not ${bytes.length}`,
    };
  }
  const skip = NAME_TYPES.has(rrtype) ? 0 : NAME_AFTER.get(rrtype);
  if (skip === undefined) {
    return {
      kind: "invalid",
      reason:
        "raw rdata lookups are supported for addresses (A, AAAA) and host names (CNAME, NS, PTR, DNAME, MX, SRV) only",
    };
  }
  const name = bytes.length > skip ? wireName(bytes, skip) : undefined;
  if (name === undefined) {
    return {
      kind: "invalid",
      reason:
        skip === 0
          ? "raw rdata is not a wire-format name"
          : `raw rdata is not ${skip} bytes of fixed fields followed by a wire-format name`,
    };
  }
  return { kind: "name", name };
}
