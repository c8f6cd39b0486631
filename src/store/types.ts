/**
 * The storage contract. Every backend (embedded LMDB, Redis/Kvrocks) implements exactly these
 * primitives; merging, paging, filtering and output formats live above it and are written once.
 *
 * Byte layouts of keys and values are defined by `src/pdns/record-codec.ts`; a backend stores them
 * as opaque bytes, except that it must merge two encoded observations the way the codec does.
 */

/** A reverse-index target: the IP or the name an rdata value points to. */
export type IndexRef = { kind: "ip"; bytes: Uint8Array; text: string } | { kind: "name"; name: string };

/** One distinct (rrname, rrtype, rdata) with its merged observation, ready to be written. */
export interface EncodedRecord {
  rrname: string;
  /**
   * The 10-byte sort key (rrtype u16 + 64-bit hash of the tuple), then the encoded observation (times,
   * count, sensors) and the rdata bytes: one buffer, as Redis stores it and LMDB splits it.
   */
  member: Buffer;
  index: IndexRef | undefined;
}

/** One (rrname, rcode, qtype) error observation (NXDOMAIN and friends). */
export interface EncodedRcode {
  rrname: string;
  /** The 3-byte key (rcode u8 + qtype u16), then the encoded observation. */
  member: Buffer;
}

export interface WriteBatch {
  records: EncodedRecord[];
  rcodes: EncodedRcode[];
  /** Input lines accounted to each sensor id in this batch (for /info). */
  linesBySensor: Map<string, number>;
}

export interface WriteResult {
  /** Records that did not exist before this batch. */
  created: number;
  /** Records whose sort key was taken by a different tuple (a 64-bit hash collision): not written. */
  collisions: number;
}

/** Half-open sort-key range: start inclusive, end exclusive; absent bounds are open. */
export interface SortKeyRange {
  start?: Buffer | undefined;
  end?: Buffer | undefined;
}

export interface StoredValue {
  sortKey: Buffer;
  value: Buffer;
}

export interface IndexEntry {
  sortKey: Buffer;
  rrname: string;
}

/** One name's records to read, within a sort-key range. */
export interface OwnerRead {
  rrname: string;
  range: SortKeyRange;
}

/** One target's index entries to read, within a sort-key range. */
export interface IndexRead {
  ref: IndexRef;
  range: SortKeyRange;
}

export interface RecordRef {
  rrname: string;
  sortKey: Buffer;
}

export interface StoredRcode {
  key: Buffer;
  value: Buffer;
}

export interface SensorLines {
  sensorId: string;
  lines: number;
}

/** The names a store can enumerate: record owners, or the names records point to (rdata names). */
export type NameSpace = "owners" | "targets";

/**
 * Which names: those strictly under a domain (ordered by their reversed labels, so a domain's subtree
 * is contiguous), or those starting with some labels and having more (ordered by their text).
 */
export type NamePattern = { kind: "under"; domain: string } | { kind: "prefix"; labels: string };

/** Collections of small JSON documents (users, tokens, when each token was last used, signing keys). */
export type DocKind = "user" | "token" | "token-use" | "signing-key" | "sensor";

/** One counter of a `takeCounters` call: its name within the scope, its limit and its lifetime. */
export interface CounterSpec {
  name: string;
  /** The call is refused when the counter already holds this much (Infinity: never refused). */
  limit: number;
  /** Lifetime from the counter's first increment (a fixed window). */
  ttlMs: number;
}

/** What a `takeCounters` call found or left: per counter, its value and the time until it resets. */
export interface CounterState {
  /** False when some counter was at its limit; nothing was then added. */
  taken: boolean;
  counts: number[];
  resetMs: number[];
}

/** One audit entry as the store keeps it: ordered by time then id, filed under its user. */
export interface StoredAuditEntry {
  timeMs: number;
  /** 16 hex digits, unique per entry: orders entries of the same millisecond. */
  id: string;
  user: string;
  json: string;
}

/** Where an audit read starts (exclusive, newest first) and what it keeps. */
export interface AuditRange {
  user?: string | undefined;
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
  /** Resume strictly after (older than) this entry. */
  before?: { timeMs: number; id: string } | undefined;
  limit: number;
}

/** How much audit history is kept: entries older than `maxAgeMs` go, and the oldest beyond `maxEntries`. */
export interface AuditRetention {
  maxAgeMs: number;
  maxEntries: number;
}

/**
 * Sighting sets: per group, members of `<fixed-length key><observation value>` merged like records
 * (earliest first, latest last, counts added). Used by passive SSL.
 */
export type SightingSpace = "ip-certs" | "fingerprints" | "sni";
/** Member sets: per group, an ordered set of opaque members added idempotently. */
export type MemberSpace = "cert-ips" | "cert-names";
/** Blobs: bytes by id. */
export type BlobSpace = "certificates" | "sha256" | "fingerprint-texts";

export interface SightingWrite {
  space: SightingSpace;
  group: string;
  member: Buffer;
}

export interface MemberWrite {
  space: MemberSpace;
  group: string;
  member: Buffer;
}

export interface BlobWrite {
  space: BlobSpace;
  id: string;
  bytes: Buffer;
  /** Keep an existing blob instead of replacing it. */
  ifAbsent: boolean;
}

export interface SetWriteBatch {
  sightings: SightingWrite[];
  members: MemberWrite[];
  blobs: BlobWrite[];
}

export interface SightingRef {
  group: string;
  key: Buffer;
}

/**
 * What a sweep deletes along with an expired record or sighting (domain knowledge the store lacks):
 * the reverse-index entry of a record, and the member set entry of a sighting (ip-certs → cert-ips).
 */
export interface ExpiryLinks {
  recordIndex(rrname: string, sortKey: Buffer, value: Buffer): IndexRef | undefined;
  sightingMember(space: SightingSpace, group: string, key: Buffer): MemberWrite | undefined;
}

/** What one `sweepExpiryBucket` call did, and where the next call resumes (undefined: bucket done). */
export interface ExpirySweep {
  deleted: number;
  next: Buffer | undefined;
}

export interface Store {
  readonly backend: "lmdb" | "redis";
  /** Merges a batch into the store; durable when the promise resolves. */
  write(batch: WriteBatch): Promise<WriteResult>;
  /** Small stable integers for sensor ids, allocated on first use (kept in records instead of strings). */
  sensorNumbers(sensorIds: readonly string[]): Promise<Map<string, number>>;
  /** Records owned by `rrname`, ascending by sort key, in chunks of at most `chunkSize`. */
  scanOwner(rrname: string, range: SortKeyRange, chunkSize: number): AsyncIterable<StoredValue[]>;
  /** Records whose rdata points to `ref`, ascending by sort key then rrname. */
  scanIndex(ref: IndexRef, range: SortKeyRange, chunkSize: number): AsyncIterable<IndexEntry[]>;
  /**
   * For each request, the first `limit` records owned by its name within its range, ascending by sort
   * key: many names in one call (one pipelined round trip on Redis, no per-name iterator on LMDB).
   */
  readOwners(requests: readonly OwnerRead[], limit: number): Promise<StoredValue[][]>;
  /** For each request, the first `limit` index entries of its target within its range (see readOwners). */
  readIndexes(requests: readonly IndexRead[], limit: number): Promise<IndexEntry[][]>;
  /** The stored values of the given records (undefined where absent), in order. */
  getRecords(refs: readonly RecordRef[]): Promise<(Buffer | undefined)[]>;
  /**
   * The names of a space matching a pattern, each once, in the pattern's order, starting at `from`
   * (inclusive) when given. Cost grows with the names returned, not with the store.
   */
  scanNames(
    space: NameSpace,
    pattern: NamePattern,
    from: string | undefined,
    chunkSize: number,
  ): AsyncIterable<string[]>;
  /**
   * The addresses (4 or 16 bytes, one family) in [first, last] that records point to, ascending, each
   * once, starting at `from` (inclusive) when given.
   */
  scanAddresses(
    first: Uint8Array,
    last: Uint8Array,
    from: Uint8Array | undefined,
    chunkSize: number,
  ): AsyncIterable<Uint8Array[]>;
  /**
   * Optional, for stores that keep a domain's subtree in one key range (LMDB): the records owned by
   * every name strictly under `domain`, ordered by reversed name then sort key, from `from` (inclusive)
   * on, in one scan. The same answer as scanNames + readOwners, without a lookup per name.
   */
  scanOwnersUnder?(
    domain: string,
    from: { rrname: string; sortKey: Buffer } | undefined,
    chunkSize: number,
  ): AsyncIterable<Array<{ rrname: string; sortKey: Buffer; value: Buffer }>>;
  /**
   * Optional, for stores that keep addresses in one key range (LMDB): the index entries of every
   * address in [first, last], ordered by address then sort key, from `from` (inclusive) on.
   */
  scanAddressEntries?(
    first: Uint8Array,
    last: Uint8Array,
    from: { address: Uint8Array; sortKey: Buffer } | undefined,
    chunkSize: number,
  ): AsyncIterable<Array<{ address: Uint8Array; sortKey: Buffer; rrname: string }>>;
  /** Every rcode observation of `rrname`. */
  listRcodes(rrname: string): Promise<StoredRcode[]>;
  /** Lines ingested per sensor id. */
  sensorLines(): Promise<SensorLines[]>;
  /** Merges sightings, adds members and stores blobs; durable when the promise resolves. */
  writeSets(batch: SetWriteBatch): Promise<void>;
  /** Members of one group of a sighting or member set, ascending, in chunks of at most `chunkSize`. */
  scanSet(
    space: SightingSpace | MemberSpace,
    group: string,
    range: SortKeyRange,
    chunkSize: number,
  ): AsyncIterable<Buffer[]>;
  /** The sighting member with each given key (undefined where absent), in order. */
  getSightings(space: SightingSpace, refs: readonly SightingRef[]): Promise<(Buffer | undefined)[]>;
  getBlobs(space: BlobSpace, ids: readonly string[]): Promise<(Buffer | undefined)[]>;
  getDoc(kind: DocKind, id: string): Promise<string | undefined>;
  putDoc(kind: DocKind, id: string, json: string): Promise<void>;
  deleteDoc(kind: DocKind, id: string): Promise<boolean>;
  listDocs(kind: DocKind): Promise<Array<[id: string, json: string]>>;
  /**
   * Atomically, for counters that all belong to `scope` (a user, a client address): when every counter
   * can take `cost` (at least one) without passing its limit, adds `cost` to each (starting a counter's lifetime when it is new); otherwise
   * changes nothing. Either way answers each counter's value and time to reset. Shared by every process
   * on the same Redis; on the embedded store, held by this process (and kept across restarts).
   */
  takeCounters(scope: string, counters: readonly CounterSpec[], cost: number): Promise<CounterState>;
  /** Appends audit entries and drops what `retention` no longer keeps. */
  appendAudit(entries: readonly StoredAuditEntry[], retention: AuditRetention): Promise<void>;
  /** Audit entries newest first, of one user or everyone, within the range. */
  readAudit(range: AuditRange): Promise<StoredAuditEntry[]>;
  /**
   * Turns on filing in expiry buckets (src/store/expiry-layout.ts) for every record and sighting written
   * from now on, by this process and every other writer of the store (the setting is kept in the store).
   */
  enableExpiryFiling(): Promise<void>;
  /** The ids of the expiry buckets that hold entries, in byte order (oldest day first). */
  expiryBuckets(): Promise<Buffer[]>;
  /**
   * Visits up to `limit` entries of one bucket after `from`: deletes the record or sighting of each
   * whose time_last is before `cutoff` (seconds) with what `links` names, drops entries whose target is
   * gone or has moved to a later bucket, keeps the rest; drops the bucket once empty. Atomic per entry:
   * a target refreshed meanwhile is kept.
   */
  sweepExpiryBucket(
    bucket: Buffer,
    cutoff: number,
    from: Buffer | undefined,
    limit: number,
    links: ExpiryLinks,
  ): Promise<ExpirySweep>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
