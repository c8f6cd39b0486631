/**
 * Passive DNS ingest on one thread: encoded batches from passivedns-batches.ts written to a store, one
 * batch written while the next is parsed (the store's I/O overlaps with the parser's CPU).
 */
import { SensorNumberCache } from "../pdns/observation-batch.js";
import type { Store, WriteBatch } from "../store/types.js";
import {
  type BatchOptions,
  emptySummary,
  type IngestProgress,
  type IngestSummary,
  passiveDnsBatches,
} from "./passivedns-batches.js";

export type { IngestProgress, IngestSummary } from "./passivedns-batches.js";

export interface IngestOptions extends BatchOptions {
  onProgress?: (progress: IngestProgress) => void;
}

/**
 * Writes batches in order keeping one write in flight: the next batch is built while the previous one
 * is written. `afterEach` runs once a batch's write has started.
 */
export async function writeBatches<T>(
  batches: AsyncIterable<T>,
  write: (batch: T) => Promise<void>,
  afterEach?: () => void,
): Promise<void> {
  let inFlight: Promise<void> = Promise.resolve();
  for await (const batch of batches) {
    await inFlight;
    inFlight = write(batch);
    // A write may fail while the next batch is still being read (a slow body): its error is thrown at
    // the next await, and must not count as an unhandled rejection meanwhile (that ends the process).
    inFlight.catch(() => {});
    afterEach?.();
  }
  await inFlight;
}

/** Writes a passive DNS batch, accounting what the store reports in `summary`. */
export function writeRecordsInto(store: Store, summary: IngestSummary) {
  return async (batch: WriteBatch): Promise<void> => {
    const written = await store.write(batch);
    summary.created += written.created;
    // Not tied to an input line: counted, not listed among the first rejected lines.
    if (written.collisions > 0) {
      summary.rejected.hash_collision = (summary.rejected.hash_collision ?? 0) + written.collisions;
    }
  };
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
  const batches = passiveDnsBatches(input, options, sensorNumbers, summary, progress);
  await writeBatches(batches, writeRecordsInto(store, summary), report);
  report();
  return summary;
}
