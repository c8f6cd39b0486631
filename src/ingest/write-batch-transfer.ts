/**
 * Packs a WriteBatch into one ArrayBuffer so it can be transferred between threads without copying
 * per record; unpacking makes views into that buffer rather than copies.
 *
 * Layout (big-endian): record count u32, then per record: rrname (u16 length + UTF-8), member (u32 length
 * + bytes), index kind u8 (0 none, 1 address, 2 name) + for an address its bytes (u8 length) and text
 * (u8 length + ASCII), for a name u16 length + UTF-8; rcode count u32 and per rcode rrname + member; sensor
 * count u32 and per sensor id (u16 length + UTF-8) + lines (f64).
 *
 * A SetWriteBatch (passive SSL): sighting count u32 and per sighting space, group (u8 / u16 length +
 * UTF-8) and member (u32 length + bytes); members likewise; blob count u32 and per blob space, id,
 * bytes and ifAbsent (u8).
 */
import type {
  BlobSpace,
  EncodedRcode,
  EncodedRecord,
  IndexRef,
  MemberSpace,
  SetWriteBatch,
  SightingSpace,
  WriteBatch,
} from "../store/types.js";

class Writer {
  buffer = Buffer.allocUnsafe(1 << 16);
  at = 0;

  #room(bytes: number) {
    if (this.at + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(bigger, 0, 0, this.at);
    this.buffer = bigger;
  }
  u8(n: number) {
    this.#room(1);
    this.buffer[this.at++] = n;
  }
  u32(n: number) {
    this.#room(4);
    this.at = this.buffer.writeUInt32BE(n, this.at);
  }
  f64(n: number) {
    this.#room(8);
    this.at = this.buffer.writeDoubleBE(n, this.at);
  }
  string(s: string, lengthBytes: 1 | 2) {
    const length = Buffer.byteLength(s, "utf8");
    this.#room(lengthBytes + length);
    this.at =
      lengthBytes === 1
        ? this.buffer.writeUInt8(length, this.at)
        : this.buffer.writeUInt16BE(length, this.at);
    this.at += this.buffer.write(s, this.at, "utf8");
  }
  /** A fresh ArrayBuffer holding what was written, ready to be transferred. */
  finish(): ArrayBuffer {
    const out = new ArrayBuffer(this.at);
    new Uint8Array(out).set(this.buffer.subarray(0, this.at));
    return out;
  }
  bytes(b: Uint8Array, lengthBytes: 1 | 4) {
    this.#room(lengthBytes + b.length);
    this.at =
      lengthBytes === 1
        ? this.buffer.writeUInt8(b.length, this.at)
        : this.buffer.writeUInt32BE(b.length, this.at);
    this.buffer.set(b, this.at);
    this.at += b.length;
  }
}

class Reader {
  at = 0;
  constructor(readonly buffer: Buffer) {}
  u8() {
    return this.buffer[this.at++] as number;
  }
  u16() {
    const n = this.buffer.readUInt16BE(this.at);
    this.at += 2;
    return n;
  }
  u32() {
    const n = this.buffer.readUInt32BE(this.at);
    this.at += 4;
    return n;
  }
  f64() {
    const n = this.buffer.readDoubleBE(this.at);
    this.at += 8;
    return n;
  }
  string(lengthBytes: 1 | 2) {
    const length = lengthBytes === 1 ? this.u8() : this.u16();
    this.at += length;
    return this.buffer.toString("utf8", this.at - length, this.at);
  }
  bytes(lengthBytes: 1 | 4) {
    const length = lengthBytes === 1 ? this.u8() : this.u32();
    this.at += length;
    return this.buffer.subarray(this.at - length, this.at);
  }
}

const NO_INDEX = 0;
const ADDRESS = 1;
const NAME = 2;

export function packWriteBatch(batch: WriteBatch): ArrayBuffer {
  const w = new Writer();
  w.u32(batch.records.length);
  for (const record of batch.records) {
    w.string(record.rrname, 2);
    w.bytes(record.member, 4);
    if (!record.index) w.u8(NO_INDEX);
    else if (record.index.kind === "ip") {
      w.u8(ADDRESS);
      w.bytes(record.index.bytes, 1);
      w.string(record.index.text, 1);
    } else {
      w.u8(NAME);
      w.string(record.index.name, 2);
    }
  }
  w.u32(batch.rcodes.length);
  for (const rcode of batch.rcodes) {
    w.string(rcode.rrname, 2);
    w.bytes(rcode.member, 4);
  }
  w.u32(batch.linesBySensor.size);
  for (const [sensorId, lines] of batch.linesBySensor) {
    w.string(sensorId, 2);
    w.f64(lines);
  }
  return w.finish();
}

export function unpackWriteBatch(packed: ArrayBuffer): WriteBatch {
  const r = new Reader(Buffer.from(packed));
  const records: EncodedRecord[] = [];
  for (let i = r.u32(); i > 0; i--) {
    const rrname = r.string(2);
    const member = r.bytes(4);
    const kind = r.u8();
    let index: IndexRef | undefined;
    if (kind === ADDRESS) index = { kind: "ip", bytes: r.bytes(1), text: r.string(1) };
    else if (kind === NAME) index = { kind: "name", name: r.string(2) };
    records.push({ rrname, member, index });
  }
  const rcodes: EncodedRcode[] = [];
  for (let i = r.u32(); i > 0; i--) rcodes.push({ rrname: r.string(2), member: r.bytes(4) });
  const linesBySensor = new Map<string, number>();
  for (let i = r.u32(); i > 0; i--) linesBySensor.set(r.string(2), r.f64());
  return { records, rcodes, linesBySensor };
}

export function packSetWriteBatch(batch: SetWriteBatch): ArrayBuffer {
  const w = new Writer();
  for (const list of [batch.sightings, batch.members]) {
    w.u32(list.length);
    for (const { space, group, member } of list) {
      w.string(space, 1);
      w.string(group, 2);
      w.bytes(member, 4);
    }
  }
  w.u32(batch.blobs.length);
  for (const { space, id, bytes, ifAbsent } of batch.blobs) {
    w.string(space, 1);
    w.string(id, 2);
    w.bytes(bytes, 4);
    w.u8(ifAbsent ? 1 : 0);
  }
  return w.finish();
}

export function unpackSetWriteBatch(packed: ArrayBuffer): SetWriteBatch {
  const r = new Reader(Buffer.from(packed));
  const entries = <S extends string>() => {
    const out: Array<{ space: S; group: string; member: Buffer }> = [];
    for (let i = r.u32(); i > 0; i--)
      out.push({ space: r.string(1) as S, group: r.string(2), member: r.bytes(4) });
    return out;
  };
  const sightings = entries<SightingSpace>();
  const members = entries<MemberSpace>();
  const blobs: SetWriteBatch["blobs"] = [];
  for (let i = r.u32(); i > 0; i--) {
    blobs.push({
      space: r.string(1) as BlobSpace,
      id: r.string(2),
      bytes: r.bytes(4),
      ifAbsent: r.u8() === 1,
    });
  }
  return { sightings, members, blobs };
}
