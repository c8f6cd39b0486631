/**
 * Passive SSL ingest: bytes → lines → TLS sessions (ja3-jl or Suricata EVE) → merged batches of
 * sightings, certificates and indexes → store. Bad lines are counted under their reason (with the first
 * few line numbers kept), other EVE event types are counted as skipped; nothing stops the process.
 */
import { SensorNumberCache } from "../pdns/observation-batch.js";
import { CertificateCache } from "../pssl/certificate.js";
import { TlsBatch } from "../pssl/tls-batch.js";
import type { SetWriteBatch, Store } from "../store/types.js";
import { parseEveLine } from "./eve-tls-parser.js";
import { writeBatches } from "./ingest-passivedns.js";
import { parseJa3JlLine } from "./ja3-jl-parser.js";
import { textLines } from "./line-reader.js";
import type { IngestProgress } from "./passivedns-batches.js";
import { countReject, type RejectTally } from "./reject-tally.js";
import type { ParsedTlsLine, TlsRejectReason } from "./tls-session.js";

export type TlsFormat = "ja3-jl" | "eve";

export interface TlsIngestSummary extends RejectTally<TlsRejectReason | "bad_certificate"> {
  /** TLS sessions recorded. */
  sessions: number;
  /** Lines of other event types in an EVE stream, skipped. */
  skipped: number;
  /** Distinct certificates parsed from DER in this run. */
  certificates: number;
}

export interface TlsIngestOptions {
  format: TlsFormat;
  sensorId: string;
  /** Sessions per store batch. */
  batchSessions?: number;
  maxLineBytes?: number;
  onProgress?: (progress: IngestProgress) => void;
}

const PARSERS: Record<TlsFormat, (line: string) => ParsedTlsLine> = {
  "ja3-jl": parseJa3JlLine,
  eve: parseEveLine,
};
/** ja3-jl lines carry whole certificate chains (~10 KB): allow long lines. */
const DEFAULT_MAX_LINE_BYTES = 4 << 20;

export function emptyTlsSummary(): TlsIngestSummary {
  return { lines: 0, sessions: 0, skipped: 0, certificates: 0, rejected: {}, firstRejects: [] };
}

/**
 * The CPU half of TLS ingest: parses `input` into merged batches, updating `summary` and `progress` as it
 * goes (`summary.certificates` when the input ends). A batch is yielded every `batchSessions` sessions.
 */
export async function* tlsBatches(
  input: AsyncIterable<Buffer>,
  options: Omit<TlsIngestOptions, "onProgress">,
  sensorNumbers: SensorNumberCache,
  summary: TlsIngestSummary,
  progress: IngestProgress,
): AsyncGenerator<SetWriteBatch> {
  const parse = PARSERS[options.format];
  const batchSessions = options.batchSessions ?? 5_000;
  const certificates = new CertificateCache();
  const batch = new TlsBatch();
  const { sensorId } = options;

  const reject = (reason: TlsRejectReason | "bad_certificate", detail: string, count = 1) => {
    countReject(summary, reason, detail, count);
    progress.rejected += count;
  };

  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  for await (const lines of textLines(input, { maxLineBytes }, progress)) {
    for (const line of lines) {
      summary.lines++;
      if (typeof line !== "string") {
        reject(line.reason, line.detail);
        continue;
      }
      const parsed = parse(line);
      if (parsed.kind === "session") {
        summary.sessions++;
        const unparsable = batch.addSession(parsed.session, sensorId, certificates);
        if (unparsable > 0) reject("bad_certificate", "certificate DER that does not parse", unparsable);
      } else if (parsed.kind === "skip") {
        summary.skipped++;
      } else if (parsed.kind === "reject") {
        reject(parsed.reason, parsed.detail);
      }
    }
    progress.lines = summary.lines;
    if (batch.sessions >= batchSessions) yield await batch.drain(sensorNumbers);
  }
  if (batch.sessions > 0) yield await batch.drain(sensorNumbers);
  summary.certificates = certificates.parsed;
}

/** TLS ingest on one thread: batches written while the next is parsed. */
export async function ingestTls(
  input: AsyncIterable<Buffer>,
  store: Store,
  options: TlsIngestOptions,
): Promise<TlsIngestSummary> {
  const summary = emptyTlsSummary();
  const progress: IngestProgress = { lines: 0, bytes: 0, rejected: 0 };
  const sensorNumbers = new SensorNumberCache((ids) => store.sensorNumbers(ids));
  const report = () => options.onProgress?.(progress);
  await writeBatches(
    tlsBatches(input, options, sensorNumbers, summary, progress),
    (b) => store.writeSets(b),
    report,
  );
  report();
  return summary;
}
