/**
 * Store on Redis or Apache Kvrocks through ioredis.
 *
 * Every command touches one key (or, for sensor numbers, two keys of the `{meta}` slot), so the layout
 * is Redis-Cluster-safe; sorted sets are read with ZRANGEBYLEX only, on members whose scores are all 0,
 * as Kvrocks requires; merges run in a single-key Lua script; no MULTI/EXEC. A batch costs two pipelined
 * round trips: merge every owner's records, then add reverse-index entries for the records just created.
 */
import { readFileSync } from "node:fs";
import { Redis, type RedisOptions } from "ioredis";
import { reverseName, unreverseName } from "../dns/name.js";
import { RCODE_KEY_BYTES, SORT_KEY_BYTES } from "../pdns/record-codec.js";
import {
  addressBucketOf,
  bucketsOfRange,
  labelCount,
  prefixBucketOf,
  topLabelOf,
  underBucketOf,
} from "./name-buckets.js";
import { type RedisKeys, redisKeys } from "./redis-keys.js";
import { SIGHTING_KEY_BYTES } from "./set-layout.js";
import type {
  AuditRange,
  AuditRetention,
  BlobSpace,
  CounterSpec,
  CounterState,
  DocKind,
  EncodedRecord,
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

/** Bounds of one script call: the time one call holds Redis (and, on Kvrocks, its lock). */
const KEYS_PER_CALL = 128;
const MEMBERS_PER_CALL = 512;
const CREATED = 1;
const COLLISION = 2;

const lua = (name: string) => readFileSync(new URL(`./lua/${name}`, import.meta.url), "utf8");

interface ScriptCommands {
  /** numberOfKeys, keys…, member key length, member counts…, members… (merge-observations-n.lua). */
  mergeObservations(...args: Array<string | number | Buffer>): Promise<number[]>;
  /** numberOfKeys, keys…, member key prefixes… (get-members-n.lua). */
  getMembersBuffer(...args: Array<string | number | Buffer>): Promise<Array<Buffer | null>>;
  /** numberOfKeys, keys…, member counts…, members… (add-members-n.lua). */
  addMembers(...args: Array<string | number | Buffer>): Promise<number>;
  sensorNumbers(numbersKey: string, sequenceKey: string, ...ids: string[]): Promise<number[]>;
  /** numberOfKeys, keys…, cost, limits…, lifetimes… (take-counters.lua). */
  takeCounters(...args: Array<string | number>): Promise<[number, number[], number[]]>;
}

interface ScriptCall<T> {
  keys: string[];
  counts: number[];
  members: Buffer[];
  items: T[];
}

/**
 * Packs per-key member lists into script calls of bounded size, preserving item order. A key with more
 * members than one call takes is split over consecutive calls (they run in order in the pipeline).
 */
function packCalls<T>(groups: Map<string, T[]>, memberOf: (item: T) => Buffer): ScriptCall<T>[] {
  const calls: ScriptCall<T>[] = [];
  let call: ScriptCall<T> = { keys: [], counts: [], members: [], items: [] };
  for (const [key, items] of groups) {
    for (let at = 0; at < items.length; ) {
      if (call.keys.length >= KEYS_PER_CALL || call.members.length >= MEMBERS_PER_CALL) {
        calls.push(call);
        call = { keys: [], counts: [], members: [], items: [] };
      }
      const part = items.slice(at, at + MEMBERS_PER_CALL - call.members.length);
      call.keys.push(key);
      call.counts.push(part.length);
      for (const item of part) {
        call.members.push(memberOf(item));
        call.items.push(item);
      }
      at += part.length;
    }
  }
  if (call.keys.length > 0) calls.push(call);
  return calls;
}
type ScriptedRedis = Redis & ScriptCommands;

/** Address buckets read per pipelined round trip. */
const ADDRESS_BUCKETS_PER_READ = 64;

/** Byte order, as Redis compares members (JavaScript's < compares UTF-16 units). */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** The name and address index entries a batch adds: collected per key, queued as one ZADD/SADD each. */
class NameIndexWrites {
  readonly #keys: RedisKeys;
  readonly #sorted = new Map<string, Set<string | Buffer>>();
  readonly #sets = new Map<string, Set<string>>();
  readonly #seen = new Set<string>();

  constructor(keys: RedisKeys) {
    this.#keys = keys;
  }

  addName(space: NameSpace, name: string): void {
    const tag = `${space[0]}${name}`;
    if (this.#seen.has(tag)) return;
    this.#seen.add(tag);
    const reversed = reverseName(name);
    add(this.#sorted, this.#keys.namesStarting(space, prefixBucketOf(name)), name);
    if (labelCount(name) >= 2) {
      const bucket = underBucketOf(reversed);
      add(this.#sorted, this.#keys.namesUnder(space, bucket), reversed);
      add(this.#sets, this.#keys.nameBuckets(space, topLabelOf(reversed)), bucket);
    }
  }

  addAddress(address: Uint8Array): void {
    const tag = `a${Buffer.from(address).toString("hex")}`;
    if (this.#seen.has(tag)) return;
    this.#seen.add(tag);
    add(this.#sorted, this.#keys.addresses(addressBucketOf(address)), Buffer.from(address));
  }

  /** Queues the writes (idempotent: members already present stay as they are). */
  queue(pipeline: ReturnType<Redis["pipeline"]>): void {
    for (const [key, members] of this.#sorted) {
      const list = [...members];
      for (let i = 0; i < list.length; i += MEMBERS_PER_CALL) {
        pipeline.zadd(key, ...list.slice(i, i + MEMBERS_PER_CALL).flatMap((m) => [0, m]));
      }
    }
    for (const [key, members] of this.#sets) pipeline.sadd(key, ...members);
  }
}

function add<T>(map: Map<string, Set<T>>, key: string, member: T): void {
  let members = map.get(key);
  if (!members) {
    members = new Set();
    map.set(key, members);
  }
  members.add(member);
}

/** An audit entry as a sorted-set member: id (16 hex), user, NUL, JSON (which has no raw NUL). */
function auditMember(entry: StoredAuditEntry): string {
  return `${entry.id}${entry.user}\0${entry.json}`;
}

function parseAuditMember(member: string, timeMs: number): StoredAuditEntry {
  const nul = member.indexOf("\0", 16);
  return { timeMs, id: member.slice(0, 16), user: member.slice(16, nul), json: member.slice(nul + 1) };
}
type ScriptedPipeline = ReturnType<Redis["pipeline"]> & ScriptCommands;

function lexMin(start: Buffer | undefined): Buffer | string {
  return start ? Buffer.concat([Buffer.from("["), start]) : "-";
}

function lexMax(end: Buffer | undefined): Buffer | string {
  return end ? Buffer.concat([Buffer.from("("), end]) : "+";
}

/** Results of a pipeline, throwing the first command error. */
async function execPipeline(pipeline: { exec(): Promise<[Error | null, unknown][] | null> }) {
  const results = (await pipeline.exec()) ?? [];
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

class RedisStore implements Store {
  readonly backend = "redis";
  readonly #redis: ScriptedRedis;
  readonly #keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    redis.defineCommand("mergeObservations", { lua: lua("merge-observations-n.lua") });
    redis.defineCommand("addMembers", { lua: lua("add-members-n.lua") });
    redis.defineCommand("getMembers", { lua: lua("get-members-n.lua") });
    redis.defineCommand("sensorNumbers", { numberOfKeys: 2, lua: lua("sensor-numbers-2.lua") });
    redis.defineCommand("takeCounters", { lua: lua("take-counters.lua") });
    this.#redis = redis as ScriptedRedis;
    this.#keys = keys;
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    const merges = this.#redis.pipeline() as ScriptedPipeline;
    const recordCalls = packCalls(
      groupBy(batch.records, (r) => this.#keys.owner(r.rrname)),
      (r) => r.member,
    );
    for (const call of recordCalls) {
      merges.mergeObservations(
        call.keys.length,
        ...call.keys,
        SORT_KEY_BYTES,
        ...call.counts,
        ...call.members,
      );
    }
    const rcodeCalls = packCalls(
      groupBy(batch.rcodes, (r) => this.#keys.rcodes(r.rrname)),
      (r) => r.member,
    );
    for (const call of rcodeCalls) {
      merges.mergeObservations(
        call.keys.length,
        ...call.keys,
        RCODE_KEY_BYTES,
        ...call.counts,
        ...call.members,
      );
    }
    for (const [sensorId, lines] of batch.linesBySensor) {
      merges.hincrby(this.#keys.sensorLines, sensorId, lines);
    }
    const results = await execPipeline(merges);

    const result: WriteResult = { created: 0, collisions: 0 };
    const created: EncodedRecord[] = [];
    const names = new NameIndexWrites(this.#keys);
    recordCalls.forEach((call, i) => {
      const statuses = results[i] as number[];
      call.items.forEach((record, j) => {
        if (statuses[j] === COLLISION) result.collisions++;
        if (statuses[j] !== CREATED) return;
        result.created++;
        names.addName("owners", record.rrname);
        if (record.index?.kind === "name") names.addName("targets", record.index.name);
        else if (record.index?.kind === "ip") names.addAddress(record.index.bytes);
        if (record.index) created.push(record);
      });
    });
    if (result.created > 0) {
      const indexing = this.#redis.pipeline() as ScriptedPipeline;
      names.queue(indexing);
      const indexCalls = packCalls(
        groupBy(created, (r) => this.#keys.index(r.index as IndexRef)),
        (r) => Buffer.concat([r.member.subarray(0, SORT_KEY_BYTES), Buffer.from(r.rrname, "utf8")]),
      );
      for (const call of indexCalls)
        indexing.addMembers(call.keys.length, ...call.keys, ...call.counts, ...call.members);
      await execPipeline(indexing);
    }
    return result;
  }

  async sensorNumbers(sensorIds: readonly string[]): Promise<Map<string, number>> {
    if (sensorIds.length === 0) return new Map();
    const numbers = await this.#redis.sensorNumbers(
      this.#keys.sensorNumbers,
      this.#keys.sensorSequence,
      ...sensorIds,
    );
    return new Map(sensorIds.map((id, i) => [id, numbers[i] as number]));
  }

  async *scanOwner(rrname: string, range: SortKeyRange, chunkSize: number): AsyncIterable<StoredValue[]> {
    for await (const members of this.#scan(this.#keys.owner(rrname), range, chunkSize)) {
      yield members.map((m) => ({
        sortKey: m.subarray(0, SORT_KEY_BYTES),
        value: m.subarray(SORT_KEY_BYTES),
      }));
    }
  }

  async *scanIndex(ref: IndexRef, range: SortKeyRange, chunkSize: number): AsyncIterable<IndexEntry[]> {
    for await (const members of this.#scan(this.#keys.index(ref), range, chunkSize)) {
      yield members.map((m) => ({
        sortKey: m.subarray(0, SORT_KEY_BYTES),
        rrname: m.subarray(SORT_KEY_BYTES).toString("utf8"),
      }));
    }
  }

  async *#scan(key: string, range: SortKeyRange, chunkSize: number): AsyncIterable<Buffer[]> {
    let min = lexMin(range.start);
    const max = lexMax(range.end);
    for (;;) {
      const members = await this.#redis.zrangebylexBuffer(key, min, max, "LIMIT", 0, chunkSize);
      if (members.length > 0) yield members;
      if (members.length < chunkSize) return;
      min = Buffer.concat([Buffer.from("("), members[members.length - 1] as Buffer]);
    }
  }

  async *scanNames(
    space: NameSpace,
    pattern: NamePattern,
    from: string | undefined,
    chunkSize: number,
  ): AsyncIterable<string[]> {
    if (pattern.kind === "prefix") {
      const key = this.#keys.namesStarting(space, prefixBucketOf(pattern.labels));
      const low = `${pattern.labels}.`;
      const start = from !== undefined && from > low ? from : low;
      yield* this.#lexNames(key, `[${start}`, `(${pattern.labels}/`, chunkSize, (member) => member);
      return;
    }
    const reversed = reverseName(pattern.domain);
    const low = `${reversed}.`;
    const reversedFrom = from === undefined ? undefined : reverseName(from);
    const start = reversedFrom !== undefined && reversedFrom > low ? reversedFrom : low;
    const toName = (member: string) => unreverseName(member);
    if (labelCount(pattern.domain) >= 2) {
      const key = this.#keys.namesUnder(space, underBucketOf(reversed));
      yield* this.#lexNames(key, `[${start}`, `(${reversed}/`, chunkSize, toName);
      return;
    }
    // A top-level domain: every bucket under it, in order, from the cursor's bucket on.
    const buckets = (await this.#redis.smembers(this.#keys.nameBuckets(space, reversed))).sort(compareBytes);
    const fromBucket = reversedFrom === undefined ? undefined : underBucketOf(reversedFrom);
    for (const bucket of buckets) {
      if (fromBucket !== undefined && compareBytes(bucket, fromBucket) < 0) continue;
      const key = this.#keys.namesUnder(space, bucket);
      yield* this.#lexNames(key, bucket === fromBucket ? `[${start}` : "-", "+", chunkSize, toName);
    }
  }

  async *scanAddresses(
    first: Uint8Array,
    last: Uint8Array,
    from: Uint8Array | undefined,
    chunkSize: number,
  ): AsyncIterable<Uint8Array[]> {
    const start = from !== undefined && Buffer.compare(from, first) > 0 ? from : first;
    if (Buffer.compare(start, last) > 0) return;
    // Buckets are read a few at a time in one pipeline: an empty /16 costs no round trip of its own.
    const buckets = [...bucketsOfRange(start, last)];
    for (let at = 0; at < buckets.length; at += ADDRESS_BUCKETS_PER_READ) {
      const group = buckets.slice(at, at + ADDRESS_BUCKETS_PER_READ);
      const pipeline = this.#redis.pipeline();
      for (const { bucket, low, high } of group) {
        pipeline.zrangebylexBuffer(
          this.#keys.addresses(bucket),
          Buffer.concat([Buffer.from("["), low]),
          Buffer.concat([Buffer.from("["), high]),
        );
      }
      const found = ((await execPipeline(pipeline)) as Buffer[][]).flat();
      for (let i = 0; i < found.length; i += chunkSize) {
        yield found.slice(i, i + chunkSize).map((address) => Uint8Array.from(address));
      }
    }
  }

  async *#lexNames(
    key: string,
    min: string,
    max: string,
    chunkSize: number,
    toName: (member: string) => string,
  ): AsyncIterable<string[]> {
    let low = min;
    for (;;) {
      const members = await this.#redis.zrangebylex(key, low, max, "LIMIT", 0, chunkSize);
      if (members.length > 0) yield members.map(toName);
      if (members.length < chunkSize) return;
      low = `(${members[members.length - 1]}`;
    }
  }

  async readOwners(requests: readonly OwnerRead[], limit: number): Promise<StoredValue[][]> {
    const found = await this.#readLex(
      requests.map(({ rrname, range }) => ({ key: this.#keys.owner(rrname), range })),
      limit,
    );
    return found.map((members) =>
      members.map((m) => ({ sortKey: m.subarray(0, SORT_KEY_BYTES), value: m.subarray(SORT_KEY_BYTES) })),
    );
  }

  async readIndexes(requests: readonly IndexRead[], limit: number): Promise<IndexEntry[][]> {
    const found = await this.#readLex(
      requests.map(({ ref, range }) => ({ key: this.#keys.index(ref), range })),
      limit,
    );
    return found.map((members) =>
      members.map((m) => ({
        sortKey: m.subarray(0, SORT_KEY_BYTES),
        rrname: m.subarray(SORT_KEY_BYTES).toString("utf8"),
      })),
    );
  }

  /** The first `limit` members of each set within its range: one pipeline for them all. */
  async #readLex(reads: Array<{ key: string; range: SortKeyRange }>, limit: number): Promise<Buffer[][]> {
    if (reads.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const { key, range } of reads) {
      pipeline.zrangebylexBuffer(key, lexMin(range.start), lexMax(range.end), "LIMIT", 0, limit);
    }
    return (await execPipeline(pipeline)) as Buffer[][];
  }

  async getRecords(refs: readonly RecordRef[]): Promise<(Buffer | undefined)[]> {
    const members = await this.#getMembers(
      refs.map((ref) => this.#keys.owner(ref.rrname)),
      refs.map((ref) => ref.sortKey),
    );
    return members.map((member) => member?.subarray(SORT_KEY_BYTES));
  }

  /** From each set, the member starting with the matching key: one script call per bounded group. */
  async #getMembers(keys: string[], prefixes: Buffer[]): Promise<(Buffer | undefined)[]> {
    if (keys.length === 0) return [];
    const pipeline = this.#redis.pipeline() as ScriptedPipeline;
    for (let i = 0; i < keys.length; i += KEYS_PER_CALL) {
      const part = keys.slice(i, i + KEYS_PER_CALL);
      pipeline.getMembersBuffer(part.length, ...part, ...prefixes.slice(i, i + KEYS_PER_CALL));
    }
    const results = (await execPipeline(pipeline)) as Array<Array<Buffer | null>>;
    return results.flat().map((member) => member ?? undefined);
  }

  async listRcodes(rrname: string): Promise<StoredRcode[]> {
    const members = await this.#redis.zrangeBuffer(this.#keys.rcodes(rrname), "0", "-1");
    return members.map((m) => ({ key: m.subarray(0, RCODE_KEY_BYTES), value: m.subarray(RCODE_KEY_BYTES) }));
  }

  async sensorLines(): Promise<SensorLines[]> {
    const all = await this.#redis.hgetall(this.#keys.sensorLines);
    return Object.entries(all).map(([sensorId, lines]) => ({ sensorId, lines: Number(lines) }));
  }

  async writeSets(batch: SetWriteBatch): Promise<void> {
    const pipeline = this.#redis.pipeline() as ScriptedPipeline;
    for (const space of Object.keys(SIGHTING_KEY_BYTES) as SightingSpace[]) {
      const groups = groupBy(
        batch.sightings.filter((s) => s.space === space),
        (s) => this.#keys.set(space, s.group),
      );
      for (const call of packCalls(groups, (s) => s.member)) {
        pipeline.mergeObservations(
          call.keys.length,
          ...call.keys,
          SIGHTING_KEY_BYTES[space],
          ...call.counts,
          ...call.members,
        );
      }
    }
    const memberGroups = groupBy(batch.members, (m) => this.#keys.set(m.space, m.group));
    for (const call of packCalls(memberGroups, (m) => m.member)) {
      pipeline.addMembers(call.keys.length, ...call.keys, ...call.counts, ...call.members);
    }
    for (const { space, id, bytes, ifAbsent } of batch.blobs) {
      if (ifAbsent) pipeline.set(this.#keys.blob(space, id), bytes, "NX");
      else pipeline.set(this.#keys.blob(space, id), bytes);
    }
    await execPipeline(pipeline);
  }

  async *scanSet(
    space: SightingSpace | MemberSpace,
    group: string,
    range: SortKeyRange,
    chunkSize: number,
  ): AsyncIterable<Buffer[]> {
    yield* this.#scan(this.#keys.set(space, group), range, chunkSize);
  }

  async getSightings(space: SightingSpace, refs: readonly SightingRef[]): Promise<(Buffer | undefined)[]> {
    return this.#getMembers(
      refs.map((ref) => this.#keys.set(space, ref.group)),
      refs.map((ref) => ref.key),
    );
  }

  async getBlobs(space: BlobSpace, ids: readonly string[]): Promise<(Buffer | undefined)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.getBuffer(this.#keys.blob(space, id));
    return ((await execPipeline(pipeline)) as (Buffer | null)[]).map((bytes) => bytes ?? undefined);
  }

  async getDoc(kind: DocKind, id: string): Promise<string | undefined> {
    return (await this.#redis.hget(this.#keys.docs(kind), id)) ?? undefined;
  }

  async putDoc(kind: DocKind, id: string, json: string): Promise<void> {
    await this.#redis.hset(this.#keys.docs(kind), id, json);
  }

  async deleteDoc(kind: DocKind, id: string): Promise<boolean> {
    return (await this.#redis.hdel(this.#keys.docs(kind), id)) > 0;
  }

  async listDocs(kind: DocKind): Promise<Array<[string, string]>> {
    return Object.entries(await this.#redis.hgetall(this.#keys.docs(kind)));
  }

  async takeCounters(scope: string, counters: readonly CounterSpec[], cost: number): Promise<CounterState> {
    const keys = counters.map((counter) => this.#keys.counter(scope, counter.name));
    const [taken, counts, resetMs] = await this.#redis.takeCounters(
      keys.length,
      ...keys,
      cost,
      ...counters.map((counter) => (Number.isFinite(counter.limit) ? counter.limit : "inf")),
      ...counters.map((counter) => Math.max(1, Math.ceil(counter.ttlMs))),
    );
    return { taken: taken === 1, counts, resetMs };
  }

  async appendAudit(entries: readonly StoredAuditEntry[], retention: AuditRetention): Promise<void> {
    if (entries.length === 0) return;
    const cutoff = Date.now() - retention.maxAgeMs;
    const byKey = groupBy(entries, (entry) => this.#keys.audit(entry.user));
    byKey.set(this.#keys.audit(undefined), [...entries]);
    const pipeline = this.#redis.pipeline();
    for (const [key, group] of byKey) {
      pipeline.zadd(key, ...group.flatMap((entry) => [entry.timeMs, auditMember(entry)]));
      pipeline.zremrangebyscore(key, "-inf", `(${cutoff}`);
      pipeline.zremrangebyrank(key, 0, -(retention.maxEntries + 1));
      // Once a key has seen no entry for the whole retention, every entry in it is too old anyway.
      pipeline.pexpire(key, Math.max(1, Math.ceil(retention.maxAgeMs)));
    }
    await execPipeline(pipeline);
  }

  async readAudit(range: AuditRange): Promise<StoredAuditEntry[]> {
    const key = this.#keys.audit(range.user);
    const max = range.before?.timeMs ?? range.untilMs ?? "+inf";
    const min = range.sinceMs ?? "-inf";
    const found: StoredAuditEntry[] = [];
    // Entries of the cursor's own millisecond that are not older than it come first: skip them.
    const page = range.limit + 16;
    for (let offset = 0; found.length < range.limit; offset += page) {
      const flat = await this.#redis.zrevrangebyscore(key, max, min, "WITHSCORES", "LIMIT", offset, page);
      for (let i = 0; i < flat.length && found.length < range.limit; i += 2) {
        const entry = parseAuditMember(flat[i] as string, Number(flat[i + 1]));
        const before = range.before;
        if (before && entry.timeMs === before.timeMs && entry.id >= before.id) continue;
        found.push(entry);
      }
      if (flat.length < page * 2) break;
    }
    return found;
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  async close(): Promise<void> {
    await this.#redis.quit();
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** The URL with any password masked, for messages. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the configured URL";
  }
}

/** Connects to Redis or Kvrocks at `url` (redis://host:port[/db]) and checks it answers. */
export async function openRedisStore(url: string, keyPrefix: string): Promise<Store> {
  const keys = redisKeys(keyPrefix);
  const options: RedisOptions = {
    // Kvrocks without RESP3 answers HELLO 3 as RESP2; pin RESP2 so both behave the same.
    protocol: 2,
    lazyConnect: true,
    maxRetriesPerRequest: 2,
  };
  const redis = new Redis(url, options);
  // ioredis reconnects by itself; without a listener every failed attempt would print a stack trace.
  let lastError: Error | undefined;
  redis.on("error", (error: Error) => {
    lastError = error;
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    const reason = (lastError ?? (error as Error)).message;
    throw new Error(`cannot reach the store at ${withoutPassword(url)}: ${reason}`);
  }
  return new RedisStore(redis, keys);
}
