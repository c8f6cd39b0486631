/**
 * Every Redis key pdns-pssl uses is built here. Keys start with a configurable prefix; the part in
 * braces is the Redis Cluster hash tag, so everything about one name (its records and its rcodes) lives
 * in one slot, each reverse-index entry list in the slot of its target, and the small metadata
 * (sensor numbers, counters, documents) in one `{meta}` slot. Keys are never built elsewhere.
 *
 * On a Redis Cluster a command or script may only name keys of one slot: `slotOf` computes a key's slot
 * the way Redis does, so that the store can pack multi-key script calls per slot.
 */
import type { BlobSpace, DocKind, IndexRef, MemberSpace, NameSpace, SightingSpace } from "./types.js";

const PREFIX_SHAPE = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface RedisKeys {
  /** Sorted set (all scores 0) of sort key + observation value for each record owned by `rrname`. */
  owner(rrname: string): string;
  /** Sorted set (all scores 0) of sort key + rrname for each record whose rdata is this IP or name. */
  index(ref: IndexRef): string;
  /** Sorted set (all scores 0) of rcode key + observation value for each rcode observation of `rrname`. */
  rcodes(rrname: string): string;
  /** Hash sensor id → sensor number. */
  sensorNumbers: string;
  /** Counter for the last sensor number handed out. */
  sensorSequence: string;
  /** Hash sensor id → lines ingested. */
  sensorLines: string;
  /** Hash id → JSON document of one kind. */
  docs(kind: DocKind): string;
  /** Sorted set (all scores 0) of one group of a sighting or member space. */
  set(space: SightingSpace | MemberSpace, group: string): string;
  /** String holding one blob. */
  blob(space: BlobSpace, id: string): string;
  /** Sorted set (scores 0) of the reversed names of one space in one bucket (name-buckets.ts). */
  namesUnder(space: NameSpace, bucket: string): string;
  /** Set of the buckets of one space under a top-level label. */
  nameBuckets(space: NameSpace, topLabel: string): string;
  /** Sorted set (scores 0) of the names of one space whose first label is `label`. */
  namesStarting(space: NameSpace, label: string): string;
  /** Sorted set (scores 0) of the raw addresses records point to, in one bucket. */
  addresses(bucket: string): string;
  /** Integer counter `name` of a rate-limit scope (a user, a client address): one slot per scope. */
  counter(scope: string, name: string): string;
  /** Sorted set (score: time in ms) of the audit entries of one user, or of everyone. */
  audit(user: string | undefined): string;
  /** "1" when records and sightings are filed in expiry buckets. */
  expiryFiling: string;
  /** Sorted set (scores 0) of the ids of the expiry buckets that hold entries. */
  expiryBuckets: string;
  /** Sorted set (scores 0) of the entries of one expiry bucket (expiry-layout.ts). */
  expiry(bucket: Buffer): string;
}

/** Builds the key set for a prefix; the prefix may not contain braces (it would capture the hash tag). */
export function redisKeys(prefix: string): RedisKeys {
  if (!PREFIX_SHAPE.test(prefix)) {
    throw new Error(`key prefix must match ${PREFIX_SHAPE.source}, got ${JSON.stringify(prefix)}`);
  }
  return {
    owner: (rrname) => `${prefix}:o:{${rrname}}`,
    index: (ref) => (ref.kind === "ip" ? `${prefix}:ip:{${ref.text}}` : `${prefix}:rn:{${ref.name}}`),
    rcodes: (rrname) => `${prefix}:e:{${rrname}}`,
    sensorNumbers: `${prefix}:{meta}:sensor-numbers`,
    sensorSequence: `${prefix}:{meta}:sensor-seq`,
    sensorLines: `${prefix}:{meta}:sensor-lines`,
    docs: (kind) => `${prefix}:{meta}:doc:${kind}`,
    set: (space, group) => `${prefix}:s:${space}:{${group}}`,
    blob: (space, id) => `${prefix}:b:${space}:{${id}}`,
    namesUnder: (space, bucket) => `${prefix}:nu:${space[0]}:{${bucket}}`,
    nameBuckets: (space, topLabel) => `${prefix}:nb:${space[0]}:{${topLabel}}`,
    namesStarting: (space, label) => `${prefix}:np:${space[0]}:{${label}}`,
    addresses: (bucket) => `${prefix}:ax:{${bucket}}`,
    counter: (scope, name) => `${prefix}:c:{${scope}}:${name}`,
    audit: (user) => (user === undefined ? `${prefix}:a:{*}` : `${prefix}:a:{u:${user}}`),
    expiryFiling: `${prefix}:{meta}:expiry-filing`,
    expiryBuckets: `${prefix}:x:{buckets}`,
    expiry: (bucket) => `${prefix}:x:{${bucket.toString("hex")}}`,
  };
}

/** CRC16-CCITT (XMODEM) lookup table: the checksum Redis Cluster derives slots from. */
const CRC16_TABLE = Uint16Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  return crc & 0xffff;
});

/** Number of hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

/**
 * The Redis Cluster hash slot of a key (its UTF-8 bytes, as ioredis sends it): CRC16 of the hash tag,
 * the part between the first `{` and the first `}` after it when that part is not empty, else of the
 * whole key, modulo 16384.
 */
export function slotOf(key: string): number {
  let bytes = Buffer.from(key, "utf8");
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc % CLUSTER_SLOTS;
}
