/**
 * The benchmark report: one markdown table per section, each figure beside its target, ready to be
 * pasted into the README.
 */

import type { CorpusShape } from "./corpus.js";
import type { IngestFigures } from "./ingest-bench.js";
import type { LiveFigures, LivePath } from "./live-ingest-bench.js";
import type { LookupFigures, LookupKind } from "./lookup-bench.js";
import type { Machine } from "./machine.js";
import type { TlsIngestFigures } from "./pssl-ingest-bench.js";
import type { PsslQueryFigures, PsslQueryKind } from "./pssl-query-bench.js";
import type { LoadFigures, QueryFigures } from "./query-bench.js";
import type { StreamFigures } from "./stream-bench.js";
import type { TlsCorpusShape } from "./tls-corpus.js";
import type { WorkersFigures } from "./workers-bench.js";

export type Backend = "embedded" | "redis";

interface Target {
  at: "least" | "most";
  value: number;
}

/** Passive SSL queries with a throughput target (`query/<ip>/24` has none). */
const PSSL_REQUESTS_PER_SECOND: Partial<Record<PsslQueryKind, number>> = {
  "query/<ip>": 5_000,
  "cfetch/<sha1>": 5_000,
};

/** Lookups over a store of 10,000,000 records with a latency target. */
const LOOKUP_LATENCY_MS: Partial<Record<LookupKind, number>> = {
  "left wildcard": 150,
  "right wildcard": 150,
  "/24 block": 20,
  "/16 block": 150,
};

/** Targets of the issue, for the 2-core reference machine. */
export const TARGETS = {
  ingestLinesPerSecond: { embedded: 150_000, redis: 100_000 },
  bytesPerRecord: { embedded: 200, redis: 150 },
  requestsPerSecond: {
    embedded: { "name hit": 10_000, "IP hit": 5_000 },
    redis: { "name hit": 6_000, "IP hit": 5_000 },
  },
  p99Ms: 20,
  streamRecordsPerSecond: 200_000,
  streamPeakRssMb: 300,
  pssl: {
    ingestSessionsPerSecond: { embedded: 30_000, redis: 15_000 },
    requestsPerSecond: PSSL_REQUESTS_PER_SECOND,
    p99Ms: 25,
  },
  lookup: {
    /** Latency to the last byte, per lookup (the time-fenced one and the bulk request have none). */
    latencyMs: LOOKUP_LATENCY_MS,
    /** 1,000 separate requests over one keep-alive connection / one bulk request of the same names. */
    bulkSpeedup: 10,
  },
} as const;

const MB = 1024 * 1024;

export function integer(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function met(value: number, target: Target): boolean {
  return target.at === "least" ? value >= target.value : value <= target.value;
}

/** A figure with a ✓ or ✗ for its target. */
function judged(text: string, value: number, target: Target | undefined): string {
  if (!target) return text;
  return `${text} ${met(value, target) ? "✓" : "✗"}`;
}

function targetText(target: Target | undefined, unit = ""): string {
  if (!target) return "—";
  return `${target.at === "least" ? "≥" : "≤"} ${integer(target.value)}${unit}`;
}

/** A markdown table with padded columns, so that it reads as a table in a terminal too. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function machineTable(machine: Machine, date: Date): string {
  return table(
    ["date", "CPUs", "CPU model", "RAM", "Node", "kernel"],
    [
      [
        date.toISOString().slice(0, 16).replace("T", " "),
        `${machine.cpus}`,
        machine.cpuModel,
        `${machine.memoryGb} GB`,
        machine.node,
        machine.kernel,
      ],
    ],
  );
}

export function corpusTable(shape: CorpusShape): string {
  const main = table(
    ["lines", "distinct names", "distinct tuples", "distinct A/AAAA addresses", "size"],
    [
      [
        integer(shape.lines),
        `${integer(shape.distinctNames)} (${((shape.distinctNames / shape.lines) * 100).toFixed(0)}%)`,
        integer(shape.distinctTuples),
        integer(shape.distinctAddresses),
        `${(shape.bytes / MB).toFixed(0)} MB`,
      ],
    ],
  );
  const mix = Object.entries(shape.linesByType)
    .sort(([, a], [, b]) => b - a)
    .map(
      ([type, n]) => `${/^\d+$/.test(type) ? `TYPE${type}` : type} ${((n / shape.lines) * 100).toFixed(1)}%`,
    )
    .join(", ");
  return `${main}\n\nLines per rrtype: ${mix}.`;
}

export function ingestTable(figures: readonly IngestFigures[]): string {
  const rows = figures.map((f) => {
    const rate = f.lines / f.seconds;
    const perRecord = f.storageBytes / f.records;
    const rateTarget: Target = { at: "least", value: TARGETS.ingestLinesPerSecond[f.backend] };
    const bytesTarget: Target = { at: "most", value: TARGETS.bytesPerRecord[f.backend] };
    return [
      f.backend,
      f.mode,
      judged(integer(rate), rate, rateTarget),
      targetText(rateTarget),
      `${f.seconds.toFixed(1)} s`,
      integer(f.records),
      `${f.rejected}`,
      judged(integer(perRecord), perRecord, bytesTarget),
      targetText(bytesTarget),
      f.storageNote,
    ];
  });
  return table(
    [
      "backend",
      "pipeline",
      "lines/s",
      "target",
      "time",
      "distinct records",
      "rejected",
      "bytes/record",
      "target",
      "measured as",
    ],
    rows,
  );
}

export function queryTable(results: ReadonlyArray<{ backend: Backend; figures: QueryFigures[] }>): string {
  const rows = results.flatMap(({ backend, figures }) =>
    figures.map((f) => {
      const rpsTarget: Target | undefined =
        f.query === "miss" ? undefined : { at: "least", value: TARGETS.requestsPerSecond[backend][f.query] };
      return queryRow(backend, f.query, f, rpsTarget, { at: "most", value: TARGETS.p99Ms });
    }),
  );
  return table(
    ["backend", "query", "req/s", "target", "p50 ms", "p99 ms", "target", "non-2xx", "errors", "other CPU"],
    rows,
  );
}

export interface StreamRow {
  backend: Backend;
  ingestSeconds: number;
  answer: StreamFigures;
  rssBefore: number;
  peakRss: number;
  peakAnon: number;
  peakFile: number;
}

export function streamTable(rows: readonly StreamRow[]): string {
  const rateTarget: Target = { at: "least", value: TARGETS.streamRecordsPerSecond };
  const rssTarget: Target = { at: "most", value: TARGETS.streamPeakRssMb };
  return table(
    [
      "backend",
      "records",
      "first byte",
      "last byte",
      "records/s",
      "target",
      "server peak RSS",
      "target",
      "heap (anon)",
      "file-mapped",
      "RSS before",
      "answer size",
      "ingest of the name",
    ],
    rows.map((r) => {
      const rate = r.answer.records / (r.answer.lastByteMs / 1000);
      const peakMb = r.peakRss / MB;
      return [
        r.backend,
        integer(r.answer.records),
        `${integer(r.answer.firstByteMs)} ms`,
        `${(r.answer.lastByteMs / 1000).toFixed(2)} s`,
        judged(integer(rate), rate, rateTarget),
        targetText(rateTarget),
        judged(`${integer(peakMb)} MB`, peakMb, rssTarget),
        `< ${integer(rssTarget.value)} MB`,
        `${integer(r.peakAnon / MB)} MB`,
        `${integer(r.peakFile / MB)} MB`,
        `${integer(r.rssBefore / MB)} MB`,
        `${(r.answer.bytes / MB).toFixed(0)} MB`,
        `${r.ingestSeconds.toFixed(1)} s`,
      ];
    }),
  );
}

function percent(part: number, whole: number): string {
  return `${((part / whole) * 100).toFixed(0)}%`;
}

export function tlsCorpusTable(shape: TlsCorpusShape): string {
  const leaves = Object.entries(shape.leavesByKey)
    .map(([key, n]) => `${n} ${key}`)
    .join(", ");
  const leafCount = Object.values(shape.leavesByKey).reduce((sum, n) => sum + n, 0);
  const withoutCertificate = shape.sessionsWithoutCertificate;
  const spread = shape.endpointsPerLeaf;
  return table(
    [
      "sessions",
      "without certificate",
      "certificates",
      "server addresses",
      "endpoints (ip, port)",
      "sightings (ip, port, certificate)",
      "endpoints per certificate",
      "JA3 / JA3S",
      "size",
      "line average",
    ],
    [
      [
        integer(shape.sessions),
        `${integer(withoutCertificate)} (${percent(withoutCertificate, shape.sessions)})`,
        `${shape.certificates}: ${leaves} leaves, ${shape.certificates - leafCount} issuing CAs`,
        `${integer(shape.addresses)} (${percent(shape.ipv6Addresses, shape.addresses)} IPv6)`,
        integer(shape.endpoints),
        integer(shape.sightings),
        `${integer(spread.max)} most, ${integer(spread.median)} median, ${integer(spread.min)} least`,
        `${shape.ja3} / ${shape.ja3s}`,
        `${integer(shape.bytes / MB)} MB`,
        `${integer(shape.bytes / shape.sessions)} B`,
      ],
    ],
  );
}

export function psslIngestTable(figures: readonly TlsIngestFigures[]): string {
  return table(
    [
      "backend",
      "pipeline",
      "sessions/s",
      "target",
      "input MB/s",
      "time",
      "sessions",
      "certificates",
      "rejected",
    ],
    figures.map((f) => {
      const rate = f.sessions / f.seconds;
      const target: Target = { at: "least", value: TARGETS.pssl.ingestSessionsPerSecond[f.backend] };
      return [
        f.backend,
        f.mode,
        judged(integer(rate), rate, target),
        targetText(target),
        integer(f.bytes / MB / f.seconds),
        `${f.seconds.toFixed(1)} s`,
        integer(f.sessions),
        `${f.certificates}`,
        `${f.rejected}`,
      ];
    }),
  );
}

function megabytes(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** Each store's size divided by certificates and by sightings, then split into its two parts. */
export function psslStorageTable(figures: readonly TlsIngestFigures[], shape: TlsCorpusShape): string {
  const perCertificate = (bytes: number) => `${integer(bytes / shape.certificates)} B`;
  const perSighting = (bytes: number) => `${integer(bytes / shape.sightings)} B`;
  const rows = figures.flatMap((f) => {
    const s = f.storage;
    if (!s) return [];
    const whole = (what: string, bytes: number, note = "") => [
      f.backend,
      what,
      megabytes(bytes),
      perCertificate(bytes),
      perSighting(bytes),
      note,
    ];
    const part = (what: string, bytes: number, ratios: [string, string]) => [
      f.backend,
      `of which ${what}`,
      megabytes(bytes),
      ...ratios,
      "",
    ];
    const measured =
      s.file === undefined
        ? [whole("used_memory growth", s.total, s.note)]
        : [whole("files", s.file, s.note), whole("compacted copy", s.total)];
    return [
      ...measured,
      part("blobs: certificates", s.blobs, [`**${perCertificate(s.blobs)}**`, "—"]),
      part("sets: sightings", s.sets, ["—", `**${perSighting(s.sets)}**`]),
    ];
  });
  return table(
    [
      "backend",
      "bytes of",
      "size",
      `per certificate (${integer(shape.certificates)})`,
      `per sighting (${integer(shape.sightings)})`,
      "measured as",
    ],
    rows,
  );
}

export function psslQueryTable(
  results: ReadonlyArray<{ backend: Backend; figures: PsslQueryFigures[] }>,
): string {
  const rows = results.flatMap(({ backend, figures }) =>
    figures.map((f) => {
      const rps = TARGETS.pssl.requestsPerSecond[f.query];
      const rpsTarget: Target | undefined = rps === undefined ? undefined : { at: "least", value: rps };
      const p99Target: Target | undefined = rpsTarget && { at: "most", value: TARGETS.pssl.p99Ms };
      return queryRow(backend, `\`${f.query}\``, f, rpsTarget, p99Target);
    }),
  );
  return table(
    ["backend", "query", "req/s", "target", "p50 ms", "p99 ms", "target", "non-2xx", "errors", "other CPU"],
    rows,
  );
}

/** One row of a query table: throughput and latency against their targets, failures, other CPU. */
function queryRow(
  backend: string,
  label: string,
  f: LoadFigures,
  rpsTarget: Target | undefined,
  p99Target: Target | undefined,
): string[] {
  return [
    backend,
    label,
    judged(integer(f.requestsPerSecond), f.requestsPerSecond, rpsTarget),
    targetText(rpsTarget),
    `${f.p50Ms}`,
    judged(`${f.p99Ms}`, f.p99Ms, p99Target),
    targetText(p99Target),
    `${f.non2xx}`,
    `${f.errors}`,
    f.othersCpu === undefined ? "?" : `${(f.othersCpu * 100).toFixed(0)}%`,
  ];
}

function share(value: number | undefined): string {
  return value === undefined ? "?" : `${(value * 100).toFixed(0)}%`;
}

function milliseconds(ms: number): string {
  return ms < 100 ? `${ms.toFixed(1)} ms` : `${integer(ms)} ms`;
}

/** How each backend's store was filled for the lookups. */
export function lookupBuildTable(results: readonly LookupFigures[]): string {
  return table(
    [
      "backend",
      "lines",
      "distinct records",
      "rejected",
      "fill time",
      "lines/s",
      "store size",
      "other CPU",
      "then fresh lines (new records)",
    ],
    results.map(({ build: b }) => [
      b.backend,
      integer(b.lines),
      integer(b.records),
      `${b.rejected}`,
      `${b.seconds.toFixed(0)} s`,
      integer(b.lines / b.seconds),
      b.storage,
      share(b.othersCpu),
      `${integer(b.freshLines)} (${integer(b.freshRecords)})`,
    ]),
  );
}

/** One backend's lookups: latency to the last byte against the targets, and the bulk speed-up. */
export function lookupTable(result: LookupFigures): string {
  const rows = result.latencies.map((f) => {
    const limit = TARGETS.lookup.latencyMs[f.kind];
    const target: Target | undefined = limit === undefined ? undefined : { at: "most", value: limit };
    return [
      f.kind,
      f.value,
      f.scanned === undefined ? integer(f.records) : `${integer(f.records)} of ${integer(f.scanned)}`,
      judged(milliseconds(f.p50Ms), f.p50Ms, target),
      judged(milliseconds(f.p99Ms), f.p99Ms, target),
      targetText(target, " ms"),
      share(f.othersCpu),
    ];
  });
  const { bulk } = result;
  const speedup: Target = { at: "least", value: TARGETS.lookup.bulkSpeedup };
  rows.push(
    [
      "the same names one by one",
      `${integer(bulk.names)} × \`GET /pdns/query/<name>\`, one keep-alive connection`,
      integer(bulk.records),
      `${milliseconds(bulk.separateMs)} in all (median of ${bulk.rounds} rounds)`,
      "",
      "",
      share(bulk.othersCpu),
    ],
    [
      "bulk speed-up",
      "time of the separate requests / bulk p50",
      "",
      judged(`${bulk.ratio.toFixed(1)}×`, bulk.ratio, speedup),
      "",
      `≥ ${speedup.value}×`,
      "",
    ],
  );
  return table(["lookup", "value", "records", "p50", "p99", "target", "other CPU"], rows);
}

const LIVE_PATHS: Record<LivePath, string> = {
  HTTP: "`POST /ingest/passivedns`",
  "HTTP gzip": "`POST /ingest/passivedns`, gzip",
  "D4 queue": "D4 analyzer queue, `d4 consume --once`",
  "D4 endpoint": "D4 endpoint (TLS, type 8)",
};

/** CPU seconds over wall seconds, as a share of one core. */
function coreShare(cpu: number | undefined, seconds: number): string {
  return cpu === undefined ? "—" : `${((cpu / seconds) * 100).toFixed(0)}%`;
}

/** Records/s through each live ingestion path, per backend. */
export function liveIngestTable(figures: readonly LiveFigures[]): string {
  return table(
    [
      "backend",
      "path",
      "records/s",
      "time",
      "lines",
      "records written",
      "rejected",
      "sent",
      "ingesting process CPU",
      "Redis CPU",
      "other CPU",
      "notes",
    ],
    figures.map((f) => [
      f.backend,
      LIVE_PATHS[f.path],
      integer(f.lines / f.seconds),
      `${f.seconds.toFixed(2)} s`,
      integer(f.lines),
      integer(f.records),
      `${f.rejected}`,
      megabytes(f.bytes),
      coreShare(f.ingestCpu, f.seconds),
      coreShare(f.redisCpu, f.seconds),
      share(f.othersCpu),
      f.note,
    ]),
  );
}

/** Requests/s of one query with 1, 2... worker processes. */
export function workersTable(figures: readonly WorkersFigures[]): string {
  const base = figures[0]?.requestsPerSecond ?? 0;
  return table(
    ["workers", "requests/s", "p50 ms", "p99 ms", "vs 1 worker", "non-2xx", "other CPU"],
    figures.map((f) => [
      String(f.workers),
      integer(f.requestsPerSecond),
      String(f.p50Ms),
      String(f.p99Ms),
      base > 0 ? `${(f.requestsPerSecond / base).toFixed(2)}×` : "",
      String(f.non2xx),
      f.othersCpu === undefined ? "" : `${Math.round(f.othersCpu * 100)}%`,
    ]),
  );
}
