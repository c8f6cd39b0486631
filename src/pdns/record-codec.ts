/**
 * Byte layouts shared by every store backend.
 *
 * Sort key (10 bytes): rrtype (u16 BE) + the first 8 bytes of SHA-1(rrname \0 rrtype \0 rdata).
 * Records are kept and listed in sort-key order. The key depends only on the tuple, so ingestion never
 * moves an existing record: a cursor "after sort key K" resumes exactly where a page stopped, and every
 * record that existed when paging began comes back exactly once. Grouping by rrtype first turns an
 * rrtype filter into a key range. The cursor is the sort key read as an unsigned 80-bit integer, printed
 * in decimal (positive, as PyPDNS requires; never held in a JS number).
 *
 * Observation value: time_first (u32 BE) + time_last (u32 BE) + count (u48 BE) + sensor count (u8)
 * + sensor numbers (u16 BE each) + rdata bytes (A: 4 bytes, AAAA: 16 bytes, others UTF-8 text).
 * The Redis Lua merge script (src/store/lua/merge-observations-n.lua) mirrors `mergeObservations`.
 */
import { hash } from "node:crypto";
import { ipFromBytes, parseIp } from "../dns/ip.js";

export const SORT_KEY_BYTES = 10;
export const RCODE_KEY_BYTES = 3;
const HEADER_BYTES = 15;
const MAX_SENSORS_PER_RECORD = 255;
/** Counts saturate here (2^48 - 1): far above any real observation count, exact in a JS number. */
const MAX_COUNT = 2 ** 48 - 1;
const TYPE_A = 1;
const TYPE_AAAA = 28;

export interface Observation {
  timeFirst: number;
  timeLast: number;
  count: number;
  /** Sensor numbers (see Store.sensorNumbers), ascending, unique. */
  sensors: number[];
}

/** Computes the sort key of a normalised (rrname, rrtype, rdata) tuple. */
export function sortKeyOf(rrname: string, rrtype: number, rdata: string): Buffer {
  const digest = hash("sha1", `${rrname}\0${rrtype}\0${rdata}`, "buffer");
  const key = Buffer.allocUnsafe(SORT_KEY_BYTES);
  key.writeUInt16BE(rrtype, 0);
  digest.copy(key, 2, 0, 8);
  // A hash part of zero would make the first key of rrtype 0 print as cursor "0", which PyPDNS treats
  // as "no cursor"; one bit of the hash is a fair price for never emitting it.
  if (key.readUInt32BE(2) === 0 && key.readUInt32BE(6) === 0) key[9] = 1;
  return key;
}

/** The rrtype a sort key belongs to. */
export function rrtypeOfSortKey(key: Buffer): number {
  return key.readUInt16BE(0);
}

/** The smallest sort key of an rrtype, and the bound just past its last one. */
export function rrtypeRange(rrtype: number): { start: Buffer; end: Buffer | undefined } {
  const start = Buffer.alloc(SORT_KEY_BYTES);
  start.writeUInt16BE(rrtype, 0);
  if (rrtype === 0xffff) return { start, end: undefined };
  const end = Buffer.alloc(SORT_KEY_BYTES);
  end.writeUInt16BE(rrtype + 1, 0);
  return { start, end };
}

/** The byte string that follows every string starting with `key` (undefined when key is all 0xFF). */
export function nextPrefix(key: Buffer): Buffer | undefined {
  const out = Buffer.from(key);
  for (let i = out.length - 1; i >= 0; i--) {
    const byte = out[i] as number;
    if (byte < 0xff) {
      out[i] = byte + 1;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}

/** Prints a sort key as a paging cursor: a positive decimal integer. */
export function cursorOf(key: Buffer): string {
  return BigInt(`0x${key.toString("hex")}`).toString(10);
}

/** Parses a paging cursor back to its sort key; undefined when it is not one we could have printed. */
export function sortKeyOfCursor(cursor: string): Buffer | undefined {
  if (!/^[1-9][0-9]{0,24}$/.test(cursor)) return undefined;
  const value = BigInt(cursor);
  if (value >= 1n << BigInt(SORT_KEY_BYTES * 8)) return undefined;
  return Buffer.from(value.toString(16).padStart(SORT_KEY_BYTES * 2, "0"), "hex");
}

/** Rdata as stored: addresses in binary (smaller keys and values), everything else as UTF-8. */
export function encodeRdata(rrtype: number, rdata: string): Buffer {
  if (rrtype === TYPE_A || rrtype === TYPE_AAAA) {
    const ip = parseIp(rdata);
    if (ip && ip.bytes.length === (rrtype === TYPE_A ? 4 : 16)) return Buffer.from(ip.bytes);
  }
  return Buffer.from(rdata, "utf8");
}

export function decodeRdata(rrtype: number, bytes: Buffer): string {
  if ((rrtype === TYPE_A && bytes.length === 4) || (rrtype === TYPE_AAAA && bytes.length === 16)) {
    return ipFromBytes(bytes);
  }
  return bytes.toString("utf8");
}

const EMPTY = Buffer.alloc(0);

/**
 * Encodes `key` + observation + payload (the record's rdata bytes, or nothing for rcodes) in one buffer:
 * the form Redis stores as a sorted-set member, and LMDB splits into its key part and its value.
 */
export function encodeObservation(obs: Observation, payload: Buffer = EMPTY, key: Buffer = EMPTY): Buffer {
  const sensors = obs.sensors.length > MAX_SENSORS_PER_RECORD ? obs.sensors.slice(0, 255) : obs.sensors;
  const out = Buffer.allocUnsafe(key.length + HEADER_BYTES + 2 * sensors.length + payload.length);
  key.copy(out, 0);
  let at = key.length;
  out.writeUInt32BE(obs.timeFirst, at);
  out.writeUInt32BE(obs.timeLast, at + 4);
  out.writeUIntBE(Math.min(obs.count, MAX_COUNT), at + 8, 6);
  out[at + 14] = sensors.length;
  at += HEADER_BYTES;
  for (const sensor of sensors) {
    out.writeUInt16BE(sensor, at);
    at += 2;
  }
  payload.copy(out, at);
  return out;
}

export function decodeObservation(value: Buffer): { obs: Observation; payload: Buffer } {
  const sensorCount = value[14] as number;
  const sensors: number[] = [];
  for (let i = 0; i < sensorCount; i++) sensors.push(value.readUInt16BE(HEADER_BYTES + 2 * i));
  return {
    obs: {
      timeFirst: value.readUInt32BE(0),
      timeLast: value.readUInt32BE(4),
      count: value.readUIntBE(8, 6),
      sensors,
    },
    payload: value.subarray(HEADER_BYTES + 2 * sensorCount),
  };
}

/** The payload part of an encoded value, without decoding the rest. */
export function payloadOf(value: Buffer): Buffer {
  return value.subarray(HEADER_BYTES + 2 * (value[14] as number));
}

/**
 * Merges an incoming encoded value into a stored one: earliest first, latest last, counts added
 * (saturating), sensor sets united. Both must carry the same payload (callers check first).
 */
export function mergeObservations(stored: Buffer, incoming: Buffer): Buffer {
  const a = decodeObservation(stored);
  const b = decodeObservation(incoming);
  const sensors = [...new Set([...a.obs.sensors, ...b.obs.sensors])].sort((x, y) => x - y);
  return encodeObservation(
    {
      timeFirst: Math.min(a.obs.timeFirst, b.obs.timeFirst),
      timeLast: Math.max(a.obs.timeLast, b.obs.timeLast),
      count: a.obs.count + b.obs.count,
      sensors,
    },
    a.payload,
  );
}

/** The 3-byte key of an rcode observation: rcode (u8) + query type (u16 BE). */
export function rcodeKeyOf(rcode: number, qtype: number): Buffer {
  const key = Buffer.allocUnsafe(RCODE_KEY_BYTES);
  key[0] = rcode & 0xff;
  key.writeUInt16BE(qtype, 1);
  return key;
}

export function decodeRcodeKey(key: Buffer): { rcode: number; qtype: number } {
  return { rcode: key[0] as number, qtype: key.readUInt16BE(1) };
}
