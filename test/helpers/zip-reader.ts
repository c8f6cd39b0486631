/**
 * A zip reader for the tests, written from the APPNOTE's offsets and independent of ui/src/lib/zip.ts:
 * the end record, the central directory, each entry's local header (which must repeat the central one),
 * its data and node:zlib's CRC-32 of it. Stored entries only, as the pages write them.
 */
import { crc32 as zlibCrc32 } from "node:zlib";
import { expect } from "vitest";

export interface ReadEntry {
  name: string;
  flags: number;
  method: number;
  madeBy: number;
  needed: number;
  time: number;
  date: number;
  crc: number;
  size: number;
  mode: number;
  dosAttributes: number;
  data: Buffer;
}

/** Reads a zip the way the spec lays it out: end record, central directory, each local header. */
export function readZip(bytes: Buffer): ReadEntry[] {
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBe(bytes.length - 22);
  expect(bytes.readUInt16LE(end + 4)).toBe(0);
  expect(bytes.readUInt16LE(end + 6)).toBe(0);
  const total = bytes.readUInt16LE(end + 10);
  expect(bytes.readUInt16LE(end + 8)).toBe(total);
  const cdSize = bytes.readUInt32LE(end + 12);
  const cdOffset = bytes.readUInt32LE(end + 16);
  expect(cdOffset + cdSize).toBe(end);
  expect(bytes.readUInt16LE(end + 20)).toBe(0);

  const entries: ReadEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < total; i++) {
    expect(bytes.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    const external = bytes.readUInt32LE(at + 38);
    const local = bytes.readUInt32LE(at + 42);
    const central = {
      madeBy: bytes.readUInt16LE(at + 4),
      needed: bytes.readUInt16LE(at + 6),
      flags: bytes.readUInt16LE(at + 8),
      method: bytes.readUInt16LE(at + 10),
      time: bytes.readUInt16LE(at + 12),
      date: bytes.readUInt16LE(at + 14),
      crc: bytes.readUInt32LE(at + 16),
      compressed: bytes.readUInt32LE(at + 20),
      size: bytes.readUInt32LE(at + 24),
      name: bytes.subarray(at + 46, at + 46 + nameLength),
    };
    expect(bytes.readUInt16LE(at + 34)).toBe(0); // disk
    // The local header repeats the central one's fields.
    expect(bytes.readUInt32LE(local)).toBe(0x04034b50);
    expect(bytes.readUInt16LE(local + 4)).toBe(central.needed);
    expect(bytes.readUInt16LE(local + 6)).toBe(central.flags);
    expect(bytes.readUInt16LE(local + 8)).toBe(central.method);
    expect(bytes.readUInt16LE(local + 10)).toBe(central.time);
    expect(bytes.readUInt16LE(local + 12)).toBe(central.date);
    expect(bytes.readUInt32LE(local + 14)).toBe(central.crc);
    expect(bytes.readUInt32LE(local + 18)).toBe(central.compressed);
    expect(bytes.readUInt32LE(local + 22)).toBe(central.size);
    const localName = bytes.readUInt16LE(local + 26);
    const localExtra = bytes.readUInt16LE(local + 28);
    expect(bytes.subarray(local + 30, local + 30 + localName)).toEqual(central.name);
    const start = local + 30 + localName + localExtra;
    const data = bytes.subarray(start, start + central.compressed);
    expect(central.compressed).toBe(central.size);
    expect(zlibCrc32(data)).toBe(central.crc);
    entries.push({
      name: central.name.toString("utf8"),
      flags: central.flags,
      method: central.method,
      madeBy: central.madeBy,
      needed: central.needed,
      time: central.time,
      date: central.date,
      crc: central.crc,
      size: central.size,
      mode: external >>> 16,
      dosAttributes: external & 0xff,
      data: Buffer.from(data),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  expect(at).toBe(end);
  return entries;
}
