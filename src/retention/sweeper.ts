/**
 * The retention sweep: visits the expiry buckets of days old enough to hold something past its maximum
 * age, and has the store delete what is. Its cost grows with what expires (plus one listing of the
 * buckets), never with the size of the store; it runs beside ingest and queries, a bounded chunk of
 * entries per store call.
 */
import type { Config } from "../config.js";
import { bucketStart, decodeBucket } from "../store/expiry-layout.js";
import type { Store } from "../store/types.js";
import { EXPIRY_LINKS } from "./expiry-links.js";
import { maxAgeOf, type RetentionPolicy, retentionEnabled } from "./retention-policy.js";

/** Entries visited per store call: one LMDB write transaction, or one Redis script call per 128. */
const ENTRIES_PER_CALL = 1_000;

export interface SweepReport {
  /** Expiry buckets visited (those old enough to hold expired entries). */
  buckets: number;
  records: number;
  sightings: number;
  seconds: number;
}

/** One sweep at `nowSeconds`: deletes every record and sighting past its maximum age. */
/** The policy a configuration sets. */
export function retentionPolicyOf(config: Pick<Config, "retention" | "retentionRrtypes">): RetentionPolicy {
  return { maxAgeSeconds: config.retention, rrtypeAges: config.retentionRrtypes };
}

export async function sweepExpired(
  store: Store,
  policy: RetentionPolicy,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  signal?: AbortSignal,
): Promise<SweepReport> {
  const started = performance.now();
  const report: SweepReport = { buckets: 0, records: 0, sightings: 0, seconds: 0 };
  for (const id of await store.expiryBuckets()) {
    if (signal?.aborted) break;
    const bucket = decodeBucket(id);
    const maxAge = bucket ? maxAgeOf(policy, bucket) : 0;
    if (maxAge === null) continue;
    const cutoff = nowSeconds - maxAge;
    // A bucket whose day starts at or after the cutoff holds nothing expired. (Undecodable ids are
    // swept away.)
    if (bucket && bucketStart(bucket) >= cutoff) continue;
    report.buckets++;
    let from: Buffer | undefined;
    do {
      const swept = await store.sweepExpiryBucket(id, cutoff, from, ENTRIES_PER_CALL, EXPIRY_LINKS);
      if (bucket?.kind === "sighting") report.sightings += swept.deleted;
      else report.records += swept.deleted;
      from = swept.next;
    } while (from && !signal?.aborted);
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/**
 * Turns filing on, then sweeps once at start and every `intervalSeconds`, logging what each sweep
 * deleted (nothing when nothing expired). A failed sweep is logged and tried again at the next tick.
 */
export async function startRetention(
  store: Store,
  policy: RetentionPolicy,
  intervalSeconds: number,
  log: (message: string) => void,
): Promise<{ close(): Promise<void> }> {
  await store.enableExpiryFiling();
  const stop = new AbortController();
  let running: Promise<void> | undefined;
  const sweep = () => {
    if (running) return;
    running = sweepExpired(store, policy, undefined, stop.signal)
      .then((report) => {
        if (report.records + report.sightings > 0) {
          log(
            `retention: deleted ${report.records} records and ${report.sightings} TLS sightings in ${report.seconds.toFixed(1)} s`,
          );
        }
      })
      .catch((error: Error) => log(`retention: sweep failed (${error.message}); trying again later`))
      .finally(() => {
        running = undefined;
      });
  };
  if (retentionEnabled(policy)) sweep();
  const timer = setInterval(sweep, intervalSeconds * 1000);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      stop.abort();
      await running;
    },
  };
}
