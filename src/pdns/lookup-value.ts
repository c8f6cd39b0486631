/**
 * The value forms a passive DNS query may take beyond one name or address: `*.example.com` (names under
 * a domain), `www.example.*` (names starting with labels), an address block `10.0.0.0/24` or dnsdbq's
 * `10.0.0.0,24`, and a range `10.0.0.1-10.0.0.9`.
 */
import { parseCidr } from "../dns/cidr.js";
import { parseIp } from "../dns/ip.js";
import { normalizeName } from "../dns/name.js";
import type { LookupTarget } from "./lookup-types.js";
import { parseQueryValue, type QueryValue } from "./query-value.js";

/** A value: one name or address (answered the classic way), or a lookup over many. */
export type ParsedLookupValue = { kind: "exact"; value: QueryValue } | { kind: "many"; target: LookupTarget };

/** The first and last address of a block or range, or undefined when the text is neither. */
export function addressSpan(text: string): { first: Uint8Array; last: Uint8Array } | undefined {
  const dash = text.indexOf("-");
  if (dash > 0) {
    const first = parseIp(text.slice(0, dash));
    const last = parseIp(text.slice(dash + 1));
    if (!first || !last || first.version !== last.version) return undefined;
    if (Buffer.compare(first.bytes, last.bytes) > 0) return undefined;
    return { first: first.bytes, last: last.bytes };
  }
  const cidr = parseCidr(text.replace(",", "/"));
  if (!cidr) return undefined;
  const last = Uint8Array.from(cidr.network);
  for (let bit = cidr.prefixLength; bit < last.length * 8; bit++) {
    const at = bit >> 3;
    last[at] = (last[at] as number) | (0x80 >> (bit & 7));
  }
  return { first: cidr.network, last };
}

/** The prefix length of the smallest block holding a span (for width limits). */
export function spanPrefixLength(first: Uint8Array, last: Uint8Array): number {
  for (let bit = 0; bit < first.length * 8; bit++) {
    const mask = 0x80 >> (bit & 7);
    if (((first[bit >> 3] as number) & mask) !== ((last[bit >> 3] as number) & mask)) return bit;
  }
  return first.length * 8;
}

/**
 * Parses a query value. Owner wildcards select record owners (`*.d` → owner-under, `l.*` →
 * owner-prefix); blocks and ranges select A/AAAA records by address. Undefined when it is none of these.
 */
export function parseLookupValue(raw: string): ParsedLookupValue | undefined {
  if (raw.startsWith("*.")) {
    const domain = normalizeName(raw.slice(2));
    return domain === undefined || domain === "." || domain.includes("*")
      ? undefined
      : { kind: "many", target: { kind: "owner-under", domain } };
  }
  if (raw.endsWith(".*")) {
    const labels = normalizeName(raw.slice(0, -2));
    return labels === undefined || labels === "." || labels.includes("*")
      ? undefined
      : { kind: "many", target: { kind: "owner-prefix", labels } };
  }
  if (/[/,-]/.test(raw) && /^[0-9a-fA-F:.]+[/,-][0-9a-fA-F:.]+$/.test(raw)) {
    // Not a block or range after all (`cafe-face.de` looks like one): then it may still be a name.
    const span = addressSpan(raw);
    if (span) return { kind: "many", target: { kind: "rdata-ip", ...span } };
  }
  const value = parseQueryValue(raw);
  return value === undefined ? undefined : { kind: "exact", value };
}
