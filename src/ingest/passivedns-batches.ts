/**
 * The CPU half of passive DNS ingest: bytes → lines → parsed observations → merged, encoded batches.
 * Bad lines are counted under their reason (with the first few line numbers kept) and never stop it.
 * It runs on the thread that writes (ingestPassiveDns) or on a worker thread (pipelined ingest).
 */
import { ObservationBatch, type SensorNumberCache } from "../pdns/observation-batch.js";
import type { WriteBatch } from "../store/types.js";
import { textLines } from "./line-reader.js";
import { createPassiveDnsParser, type PassiveDnsLayout, type RejectReason } from "./passivedns-parser.js";
import { countReject, type RejectTally } from "./reject-tally.js";

export interface IngestProgress {
  lines: number;
  bytes: number;
  rejected: number;
}

export interface IngestSummary extends RejectTally<RejectReason | "hash_collision"> {
  /** Lines that were passive DNS records (before merging repeats). */
  records: number;
  /** Lines that were error answers (NXDOMAIN, SERVFAIL...). */
  rcodes: number;
  /** Distinct records and error observations merged into the store (repeats in a batch merged first). */
  written: number;
  /** Of those, records the store did not have before. */
  created: number;
}

export interface BatchOptions {
  sensorId: string;
  layout: PassiveDnsLayout;
  /** Lines per store batch (repeats inside a batch are merged before writing). */
  batchLines?: number;
  maxLineBytes?: number;
}

export function emptySummary(): IngestSummary {
  return { lines: 0, records: 0, rcodes: 0, written: 0, created: 0, rejected: {}, firstRejects: [] };
}

/**
 * Parses `input` into encoded batches, updating `summary` and `progress` as it goes. A batch is yielded
 * every `batchLines` lines and at the end.
 */
export async function* passiveDnsBatches(
  input: AsyncIterable<Buffer>,
  options: BatchOptions,
  sensorNumbers: SensorNumberCache,
  summary: IngestSummary,
  progress: IngestProgress,
): AsyncGenerator<WriteBatch> {
  const parse = createPassiveDnsParser(options.layout);
  const batchLines = options.batchLines ?? 50_000;
  const batch = new ObservationBatch();
  const { sensorId } = options;
  const reject = (reason: RejectReason, detail: string) => {
    countReject(summary, reason, detail);
    progress.rejected++;
  };

  for await (const lines of textLines(input, { maxLineBytes: options.maxLineBytes ?? 65_536 }, progress)) {
    for (const line of lines) {
      summary.lines++;
      batch.countLine(sensorId);
      if (typeof line !== "string") {
        reject(line.reason, line.detail);
        continue;
      }
      const parsed = parse(line);
      if (parsed.kind === "record") {
        summary.records++;
        batch.addRecord(parsed, sensorId);
      } else if (parsed.kind === "rcode") {
        summary.rcodes++;
        batch.addRcode(parsed, sensorId);
      } else if (parsed.kind === "reject") {
        reject(parsed.reason, parsed.detail);
      }
    }
    progress.lines = summary.lines;
    if (batch.lines >= batchLines) {
      summary.written += batch.size;
      yield await batch.drain(sensorNumbers);
    }
  }
  if (batch.lines > 0) {
    summary.written += batch.size;
    yield await batch.drain(sensorNumbers);
  }
}
