/** Address blocks: `192.0.2.0/24`, `2001:db8::/120` (the address may be any address inside the block). */
import { ipFromBytes, type ParsedIp, parseIp } from "./ip.js";

export interface Cidr {
  version: 4 | 6;
  /** The block's first address. */
  network: Uint8Array;
  prefixLength: number;
}

/** Parses `address/prefixLength`, or a bare address as a block of one. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const bits = ip.bytes.length * 8;
  let prefixLength = bits;
  if (slash >= 0) {
    const length = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(length) || Number(length) > bits) return undefined;
    prefixLength = Number(length);
  }
  return { version: ip.version, network: maskTo(ip, prefixLength), prefixLength };
}

function maskTo(ip: ParsedIp, prefixLength: number): Uint8Array {
  const network = Uint8Array.from(ip.bytes);
  for (let bit = prefixLength; bit < network.length * 8; bit++) {
    const at = bit >> 3;
    network[at] = (network[at] as number) & ~(0x80 >> (bit & 7));
  }
  return network;
}

/** Number of addresses in the block, as a bigint (an IPv6 block can hold 2^128). */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(cidr.network.length * 8 - cidr.prefixLength);
}

/** Every address of a block, in order, as canonical text; the caller bounds the block's size first. */
export function addressesOf(cidr: Cidr): string[] {
  const count = Number(cidrSize(cidr));
  const bytes = Uint8Array.from(cidr.network);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(ipFromBytes(bytes));
    for (let j = bytes.length - 1; j >= 0; j--) {
      bytes[j] = ((bytes[j] as number) + 1) & 0xff;
      if (bytes[j] !== 0) break;
    }
  }
  return out;
}
