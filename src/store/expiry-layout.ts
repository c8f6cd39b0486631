/**
 * Expiry buckets, for retention. While filing is on, every record and every TLS sighting is filed under
 * the UTC day of its time_last, per rrtype or sighting space, and moved when a merge changes that day.
 * A sweep then visits only the buckets of days old enough to hold expired entries, never the whole store,
 * and ingest pays one small write per record.
 *
 * Bucket id (7 bytes, byte order = day order): day (u32, days since 1970-01-01 UTC), kind (0 record,
 * 1 sighting), type (u16: the rrtype, or the sighting space's tag). Entries: a record's sort key (10)
 * and rrname; a sighting's key (SIGHTING_KEY_BYTES of its space) and group.
 */
import { SORT_KEY_BYTES } from "../pdns/record-codec.js";
import { SIGHTING_KEY_BYTES, SPACE_TAGS } from "./set-layout.js";
import type { SightingSpace } from "./types.js";

export const EXPIRY_BUCKET_BYTES = 7;
const RECORD = 0;
const SIGHTING = 1;
const DAY_SECONDS = 86_400;

export type ExpiryBucket =
  | { day: number; kind: "record"; rrtype: number }
  | { day: number; kind: "sighting"; space: SightingSpace };

const SPACE_OF_TAG = new Map(
  (Object.keys(SIGHTING_KEY_BYTES) as SightingSpace[]).map((space) => [SPACE_TAGS[space], space]),
);

export function dayOf(timeSeconds: number): number {
  return Math.floor(timeSeconds / DAY_SECONDS);
}

/** time_last of an encoded observation value (without its key part). */
export function timeLastOf(value: Buffer): number {
  return value.readUInt32BE(4);
}

function bucketId(day: number, kind: number, type: number): Buffer {
  const id = Buffer.allocUnsafe(EXPIRY_BUCKET_BYTES);
  id.writeUInt32BE(day, 0);
  id[4] = kind;
  id.writeUInt16BE(type, 5);
  return id;
}

export function recordBucket(sortKey: Buffer, timeLast: number): Buffer {
  return bucketId(dayOf(timeLast), RECORD, sortKey.readUInt16BE(0));
}

export function sightingBucket(space: SightingSpace, timeLast: number): Buffer {
  return bucketId(dayOf(timeLast), SIGHTING, SPACE_TAGS[space]);
}

/** What a bucket id names; undefined for bytes that are not one. */
export function decodeBucket(id: Buffer): ExpiryBucket | undefined {
  if (id.length !== EXPIRY_BUCKET_BYTES) return undefined;
  const day = id.readUInt32BE(0);
  const type = id.readUInt16BE(5);
  if (id[4] === RECORD) return { day, kind: "record", rrtype: type };
  const space = SPACE_OF_TAG.get(type);
  return id[4] === SIGHTING && space ? { day, kind: "sighting", space } : undefined;
}

/** The first second of a bucket's day: everything in it was last seen then or later (that day). */
export function bucketStart(bucket: ExpiryBucket): number {
  return bucket.day * DAY_SECONDS;
}

export function recordEntry(sortKey: Buffer, rrname: string): Buffer {
  return Buffer.concat([sortKey, Buffer.from(rrname, "utf8")]);
}

export function parseRecordEntry(entry: Buffer): { sortKey: Buffer; rrname: string } {
  return {
    sortKey: entry.subarray(0, SORT_KEY_BYTES),
    rrname: entry.subarray(SORT_KEY_BYTES).toString("utf8"),
  };
}

export function sightingEntry(space: SightingSpace, member: Buffer, group: string): Buffer {
  return Buffer.concat([member.subarray(0, SIGHTING_KEY_BYTES[space]), Buffer.from(group, "utf8")]);
}

export function parseSightingEntry(space: SightingSpace, entry: Buffer): { key: Buffer; group: string } {
  const keyLength = SIGHTING_KEY_BYTES[space];
  return { key: entry.subarray(0, keyLength), group: entry.subarray(keyLength).toString("utf8") };
}
