/**
 * What a passive DNS lookup asks for, independent of the API it came through (DNSDB v2, CIRCL, bulk):
 * a target (a name, names under a domain or starting with labels, an address block), filters (rrtypes,
 * time fences) and a position to resume from. lookup.ts runs it against a store.
 */

/** Which records a lookup selects. Names are normalised (lowercase, no trailing dot). */
export type LookupTarget =
  /** Records owned by the name (rrset/name). */
  | { kind: "owner"; name: string }
  /** Records owned by any name strictly under the domain (`*.example.com`). */
  | { kind: "owner-under"; domain: string }
  /** Records owned by any name whose first labels are these (`www.example.*` → labels "www.example"). */
  | { kind: "owner-prefix"; labels: string }
  /** Records whose rdata is the name (rdata/name). */
  | { kind: "rdata-name"; name: string }
  /** Records whose rdata is a name strictly under the domain. */
  | { kind: "rdata-name-under"; domain: string }
  /** Records whose rdata is a name starting with these labels. */
  | { kind: "rdata-name-prefix"; labels: string }
  /** A/AAAA records whose address lies in [first, last] (one address, a CIDR block or a range; one family). */
  | { kind: "rdata-ip"; first: Uint8Array; last: Uint8Array };

/**
 * Which rrtypes: one, every non-DNSSEC type (DNSDB's `ANY`), only the DNSSEC types (`ANY-DNSSEC`), or
 * every type (no filter at all, as the CIRCL API answers).
 */
export type RrtypeFilter =
  | { kind: "one"; rrtype: number }
  | { kind: "any" }
  | { kind: "any-dnssec" }
  | { kind: "all" };

/** DNSDB's four time fences, as absolute epoch seconds (relative ones resolved by the caller). */
export interface TimeFences {
  /** time_first < this */
  firstBefore?: number | undefined;
  /** time_first > this */
  firstAfter?: number | undefined;
  /** time_last < this */
  lastBefore?: number | undefined;
  /** time_last > this */
  lastAfter?: number | undefined;
}

export interface Lookup {
  target: LookupTarget;
  rrtypes: RrtypeFilter;
  fences: TimeFences;
  /** Resume strictly after the record this cursor (from an earlier answer) names. */
  cursor?: string | undefined;
}
