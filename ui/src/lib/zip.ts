/**
 * A zip archive written in memory, for downloads made in the page (a sensor's D4 client folder): entries
 * stored as they are (no compression: a few short files), each with its CRC-32, a local header, the
 * central directory and the end record (APPNOTE 6.3, no ZIP64: up to 65,535 entries of under 4 GiB).
 * Names are flagged UTF-8 (bit 11); the entries are marked as made on Unix so that their permissions
 * (a key file's 0600) survive `unzip`. Pure (no DOM): the unit tests read its output in Node.
 */

export interface ZipEntry {
  /** The path inside the archive, with "/" between folders; a folder's own entry ends with "/". */
  name: string;
  /** The content (text is written as UTF-8); none for a folder. */
  data?: Uint8Array | string;
  /** Unix permission bits: default 0o644 for a file, 0o755 for a folder. */
  mode?: number;
  /** Modification time (default now), kept in MS-DOS form: local time, two-second steps, 1980 to 2107. */
  modified?: Date;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_RECORD = 0x06054b50;
/** Version 2.0 of the format: folders, and what every unzip reads. */
const VERSION = 20;
/** "Made by" Unix (3, high byte), so the high half of the external attributes is a st_mode. */
const MADE_BY_UNIX = (3 << 8) | VERSION;
const UTF8_NAMES = 0x0800;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
/** The MS-DOS attribute of a folder, in the low byte of the external attributes. */
const DOS_DIRECTORY = 0x10;

let table: Uint32Array | undefined;

/** CRC-32 (ISO-HDLC, as zip, gzip and PNG use), continuing from `crc` for data given in pieces. */
export function crc32(data: Uint8Array, crc = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (const byte of data) c = (table[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** A time as MS-DOS keeps it: [time, date], local, clamped to the years it can hold. */
export function dosDateTime(when: Date): [number, number] {
  const year = when.getFullYear();
  if (year < 1980) return [0, (1 << 5) | 1];
  if (year > 2107) return [(23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31];
  const time = (when.getHours() << 11) | (when.getMinutes() << 5) | (when.getSeconds() >> 1);
  const date = ((year - 1980) << 9) | ((when.getMonth() + 1) << 5) | when.getDate();
  return [time, date];
}

interface Prepared {
  name: Uint8Array;
  data: Uint8Array;
  crc: number;
  time: number;
  date: number;
  external: number;
  offset: number;
}

/** The archive holding `entries`, in their order. */
export function zip(entries: ZipEntry[], now = new Date()): Uint8Array<ArrayBuffer> {
  if (entries.length > 0xffff) throw new RangeError("a zip without ZIP64 holds at most 65,535 entries");
  const encoder = new TextEncoder();
  const prepared: Prepared[] = [];
  let offset = 0;
  for (const entry of entries) {
    if (entry.name === "" || entry.name.startsWith("/") || entry.name.split("/").includes("..")) {
      throw new RangeError(`not a relative path inside an archive: ${JSON.stringify(entry.name)}`);
    }
    const folder = entry.name.endsWith("/");
    const data =
      typeof entry.data === "string" ? encoder.encode(entry.data) : (entry.data ?? new Uint8Array());
    if (folder && data.length > 0) throw new RangeError(`a folder holds no data: ${entry.name}`);
    if (data.length > 0xfffffffe) throw new RangeError(`too large for a zip without ZIP64: ${entry.name}`);
    const name = encoder.encode(entry.name);
    if (name.length > 0xffff) throw new RangeError("a name of over 65,535 bytes");
    const mode = (entry.mode ?? (folder ? 0o755 : 0o644)) & 0o7777;
    const [time, date] = dosDateTime(entry.modified ?? now);
    prepared.push({
      name,
      data,
      crc: crc32(data),
      time,
      date,
      external: (((folder ? S_IFDIR : S_IFREG) | mode) * 0x10000 + (folder ? DOS_DIRECTORY : 0)) >>> 0,
      offset,
    });
    offset += 30 + name.length + data.length;
  }
  const centralSize = prepared.reduce((sum, p) => sum + 46 + p.name.length, 0);
  if (offset + centralSize > 0xfffffffe) throw new RangeError("too large for a zip without ZIP64");

  const out = new Uint8Array(offset + centralSize + 22);
  const view = new DataView(out.buffer);
  let at = 0;
  const u16 = (value: number) => {
    view.setUint16(at, value, true);
    at += 2;
  };
  const u32 = (value: number) => {
    view.setUint32(at, value, true);
    at += 4;
  };
  const bytes = (value: Uint8Array) => {
    out.set(value, at);
    at += value.length;
  };
  /** The fields a local header and a central header share, from "version needed" to the name's length. */
  const common = (p: Prepared) => {
    u16(VERSION);
    u16(UTF8_NAMES);
    u16(0); // stored
    u16(p.time);
    u16(p.date);
    u32(p.crc);
    u32(p.data.length); // compressed size: the same, stored
    u32(p.data.length);
    u16(p.name.length);
    u16(0); // no extra field
  };

  for (const p of prepared) {
    u32(LOCAL_HEADER);
    common(p);
    bytes(p.name);
    bytes(p.data);
  }
  const centralOffset = at;
  for (const p of prepared) {
    u32(CENTRAL_HEADER);
    u16(MADE_BY_UNIX);
    common(p);
    u16(0); // no comment
    u16(0); // disk 0
    u16(0); // internal attributes: binary
    u32(p.external);
    u32(p.offset);
    bytes(p.name);
  }
  u32(END_RECORD);
  u16(0); // this disk
  u16(0); // the disk the central directory starts on
  u16(prepared.length);
  u16(prepared.length);
  u32(centralSize);
  u32(centralOffset);
  u16(0); // no comment
  return out;
}
