/**
 * Prometheus metrics (prom-client), one registry per process: HTTP requests by route and status with
 * latency histograms, records ingested and lines rejected by source and reason, internal errors, and
 * the live ingest figures (D4 queue lag, sensor sessions) read from the status `watchIngest` was given
 * when /metrics is scraped. Routes are labelled by their pattern (`/pdns/query/:q`), never by the value
 * asked, so the number of series stays bounded.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { D4QueueReport } from "../ingest/d4-consumers.js";
import { type IngestStatus, ingestInfo } from "../ingest/ingest-status.js";

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "pdns_pssl_" });

export const httpRequests = new Counter({
  name: "pdns_pssl_http_requests_total",
  help: "HTTP requests answered, by method, route pattern and status",
  labelNames: ["method", "route", "status"] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: "pdns_pssl_http_request_duration_seconds",
  help: "Time to the response headers (a streamed body may take longer), by route pattern",
  labelNames: ["method", "route"] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** Where records come from: HTTP ingest, the D4 endpoint, a D4 analyzer queue. */
export type IngestSource = "http" | "d4-endpoint" | "d4-queue";

export const ingestRecords = new Counter({
  name: "pdns_pssl_ingest_records_total",
  help: "Records (passive DNS) or TLS sessions written, by source and input format",
  labelNames: ["source", "format"] as const,
  registers: [registry],
});

export const ingestRejected = new Counter({
  name: "pdns_pssl_ingest_rejected_total",
  help: "Input lines rejected, by source, input format and reason",
  labelNames: ["source", "format", "reason"] as const,
  registers: [registry],
});

export const internalErrors = new Counter({
  name: "pdns_pssl_internal_errors_total",
  help: "Requests that failed with an internal error (500), most often the store failing",
  registers: [registry],
});

/** Counts what one ingest of one source wrote and rejected (rejections per reason). */
export function countIngest(
  source: IngestSource,
  format: string,
  written: number,
  rejected: Readonly<Record<string, number | undefined>> | number,
): void {
  if (written > 0) ingestRecords.inc({ source, format }, written);
  if (typeof rejected === "number") {
    if (rejected > 0) ingestRejected.inc({ source, format, reason: "rejected" }, rejected);
    return;
  }
  for (const [reason, n] of Object.entries(rejected)) {
    if (n) ingestRejected.inc({ source, format, reason }, n);
  }
}

let live: IngestStatus | undefined;

/** Reads the live ingest figures (D4 queues, D4 endpoint) from `status` when metrics are collected. */
export function watchIngest(status: IngestStatus | undefined): void {
  live = status;
}

const liveInfo = () => (live ? ingestInfo(live) : { d4_queues: [], d4_endpoint: null });

/** A gauge per D4 queue of one figure of its report. */
function queueGauge(name: string, help: string, figure: (q: D4QueueReport) => number): void {
  new Gauge({
    name,
    help,
    labelNames: ["queue", "type"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const q of liveInfo().d4_queues) this.set({ queue: q.queue, type: q.type }, figure(q));
    },
  });
}

queueGauge(
  "pdns_pssl_d4_queue_lag",
  "Items waiting in a D4 analyzer queue when last looked at",
  (q) => q.lag,
);
queueGauge(
  "pdns_pssl_d4_queue_errors",
  "Errors met by a D4 analyzer queue consumer since start (queue or store unreachable)",
  (q) => q.errors,
);
queueGauge("pdns_pssl_d4_queue_connected", "1 when a D4 queue consumer is connected to its Redis", (q) =>
  q.connected ? 1 : 0,
);
queueGauge(
  "pdns_pssl_d4_queue_records",
  "Records written from a D4 analyzer queue since start",
  (q) => q.records,
);

new Gauge({
  name: "pdns_pssl_d4_sessions_open",
  help: "D4 sensor sessions open on the TLS endpoint",
  registers: [registry],
  collect() {
    this.set(liveInfo().d4_endpoint?.sessions_open ?? 0);
  },
});

new Gauge({
  name: "pdns_pssl_d4_sessions",
  help: "D4 sensor sessions accepted on the TLS endpoint since start",
  registers: [registry],
  collect() {
    this.set(liveInfo().d4_endpoint?.sessions_total ?? 0);
  },
});

new Gauge({
  name: "pdns_pssl_d4_sessions_refused",
  help: "D4 sensor sessions ended by the endpoint since start, by reason (bad HMAC, unknown sensor...)",
  labelNames: ["reason"] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [reason, n] of Object.entries(liveInfo().d4_endpoint?.refused ?? {})) this.set({ reason }, n);
  },
});

export async function metricsText(): Promise<{ body: string; contentType: string }> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}
