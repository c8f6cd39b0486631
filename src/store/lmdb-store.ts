/**
 * Embedded store on LMDB (the `lmdb` package): one environment in a data directory, safe for several
 * processes at once (the server and CLI commands), no server to run.
 *
 * Sub-databases and their keys (names are stored with labels reversed, so that everything under a
 * domain is one key range):
 * - `records`: reversed rrname \0 sort key → observation value
 * - `ip-index` (dupsort): 4|6 + address bytes + sort key → rrname
 * - `name-index` (dupsort): reversed target name \0 sort key → rrname
 * - `rcodes`: reversed rrname \0 rcode key → observation value
 * - `sets`: space tag + group \0 + member key → observation value (sightings) or nothing (members)
 * - `blobs`: space tag + id → bytes (certificates, SHA-256 → SHA-1, fingerprint texts)
 * - `meta`: sensor numbers and per-sensor line counts
 * - `docs`: kind \0 id → JSON document
 * - `owner-names`, `target-names`: forward name → nothing (names starting with some labels)
 * - `counters`: scope \0 name → { count, resetAt } (rate limits; held in memory, written behind)
 * - `audit`: time (u64 ms) + id (8 bytes) → user \0 JSON; `audit-by-user`: user \0 + the same key → nothing
 * - `expiry`: expiry bucket id (7 bytes) + entry → nothing (retention; see expiry-layout.ts)
 */
import { statfsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { type Database, open, type RootDatabase } from "lmdb";
import { reverseName, unreverseName } from "../dns/name.js";
import {
  mergeObservations,
  nextPrefix,
  payloadOf,
  RCODE_KEY_BYTES,
  SORT_KEY_BYTES,
} from "../pdns/record-codec.js";
import {
  decodeBucket,
  EXPIRY_BUCKET_BYTES,
  parseRecordEntry,
  parseSightingEntry,
  recordBucket,
  recordEntry,
  sightingBucket,
  sightingEntry,
  timeLastOf,
} from "./expiry-layout.js";
import { SIGHTING_KEY_BYTES, SPACE_TAGS } from "./set-layout.js";
import type {
  AuditRange,
  AuditRetention,
  BlobSpace,
  CounterSpec,
  CounterState,
  DocKind,
  ExpiryLinks,
  ExpirySweep,
  IndexEntry,
  IndexRead,
  IndexRef,
  MemberSpace,
  NamePattern,
  NameSpace,
  OwnerRead,
  RecordRef,
  SensorLines,
  SetWriteBatch,
  SightingRef,
  SightingSpace,
  SortKeyRange,
  Store,
  StoredAuditEntry,
  StoredRcode,
  StoredValue,
  WriteBatch,
  WriteResult,
} from "./types.js";

/**
 * Address space reserved for the data file (virtual, not disk: the file grows as data does). Mapping
 * it once at this size, instead of letting lmdb-js map a growing file chunk by chunk and remap it,
 * keeps one mapping per process: the soak showed the remapped file counted several times in RSS.
 */
const LMDB_MAP_BYTES = 2 ** 40;

const SEPARATOR = Buffer.from([0]);

type BinaryDb = Database<Buffer, Buffer>;

/** Key prefix of everything stored under one name: reversed labels and a NUL (never part of a name). */
function namePrefix(name: string): Buffer {
  return Buffer.concat([Buffer.from(reverseName(name), "utf8"), SEPARATOR]);
}

const EMPTY = Buffer.alloc(0);

/** What a sweep does with one bucket entry, from the stored value it names. */
function verdictOf(
  stored: Buffer | undefined,
  cutoff: number,
  bucketOf: (timeLast: number) => Buffer,
  bucket: Buffer,
): "gone" | "expired" | "moved" | "kept" {
  if (stored === undefined) return "gone";
  const timeLast = timeLastOf(stored);
  if (timeLast < cutoff) return "expired";
  return bucketOf(timeLast).equals(bucket) ? "kept" : "moved";
}

/** The byte after the NUL separator: seeking to name + this skips every key of that name. */
const NEXT_AFTER_SEPARATOR = Buffer.from([1]);

/** The first key in [start, end) of a database, if any. */
function firstKey(db: BinaryDb, start: Buffer, end: Buffer | undefined): Buffer | undefined {
  for (const key of db.getKeys({ start, end, limit: 1 })) return key as Buffer;
  return undefined;
}

function setPrefix(space: SightingSpace | MemberSpace, group: string): Buffer {
  return Buffer.concat([Buffer.from([SPACE_TAGS[space]]), Buffer.from(group, "utf8"), SEPARATOR]);
}

function blobKey(space: BlobSpace, id: string): Buffer {
  return Buffer.concat([Buffer.from([SPACE_TAGS[space]]), Buffer.from(id, "utf8")]);
}

function ipPrefix(bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([bytes.length === 4 ? 4 : 6]), bytes]);
}

function indexPrefix(ref: IndexRef): Buffer {
  return ref.kind === "ip" ? ipPrefix(ref.bytes) : namePrefix(ref.name);
}

function rangeUnder(prefix: Buffer, range: SortKeyRange): { start: Buffer; end: Buffer | undefined } {
  return {
    start: range.start ? Buffer.concat([prefix, range.start]) : prefix,
    end: range.end ? Buffer.concat([prefix, range.end]) : nextPrefix(prefix),
  };
}

interface CounterValue {
  count: number;
  resetAt: number;
}

const AUDIT_KEY_BYTES = 16;

function auditKey(timeMs: number, id: string): Buffer {
  const key = Buffer.alloc(AUDIT_KEY_BYTES);
  key.writeBigUInt64BE(BigInt(Math.max(0, Math.trunc(timeMs))));
  key.write(id, 8, "hex");
  return key;
}

function auditUserPrefix(user: string): Buffer {
  return Buffer.concat([Buffer.from(user, "utf8"), SEPARATOR]);
}

/** Below this much space left on its filesystem, a write LMDB could not make is put down to a full disk. */
const FULL_DISK_BYTES = 1 << 20;

/**
 * lmdb-js rejects every write of a failed asynchronous commit with an error whose `commitError` promise
 * rejects with the cause: unless that one is handled too, it ends the process as an unhandled rejection.
 */
function handleCommitError(error: unknown): void {
  (error as { commitError?: Promise<unknown> } | undefined)?.commitError?.catch(() => {});
}

/**
 * What a failed write is reported as. LMDB answers a write the disk took only part of ("short write,
 * filesystem full?") with EIO rather than ENOSPC, and lmdb-js a failed asynchronous commit with a
 * generic error: when the filesystem of the data directory has next to no space left, that is what
 * happened, and the error says so (code ENOSPC: a full store, see store-errors.ts). Any other error is
 * passed on as it is.
 */
function writeFailure(error: unknown, dir: string): unknown {
  handleCommitError(error);
  const { code, commitError } = (error ?? {}) as { code?: unknown; commitError?: unknown };
  if (code !== 5 && code !== "EIO" && commitError === undefined) return error;
  try {
    const { bavail, bsize } = statfsSync(dir);
    if (bavail * bsize >= FULL_DISK_BYTES) return error;
  } catch {
    return error;
  }
  const full = new Error(`No space left on device (LMDB: ${(error as Error).message})`, { cause: error });
  return Object.assign(full, { code: "ENOSPC" });
}

/**
 * Lets a write made behind the caller's back fail quietly (a full disk) instead of ending the process
 * as an unhandled rejection: only for writes whose loss costs nothing but what a restart would.
 */
function bestEffort(write: Promise<unknown>): void {
  write.catch(handleCommitError);
}

/** The `meta` key whose value 1 turns expiry filing on for every writer. */
const EXPIRY_FILING = "expiry-filing";

/** Deletes at most this many expired audit entries per append, so one append stays short. */
const AUDIT_PRUNE_PER_APPEND = 10_000;

class LmdbStore implements Store {
  readonly backend = "lmdb";
  readonly #root: RootDatabase;
  /** The data directory: whose filesystem is looked at when a write fails (writeFailure). */
  readonly #dir: string;
  readonly #records: BinaryDb;
  readonly #ipIndex: BinaryDb;
  readonly #nameIndex: BinaryDb;
  readonly #rcodes: BinaryDb;
  readonly #sets: BinaryDb;
  readonly #blobs: BinaryDb;
  readonly #meta: Database<number, string>;
  readonly #docs: Database<string, string>;
  readonly #counters: Database<CounterValue, string>;
  readonly #ownerNames: BinaryDb;
  readonly #targetNames: BinaryDb;
  readonly #audit: BinaryDb;
  readonly #auditByUser: BinaryDb;
  readonly #expiry: BinaryDb;
  /** The authority for counters while this process runs; the database only carries them over restarts. */
  readonly #counterCache = new Map<string, CounterValue>();

  /** Counters taken in write transactions (several processes), not held in this process's memory. */
  readonly #sharedCounters: boolean;
  #sharedTakes = 0;

  constructor(root: RootDatabase, dir: string, sharedCounters: boolean) {
    this.#root = root;
    this.#dir = dir;
    this.#sharedCounters = sharedCounters;
    const binary = { keyEncoding: "binary", encoding: "binary" } as const;
    this.#records = root.openDB({ name: "records", ...binary });
    this.#ipIndex = root.openDB({ name: "ip-index", ...binary, dupSort: true });
    this.#nameIndex = root.openDB({ name: "name-index", ...binary, dupSort: true });
    this.#rcodes = root.openDB({ name: "rcodes", ...binary });
    this.#sets = root.openDB({ name: "sets", ...binary });
    this.#blobs = root.openDB({ name: "blobs", ...binary });
    this.#meta = root.openDB({ name: "meta", encoding: "json" });
    this.#docs = root.openDB({ name: "docs", encoding: "string" });
    this.#counters = root.openDB({ name: "counters", encoding: "json" });
    this.#ownerNames = root.openDB({ name: "owner-names", ...binary });
    this.#targetNames = root.openDB({ name: "target-names", ...binary });
    this.#audit = root.openDB({ name: "audit", ...binary });
    this.#auditByUser = root.openDB({ name: "audit-by-user", ...binary });
    this.#expiry = root.openDB({ name: "expiry", ...binary });
  }

  /** A synchronous write transaction (or single write); a failure is reported by writeFailure. */
  #writeSync<T>(action: () => T): T {
    try {
      return this.#root.transactionSync(action);
    } catch (error) {
      throw writeFailure(error, this.#dir);
    }
  }

  /** An asynchronous write transaction (batched with others by lmdb-js); failures as #writeSync. */
  async #writeAsync<T>(action: () => T): Promise<T> {
    try {
      return await this.#root.transaction(action);
    } catch (error) {
      throw writeFailure(error, this.#dir);
    }
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    const result: WriteResult = { created: 0, collisions: 0 };
    const prefixes = new Map<string, Buffer>();
    const prefixOf = (name: string) => {
      let prefix = prefixes.get(name);
      if (!prefix) {
        prefix = namePrefix(name);
        prefixes.set(name, prefix);
      }
      return prefix;
    };
    const namesSeen = new Set<string>();
    const noteName = (db: BinaryDb, tag: string, name: string) => {
      if (namesSeen.has(tag + name)) return;
      namesSeen.add(tag + name);
      const key = Buffer.from(name, "utf8");
      if (!db.doesExist(key)) db.putSync(key, EMPTY);
    };
    this.#writeSync(() => {
      const filing = this.#meta.get(EXPIRY_FILING) === 1;
      for (const record of batch.records) {
        const sortKey = record.member.subarray(0, SORT_KEY_BYTES);
        const key = Buffer.concat([prefixOf(record.rrname), sortKey]);
        const value = record.member.subarray(SORT_KEY_BYTES);
        const stored = this.#records.getBinaryFast(key);
        if (stored === undefined) {
          this.#records.putSync(key, value);
          if (filing)
            this.#file(
              undefined,
              recordBucket(sortKey, timeLastOf(value)),
              recordEntry(sortKey, record.rrname),
            );
          result.created++;
          noteName(this.#ownerNames, "o", record.rrname);
          if (record.index?.kind === "name") noteName(this.#targetNames, "t", record.index.name);
          if (record.index) {
            const indexKey = Buffer.concat([
              indexPrefix(record.index),
              record.member.subarray(0, SORT_KEY_BYTES),
            ]);
            const db = record.index.kind === "ip" ? this.#ipIndex : this.#nameIndex;
            db.putSync(indexKey, Buffer.from(record.rrname, "utf8"));
          }
        } else if (payloadOf(stored).equals(payloadOf(value))) {
          const merged = mergeObservations(stored, value);
          if (filing) {
            this.#file(
              recordBucket(sortKey, timeLastOf(stored)),
              recordBucket(sortKey, timeLastOf(merged)),
              recordEntry(sortKey, record.rrname),
            );
          }
          this.#records.putSync(key, merged);
        } else {
          result.collisions++;
        }
      }
      for (const rcode of batch.rcodes) {
        const key = Buffer.concat([prefixOf(rcode.rrname), rcode.member.subarray(0, RCODE_KEY_BYTES)]);
        const value = rcode.member.subarray(RCODE_KEY_BYTES);
        const stored = this.#rcodes.getBinaryFast(key);
        this.#rcodes.putSync(key, stored ? mergeObservations(stored, value) : value);
      }
      for (const [sensorId, lines] of batch.linesBySensor) {
        const key = `lines:${sensorId}`;
        this.#meta.putSync(key, (this.#meta.get(key) ?? 0) + lines);
      }
    });
    return result;
  }

  async sensorNumbers(sensorIds: readonly string[]): Promise<Map<string, number>> {
    const numbers = new Map<string, number>();
    const missing = sensorIds.filter((id) => {
      const known = this.#meta.get(`sensor:${id}`);
      if (known !== undefined) numbers.set(id, known);
      return known === undefined;
    });
    if (missing.length === 0) return numbers;
    this.#writeSync(() => {
      for (const id of missing) {
        let number = this.#meta.get(`sensor:${id}`);
        if (number === undefined) {
          number = (this.#meta.get("sensor-seq") ?? 0) + 1;
          if (number > 0xffff) throw new Error("too many sensors (65535)");
          this.#meta.putSync("sensor-seq", number);
          this.#meta.putSync(`sensor:${id}`, number);
        }
        numbers.set(id, number);
      }
    });
    return numbers;
  }

  async *scanNames(
    space: NameSpace,
    pattern: NamePattern,
    from: string | undefined,
    chunkSize: number,
  ): AsyncIterable<string[]> {
    if (pattern.kind === "prefix") {
      // Forward names: [labels + ".", labels + "/") holds exactly the names starting with those labels.
      const db = space === "owners" ? this.#ownerNames : this.#targetNames;
      const low = Buffer.from(`${pattern.labels}.`, "utf8");
      const fromKey = from === undefined ? low : Buffer.from(from, "utf8");
      const start = Buffer.compare(fromKey, low) > 0 ? fromKey : low;
      const end = Buffer.from(`${pattern.labels}/`, "utf8");
      let chunk: string[] = [];
      for (const key of db.getKeys({ start, end })) {
        chunk.push((key as Buffer).toString("utf8"));
        if (chunk.length >= chunkSize) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length > 0) yield chunk;
      return;
    }
    // Reversed names: records and the name index are keyed by reversed name + NUL + sort key, so the
    // distinct names of a subtree are found by seeking past each name's keys (one seek per name).
    const db = space === "owners" ? this.#records : this.#nameIndex;
    const reversed = reverseName(pattern.domain);
    const low = Buffer.from(`${reversed}.`, "utf8");
    const end = Buffer.from(`${reversed}/`, "utf8");
    let start = from === undefined ? low : Buffer.from(reverseName(from), "utf8");
    if (Buffer.compare(start, low) < 0) start = low;
    let chunk: string[] = [];
    for (;;) {
      const next = firstKey(db, start, end);
      if (next === undefined) break;
      const nul = next.indexOf(0);
      const name = next.subarray(0, nul);
      chunk.push(unreverseName(name.toString("utf8")));
      if (chunk.length >= chunkSize) {
        yield chunk;
        chunk = [];
      }
      start = Buffer.concat([name, NEXT_AFTER_SEPARATOR]);
    }
    if (chunk.length > 0) yield chunk;
  }

  async *scanOwnersUnder(
    domain: string,
    from: { rrname: string; sortKey: Buffer } | undefined,
    chunkSize: number,
  ): AsyncIterable<Array<{ rrname: string; sortKey: Buffer; value: Buffer }>> {
    const reversed = reverseName(domain);
    const low = Buffer.from(`${reversed}.`, "utf8");
    const start = from === undefined ? low : Buffer.concat([namePrefix(from.rrname), from.sortKey]);
    const range = {
      start: Buffer.compare(start, low) > 0 ? start : low,
      end: Buffer.from(`${reversed}/`, "utf8"),
    };
    let name = "";
    let reversedName: Buffer | undefined;
    for (const chunk of this.#chunks(this.#records, range, chunkSize)) {
      yield chunk.map(({ key, value }) => {
        const nul = key.length - SORT_KEY_BYTES - 1;
        // Keys of one name come together: turn the reversed name back only when it changes.
        if (!reversedName || reversedName.length !== nul || key.compare(reversedName, 0, nul, 0, nul) !== 0) {
          reversedName = Buffer.from(key.subarray(0, nul));
          name = unreverseName(reversedName.toString("utf8"));
        }
        return { rrname: name, sortKey: key.subarray(nul + 1), value };
      });
    }
  }

  async *scanAddressEntries(
    first: Uint8Array,
    last: Uint8Array,
    from: { address: Uint8Array; sortKey: Buffer } | undefined,
    chunkSize: number,
  ): AsyncIterable<Array<{ address: Uint8Array; sortKey: Buffer; rrname: string }>> {
    const width = first.length;
    const low = ipPrefix(first);
    const start = from === undefined ? low : Buffer.concat([ipPrefix(from.address), from.sortKey]);
    const range = { start: Buffer.compare(start, low) > 0 ? start : low, end: nextPrefix(ipPrefix(last)) };
    for (const chunk of this.#chunks(this.#ipIndex, range, chunkSize)) {
      yield chunk.map(({ key, value }) => ({
        address: key.subarray(1, 1 + width),
        sortKey: key.subarray(1 + width, 1 + width + SORT_KEY_BYTES),
        rrname: value.toString("utf8"),
      }));
    }
  }

  async *scanAddresses(
    first: Uint8Array,
    last: Uint8Array,
    from: Uint8Array | undefined,
    chunkSize: number,
  ): AsyncIterable<Uint8Array[]> {
    const width = first.length;
    let start = ipPrefix(from !== undefined && Buffer.compare(from, first) > 0 ? from : first);
    const end = nextPrefix(ipPrefix(last));
    let chunk: Uint8Array[] = [];
    for (;;) {
      const next = firstKey(this.#ipIndex, start, end);
      if (next === undefined) break;
      const address = next.subarray(1, 1 + width);
      chunk.push(Uint8Array.from(address));
      if (chunk.length >= chunkSize) {
        yield chunk;
        chunk = [];
      }
      const after = nextPrefix(next.subarray(0, 1 + width));
      if (after === undefined) break;
      start = after;
    }
    if (chunk.length > 0) yield chunk;
  }

  async *scanOwner(rrname: string, range: SortKeyRange, chunkSize: number): AsyncIterable<StoredValue[]> {
    const prefix = namePrefix(rrname);
    for (const chunk of this.#chunks(this.#records, rangeUnder(prefix, range), chunkSize)) {
      yield chunk.map(({ key, value }) => ({ sortKey: key.subarray(prefix.length), value }));
    }
  }

  async readOwners(requests: readonly OwnerRead[], limit: number): Promise<StoredValue[][]> {
    return requests.map(({ rrname, range }) => {
      const prefix = namePrefix(rrname);
      const out: StoredValue[] = [];
      for (const { key, value } of this.#records.getRange({ ...rangeUnder(prefix, range), limit })) {
        out.push({ sortKey: key.subarray(prefix.length), value });
      }
      return out;
    });
  }

  async readIndexes(requests: readonly IndexRead[], limit: number): Promise<IndexEntry[][]> {
    return requests.map(({ ref, range }) => {
      const prefix = indexPrefix(ref);
      const db = ref.kind === "ip" ? this.#ipIndex : this.#nameIndex;
      const out: IndexEntry[] = [];
      for (const { key, value } of db.getRange({ ...rangeUnder(prefix, range), limit })) {
        out.push({
          sortKey: key.subarray(prefix.length, prefix.length + SORT_KEY_BYTES),
          rrname: value.toString("utf8"),
        });
      }
      return out;
    });
  }

  async *scanIndex(ref: IndexRef, range: SortKeyRange, chunkSize: number): AsyncIterable<IndexEntry[]> {
    const prefix = indexPrefix(ref);
    const db = ref.kind === "ip" ? this.#ipIndex : this.#nameIndex;
    for (const chunk of this.#chunks(db, rangeUnder(prefix, range), chunkSize)) {
      yield chunk.map(({ key, value }) => ({
        sortKey: key.subarray(prefix.length, prefix.length + SORT_KEY_BYTES),
        rrname: value.toString("utf8"),
      }));
    }
  }

  /**
   * Reads a key range chunk by chunk, each chunk in its own short read: a slow consumer of a large answer
   * never pins one read transaction (and with it the file's free pages) for the whole response. A chunk
   * ends on a key boundary, so on a dupsort database the values of one key never straddle two chunks.
   */
  *#chunks(db: BinaryDb, range: { start: Buffer; end: Buffer | undefined }, chunkSize: number) {
    let start = range.start;
    let exclusiveStart = false;
    for (;;) {
      const chunk: Array<{ key: Buffer; value: Buffer }> = [];
      let more = false;
      for (const entry of db.getRange({ start, end: range.end, exclusiveStart })) {
        if (chunk.length >= chunkSize && !entry.key.equals(chunk[chunk.length - 1]?.key as Buffer)) {
          more = true;
          break;
        }
        chunk.push(entry);
      }
      if (chunk.length > 0) yield chunk;
      if (!more) return;
      start = (chunk[chunk.length - 1] as { key: Buffer }).key;
      exclusiveStart = true;
    }
  }

  async getRecords(refs: readonly RecordRef[]): Promise<(Buffer | undefined)[]> {
    return refs.map((ref) => this.#records.get(Buffer.concat([namePrefix(ref.rrname), ref.sortKey])));
  }

  async listRcodes(rrname: string): Promise<StoredRcode[]> {
    const prefix = namePrefix(rrname);
    return [...this.#rcodes.getRange({ start: prefix, end: nextPrefix(prefix) })].map(({ key, value }) => ({
      key: key.subarray(prefix.length),
      value,
    }));
  }

  async sensorLines(): Promise<SensorLines[]> {
    return [...this.#meta.getRange({ start: "lines:", end: "lines;" })].map(({ key, value }) => ({
      sensorId: key.slice("lines:".length),
      lines: value,
    }));
  }

  /** Files an entry in `bucket`, taking it out of `previous` when that is another bucket. */
  #file(previous: Buffer | undefined, bucket: Buffer, entry: Buffer): void {
    if (previous && !previous.equals(bucket)) this.#expiry.removeSync(Buffer.concat([previous, entry]));
    this.#expiry.putSync(Buffer.concat([bucket, entry]), EMPTY);
  }

  async writeSets(batch: SetWriteBatch): Promise<void> {
    this.#writeSync(() => {
      const filing = this.#meta.get(EXPIRY_FILING) === 1;
      for (const { space, group, member } of batch.sightings) {
        const keyLength = SIGHTING_KEY_BYTES[space];
        const key = Buffer.concat([setPrefix(space, group), member.subarray(0, keyLength)]);
        const value = member.subarray(keyLength);
        const stored = this.#sets.getBinaryFast(key);
        const merged = stored ? mergeObservations(stored, value) : value;
        if (filing) {
          this.#file(
            stored && sightingBucket(space, timeLastOf(stored)),
            sightingBucket(space, timeLastOf(merged)),
            sightingEntry(space, member, group),
          );
        }
        this.#sets.putSync(key, merged);
      }
      for (const { space, group, member } of batch.members) {
        this.#sets.putSync(Buffer.concat([setPrefix(space, group), member]), EMPTY);
      }
      for (const { space, id, bytes, ifAbsent } of batch.blobs) {
        const key = blobKey(space, id);
        if (!ifAbsent || this.#blobs.getBinaryFast(key) === undefined) this.#blobs.putSync(key, bytes);
      }
    });
  }

  async *scanSet(
    space: SightingSpace | MemberSpace,
    group: string,
    range: SortKeyRange,
    chunkSize: number,
  ): AsyncIterable<Buffer[]> {
    const prefix = setPrefix(space, group);
    for (const chunk of this.#chunks(this.#sets, rangeUnder(prefix, range), chunkSize)) {
      yield chunk.map(({ key, value }) => Buffer.concat([key.subarray(prefix.length), value]));
    }
  }

  async getSightings(space: SightingSpace, refs: readonly SightingRef[]): Promise<(Buffer | undefined)[]> {
    return refs.map((ref) => {
      const value = this.#sets.get(Buffer.concat([setPrefix(space, ref.group), ref.key]));
      return value === undefined ? undefined : Buffer.concat([ref.key, value]);
    });
  }

  async getBlobs(space: BlobSpace, ids: readonly string[]): Promise<(Buffer | undefined)[]> {
    return ids.map((id) => this.#blobs.get(blobKey(space, id)));
  }

  async getDoc(kind: DocKind, id: string): Promise<string | undefined> {
    return this.#docs.get(`${kind}\0${id}`);
  }

  async putDoc(kind: DocKind, id: string, json: string): Promise<void> {
    this.#writeSync(() => this.#docs.putSync(`${kind}\0${id}`, json));
  }

  async deleteDoc(kind: DocKind, id: string): Promise<boolean> {
    return this.#writeSync(() => this.#docs.removeSync(`${kind}\0${id}`));
  }

  async listDocs(kind: DocKind): Promise<Array<[string, string]>> {
    const prefix = `${kind}\0`;
    return [...this.#docs.getRange({ start: prefix, end: `${kind}\u0001` })].map(({ key, value }) => [
      key.slice(prefix.length),
      value,
    ]);
  }

  async takeCounters(scope: string, counters: readonly CounterSpec[], cost: number): Promise<CounterState> {
    if (this.#sharedCounters) {
      // Now and then, forget counters past their lifetime (failed-login counters of many addresses).
      if (++this.#sharedTakes % 10_000 === 0) bestEffort(this.#dropExpiredCounters());
      // Read, check and add in one write transaction: atomic across processes (lmdb-js batches the
      // transactions of concurrent requests into one commit).
      return this.#writeAsync(() => this.#takeCountersFrom(scope, counters, cost, true));
    }
    return this.#takeCountersFrom(scope, counters, cost, false);
  }

  #takeCountersFrom(
    scope: string,
    counters: readonly CounterSpec[],
    cost: number,
    inTransaction: boolean,
  ): CounterState {
    const now = Date.now();
    const keys = counters.map((counter) => `${scope}\0${counter.name}`);
    // A counter past its lifetime (or never started) reads as a fresh one; only a taking call starts
    // its lifetime, so a zero-cost check (rate_limit, the lock-out guard) never opens a window.
    const values = keys.map((key, i) => {
      const stored = inTransaction
        ? this.#counters.get(key)
        : (this.#counterCache.get(key) ?? this.#counters.get(key));
      if (stored && stored.resetAt > now) return stored;
      return { count: 0, resetAt: now + (counters[i] as CounterSpec).ttlMs };
    });
    // Refused when taking `cost` (at least one: a zero-cost check asks whether one more fits) would pass a limit.
    const taken = values.every(
      (value, i) => value.count + Math.max(cost, 1) <= (counters[i] as CounterSpec).limit,
    );
    if (taken && cost > 0) {
      values.forEach((value, i) => {
        value.count += cost;
        const key = keys[i] as string;
        if (inTransaction) {
          this.#counters.putSync(key, value);
          return;
        }
        this.#counterCache.set(key, value);
        // Written behind (lmdb batches async puts): a crash loses at most the last moments' counts, a
        // failed write (disk full) no more than that; the count in memory stays the authority.
        bestEffort(this.#counters.put(key, value));
      });
    }
    if (this.#counterCache.size > 100_000) this.#sweepCounters(now);
    return { taken, counts: values.map((v) => v.count), resetMs: values.map((v) => v.resetAt - now) };
  }

  async #dropExpiredCounters(): Promise<void> {
    const now = Date.now();
    await this.#writeAsync(() => {
      for (const { key, value } of this.#counters.getRange()) {
        if (value.resetAt <= now) this.#counters.removeSync(key);
      }
    });
  }

  #sweepCounters(now: number): void {
    for (const [key, value] of this.#counterCache) {
      if (value.resetAt <= now) {
        this.#counterCache.delete(key);
        bestEffort(this.#counters.remove(key));
      }
    }
  }

  async appendAudit(entries: readonly StoredAuditEntry[], retention: AuditRetention): Promise<void> {
    if (entries.length === 0) return;
    const cutoff = auditKey(Date.now() - retention.maxAgeMs, "0000000000000000");
    await this.#writeAsync(() => {
      for (const entry of entries) {
        const key = auditKey(entry.timeMs, entry.id);
        void this.#audit.put(key, Buffer.from(`${entry.user}\0${entry.json}`, "utf8"));
        void this.#auditByUser.put(Buffer.concat([auditUserPrefix(entry.user), key]), EMPTY);
      }
      const stats = this.#audit.getStats() as { entryCount: number };
      const excess = stats.entryCount - retention.maxEntries;
      let pruned = 0;
      for (const { key, value } of this.#audit.getRange({ limit: AUDIT_PRUNE_PER_APPEND })) {
        if (pruned >= excess && Buffer.compare(key, cutoff) >= 0) break;
        const user = value.subarray(0, value.indexOf(0));
        void this.#audit.remove(key);
        void this.#auditByUser.remove(Buffer.concat([user, SEPARATOR, key]));
        pruned++;
      }
    });
  }

  async readAudit(range: AuditRange): Promise<StoredAuditEntry[]> {
    const prefix = range.user === undefined ? EMPTY : auditUserPrefix(range.user);
    const high = range.before
      ? auditKey(range.before.timeMs, range.before.id)
      : range.untilMs === undefined
        ? Buffer.alloc(AUDIT_KEY_BYTES, 0xff)
        : auditKey(range.untilMs + 1, "0000000000000000");
    const low = auditKey(range.sinceMs ?? 0, "0000000000000000");
    const found: StoredAuditEntry[] = [];
    const db = range.user === undefined ? this.#audit : this.#auditByUser;
    // Reverse ranges run from `start` down to `end`, `start` included: the cursor entry itself is skipped.
    for (const { key, value } of db.getRange({
      start: prefix.length === 0 ? high : Buffer.concat([prefix, high]),
      end: Buffer.concat([prefix, low]),
      reverse: true,
    })) {
      const entryKey = key.subarray(prefix.length);
      if (range.before && entryKey.equals(high)) continue;
      const timeMs = Number(entryKey.readBigUInt64BE(0));
      if (range.untilMs !== undefined && timeMs > range.untilMs) continue;
      const stored = range.user === undefined ? value : this.#audit.get(entryKey);
      if (stored === undefined) continue;
      const nul = stored.indexOf(0);
      found.push({
        timeMs,
        id: entryKey.toString("hex", 8, AUDIT_KEY_BYTES),
        user: stored.toString("utf8", 0, nul),
        json: stored.toString("utf8", nul + 1),
      });
      if (found.length >= range.limit) break;
    }
    return found;
  }

  async enableExpiryFiling(): Promise<void> {
    await this.#meta.put(EXPIRY_FILING, 1);
  }

  async expiryBuckets(): Promise<Buffer[]> {
    const buckets: Buffer[] = [];
    let start: Buffer | undefined = EMPTY;
    while (start) {
      const key = firstKey(this.#expiry, start, undefined);
      if (!key) break;
      const bucket = Buffer.from(key.subarray(0, EXPIRY_BUCKET_BYTES));
      buckets.push(bucket);
      start = nextPrefix(bucket);
    }
    return buckets;
  }

  async sweepExpiryBucket(
    bucket: Buffer,
    cutoff: number,
    from: Buffer | undefined,
    limit: number,
    links: ExpiryLinks,
  ): Promise<ExpirySweep> {
    const decoded = decodeBucket(bucket);
    const start = from ? Buffer.concat([bucket, from, SEPARATOR]) : bucket;
    let deleted = 0;
    let visited = 0;
    let last: Buffer | undefined;
    this.#writeSync(() => {
      const keys = [...this.#expiry.getKeys({ start, end: nextPrefix(bucket), limit })].map((k) =>
        Buffer.from(k as Buffer),
      );
      for (const key of keys) {
        visited++;
        const entry = key.subarray(EXPIRY_BUCKET_BYTES);
        last = entry;
        let verdict: "gone" | "expired" | "moved" | "kept" = "gone";
        if (decoded?.kind === "record") {
          const { sortKey, rrname } = parseRecordEntry(entry);
          const recordKey = Buffer.concat([namePrefix(rrname), sortKey]);
          const stored = this.#records.get(recordKey);
          verdict = verdictOf(stored, cutoff, (t) => recordBucket(sortKey, t), bucket);
          if (stored && verdict === "expired") {
            this.#records.removeSync(recordKey);
            const index = links.recordIndex(rrname, sortKey, stored);
            if (index) {
              const db = index.kind === "ip" ? this.#ipIndex : this.#nameIndex;
              db.removeSync(Buffer.concat([indexPrefix(index), sortKey]), Buffer.from(rrname, "utf8"));
            }
          }
        } else if (decoded?.kind === "sighting") {
          const { key: sightingKey, group } = parseSightingEntry(decoded.space, entry);
          const setKey = Buffer.concat([setPrefix(decoded.space, group), sightingKey]);
          const stored = this.#sets.get(setKey);
          verdict = verdictOf(stored, cutoff, (t) => sightingBucket(decoded.space, t), bucket);
          if (stored && verdict === "expired") {
            this.#sets.removeSync(setKey);
            const member = links.sightingMember(decoded.space, group, sightingKey);
            if (member)
              this.#sets.removeSync(Buffer.concat([setPrefix(member.space, member.group), member.member]));
          }
        }
        if (verdict === "expired") deleted++;
        if (verdict !== "kept") this.#expiry.removeSync(key);
      }
    });
    return { deleted, next: visited === limit ? last : undefined };
  }

  async ping(): Promise<void> {
    this.#meta.get("sensor-seq");
  }

  async close(): Promise<void> {
    await this.#root.close();
  }
}

/** Opens (creating when needed) the embedded store in `dir`. */
export async function openLmdbStore(dir: string, options: { sharedCounters?: boolean } = {}): Promise<Store> {
  await mkdir(dir, { recursive: true });
  // No readahead: records are read in key order but sit on scattered pages; readahead would map (and
  // count in RSS) neighbouring pages nobody asked for.
  // (`noReadAhead` is an lmdb-js option its type declarations do not list.)
  // noSubdir false: lmdb-js would otherwise take a directory name with a dot (`data.d`) for a file.
  const settings = {
    path: dir,
    noSubdir: false,
    maxDbs: 16,
    noMemInit: true,
    noReadAhead: true,
    mapSize: LMDB_MAP_BYTES,
  };
  const root = open(settings);
  return new LmdbStore(root, dir, options.sharedCounters ?? false);
}
