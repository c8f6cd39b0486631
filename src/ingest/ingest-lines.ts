/**
 * Writes lines already in memory (a D4 session's, a queue batch's) through the same ingest path as a
 * file, and answers what came of them: records (or TLS sessions) written and lines rejected.
 */
import { countIngest, type IngestSource } from "../observability/metrics.js";
import type { Store } from "../store/types.js";
import { ingestPassiveDns } from "./ingest-passivedns.js";
import { ingestTls } from "./ingest-tls.js";
import { DEFAULT_LAYOUT } from "./passivedns-parser.js";

/** The line formats live sources deliver: passivedns text (D4 type 8) and the D4 TLS sensor's ja3-jl. */
export type LiveFormat = "passivedns" | "ja3-jl";

export async function ingestLines(
  store: Store,
  lines: readonly string[],
  format: LiveFormat,
  sensorId: string,
  /** Where the lines came from, for the ingest metrics (uncounted when absent). */
  source?: IngestSource,
): Promise<{ records: number; rejects: number }> {
  const input = (async function* () {
    yield Buffer.from(`${lines.join("\n")}\n`, "utf8");
  })();
  const summary =
    format === "passivedns"
      ? await ingestPassiveDns(input, store, { sensorId, layout: DEFAULT_LAYOUT })
      : await ingestTls(input, store, { format: "ja3-jl", sensorId });
  const rejects = Object.values(summary.rejected).reduce((sum: number, n) => sum + (n ?? 0), 0);
  const records = "sessions" in summary ? summary.sessions : summary.records;
  if (source) countIngest(source, format, records, summary.rejected);
  return { records, rejects };
}
