/**
 * A passive DNS query as the CIRCL and bulk routes run it: a value (one name or address, a wildcard, a
 * block or a range), an rrtype filter and time fences, read as records in a stable order with a cursor
 * after any of them (a decimal integer, as PyPDNS requires).
 */
import { rrtypeFromText } from "../dns/rrtype.js";
import {
  LookupError,
  type LookupRecord,
  lookupCursor,
  lookupRecords,
  matchesFilters,
} from "../pdns/lookup.js";
import type { LookupTarget, RrtypeFilter, TimeFences } from "../pdns/lookup-types.js";
import { type ParsedLookupValue, spanPrefixLength } from "../pdns/lookup-value.js";
import type { QueryValue } from "../pdns/query-value.js";
import { cursorOf, sortKeyOfCursor } from "../pdns/record-codec.js";
import { type DecodedRecord, queryRecords, type RecordQuery } from "../pdns/record-query.js";
import type { Store } from "../store/types.js";
import { badRequest } from "./errors.js";

/** The rrtype filter from the dribble header or the `rrtype` parameter (ANY, ANY-DNSSEC, a type). */
export function rrtypeFilterOf(header: string | undefined, parameter: string | undefined): RrtypeFilter {
  const texts = [header?.trim(), parameter?.trim()].filter((t): t is string => t !== undefined && t !== "");
  if (texts.length === 2 && texts[0]?.toUpperCase() !== texts[1]?.toUpperCase()) {
    throw badRequest("dribble-filter-rrtype and rrtype disagree");
  }
  const text = texts[0];
  if (text === undefined) return { kind: "all" };
  if (text.toUpperCase() === "ANY") return { kind: "any" };
  if (text.toUpperCase() === "ANY-DNSSEC") return { kind: "any-dnssec" };
  const rrtype = rrtypeFromText(text);
  if (rrtype === undefined) throw badRequest(`unknown rrtype ${JSON.stringify(text)}`);
  return { kind: "one", rrtype };
}

async function* filtered(
  source: AsyncIterable<DecodedRecord[]>,
  rrtypes: RrtypeFilter,
  fences: TimeFences,
): AsyncGenerator<DecodedRecord[]> {
  for await (const chunk of source) {
    const kept = chunk.filter((record) => matchesFilters(record, rrtypes, fences));
    if (kept.length > 0) yield kept;
  }
}

/** What one query reads: its records in a stable order, and the cursor after any of them. */
export interface RecordSource {
  records(after: string | undefined): AsyncIterable<DecodedRecord[]>;
  cursorAfter(record: LookupRecord): string;
}

export function exactSource(
  store: Store,
  value: QueryValue,
  rrtypes: RrtypeFilter,
  fences: TimeFences,
): RecordSource {
  const query: RecordQuery =
    value.kind === "ip"
      ? { pointingTo: { kind: "ip", bytes: value.ip.bytes, text: value.ip.text } }
      : { owner: value.name, pointingTo: { kind: "name", name: value.name } };
  if (rrtypes.kind === "one") query.rrtype = rrtypes.rrtype;
  // Without fences, and with no rrtype filter or one the key range already applies, the store's order
  // is the answer: no per-record check (this is every CIRCL client's query).
  const unfiltered = (rrtypes.kind === "all" || rrtypes.kind === "one") && Object.keys(fences).length === 0;
  return {
    records(after) {
      let from: Buffer | undefined;
      if (after !== undefined) {
        from = sortKeyOfCursor(after);
        if (!from) throw badRequest("dribble-paginate-cursor is not a cursor this server issued");
      }
      const records = queryRecords(store, { ...query, after: from });
      return unfiltered ? records : filtered(records, rrtypes, fences);
    },
    cursorAfter: (record) => cursorOf(record.sortKey),
  };
}

// Lookup cursors are bytes starting with a non-zero version byte: as a decimal integer (what PyPDNS
// needs) they survive the round trip exactly.
export function lookupSource(
  store: Store,
  target: LookupTarget,
  rrtypes: RrtypeFilter,
  fences: TimeFences,
): RecordSource {
  return {
    async *records(after) {
      let cursor: string | undefined;
      if (after !== undefined) {
        if (!/^[1-9][0-9]{0,1400}$/.test(after))
          throw badRequest("dribble-paginate-cursor is not a cursor this server issued");
        let hex = BigInt(after).toString(16);
        if (hex.length % 2 === 1) hex = `0${hex}`;
        cursor = Buffer.from(hex, "hex").toString("base64url");
      }
      try {
        yield* lookupRecords(store, { target, rrtypes, fences, cursor });
      } catch (error) {
        if (error instanceof LookupError) throw badRequest(error.message);
        throw error;
      }
    },
    cursorAfter: (record) =>
      BigInt(`0x${Buffer.from(lookupCursor(target, record), "base64url").toString("hex")}`).toString(10),
  };
}

/** Refuses an address block wider than a non-admin may ask for (`widest`: the shortest prefix per family). */
export function checkBlockWidth(
  parsed: ParsedLookupValue,
  admin: boolean,
  widest: { 4: number; 6: number },
): void {
  if (admin || parsed.kind !== "many" || parsed.target.kind !== "rdata-ip") return;
  const limit = widest[parsed.target.first.length === 4 ? 4 : 6];
  if (spanPrefixLength(parsed.target.first, parsed.target.last) < limit) {
    throw badRequest(`address blocks may be at most /${limit} wide for your role`);
  }
}

/** The record source of a parsed value. */
export function sourceOf(
  store: Store,
  parsed: ParsedLookupValue,
  rrtypes: RrtypeFilter,
  fences: TimeFences,
): RecordSource {
  return parsed.kind === "exact"
    ? exactSource(store, parsed.value, rrtypes, fences)
    : lookupSource(store, parsed.target, rrtypes, fences);
}
