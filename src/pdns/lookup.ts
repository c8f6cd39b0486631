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
import type { IndexRef, SortKeyRange, Store } from "../store/types.js";
import type { Lookup, LookupTarget, RrtypeFilter, TimeFences } from "./lookup-types.js";
import { rrtypeRange, SORT_KEY_BYTES } from "./record-codec.js";
import {
  type DecodedRecord,
  decodeRecord,
  queryRecords,
  type RecordQuery,
  successorKey,
} from "./record-query.js";

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
      if (store.scanAddressEntries)
        return addressEntries(store, target.first, target.last, position, chunkSize);
      const addresses = refusingTooWide(
        store.scanAddresses(target.first, target.last, position?.address, NAMES_PER_READ),
      );
      return recordsPerKey(
        addresses,
        position,
        rrtype,
        indexReader(store, (address) => ({
          kind: "ip",
          bytes: address,
          text: ipFromBytes(address),
        })),
      );
    }
    default: {
      if (target.kind === "owner-under" && store.scanOwnersUnder) {
        return ownersUnder(store, target.domain, position, chunkSize);
      }
      const owners = target.kind === "owner-under" || target.kind === "owner-prefix";
      const pattern =
        target.kind === "owner-under" || target.kind === "rdata-name-under"
          ? { kind: "under" as const, domain: target.domain }
          : { kind: "prefix" as const, labels: target.labels };
      const names = store.scanNames(owners ? "owners" : "targets", pattern, position?.name, NAMES_PER_READ);
      const reader = owners
        ? ownerReader(store)
        : indexReader(store, (name: string) => ({ kind: "name", name }));
      return recordsPerKey(names, position, rrtype, reader);
    }
  }
}

/** Owner records under a domain from a store that holds the subtree in one range (one scan). */
async function* ownersUnder(
  store: Store,
  domain: string,
  position: CursorPosition | undefined,
  chunkSize: number,
): AsyncGenerator<LookupRecord[]> {
  const from = resumeAt(position?.name, position);
  const scan = (store.scanOwnersUnder as NonNullable<Store["scanOwnersUnder"]>).bind(store);
  for await (const chunk of scan(
    domain,
    from === undefined ? undefined : { rrname: from.key, sortKey: from.sortKey },
    chunkSize,
  )) {
    yield chunk.map((entry) => {
      const record = decodeRecord(entry.sortKey, entry.rrname, entry.value) as LookupRecord;
      record.via = entry.rrname;
      return record;
    });
  }
}

/** A/AAAA records of an address range from a store that holds the addresses in one range (one scan). */
async function* addressEntries(
  store: Store,
  first: Uint8Array,
  last: Uint8Array,
  position: CursorPosition | undefined,
  chunkSize: number,
): AsyncGenerator<LookupRecord[]> {
  const from = resumeAt(position?.address, position);
  const scan = (store.scanAddressEntries as NonNullable<Store["scanAddressEntries"]>).bind(store);
  const start = from === undefined ? undefined : { address: from.key, sortKey: from.sortKey };
  for await (const entries of scan(first, last, start, chunkSize)) {
    const values = await store.getRecords(entries);
    const records: LookupRecord[] = [];
    entries.forEach((entry, i) => {
      const value = values[i];
      if (!value) return;
      const record = decodeRecord(entry.sortKey, entry.rrname, value) as LookupRecord;
      record.via = Uint8Array.from(entry.address);
      records.push(record);
    });
    if (records.length > 0) yield records;
  }
}

/**
 * Where a one-scan lookup resumes: the cursor's key with the sort key right after the cursor's (past
 * every sort key when the cursor's was the last possible one, which sorts before the next key's).
 */
function resumeAt<K>(
  key: K | undefined,
  position: CursorPosition | undefined,
): { key: K; sortKey: Buffer } | undefined {
  if (!position || key === undefined) return undefined;
  return { key, sortKey: successorKey(position.sortKey) ?? LAST_KEY };
}

/** A store's refusal of a range it cannot enumerate (RangeError) as the caller's error. */
async function* refusingTooWide<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    if (error instanceof RangeError) {
      throw new LookupError(
        "address range too wide for this store: at most 65,536 IPv4 /16 or IPv6 /32 blocks",
      );
    }
    throw error;
  }
}

/** How the records of many keys (names or addresses) are read: in groups, and one big key alone. */
interface KeyReader<K> {
  /** The first `limit` records of each key within its range, ascending by sort key. */
  readMany(keys: readonly K[], ranges: readonly SortKeyRange[], limit: number): Promise<DecodedRecord[][]>;
  /** The records of one key after a sort key (the rest of a key with more than was read ahead). */
  rest(key: K, after: Buffer, rrtype: number | undefined): AsyncIterable<DecodedRecord[]>;
}

function ownerReader(store: Store): KeyReader<string> {
  return {
    async readMany(names, ranges, limit) {
      const found = await store.readOwners(
        names.map((rrname, i) => ({ rrname, range: ranges[i] as SortKeyRange })),
        limit,
      );
      return found.map((values, i) =>
        values.map((v) => decodeRecord(v.sortKey, names[i] as string, v.value)),
      );
    },
    rest: (name, after, rrtype) => queryRecords(store, { owner: name, rrtype, after }),
  };
}

function indexReader<K>(store: Store, refOf: (key: K) => IndexRef): KeyReader<K> {
  return {
    async readMany(keys, ranges, limit) {
      const found = await store.readIndexes(
        keys.map((key, i) => ({ ref: refOf(key), range: ranges[i] as SortKeyRange })),
        limit,
      );
      const values = await store.getRecords(found.flat());
      let at = 0;
      return found.map((entries) => {
        const records: DecodedRecord[] = [];
        for (const entry of entries) {
          const value = values[at++];
          if (value) records.push(decodeRecord(entry.sortKey, entry.rrname, value));
        }
        return records;
      });
    },
    rest: (key, after, rrtype) => queryRecords(store, { pointingTo: refOf(key), rrtype, after }),
  };
}

/** Names (or addresses) whose records are read at once: one pipelined round trip on Redis. */
const NAMES_PER_READ = 256;

/**
 * The records of each key (a name or an address) in the keys' order, each key's records in sort-key
 * order; the key equal to the cursor's resumes after the cursor's sort key. A group of keys is read in
 * one store call; a key with more records than are read ahead streams the rest on its own, so memory
 * stays bounded.
 */
async function* recordsPerKey<K extends string | Uint8Array>(
  keys: AsyncIterable<K[]>,
  position: CursorPosition | undefined,
  rrtype: number | undefined,
  reader: KeyReader<K>,
): AsyncGenerator<LookupRecord[]> {
  const base: SortKeyRange = rrtype === undefined ? {} : rrtypeRange(rrtype);
  const cursorKey = position?.name ?? position?.address;
  const resumed = position ? successorKey(position.sortKey) : undefined;
  for await (const group of keys) {
    const ranges = group.map((key) => {
      if (cursorKey === undefined || !sameKey(key, cursorKey)) return base;
      // The cursor's own key: only what follows the cursor (nothing, past the last possible key).
      if (!resumed) return { start: base.end ?? LAST_KEY, end: base.end ?? LAST_KEY };
      return {
        start: base.start && Buffer.compare(base.start, resumed) > 0 ? base.start : resumed,
        end: base.end,
      };
    });
    const heads = await reader.readMany(group, ranges, RECORDS_READ_AHEAD_PER_KEY);
    for (let i = 0; i < group.length; i++) {
      const key = group[i] as K;
      const records = heads[i] as LookupRecord[];
      if (records.length === 0) continue;
      for (const record of records) record.via = key;
      yield records;
      const last = records[records.length - 1] as LookupRecord;
      if (records.length < RECORDS_READ_AHEAD_PER_KEY) continue;
      for await (const chunk of reader.rest(key, last.sortKey, rrtype)) {
        for (const record of chunk as LookupRecord[]) record.via = key;
        yield chunk;
      }
    }
  }
}

/** A range bound past every sort key. */
const LAST_KEY = Buffer.alloc(SORT_KEY_BYTES + 1, 0xff);

/** Records read ahead per key of a group before the rest of a big key is streamed. */
const RECORDS_READ_AHEAD_PER_KEY = 1024;

function sameKey(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  return sameBytes(a, b);
}
