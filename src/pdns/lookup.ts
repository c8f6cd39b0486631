/**
 * Runs a Lookup (lookup-types.ts) against a store: the records of its target, filtered by rrtype and
 * time fences, in an order that ingestion never changes, so a cursor taken from any record resumes
 * exactly after it (no duplicates, no gaps, whatever is ingested meanwhile).
 *
 * Orders and cursors, per target:
 * - one name (owner, rdata-name, one address): sort key. Cursor: the sort key.
 * - several names (wildcards) and address ranges: the name (or address) in the index's order, then the
 *   sort key. Cursor: the name or address and the sort key.
 */

import { ipFromBytes, parseIp } from "../dns/ip.js";
import type { Store } from "../store/types.js";
import type { Lookup, LookupTarget, RrtypeFilter, TimeFences } from "./lookup-types.js";
import { SORT_KEY_BYTES } from "./record-codec.js";
import { type DecodedRecord, queryRecords, type RecordQuery } from "./record-query.js";

/** The DNSSEC rrtypes (what ANY-DNSSEC selects and ANY leaves out), as DNSDB counts them. */
export const DNSSEC_RRTYPES: ReadonlySet<number> = new Set([
  24, // SIG
  25, // KEY
  30, // NXT
  43, // DS
  46, // RRSIG
  47, // NSEC
  48, // DNSKEY
  50, // NSEC3
  51, // NSEC3PARAM
  59, // CDS
  60, // CDNSKEY
  32768, // TA
  32769, // DLV
]);

/**
 * A record as a lookup yields it: with the name (or address) it was found through when the lookup spans
 * several (the owner for owner wildcards; for rdata lookups the target name, which is not the rdata
 * text for MX or SRV; the address for address ranges).
 */
export interface LookupRecord extends DecodedRecord {
  via?: string | Uint8Array | undefined;
}

/** A lookup this server cannot run as asked (a cursor it did not issue, a target it does not support). */
export class LookupError extends Error {}

const CURSOR_VERSION = 1;

/** True when the record passes the rrtype filter and every time fence. */
export function matchesFilters(record: DecodedRecord, rrtypes: RrtypeFilter, fences: TimeFences): boolean {
  if (rrtypes.kind === "one") {
    if (record.rrtype !== rrtypes.rrtype) return false;
  } else if (
    rrtypes.kind !== "all" &&
    DNSSEC_RRTYPES.has(record.rrtype) !== (rrtypes.kind === "any-dnssec")
  ) {
    return false;
  }
  if (fences.firstBefore !== undefined && !(record.timeFirst < fences.firstBefore)) return false;
  if (fences.firstAfter !== undefined && !(record.timeFirst > fences.firstAfter)) return false;
  if (fences.lastBefore !== undefined && !(record.timeLast < fences.lastBefore)) return false;
  if (fences.lastAfter !== undefined && !(record.timeLast > fences.lastAfter)) return false;
  return true;
}

/**
 * The cursor that resumes a lookup of `target` right after `record`: opaque base64url text (a version
 * byte, the record's name or address where the order needs it, and its sort key).
 */
export function lookupCursor(target: LookupTarget, record: LookupRecord): string {
  const parts: Buffer[] = [Buffer.from([CURSOR_VERSION])];
  if (orderedByName(target)) {
    const name = typeof record.via === "string" ? record.via : record.rrname;
    parts.push(Buffer.from(name, "utf8"), Buffer.from([0]));
  } else if (target.kind === "rdata-ip" && !sameBytes(target.first, target.last)) {
    const address = record.via instanceof Uint8Array ? record.via : parseIp(record.rdata)?.bytes;
    if (address) parts.push(Buffer.from(address));
  }
  parts.push(record.sortKey);
  return Buffer.concat(parts).toString("base64url");
}

/** The parts of a cursor: the name or address (if any) and the sort key. */
export interface CursorPosition {
  name?: string | undefined;
  address?: Uint8Array | undefined;
  sortKey: Buffer;
}

/** Reads a cursor back for `target`; throws LookupError when it is not one a lookup of it could issue. */
export function parseLookupCursor(target: LookupTarget, cursor: string): CursorPosition {
  const bytes = /^[A-Za-z0-9_-]{1,600}$/.test(cursor) ? Buffer.from(cursor, "base64url") : Buffer.alloc(0);
  if (bytes[0] !== CURSOR_VERSION || bytes.length < 1 + SORT_KEY_BYTES) {
    throw new LookupError("cursor is not one this server issued for this query");
  }
  const sortKey = bytes.subarray(bytes.length - SORT_KEY_BYTES);
  const middle = bytes.subarray(1, bytes.length - SORT_KEY_BYTES);
  if (orderedByName(target)) {
    if (middle.length < 2 || middle[middle.length - 1] !== 0)
      throw new LookupError("cursor does not fit this query");
    return { name: middle.subarray(0, middle.length - 1).toString("utf8"), sortKey };
  }
  if (target.kind === "rdata-ip" && !sameBytes(target.first, target.last)) {
    if (middle.length !== target.first.length) throw new LookupError("cursor does not fit this query");
    return { address: Uint8Array.from(middle), sortKey };
  }
  if (middle.length !== 0) throw new LookupError("cursor does not fit this query");
  return { sortKey };
}

function orderedByName(target: LookupTarget): boolean {
  return (
    target.kind === "owner-under" ||
    target.kind === "owner-prefix" ||
    target.kind === "rdata-name-under" ||
    target.kind === "rdata-name-prefix"
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Yields the lookup's matching records in chunks of at most `chunkSize`, in the stable order described
 * above, starting after the cursor if there is one. Throws LookupError for a bad cursor.
 */
export async function* lookupRecords(
  store: Store,
  lookup: Lookup,
  chunkSize = 512,
): AsyncGenerator<LookupRecord[]> {
  const position = lookup.cursor === undefined ? undefined : parseLookupCursor(lookup.target, lookup.cursor);
  const source = recordsOf(store, lookup.target, lookup.rrtypes, position, chunkSize);
  let out: LookupRecord[] = [];
  for await (const chunk of source) {
    for (const record of chunk) {
      if (!matchesFilters(record, lookup.rrtypes, lookup.fences)) continue;
      out.push(record);
      if (out.length >= chunkSize) {
        yield out;
        out = [];
      }
    }
  }
  if (out.length > 0) yield out;
}

function recordsOf(
  store: Store,
  target: LookupTarget,
  rrtypes: RrtypeFilter,
  position: CursorPosition | undefined,
  chunkSize: number,
): AsyncIterable<LookupRecord[]> {
  // One rrtype narrows each scan to its key range; ANY and ANY-DNSSEC are filtered record by record.
  const rrtype = rrtypes.kind === "one" ? rrtypes.rrtype : undefined;
  const base: RecordQuery = { rrtype, after: position?.sortKey };
  switch (target.kind) {
    case "owner":
      return queryRecords(store, { ...base, owner: target.name }, chunkSize);
    case "rdata-name":
      return queryRecords(store, { ...base, pointingTo: { kind: "name", name: target.name } }, chunkSize);
    case "rdata-ip": {
      if (sameBytes(target.first, target.last)) {
        const text = ipFromBytes(target.first);
        return queryRecords(
          store,
          { ...base, pointingTo: { kind: "ip", bytes: target.first, text } },
          chunkSize,
        );
      }
      const addresses = store.scanAddresses(target.first, target.last, position?.address, NAMES_PER_READ);
      return recordsPerKey(addresses, position?.address, rrtype, position?.sortKey, (address, query) =>
        queryRecords(store, {
          ...query,
          pointingTo: { kind: "ip", bytes: address, text: ipFromBytes(address) },
        }),
      );
    }
    default: {
      const owners = target.kind === "owner-under" || target.kind === "owner-prefix";
      const pattern =
        target.kind === "owner-under" || target.kind === "rdata-name-under"
          ? { kind: "under" as const, domain: target.domain }
          : { kind: "prefix" as const, labels: target.labels };
      const names = store.scanNames(owners ? "owners" : "targets", pattern, position?.name, NAMES_PER_READ);
      return recordsPerKey(names, position?.name, rrtype, position?.sortKey, (name, query) =>
        queryRecords(
          store,
          owners ? { ...query, owner: name } : { ...query, pointingTo: { kind: "name", name } },
        ),
      );
    }
  }
}

/** Names (or addresses) whose records are read at once: one pipelined round trip on Redis. */
const NAMES_PER_READ = 64;

/**
 * The records of each key (a name or an address) in the keys' order, each key's records in sort-key
 * order; the first key equal to the cursor's resumes after the cursor's sort key. The records of a
 * group of keys are read concurrently.
 */
async function* recordsPerKey<K extends string | Uint8Array>(
  keys: AsyncIterable<K[]>,
  cursorKey: K | undefined,
  rrtype: number | undefined,
  cursorSortKey: Buffer | undefined,
  recordsOfKey: (key: K, query: RecordQuery) => AsyncIterable<DecodedRecord[]>,
): AsyncGenerator<LookupRecord[]> {
  for await (const group of keys) {
    // The first records of every key of the group are read concurrently; a key with more than that
    // (one huge name) streams the rest on its own, so memory stays bounded.
    const heads = await Promise.all(
      group.map(async (key) => {
        const resuming = cursorKey !== undefined && sameKey(key, cursorKey);
        const source = recordsOfKey(key, { rrtype, after: resuming ? cursorSortKey : undefined });
        const records: LookupRecord[] = [];
        let more = false;
        for await (const chunk of source) {
          for (const record of chunk) records.push({ ...record, via: key });
          if (records.length >= RECORDS_READ_AHEAD_PER_KEY) {
            more = true;
            break;
          }
        }
        return { key, records, more };
      }),
    );
    for (const { key, records, more } of heads) {
      if (records.length > 0) yield records;
      const last = records[records.length - 1];
      if (!more || !last) continue;
      for await (const chunk of recordsOfKey(key, { rrtype, after: last.sortKey })) {
        yield chunk.map((record) => ({ ...record, via: key }));
      }
    }
  }
}

/** Records read ahead per key of a group before the rest of a big key is streamed. */
const RECORDS_READ_AHEAD_PER_KEY = 1024;

function sameKey(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  return sameBytes(a, b);
}
