/**
 * Reads passive DNS records from a store in sort-key order, for any backend: the records a name owns,
 * the records whose rdata points to a name or an address, or both merged into one ordered stream.
 * Paging resumes after a sort key (see record-codec.ts for why that is stable).
 */
import type { IndexRef, SortKeyRange, Store } from "../store/types.js";
import { decodeObservation, decodeRdata, rrtypeOfSortKey, rrtypeRange } from "./record-codec.js";

export interface DecodedRecord {
  sortKey: Buffer;
  rrname: string;
  rrtype: number;
  rdata: string;
  timeFirst: number;
  timeLast: number;
  count: number;
}

export interface RecordQuery {
  /** Records owned by this name. */
  owner?: string | undefined;
  /** Records whose rdata is this address or name. */
  pointingTo?: IndexRef | undefined;
  rrtype?: number | undefined;
  /** Resume strictly after this sort key. */
  after?: Buffer | undefined;
}

/** The sort key right after `key` (same length), or undefined when `key` is the last possible one. */
export function successorKey(key: Buffer): Buffer | undefined {
  const out = Buffer.from(key);
  for (let i = out.length - 1; i >= 0; i--) {
    if ((out[i] as number) < 0xff) {
      out[i] = (out[i] as number) + 1;
      return out;
    }
    out[i] = 0;
  }
  return undefined;
}

function rangeOf(query: RecordQuery): SortKeyRange | undefined {
  let start: Buffer | undefined;
  let end: Buffer | undefined;
  if (query.rrtype !== undefined) ({ start, end } = rrtypeRange(query.rrtype));
  if (query.after) {
    const next = successorKey(query.after);
    if (!next) return undefined;
    if (!start || Buffer.compare(next, start) > 0) start = next;
  }
  if (start && end && Buffer.compare(start, end) >= 0) return undefined;
  return { start, end };
}

/** A stored record as a query yields it. */
export function decodeRecord(sortKey: Buffer, rrname: string, value: Buffer): DecodedRecord {
  const { obs, payload } = decodeObservation(value);
  const rrtype = rrtypeOfSortKey(sortKey);
  return {
    sortKey: Buffer.from(sortKey),
    rrname,
    rrtype,
    rdata: decodeRdata(rrtype, payload),
    timeFirst: obs.timeFirst,
    timeLast: obs.timeLast,
    count: obs.count,
  };
}

async function* ownerRecords(store: Store, owner: string, range: SortKeyRange, chunkSize: number) {
  for await (const chunk of store.scanOwner(owner, range, chunkSize)) {
    yield chunk.map((entry) => decodeRecord(entry.sortKey, owner, entry.value));
  }
}

async function* pointingRecords(store: Store, ref: IndexRef, range: SortKeyRange, chunkSize: number) {
  for await (const entries of store.scanIndex(ref, range, chunkSize)) {
    const values = await store.getRecords(entries);
    const records: DecodedRecord[] = [];
    entries.forEach((entry, i) => {
      const value = values[i];
      if (value) records.push(decodeRecord(entry.sortKey, entry.rrname, value));
    });
    if (records.length > 0) yield records;
  }
}

function compareRecords(a: DecodedRecord, b: DecodedRecord): number {
  const bySortKey = Buffer.compare(a.sortKey, b.sortKey);
  if (bySortKey !== 0) return bySortKey;
  return a.rrname < b.rrname ? -1 : a.rrname > b.rrname ? 1 : 0;
}

/** Pulls records one at a time from a chunked stream. */
class RecordReader {
  #chunk: DecodedRecord[] = [];
  #at = 0;
  #done = false;
  readonly #source: AsyncIterator<DecodedRecord[]>;

  constructor(source: AsyncIterable<DecodedRecord[]>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  async peek(): Promise<DecodedRecord | undefined> {
    while (this.#at >= this.#chunk.length && !this.#done) {
      const next = await this.#source.next();
      if (next.done) this.#done = true;
      else {
        this.#chunk = next.value;
        this.#at = 0;
      }
    }
    return this.#chunk[this.#at];
  }

  take(): void {
    this.#at++;
  }

  async close(): Promise<void> {
    await this.#source.return?.();
  }
}

/**
 * Yields the matching records in ascending sort-key order, in chunks of about `chunkSize`. A record that
 * is both owned by the name and points to it (a CNAME to itself) comes once.
 */
export async function* queryRecords(
  store: Store,
  query: RecordQuery,
  chunkSize = 512,
): AsyncGenerator<DecodedRecord[]> {
  const range = rangeOf(query);
  if (!range) return;
  const sources: AsyncIterable<DecodedRecord[]>[] = [];
  if (query.owner !== undefined) sources.push(ownerRecords(store, query.owner, range, chunkSize));
  if (query.pointingTo) sources.push(pointingRecords(store, query.pointingTo, range, chunkSize));
  if (sources.length === 1) {
    yield* sources[0] as AsyncIterable<DecodedRecord[]>;
    return;
  }
  const readers = sources.map((source) => new RecordReader(source));
  try {
    let out: DecodedRecord[] = [];
    let previous: DecodedRecord | undefined;
    for (;;) {
      let next: DecodedRecord | undefined;
      let from: RecordReader | undefined;
      for (const reader of readers) {
        const head = await reader.peek();
        if (head && (!next || compareRecords(head, next) < 0)) {
          next = head;
          from = reader;
        }
      }
      if (!next || !from) break;
      from.take();
      if (previous && compareRecords(previous, next) === 0) continue;
      previous = next;
      out.push(next);
      if (out.length >= chunkSize) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.all(readers.map((reader) => reader.close()));
  }
}

/** Up to `limit` records of a chunked source, and whether more follow (the source is closed early). */
export async function firstOf(
  source: AsyncIterable<DecodedRecord[]>,
  limit: number,
): Promise<{ records: DecodedRecord[]; more: boolean }> {
  const records: DecodedRecord[] = [];
  for await (const chunk of source) {
    for (const record of chunk) {
      if (records.length === limit) return { records, more: true };
      records.push(record);
    }
  }
  return { records, more: false };
}

/** Up to `limit` records of a query, and whether more follow. */
export function firstRecords(
  store: Store,
  query: RecordQuery,
  limit: number,
): Promise<{ records: DecodedRecord[]; more: boolean }> {
  return firstOf(queryRecords(store, query, Math.min(limit + 1, 1024)), limit);
}
