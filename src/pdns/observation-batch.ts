/**
 * Accumulates parsed passive DNS lines and merges repeats of a tuple before anything reaches the store:
 * a batch holds each distinct (rrname, rrtype, rdata) once, with min/max times and summed counts.
 */
import { rdataIndexKey } from "../dns/rdata.js";
import type { EncodedRcode, EncodedRecord, IndexRef, WriteBatch } from "../store/types.js";
import { absorb, type PendingObservation, startObservation, toObservation } from "./pending-observation.js";
import { encodeObservation, encodeRdata, rcodeKeyOf, sortKeyOf } from "./record-codec.js";

interface Pending extends PendingObservation {
  rrname: string;
  rrtype: number;
  rdata: string;
}

interface PendingRcode extends PendingObservation {
  rrname: string;
  rcode: number;
  qtype: number;
}

export interface RecordLine {
  rrname: string;
  rrtype: number;
  rdata: string;
  time: number;
  count: number;
}

export interface RcodeLine {
  rrname: string;
  qtype: number;
  rcode: number;
  time: number;
  count: number;
}

export class ObservationBatch {
  #records = new Map<string, Pending>();
  #rcodes = new Map<string, PendingRcode>();
  #linesBySensor = new Map<string, number>();
  #lines = 0;

  /** Input lines accounted so far (records, rcodes and rejects alike). */
  get lines(): number {
    return this.#lines;
  }

  /** Distinct records and rcode observations held. */
  get size(): number {
    return this.#records.size + this.#rcodes.size;
  }

  /** Counts one input line against a sensor, whatever became of it. */
  countLine(sensorId: string): void {
    this.#lines++;
    this.#linesBySensor.set(sensorId, (this.#linesBySensor.get(sensorId) ?? 0) + 1);
  }

  addRecord(line: RecordLine, sensorId: string): void {
    const key = `${line.rrname}\0${line.rrtype}\0${line.rdata}`;
    const pending = this.#records.get(key);
    if (pending) {
      absorb(pending, line.time, line.count, sensorId);
      return;
    }
    this.#records.set(key, {
      rrname: line.rrname,
      rrtype: line.rrtype,
      rdata: line.rdata,
      ...startObservation(line.time, line.count, sensorId),
    });
  }

  addRcode(line: RcodeLine, sensorId: string): void {
    const key = `${line.rrname}\0${line.rcode}\0${line.qtype}`;
    const pending = this.#rcodes.get(key);
    if (pending) {
      absorb(pending, line.time, line.count, sensorId);
      return;
    }
    this.#rcodes.set(key, {
      rrname: line.rrname,
      rcode: line.rcode,
      qtype: line.qtype,
      ...startObservation(line.time, line.count, sensorId),
    });
  }

  /** Encodes the batch for the store (resolving sensor ids to their numbers) and empties it. */
  async drain(sensorNumbers: SensorNumberCache): Promise<WriteBatch> {
    const numbers = await sensorNumbers.resolve(this.#linesBySensor.keys());
    const observation = (p: PendingObservation) => toObservation(p, numbers);

    const records: EncodedRecord[] = [];
    for (const p of this.#records.values()) {
      const index = indexRefOf(p.rrtype, p.rdata);
      // An address was just parsed for the index: its bytes are the stored rdata too.
      const payload = index?.kind === "ip" ? Buffer.from(index.bytes) : encodeRdata(p.rrtype, p.rdata);
      const sortKey = sortKeyOf(p.rrname, p.rrtype, p.rdata);
      records.push({ rrname: p.rrname, member: encodeObservation(observation(p), payload, sortKey), index });
    }
    const rcodes: EncodedRcode[] = [];
    for (const p of this.#rcodes.values()) {
      const key = rcodeKeyOf(p.rcode, p.qtype);
      rcodes.push({ rrname: p.rrname, member: encodeObservation(observation(p), undefined, key) });
    }
    const batch: WriteBatch = { records, rcodes, linesBySensor: this.#linesBySensor };
    this.#records = new Map();
    this.#rcodes = new Map();
    this.#linesBySensor = new Map();
    this.#lines = 0;
    return batch;
  }
}

/** The reverse-index target of a record, in the form the store keys it by. */
export function indexRefOf(rrtype: number, rdata: string): IndexRef | undefined {
  const target = rdataIndexKey(rrtype, rdata);
  if (!target) return undefined;
  return target.kind === "ip" ? { kind: "ip", bytes: target.ip.bytes, text: target.ip.text } : target;
}

/**
 * Sensor numbers never change once handed out, so each process asks the store (through `lookup`, which
 * may cross a thread) once per sensor id.
 */
export class SensorNumberCache {
  readonly #known = new Map<string, number>();
  readonly #lookup: (ids: string[]) => Promise<Map<string, number>>;

  constructor(lookup: (ids: string[]) => Promise<Map<string, number>>) {
    this.#lookup = lookup;
  }

  async resolve(ids: Iterable<string>): Promise<Map<string, number>> {
    const missing = [...ids].filter((id) => !this.#known.has(id));
    if (missing.length > 0) {
      for (const [id, number] of await this.#lookup(missing)) this.#known.set(id, number);
    }
    return this.#known;
  }
}
