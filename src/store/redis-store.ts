/**
 * Store on Redis or Apache Kvrocks through ioredis: one node (`redis://`), or a Redis Cluster
 * (`redis+cluster://host:port,host:port,...`, also Kvrocks in cluster mode).
 *
 * Sorted sets are read with ZRANGEBYLEX only, on members whose scores are all 0, as Kvrocks requires;
 * merges run in Lua scripts that declare every key; no MULTI/EXEC. A batch costs two pipelined round
 * trips: merge every owner's records, then add reverse-index entries for the records just created.
 *
 * The code is written once for both modes; two things differ, both in this file:
 * - Script calls that take many keys (merges, reverse-index adds, member reads, retention sweeps) are
 *   packed by `#packCalls` / `#callGroups`: on one node any keys share a call (up to 128 keys and 512
 *   members); on a cluster a call only holds keys of one hash slot (`slotOf`), as Redis Cluster requires.
 *   Every other multi-key command names keys of one slot by construction (`{meta}`, one counter scope).
 * - A round trip of many commands is a `Batch` (`#batch()`): on one node an ioredis pipeline; on a
 *   cluster one ioredis pipeline per master node (one may only hold keys of one node), sent side by
 *   side, whose `exec()` answers the same `[error, value][]` in queue order.
 */
import { readFileSync } from "node:fs";
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import { reverseName, unreverseName } from "../dns/name.js";
import { RCODE_KEY_BYTES, SORT_KEY_BYTES } from "../pdns/record-codec.js";
import {
  dayOf,
  decodeBucket,
  parseRecordEntry,
  parseSightingEntry,
  recordBucket,
  recordEntry,
  sightingBucket,
  sightingEntry,
  timeLastOf,
} from "./expiry-layout.js";
import {
  addressBucketOf,
  bucketsOfRange,
  labelCount,
  prefixBucketOf,
  topLabelOf,
  underBucketOf,
} from "./name-buckets.js";
import { type RedisKeys, redisKeys, slotOf } from "./redis-keys.js";
import { type ClusterUrl, isClusterUrl, parseClusterUrl, withoutPassword } from "./redis-url.js";
import { SIGHTING_KEY_BYTES } from "./set-layout.js";
import type {
  AuditRange,
  AuditRetention,
  BlobSpace,
  CounterSpec,
  CounterState,
  DocKind,
  EncodedRecord,
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

/** Bounds of one script call: the time one call holds Redis (and, on Kvrocks, its lock). */
const KEYS_PER_CALL = 128;
/** How long after a failed write every merged record is indexed again (see RedisStore.write). */
export const REINDEX_AFTER_FAILURE_MS = 15 * 60_000;
const MEMBERS_PER_CALL = 512;
const CREATED = 1;
const COLLISION = 2;
/** A sweep outcome: the entry's target is not expired and still belongs to the bucket swept. */
const KEPT = 2;
/** Merge statuses from this value on mean "merged", the stored time_last before the merge added. */
const MERGED_FROM = 16;

const lua = (name: string) => readFileSync(new URL(`./lua/${name}`, import.meta.url), "utf8");

interface ScriptCommands {
  /** numberOfKeys, keys…, member key length, member counts…, members… (merge-observations-n.lua). */
  mergeObservations(...args: Array<string | number | Buffer>): Promise<number[]>;
  /** numberOfKeys, keys…, member key prefixes… (get-members-n.lua). */
  getMembersBuffer(...args: Array<string | number | Buffer>): Promise<Array<Buffer | null>>;
  /** numberOfKeys, keys…, member counts…, members… (add-members-n.lua). */
  addMembers(...args: Array<string | number | Buffer>): Promise<number>;
  sensorNumbers(numbersKey: string, sequenceKey: string, ...ids: string[]): Promise<number[]>;
  /** numberOfKeys, keys…, key length, cutoff, day, member key prefixes… (expire-members-n.lua). */
  expireMembersBuffer(...args: Array<string | number | Buffer>): Promise<Array<Buffer | number>>;
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
 * Packs per-key member lists into script calls of bounded size, preserving item order within a key. A
 * key with more members than one call takes is split over consecutive calls (they run in order: one
 * key is always served by one connection). `slotOf` (cluster mode) keeps keys of different hash slots
 * in different calls; without it (one node) any keys share a call.
 */
function packCalls<T>(
  groups: Map<string, T[]>,
  memberOf: (item: T) => Buffer,
  slotOf: ((key: string) => number | string) | undefined,
): ScriptCall<T>[] {
  const calls: ScriptCall<T>[] = [];
  for (const part of slotOf ? partitionBy(groups, slotOf) : [groups]) {
    let call: ScriptCall<T> = { keys: [], counts: [], members: [], items: [] };
    for (const [key, items] of part) {
      for (let at = 0; at < items.length; ) {
        if (call.keys.length >= KEYS_PER_CALL || call.members.length >= MEMBERS_PER_CALL) {
          calls.push(call);
          call = { keys: [], counts: [], members: [], items: [] };
        }
        const slice = items.slice(at, at + MEMBERS_PER_CALL - call.members.length);
        call.keys.push(key);
        call.counts.push(slice.length);
        for (const item of slice) {
          call.members.push(memberOf(item));
          call.items.push(item);
        }
        at += slice.length;
      }
    }
    if (call.keys.length > 0) calls.push(call);
  }
  return calls;
}

/** Splits per-key groups by hash slot, in order of first appearance. */
function partitionBy<T>(
  groups: Map<string, T[]>,
  slotOf: (key: string) => number | string,
): Array<Map<string, T[]>> {
  const parts = new Map<number | string, Map<string, T[]>>();
  for (const [key, items] of groups) {
    const slot = slotOf(key);
    let part = parts.get(slot);
    if (!part) {
      part = new Map();
      parts.set(slot, part);
    }
    part.set(key, items);
  }
  return [...parts.values()];
}

/** One Redis or Kvrocks node, or a Redis Cluster: both offer the same commands. */
type Client = Redis | Cluster;
type ScriptedClient = Client & ScriptCommands;

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
  queue(pipeline: Batch): void {
    for (const [key, members] of this.#sorted) {
      const list = [...members];
      for (let i = 0; i < list.length; i += MEMBERS_PER_CALL) {
        pipeline.zadd(key, ...list.slice(i, i + MEMBERS_PER_CALL).flatMap((m) => [0, m]));
      }
    }
    for (const [key, members] of this.#sets) pipeline.sadd(key, ...members);
  }
}

/** Expiry bucket entries a batch files and unfiles: queued as one ZADD / ZREM per bucket. */
class ExpiryFilings {
  readonly #keys: RedisKeys;
  readonly #added = new Map<string, Set<Buffer>>();
  readonly #removed = new Map<string, Set<Buffer>>();
  readonly #buckets = new Set<string>();

  constructor(keys: RedisKeys) {
    this.#keys = keys;
  }

  /**
   * Files an entry under the bucket of its time_last after the merge, out of the bucket of its time_last
   * before (undefined: it is new) when that is another one.
   */
  file(bucketOf: (timeLast: number) => Buffer, entry: Buffer, before: number | undefined, incoming: number) {
    const after = before === undefined ? incoming : Math.max(before, incoming);
    const bucket = bucketOf(after);
    if (before !== undefined && dayOf(before) !== dayOf(after)) {
      add(this.#removed, this.#keys.expiry(bucketOf(before)), entry);
    }
    add(this.#added, this.#keys.expiry(bucket), entry);
    this.#buckets.add(bucket.toString("latin1"));
  }

  get empty(): boolean {
    return this.#buckets.size === 0;
  }

  /**
   * Queues the writes. A bucket's id is listed only after its entries are written (`after()`): a sweep
   * that finds the bucket empty and forgets it checks again afterwards (sweepExpiryBucket), which is only
   * enough when no id is listed before its entry exists.
   */
  queue(pipeline: Batch): void {
    for (const [key, entries] of this.#removed) pipeline.zrem(key, ...entries);
    for (const [key, entries] of this.#added) {
      const list = [...entries];
      for (let i = 0; i < list.length; i += MEMBERS_PER_CALL) {
        pipeline.zadd(key, ...list.slice(i, i + MEMBERS_PER_CALL).flatMap((m) => [0, m]));
      }
    }
    const ids = [...this.#buckets].map((id) => Buffer.from(id, "latin1"));
    pipeline.after().zadd(this.#keys.expiryBuckets, ...ids.flatMap((id) => [0, id]));
  }
}

/** The stored time_last before a merge, from a merge status; undefined when the member was created. */
function timeLastBefore(status: number): number | undefined {
  return status >= MERGED_FROM ? status - MERGED_FROM : undefined;
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

/**
 * Commands queued for one round trip, answered together by `exec()` as `[error, value]` pairs in queue
 * order. Commands on one key run in queue order; `after()` makes the commands queued next wait for every
 * command queued before (on one node a pipeline runs in order anyway; on a cluster keys on different
 * nodes are written side by side).
 */
type Batch = ScriptedPipeline & { after(): Batch };

/** A pipeline on one connection: executed in order, so `after()` has nothing to do. */
function nodeBatch(redis: Redis): Batch {
  const pipeline = redis.pipeline() as Batch;
  pipeline.after = () => pipeline;
  return pipeline;
}

/**
 * Whether ioredis puts a key in another slot than Redis does. Its slot function (cluster-key-slot)
 * reads past an empty `{}` up to the next `}`, where Redis hashes the whole key: only keys of names
 * that start with `}` and hold another `}`. Such a key gets script calls of its own and is sent as a
 * command of its own, which the cluster client redirects (MOVED) to the right node.
 */
function misroutedByIoredis(key: string): boolean {
  const open = key.indexOf("{");
  return open >= 0 && key[open + 1] === "}" && key.indexOf("}", open + 2) >= 0;
}

/** The slot a script call is packed by on a cluster: the key's slot, or the key itself when misrouted. */
function callSlotOf(key: string): number | string {
  return misroutedByIoredis(key) ? key : slotOf(key);
}

type Reply = [Error | null, unknown];

/**
 * The same interface on a cluster client. Commands are kept until `exec()`, then sent as one pipeline
 * per master node (by the slot of the command's key, its first string argument: a command's key, or a
 * script's first key); the pipelines run side by side and their replies are put back in queue order.
 * Commands queued after `after()` are sent once every command queued before has been answered.
 */
function clusterBatch(cluster: Cluster): Batch {
  const phases: Array<Array<{ name: string; args: unknown[] }>> = [[]];
  const batch: Batch = new Proxy({} as Batch, {
    get(_target, name) {
      if (name === "exec") {
        return async () => {
          const replies: Reply[] = [];
          for (const phase of phases) replies.push(...(await sendPerNode(cluster, phase)));
          return replies;
        };
      }
      if (name === "after") {
        return () => {
          phases.push([]);
          return batch;
        };
      }
      // Nothing but commands (and not a thenable).
      if (typeof name !== "string" || name === "then") return undefined;
      if (typeof (cluster as unknown as Record<string, unknown>)[name] !== "function") return undefined;
      return (...args: unknown[]) => {
        phases[phases.length - 1]?.push({ name, args });
        return batch;
      };
    },
  });
  return batch;
}

/** A client or pipeline seen as commands by name (what a batch records and replays). */
type Commands = Record<string, (...args: unknown[]) => unknown>;

async function sendPerNode(
  cluster: Cluster,
  commands: Array<{ name: string; args: unknown[] }>,
): Promise<Reply[]> {
  const replies: Reply[] = new Array(commands.length);
  const pipelines = new Map<string, { pipeline: ReturnType<Cluster["pipeline"]>; at: number[] }>();
  const alone: Array<Promise<void>> = [];
  commands.forEach(({ name, args }, i) => {
    const key = args.find((arg) => typeof arg === "string") as string | undefined;
    const node =
      key === undefined || misroutedByIoredis(key) ? undefined : cluster.slots[slotOf(key)]?.join(",");
    if (node === undefined) {
      // Sent by itself: the cluster client routes it, following MOVED when it guessed wrong.
      const reply = (cluster as unknown as Commands)[name]?.apply(cluster, args) as Promise<unknown>;
      alone.push(
        reply.then(
          (value) => {
            replies[i] = [null, value];
          },
          (error: Error) => {
            replies[i] = [error, null];
          },
        ),
      );
      return;
    }
    let group = pipelines.get(node);
    if (!group) {
      group = { pipeline: cluster.pipeline(), at: [] };
      pipelines.set(node, group);
    }
    (group.pipeline as unknown as Commands)[name]?.(...args);
    group.at.push(i);
  });
  const sent = [...pipelines.values()].map(async ({ pipeline, at }) => {
    let results: Reply[];
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (error) {
      results = at.map(() => [error as Error, null]);
    }
    at.forEach((position, j) => {
      replies[position] = results[j] ?? [new Error("no reply from the cluster"), null];
    });
  });
  await Promise.all([...alone, ...sent]);
  return replies;
}

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
  readonly #redis: ScriptedClient;
  readonly #keys: RedisKeys;
  /** Set on a cluster: what script calls are packed by, so that no call mixes slots. */
  readonly #slotOf: ((key: string) => number | string) | undefined;
  /** Whether writes file expiry entries: read when the store opens, set by enableExpiryFiling. */
  #filing: boolean;
  /** Until when (epoch ms) writes index every merged record, not only created ones: see write(). */
  #indexEverythingUntil = 0;

  constructor(redis: Client, keys: RedisKeys, filing: boolean) {
    this.#filing = filing;
    redis.defineCommand("mergeObservations", { lua: lua("merge-observations-n.lua") });
    redis.defineCommand("addMembers", { lua: lua("add-members-n.lua") });
    redis.defineCommand("getMembers", { lua: lua("get-members-n.lua") });
    redis.defineCommand("sensorNumbers", { numberOfKeys: 2, lua: lua("sensor-numbers-2.lua") });
    redis.defineCommand("takeCounters", { lua: lua("take-counters.lua") });
    redis.defineCommand("expireMembers", { lua: lua("expire-members-n.lua") });
    this.#redis = redis as ScriptedClient;
    this.#keys = keys;
    this.#slotOf = redis instanceof Cluster ? callSlotOf : undefined;
    // A lost connection may have cut a write between its two round trips (see write()).
    const outage = () => {
      this.#indexEverythingUntil = Date.now() + REINDEX_AFTER_FAILURE_MS;
    };
    redis.on("close", outage);
    if (redis instanceof Cluster) redis.on("node error", outage);
  }

  /** Commands for one round trip (see Batch). */
  #batch(): Batch {
    const redis = this.#redis;
    return redis instanceof Cluster ? clusterBatch(redis) : nodeBatch(redis as Redis);
  }

  /** Per-key member lists packed into script calls (see packCalls). */
  #packCalls<T>(groups: Map<string, T[]>, memberOf: (item: T) => Buffer): ScriptCall<T>[] {
    return packCalls(groups, memberOf, this.#slotOf);
  }

  /**
   * The positions of `keys` grouped into script calls of at most KEYS_PER_CALL keys: consecutive runs on
   * one node, runs of one slot on a cluster.
   */
  #callGroups(keys: readonly string[]): number[][] {
    const positions = keys.map((_, i) => i);
    const slotOf = this.#slotOf;
    let bySlot = [positions];
    if (slotOf) {
      const groups = new Map<number | string, number[]>();
      for (const i of positions) {
        const slot = slotOf(keys[i] as string);
        const group = groups.get(slot);
        if (group) group.push(i);
        else groups.set(slot, [i]);
      }
      bySlot = [...groups.values()];
    }
    return bySlot.flatMap((group) => {
      const calls: number[][] = [];
      for (let i = 0; i < group.length; i += KEYS_PER_CALL) calls.push(group.slice(i, i + KEYS_PER_CALL));
      return calls;
    });
  }

  /**
   * A write is two round trips (merges, then the index entries of the records they created), so a
   * store failure between them leaves records that exist but are missing from the address and rdata
   * indexes; the sensor's retry then finds them existing and would not index them. After a failed
   * write or a lost connection, this store therefore indexes every record it merges, created or not
   * (index adds are idempotent), for REINDEX_AFTER_FAILURE_MS: the retries that follow an outage
   * repair what it cut.
   */
  async write(batch: WriteBatch): Promise<WriteResult> {
    try {
      return await this.#write(batch, Date.now() < this.#indexEverythingUntil);
    } catch (error) {
      this.#indexEverythingUntil = Date.now() + REINDEX_AFTER_FAILURE_MS;
      throw error;
    }
  }

  async #write(batch: WriteBatch, indexEverything: boolean): Promise<WriteResult> {
    const merges = this.#batch();
    const recordCalls = this.#packCalls(
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
    const rcodeCalls = this.#packCalls(
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
    const toIndex: EncodedRecord[] = [];
    const names = new NameIndexWrites(this.#keys);
    const filings = new ExpiryFilings(this.#keys);
    recordCalls.forEach((call, i) => {
      const statuses = results[i] as number[];
      call.items.forEach((record, j) => {
        const status = statuses[j] as number;
        if (status === COLLISION) result.collisions++;
        else if (this.#filing) {
          const sortKey = record.member.subarray(0, SORT_KEY_BYTES);
          filings.file(
            (t) => recordBucket(sortKey, t),
            recordEntry(sortKey, record.rrname),
            timeLastBefore(status),
            timeLastOf(record.member.subarray(SORT_KEY_BYTES)),
          );
        }
        if (status === CREATED) result.created++;
        else if (!indexEverything) return;
        names.addName("owners", record.rrname);
        if (record.index?.kind === "name") names.addName("targets", record.index.name);
        else if (record.index?.kind === "ip") names.addAddress(record.index.bytes);
        if (record.index) toIndex.push(record);
      });
    });
    if (result.created > 0 || (indexEverything && batch.records.length > 0) || !filings.empty) {
      const indexing = this.#batch();
      if (!filings.empty) filings.queue(indexing);
      names.queue(indexing);
      const indexCalls = this.#packCalls(
        groupBy(toIndex, (r) => this.#keys.index(r.index as IndexRef)),
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
      const pipeline = this.#batch();
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
    const pipeline = this.#batch();
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
    const pipeline = this.#batch();
    const calls = this.#callGroups(keys);
    for (const call of calls) {
      pipeline.getMembersBuffer(
        call.length,
        ...call.map((i) => keys[i] as string),
        ...call.map((i) => prefixes[i] as Buffer),
      );
    }
    const results = (await execPipeline(pipeline)) as Array<Array<Buffer | null>>;
    const found: (Buffer | undefined)[] = new Array(keys.length);
    calls.forEach((call, c) => {
      call.forEach((i, j) => {
        found[i] = results[c]?.[j] ?? undefined;
      });
    });
    return found;
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
    const pipeline = this.#batch();
    const sightingCalls: Array<{
      space: SightingSpace;
      call: ScriptCall<SetWriteBatch["sightings"][number]>;
    }> = [];
    for (const space of Object.keys(SIGHTING_KEY_BYTES) as SightingSpace[]) {
      const groups = groupBy(
        batch.sightings.filter((s) => s.space === space),
        (s) => this.#keys.set(space, s.group),
      );
      for (const call of this.#packCalls(groups, (s) => s.member)) {
        sightingCalls.push({ space, call });
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
    for (const call of this.#packCalls(memberGroups, (m) => m.member)) {
      pipeline.addMembers(call.keys.length, ...call.keys, ...call.counts, ...call.members);
    }
    for (const { space, id, bytes, ifAbsent } of batch.blobs) {
      if (ifAbsent) pipeline.set(this.#keys.blob(space, id), bytes, "NX");
      else pipeline.set(this.#keys.blob(space, id), bytes);
    }
    const results = await execPipeline(pipeline);
    if (!this.#filing) return;
    const filings = new ExpiryFilings(this.#keys);
    sightingCalls.forEach(({ space, call }, i) => {
      const statuses = results[i] as number[];
      const keyLength = SIGHTING_KEY_BYTES[space];
      call.items.forEach((sighting, j) => {
        filings.file(
          (t) => sightingBucket(space, t),
          sightingEntry(space, sighting.member, sighting.group),
          timeLastBefore(statuses[j] as number),
          timeLastOf(sighting.member.subarray(keyLength)),
        );
      });
    });
    if (filings.empty) return;
    const filing = this.#batch();
    filings.queue(filing);
    await execPipeline(filing);
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
    const pipeline = this.#batch();
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
    const pipeline = this.#batch();
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

  async enableExpiryFiling(): Promise<void> {
    await this.#redis.set(this.#keys.expiryFiling, "1");
    this.#filing = true;
  }

  async expiryBuckets(): Promise<Buffer[]> {
    return this.#redis.zrangebylexBuffer(this.#keys.expiryBuckets, "-", "+");
  }

  async sweepExpiryBucket(
    bucket: Buffer,
    cutoff: number,
    from: Buffer | undefined,
    limit: number,
    links: ExpiryLinks,
  ): Promise<ExpirySweep> {
    const bucketKey = this.#keys.expiry(bucket);
    const decoded = decodeBucket(bucket);
    const entries = await this.#redis.zrangebylexBuffer(
      bucketKey,
      from ? Buffer.concat([Buffer.from("("), from]) : "-",
      "+",
      "LIMIT",
      0,
      limit,
    );
    if (!decoded) {
      await this.#redis.del(bucketKey);
      await this.#redis.zrem(this.#keys.expiryBuckets, bucket);
      return { deleted: 0, next: undefined };
    }
    // What each entry names: the set holding it, its key, and what goes with it when it is deleted.
    const targets = entries.map((entry) => {
      if (decoded.kind === "record") {
        const { sortKey, rrname } = parseRecordEntry(entry);
        return {
          set: this.#keys.owner(rrname),
          key: sortKey,
          keyLength: SORT_KEY_BYTES,
          companion: (member: Buffer) => {
            const index = links.recordIndex(rrname, sortKey, member.subarray(SORT_KEY_BYTES));
            return index && { set: this.#keys.index(index), member: recordEntry(sortKey, rrname) };
          },
        };
      }
      const { key, group } = parseSightingEntry(decoded.space, entry);
      return {
        set: this.#keys.set(decoded.space, group),
        key,
        keyLength: SIGHTING_KEY_BYTES[decoded.space],
        companion: () => {
          const member = links.sightingMember(decoded.space, group, key);
          return member && { set: this.#keys.set(member.space, member.group), member: member.member };
        },
      };
    });
    const sweeping = this.#batch();
    const calls = this.#callGroups(targets.map((t) => t.set));
    for (const call of calls) {
      const part = call.map((i) => targets[i] as (typeof targets)[number]);
      sweeping.expireMembersBuffer(
        part.length,
        ...part.map((t) => t.set),
        part[0]?.keyLength ?? 0,
        cutoff,
        decoded.day,
        ...part.map((t) => t.key),
      );
    }
    const results = (await execPipeline(sweeping)) as Array<Array<Buffer | number>>;
    const outcomes: Array<Buffer | number> = new Array(targets.length);
    calls.forEach((call, c) => {
      call.forEach((i, j) => {
        outcomes[i] = results[c]?.[j] ?? KEPT;
      });
    });
    const unfiled: Buffer[] = [];
    const companions: Array<{ set: string; member: Buffer; target: (typeof targets)[number] }> = [];
    let deleted = 0;
    outcomes.forEach((outcome, i) => {
      const target = targets[i];
      if (outcome === KEPT || !target) return;
      unfiled.push(entries[i] as Buffer);
      if (typeof outcome === "number") return;
      deleted++;
      const companion = target.companion(outcome);
      if (companion) companions.push({ ...companion, target });
    });
    const cleaning = this.#batch();
    for (const { set, member } of companions) cleaning.zrem(set, member);
    if (unfiled.length > 0) cleaning.zrem(bucketKey, ...unfiled);
    await execPipeline(cleaning);
    // A target written again between its deletion and its companion's removal lost an entry it needs.
    if (companions.length > 0) {
      const again = await this.#getMembers(
        companions.map((c) => c.target.set),
        companions.map((c) => c.target.key),
      );
      const restoring = this.#batch();
      again.forEach((member, i) => {
        const companion = companions[i];
        if (member && companion) restoring.zadd(companion.set, 0, companion.member);
      });
      if (again.some((member) => member)) await execPipeline(restoring);
    }
    if (entries.length < limit) {
      await this.#dropIfEmpty(bucketKey, bucket);
      return { deleted, next: undefined };
    }
    return { deleted, next: entries.at(-1) };
  }

  /**
   * Forgets an expiry bucket that holds nothing. The bucket and the list of buckets sit in different
   * slots, so on a cluster no script may touch both; this sequence needs none, on both kinds of store:
   * count, forget, count again, and list the bucket again if an entry came meanwhile. Writers file an
   * entry before they list its bucket (ExpiryFilings.queue), so an entry either is counted by the second
   * count or its writer lists the bucket after it was forgotten: a bucket holding entries is never left
   * unlisted (it may be missing from the list for an instant, which only delays its sweep).
   */
  async #dropIfEmpty(bucketKey: string, bucket: Buffer): Promise<void> {
    if ((await this.#redis.zcard(bucketKey)) > 0) return;
    if ((await this.#redis.zrem(this.#keys.expiryBuckets, bucket)) === 0) return;
    if ((await this.#redis.zcard(bucketKey)) > 0) await this.#redis.zadd(this.#keys.expiryBuckets, 0, bucket);
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  async close(): Promise<void> {
    // Not connected (Redis down): nothing to quit politely, and commands are refused then; stop the
    // reconnection attempts instead.
    if (this.#redis.status === "ready") await this.#redis.quit();
    else this.#redis.disconnect();
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

/** Connects to one Redis or Kvrocks node at `url` (redis://host:port[/db]) and checks it answers. */
export async function openRedisStore(url: string, keyPrefix: string): Promise<Store> {
  const keys = redisKeys(keyPrefix);
  const options: RedisOptions = {
    // Kvrocks without RESP3 answers HELLO 3 as RESP2; pin RESP2 so both behave the same.
    protocol: 2,
    lazyConnect: true,
    // While the connection is down (Redis restarting, unreachable), commands fail at once instead of
    // waiting in ioredis's offline queue for reconnection attempts: a request is answered 503 at once
    // rather than seconds later, while ioredis keeps reconnecting in the background. Commands already
    // sent when the connection drops still get a bounded retry (maxRetriesPerRequest).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 2,
    // Reconnect quickly at first, then every second or so (ioredis's default backs off to 5 s): once
    // Redis is back, requests are served again within about a second.
    retryStrategy: (times) => Math.min(50 * 2 ** (times - 1), 1_000) + Math.floor(Math.random() * 100),
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
  if (await isClusterNode(redis)) {
    redis.disconnect();
    throw new Error(
      `the store at ${withoutPassword(url)} is a Redis Cluster node: use redis+cluster://host:port,host:port,...`,
    );
  }
  return new RedisStore(redis, keys, (await redis.get(keys.expiryFiling)) === "1");
}

/** Whether a node says it runs in cluster mode (where a redis:// store would meet MOVED answers). */
async function isClusterNode(redis: Redis): Promise<boolean> {
  try {
    return /^cluster_enabled:1\s*$/m.test(await redis.info("cluster"));
  } catch {
    return false; // INFO renamed or refused: nothing to tell
  }
}

/** How long opening a cluster store waits for the cluster to be ready (slots known, state ok). */
const CLUSTER_READY_MS = 10_000;

/**
 * Connects to a Redis Cluster (or Kvrocks in cluster mode) at
 * `redis+cluster://[user:password@]host:port,host:port,...` and checks it answers. The nodes listed
 * only need to include one reachable node: the others are learnt from the cluster.
 */
export async function openRedisClusterStore(url: string, keyPrefix: string): Promise<Store> {
  const keys = redisKeys(keyPrefix);
  const shown = withoutPassword(url);
  let parsed: ClusterUrl;
  try {
    parsed = parseClusterUrl(url);
  } catch (error) {
    throw new Error(`cannot reach the store at ${shown}: ${(error as Error).message}`);
  }
  const options: ClusterOptions = {
    lazyConnect: true,
    // No auto-pipelining: batches make their own pipelines per node (clusterBatch), and ioredis's
    // auto-pipelines group a script call by its first argument (the key count, not a key) and fail.
    enableAutoPipelining: false,
    // Reconnect after the whole cluster was lost: quickly at first, then every 2 s.
    clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
    slotsRefreshTimeout: 2000,
    redisOptions: {
      // As on one node: RESP2 whatever the server offers (Kvrocks), a bounded retry per command.
      protocol: 2,
      maxRetriesPerRequest: 2,
      username: parsed.username,
      password: parsed.password,
      ...(parsed.tls ? { tls: {} } : {}),
    },
  };
  const cluster = new Cluster(parsed.nodes, options);
  let lastError: Error | undefined;
  cluster.on("error", (error: Error & { lastNodeError?: Error }) => {
    lastError = error.lastNodeError ?? error;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      cluster.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the cluster was not ready within ${CLUSTER_READY_MS / 1000} s`)),
          CLUSTER_READY_MS,
        );
      }),
    ]);
  } catch (error) {
    cluster.disconnect();
    const reason = (lastError ?? (error as Error)).message;
    throw new Error(`cannot reach the store at ${shown}: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
  return new RedisStore(cluster, keys, (await cluster.get(keys.expiryFiling)) === "1");
}

export { isClusterUrl, parseClusterUrl, withoutPassword };
