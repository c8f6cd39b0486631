/**
 * DNSDB `rdata/ip` values: one address, `<ADDR>,<PFXLEN>` (a CIDR block, with a comma because a slash
 * would split the path; a slash sent encoded as `%2F` is taken too), or `<ADDR>-<ADDR>` (an inclusive
 * range of one family). IPv4 and IPv6 (any valid spelling). Also the width check: a role may query
 * blocks no wider than its configured prefix length.
 */
import { parseIp } from "../dns/ip.js";

/** An inclusive address range of one family: first ≤ last, 4 or 16 bytes each. */
export interface AddressBlock {
  version: 4 | 6;
  first: Uint8Array;
  last: Uint8Array;
}

/** The widest block a role may query, as the shortest prefix length per family. */
export interface IpBlockLimit {
  ipv4: number;
  ipv6: number;
}

/** An address block, or the reason the text is not one. */
export type ParsedBlock = { ok: true; block: AddressBlock } | { ok: false; reason: string };

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const diff = (a[i] as number) - (b[i] as number);
    if (diff !== 0) return diff;
  }
  return 0;
}

function cidrBlock(addressText: string, lengthText: string): ParsedBlock {
  const ip = parseIp(addressText);
  if (!ip) return { ok: false, reason: `not an IP address: ${addressText}` };
  const bits = ip.bytes.length * 8;
  if (!/^[0-9]{1,3}$/.test(lengthText) || Number(lengthText) > bits) {
    return { ok: false, reason: `the prefix length must be 0 to ${bits}, not ${lengthText}` };
  }
  const prefix = Number(lengthText);
  const first = Uint8Array.from(ip.bytes);
  const last = Uint8Array.from(ip.bytes);
  for (let bit = prefix; bit < bits; bit++) {
    const at = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    first[at] = (first[at] as number) & ~mask;
    last[at] = (last[at] as number) | mask;
  }
  return { ok: true, block: { version: ip.version, first, last } };
}

function rangeBlock(firstText: string, lastText: string): ParsedBlock {
  const first = parseIp(firstText);
  const last = parseIp(lastText);
  if (!first) return { ok: false, reason: `not an IP address: ${firstText}` };
  if (!last) return { ok: false, reason: `not an IP address: ${lastText}` };
  if (first.version !== last.version) {
    return { ok: false, reason: "a range must have both ends in the same family (IPv4 or IPv6)" };
  }
  if (compareBytes(first.bytes, last.bytes) > 0) {
    return { ok: false, reason: "a range must not end before it starts" };
  }
  return { ok: true, block: { version: first.version, first: first.bytes, last: last.bytes } };
}

/** Parses an rdata/ip value: `ADDR`, `ADDR,PFXLEN` (or `ADDR/PFXLEN`) or `ADDR-ADDR`. */
export function parseAddressBlock(text: string): ParsedBlock {
  const comma = text.search(/[,/]/);
  if (comma >= 0) return cidrBlock(text.slice(0, comma), text.slice(comma + 1));
  const dash = text.indexOf("-");
  if (dash >= 0) return rangeBlock(text.slice(0, dash), text.slice(dash + 1));
  const ip = parseIp(text);
  if (!ip) return { ok: false, reason: `not an IP address, block or range: ${text}` };
  return { ok: true, block: { version: ip.version, first: ip.bytes, last: ip.bytes } };
}

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** How many addresses a block holds. */
export function blockSize(block: AddressBlock): bigint {
  return toBigInt(block.last) - toBigInt(block.first) + 1n;
}

/**
 * Why the block is too wide for `limit` (null: no limit), or undefined when it is allowed. A range is
 * measured by its number of addresses: it may hold as many as the widest allowed prefix does.
 */
export function blockTooWide(block: AddressBlock, limit: IpBlockLimit | null): string | undefined {
  if (limit === null) return undefined;
  const bits = block.first.length * 8;
  const prefix = block.version === 4 ? limit.ipv4 : limit.ipv6;
  if (blockSize(block) <= 1n << BigInt(bits - prefix)) return undefined;
  return `the block is wider than /${prefix}, the widest IPv${block.version} block you may query`;
}
