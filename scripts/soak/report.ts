/**
 * The soak's output: one row per period (a line of the printed table, an object of the JSON file) and
 * the summary at the end: totals, errors, memory first/last/max and whether it levelled off.
 */
import type { ServerFigures } from "./server-figures.js";
import { allLatencies, type Counts, errorTotal, percentile, QUERY_ROUTES, type QueryRoute } from "./tally.js";

export interface RouteFigures {
  queries: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** One period. Rates are per second over the period; null where the figure could not be read. */
export interface SoakRow {
  /** Minutes since the load started, at the end of the period. */
  minute: number;
  seconds: number;
  httpRecordsPerSecond: number;
  tlsSessionsPerSecond: number;
  /** Records the server's D4 endpoint wrote (its metrics). */
  d4RecordsPerSecond: number | null;
  d4LinesSentPerSecond: number;
  queriesPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  routes: Record<QueryRoute, RouteFigures>;
  errors: number;
  errorKinds: Record<string, number>;
  rssMb: number | null;
  pssMb: number | null;
  anonMb: number | null;
  heapMb: number | null;
  storeMb: number | null;
  /** The server's CPU over the period, in % of one core. */
  serverCpuPercent: number | null;
  /** CPU other processes used (not the soak, not the server it started), in % of all cores. */
  otherCpuPercent: number | null;
  eventLoopLagP99Ms: number | null;
  eventLoopLagMaxMs: number | null;
  /** Lines the server logged at warn level and above during the period. */
  serverLogProblems: number;
}

const orNull = (value: number | undefined): number | null => (value === undefined ? null : value);

/** Per-second rate of a difference of two cumulative figures, null if either is unknown. */
function rateOf(before: number | undefined, after: number | undefined, seconds: number): number | null {
  return before === undefined || after === undefined ? null : Math.max(0, after - before) / seconds;
}

/** The figures of one period: what the load generators counted, and the server's state at its end. */
export function makeRow(
  minute: number,
  seconds: number,
  counts: Counts,
  before: ServerFigures,
  after: ServerFigures,
  otherCpuShare: number | undefined,
  serverLogProblems: number,
): SoakRow {
  const sorted = allLatencies(counts);
  const routes = Object.fromEntries(
    QUERY_ROUTES.map((route) => {
      const latencies = [...counts.latencies[route]].sort((a, b) => a - b);
      const figures: RouteFigures = {
        queries: latencies.length,
        p50Ms: orNull(percentile(latencies, 0.5)),
        p99Ms: orNull(percentile(latencies, 0.99)),
      };
      return [route, figures];
    }),
  ) as Record<QueryRoute, RouteFigures>;
  const cpu = rateOf(before.cpuSeconds, after.cpuSeconds, seconds);
  return {
    minute,
    seconds,
    httpRecordsPerSecond: counts.httpRecords / seconds,
    tlsSessionsPerSecond: counts.tlsSessions / seconds,
    d4RecordsPerSecond: rateOf(before.d4Records, after.d4Records, seconds),
    d4LinesSentPerSecond: counts.d4LinesSent / seconds,
    queriesPerSecond: sorted.length / seconds,
    p50Ms: orNull(percentile(sorted, 0.5)),
    p99Ms: orNull(percentile(sorted, 0.99)),
    maxMs: orNull(sorted[sorted.length - 1]),
    routes,
    errors: errorTotal(counts),
    errorKinds: Object.fromEntries(counts.errors),
    rssMb: orNull(after.rssMb),
    pssMb: orNull(after.pssMb),
    anonMb: orNull(after.anonMb),
    heapMb: orNull(after.heapMb),
    storeMb: orNull(after.storeMb),
    serverCpuPercent: cpu === null ? null : cpu * 100,
    otherCpuPercent: otherCpuShare === undefined ? null : otherCpuShare * 100,
    eventLoopLagP99Ms: orNull(after.eventLoopLagP99Ms),
    eventLoopLagMaxMs: orNull(after.eventLoopLagMaxMs),
    serverLogProblems,
  };
}

/** A column of the table: its header, width and how a row fills it. */
type Column = readonly [header: string, width: number, cell: (row: SoakRow) => string];

const fixed = (value: number | null, digits = 0) =>
  value === null
    ? "-"
    : value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

const COLUMNS: readonly Column[] = [
  ["min", 5, (r) => r.minute.toFixed(r.seconds >= 60 ? 1 : 2)],
  ["http rec/s", 10, (r) => fixed(r.httpRecordsPerSecond)],
  ["tls/s", 5, (r) => fixed(r.tlsSessionsPerSecond)],
  ["d4 rec/s", 8, (r) => fixed(r.d4RecordsPerSecond)],
  ["queries/s", 9, (r) => fixed(r.queriesPerSecond)],
  ["p50 ms", 6, (r) => fixed(r.p50Ms, 1)],
  ["p99 ms", 6, (r) => fixed(r.p99Ms, 1)],
  ["errors", 6, (r) => String(r.errors)],
  ["rss MB", 6, (r) => fixed(r.rssMb)],
  ["pss MB", 6, (r) => fixed(r.pssMb)],
  ["anon MB", 7, (r) => fixed(r.anonMb)],
  ["heap MB", 7, (r) => fixed(r.heapMb)],
  ["store MB", 8, (r) => fixed(r.storeMb)],
  ["srv cpu", 7, (r) => (r.serverCpuPercent === null ? "-" : `${fixed(r.serverCpuPercent)}%`)],
  ["other cpu", 9, (r) => (r.otherCpuPercent === null ? "-" : `${fixed(r.otherCpuPercent)}%`)],
  ["loop max ms", 11, (r) => fixed(r.eventLoopLagMaxMs)],
];

export function tableHeader(): string {
  return COLUMNS.map(([header, width]) => header.padStart(width)).join("  ");
}

/** One printed line; the kinds of the period's errors (and the server's warnings) follow the columns. */
export function tableLine(row: SoakRow): string {
  const cells = COLUMNS.map(([, width, cell]) => cell(row).padStart(width)).join("  ");
  const kinds = Object.entries(row.errorKinds).map(([kind, n]) => `${kind}×${n}`);
  if (row.serverLogProblems > 0) kinds.push(`server-log-warnings×${row.serverLogProblems}`);
  return kinds.length > 0 ? `${cells}  ${kinds.join(" ")}` : cells;
}

/** Least-squares slope of y over x (MB per minute), undefined with fewer than two points. */
function slope(points: ReadonlyArray<readonly [number, number]>): number | undefined {
  if (points.length < 2) return undefined;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  }
  return den === 0 ? undefined : num / den;
}

/** Below this growth (MB/min) a memory figure is flat whatever its first half did. */
const FLAT_MB_PER_MINUTE = 2;
const MIN_ROWS_FOR_VERDICT = 4;

export interface Levelling {
  first: number;
  last: number;
  max: number;
  firstHalfSlope: number | null;
  lastHalfSlope: number | null;
  /** True when the last half grew less than half as fast as the first, or under 2 MB/min; null: too few rows. */
  levelledOff: boolean | null;
}

/** Whether a memory figure levelled off: the slope of its last half against its first half's. */
export function levelling(
  rows: readonly SoakRow[],
  figure: (row: SoakRow) => number | null,
): Levelling | null {
  const points = rows.flatMap((row) => {
    const value = figure(row);
    return value === null ? [] : [[row.minute, value] as const];
  });
  if (points.length === 0) return null;
  const values = points.map(([, y]) => y);
  const half = Math.floor(points.length / 2);
  const firstHalfSlope = slope(points.slice(0, half));
  const lastHalfSlope = slope(points.slice(half));
  let levelledOff: boolean | null = null;
  if (points.length >= MIN_ROWS_FOR_VERDICT && firstHalfSlope !== undefined && lastHalfSlope !== undefined) {
    levelledOff = lastHalfSlope <= Math.max(FLAT_MB_PER_MINUTE, firstHalfSlope / 2);
  }
  return {
    first: values[0] as number,
    last: values[values.length - 1] as number,
    max: Math.max(...values),
    firstHalfSlope: orNull(firstHalfSlope),
    lastHalfSlope: orNull(lastHalfSlope),
    levelledOff,
  };
}

export function levellingText(name: string, figures: Levelling | null): string {
  if (!figures) return `${name}: not measured`;
  const perMinute = (value: number | null) =>
    value === null ? "-" : `${value >= 0 ? "+" : ""}${value.toFixed(1)}`;
  const verdict =
    figures.levelledOff === null
      ? "too few rows to tell"
      : figures.levelledOff
        ? "levelled off"
        : "STILL GROWING";
  return (
    `${name}: first ${figures.first.toFixed(0)} MB, last ${figures.last.toFixed(0)} MB, max ${figures.max.toFixed(0)} MB; ` +
    `${perMinute(figures.firstHalfSlope)} MB/min in the first half, ${perMinute(figures.lastHalfSlope)} MB/min ` +
    `in the last: ${verdict}`
  );
}
