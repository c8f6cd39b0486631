/**
 * Passive DNS ingest on one thread: encoded batches from passivedns-batches.ts written to a store, one
 * batch written while the next is parsed (the store's I/O overlaps with the parser's CPU).
 */
import { SensorNumberCache } from "../pdns/observation-batch.js";
import type { Store, WriteBatch } from "../store/types.js";
import {
  type BatchOptions,
  countReject,
  emptySummary,
  type IngestProgress,
  type IngestSummary,
  passiveDnsBatches,
} from "./passivedns-batches.js";

export type { IngestProgress, IngestSummary } from "./passivedns-batches.js";

export interface IngestOptions extends BatchOptions {
  onProgress?: (progress: IngestProgress) => void;
}

/** Writes batches to the store keeping one write in flight, and accounts what the store reports. */
export async function writeBatches(
  batches: AsyncIterable<WriteBatch>,
  store: Store,
  summary: IngestSummary,
  afterEach?: () => void,
): Promise<void> {
  let inFlight: Promise<void> = Promise.resolve();
  for await (const batch of batches) {
    await inFlight;
    inFlight = store.write(batch).then((written) => {
      summary.created += written.created;
      if (written.collisions > 0) {
        countReject(summary, "hash_collision", "sort key taken by another record", written.collisions);
      }
    });
    afterEach?.();
  }
  await inFlight;
}

export async function ingestPassiveDns(
  input: AsyncIterable<Buffer>,
  store: Store,
  options: IngestOptions,
): Promise<IngestSummary> {
  const summary = emptySummary();
  const progress: IngestProgress = { lines: 0, bytes: 0, rejected: 0 };
  const sensorNumbers = new SensorNumberCache((ids) => store.sensorNumbers(ids));
  const report = () => options.onProgress?.(progress);
  await writeBatches(
    passiveDnsBatches(input, options, sensorNumbers, summary, progress),
    store,
    summary,
    report,
  );
  report();
  return summary;
}
