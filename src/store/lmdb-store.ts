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
 */
import { mkdir } from "node:fs/promises";
import { type Database, open, type RootDatabase } from "lmdb";
import { reverseName } from "../dns/name.js";
import {
  mergeObservations,
  nextPrefix,
  payloadOf,
  RCODE_KEY_BYTES,
  SORT_KEY_BYTES,
} from "../pdns/record-codec.js";
import { SIGHTING_KEY_BYTES, SPACE_TAGS } from "./set-layout.js";
import type {
  BlobSpace,
  DocKind,
  IndexEntry,
  IndexRef,
  MemberSpace,
  RecordRef,
  SensorLines,
  SetWriteBatch,
  SightingRef,
  SightingSpace,
  SortKeyRange,
  Store,
  StoredRcode,
  StoredValue,
  WriteBatch,
  WriteResult,
} from "./types.js";

const SEPARATOR = Buffer.from([0]);

type BinaryDb = Database<Buffer, Buffer>;

/** Key prefix of everything stored under one name: reversed labels and a NUL (never part of a name). */
function namePrefix(name: string): Buffer {
  return Buffer.concat([Buffer.from(reverseName(name), "utf8"), SEPARATOR]);
}

const EMPTY = Buffer.alloc(0);

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

class LmdbStore implements Store {
  readonly backend = "lmdb";
  readonly #root: RootDatabase;
  readonly #records: BinaryDb;
  readonly #ipIndex: BinaryDb;
  readonly #nameIndex: BinaryDb;
  readonly #rcodes: BinaryDb;
  readonly #sets: BinaryDb;
  readonly #blobs: BinaryDb;
  readonly #meta: Database<number, string>;
  readonly #docs: Database<string, string>;

  constructor(root: RootDatabase) {
    this.#root = root;
    const binary = { keyEncoding: "binary", encoding: "binary" } as const;
    this.#records = root.openDB({ name: "records", ...binary });
    this.#ipIndex = root.openDB({ name: "ip-index", ...binary, dupSort: true });
    this.#nameIndex = root.openDB({ name: "name-index", ...binary, dupSort: true });
    this.#rcodes = root.openDB({ name: "rcodes", ...binary });
    this.#sets = root.openDB({ name: "sets", ...binary });
    this.#blobs = root.openDB({ name: "blobs", ...binary });
    this.#meta = root.openDB({ name: "meta", encoding: "json" });
    this.#docs = root.openDB({ name: "docs", encoding: "string" });
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
    this.#root.transactionSync(() => {
      for (const record of batch.records) {
        const key = Buffer.concat([prefixOf(record.rrname), record.member.subarray(0, SORT_KEY_BYTES)]);
        const value = record.member.subarray(SORT_KEY_BYTES);
        const stored = this.#records.getBinaryFast(key);
        if (stored === undefined) {
          this.#records.putSync(key, value);
          result.created++;
          if (record.index) {
            const indexKey = Buffer.concat([
              indexPrefix(record.index),
              record.member.subarray(0, SORT_KEY_BYTES),
            ]);
            const db = record.index.kind === "ip" ? this.#ipIndex : this.#nameIndex;
            db.putSync(indexKey, Buffer.from(record.rrname, "utf8"));
          }
        } else if (payloadOf(stored).equals(payloadOf(value))) {
          this.#records.putSync(key, mergeObservations(stored, value));
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
    this.#root.transactionSync(() => {
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

  async *scanOwner(rrname: string, range: SortKeyRange, chunkSize: number): AsyncIterable<StoredValue[]> {
    const prefix = namePrefix(rrname);
    for (const chunk of this.#chunks(this.#records, rangeUnder(prefix, range), chunkSize)) {
      yield chunk.map(({ key, value }) => ({ sortKey: key.subarray(prefix.length), value }));
    }
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

  async writeSets(batch: SetWriteBatch): Promise<void> {
    this.#root.transactionSync(() => {
      for (const { space, group, member } of batch.sightings) {
        const keyLength = SIGHTING_KEY_BYTES[space];
        const key = Buffer.concat([setPrefix(space, group), member.subarray(0, keyLength)]);
        const value = member.subarray(keyLength);
        const stored = this.#sets.getBinaryFast(key);
        this.#sets.putSync(key, stored ? mergeObservations(stored, value) : value);
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
    this.#docs.putSync(`${kind}\0${id}`, json);
  }

  async deleteDoc(kind: DocKind, id: string): Promise<boolean> {
    return this.#docs.removeSync(`${kind}\0${id}`);
  }

  async listDocs(kind: DocKind): Promise<Array<[string, string]>> {
    const prefix = `${kind}\0`;
    return [...this.#docs.getRange({ start: prefix, end: `${kind}\u0001` })].map(({ key, value }) => [
      key.slice(prefix.length),
      value,
    ]);
  }

  async ping(): Promise<void> {
    this.#meta.get("sensor-seq");
  }

  async close(): Promise<void> {
    await this.#root.close();
  }
}

/** Opens (creating when needed) the embedded store in `dir`. */
export async function openLmdbStore(dir: string): Promise<Store> {
  await mkdir(dir, { recursive: true });
  // No readahead: records are read in key order but sit on scattered pages; readahead would map (and
  // count in RSS) neighbouring pages nobody asked for.
  // (`noReadAhead` is an lmdb-js option its type declarations do not list.)
  const options = { path: dir, maxDbs: 16, noMemInit: true, noReadAhead: true };
  const root = open(options);
  return new LmdbStore(root);
}
