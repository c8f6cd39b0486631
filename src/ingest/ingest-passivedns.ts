/**
 * The passive DNS ingest pipeline: bytes → lines → parsed observations → merged batches → store.
 * Bad lines are counted under their reason (with the first few line numbers kept) and never stop it.
 */
import { isUtf8 } from "node:buffer";
import { ObservationBatch, SensorNumberCache } from "../pdns/observation-batch.js";
import type { Store } from "../store/types.js";
import { readLines } from "./line-reader.js";
import { createPassiveDnsParser, type PassiveDnsLayout, type RejectReason } from "./passivedns-parser.js";

export interface IngestProgress {
  lines: number;
  bytes: number;
  rejected: number;
}

export interface IngestSummary {
  lines: number;
  /** Lines that were passive DNS records (before merging repeats). */
  records: number;
  /** Lines that were error answers (NXDOMAIN, SERVFAIL...). */
  rcodes: number;
  /** Distinct records merged into the store. */
  written: number;
  /** Of those, records the store did not have before. */
  created: number;
  rejected: Partial<Record<RejectReason | "hash_collision", number>>;
  firstRejects: Array<{ line: number; reason: string; detail: string }>;
}

export interface IngestOptions {
  sensorId: string;
  layout: PassiveDnsLayout;
  /** Lines per store batch (repeats inside a batch are merged before writing). */
  batchLines?: number;
  maxLineBytes?: number;
  onProgress?: (progress: IngestProgress) => void;
}

const FIRST_REJECTS_KEPT = 10;

async function* countBytes(input: AsyncIterable<Buffer>, progress: IngestProgress): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    progress.bytes += chunk.length;
    yield chunk;
  }
}

export async function ingestPassiveDns(
  input: AsyncIterable<Buffer>,
  store: Store,
  options: IngestOptions,
): Promise<IngestSummary> {
  const parse = createPassiveDnsParser(options.layout);
  const batchLines = options.batchLines ?? 50_000;
  const summary: IngestSummary = {
    lines: 0,
    records: 0,
    rcodes: 0,
    written: 0,
    created: 0,
    rejected: {},
    firstRejects: [],
  };
  const progress: IngestProgress = { lines: 0, bytes: 0, rejected: 0 };
  const batch = new ObservationBatch();
  const sensorNumbers = new SensorNumberCache();
  const { sensorId } = options;

  const reject = (reason: RejectReason | "hash_collision", detail: string, count = 1) => {
    summary.rejected[reason] = (summary.rejected[reason] ?? 0) + count;
    progress.rejected += count;
    if (summary.firstRejects.length < FIRST_REJECTS_KEPT && reason !== "hash_collision") {
      summary.firstRejects.push({ line: summary.lines, reason, detail });
    }
  };
  // One batch is written while the next is parsed: the store's I/O overlaps with the parser's CPU.
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    summary.written += batch.size;
    const encoded = await batch.drain(store, sensorNumbers);
    await inFlight;
    inFlight = store.write(encoded).then((written) => {
      summary.created += written.created;
      if (written.collisions > 0)
        reject("hash_collision", "sort key taken by another record", written.collisions);
    });
  };

  for await (const lines of readLines(countBytes(input, progress), {
    maxLineBytes: options.maxLineBytes ?? 65_536,
  })) {
    for (const line of lines) {
      summary.lines++;
      batch.countLine(sensorId);
      if (!Buffer.isBuffer(line)) {
        reject("line_too_long", `${line.tooLong} bytes`);
        continue;
      }
      if (!isUtf8(line)) {
        reject("invalid_utf8", "line is not valid UTF-8");
        continue;
      }
      const parsed = parse(line.toString("utf8"));
      switch (parsed.kind) {
        case "record":
          summary.records++;
          batch.addRecord(parsed, sensorId);
          break;
        case "rcode":
          summary.rcodes++;
          batch.addRcode(parsed, sensorId);
          break;
        case "reject":
          reject(parsed.reason, parsed.detail);
          break;
        case "blank":
          break;
      }
    }
    progress.lines = summary.lines;
    if (batch.lines >= batchLines) await flush();
    options.onProgress?.(progress);
  }
  await flush();
  await inFlight;
  options.onProgress?.(progress);
  return summary;
}
