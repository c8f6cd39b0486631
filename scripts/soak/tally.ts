/**
 * What the load generators did, counted per period (one printed row) and over the whole run: records
 * ingested per path, queries and their latencies per route, and errors by kind.
 */

/** The query routes the clients call. */
export const QUERY_ROUTES = [
  "circl-name",
  "dnsdb-rrset",
  "dnsdb-rdata-ip",
  "pssl-query",
  "pssl-cquery",
] as const;
export type QueryRoute = (typeof QUERY_ROUTES)[number];

/** Counts of one period (or of the whole run). */
export interface Counts {
  /** passivedns records the HTTP ingest answers confirmed written. */
  httpRecords: number;
  /** TLS sessions the ja3-jl ingest answers confirmed written. */
  tlsSessions: number;
  /** passivedns lines sent to the D4 endpoint (what it wrote comes from the server's metrics). */
  d4LinesSent: number;
  /** Latencies in ms, per route. */
  latencies: Record<QueryRoute, number[]>;
  /** Errors by kind: `<what>:<HTTP status or network error code>`. */
  errors: Map<string, number>;
}

function emptyCounts(): Counts {
  const latencies = {} as Record<QueryRoute, number[]>;
  for (const route of QUERY_ROUTES) latencies[route] = [];
  return { httpRecords: 0, tlsSessions: 0, d4LinesSent: 0, latencies, errors: new Map() };
}

/** Nearest-rank percentile of ascending `sorted` (undefined when empty). */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** Every latency of `counts`, ascending. */
export function allLatencies(counts: Counts): number[] {
  return QUERY_ROUTES.flatMap((route) => counts.latencies[route]).sort((a, b) => a - b);
}

export function errorTotal(counts: Counts): number {
  let total = 0;
  for (const n of counts.errors.values()) total += n;
  return total;
}

/** The counters the load generators add to; the sampler takes one period's worth at a time. */
export class Tally {
  #period = emptyCounts();
  readonly total = emptyCounts();
  /** The first occurrence of each error kind: when, and what was said (a message, an answer's start). */
  readonly firstErrors = new Map<string, { at: string; detail: string }>();

  #both(change: (counts: Counts) => void): void {
    change(this.#period);
    change(this.total);
  }

  httpRecords(n: number): void {
    this.#both((c) => {
      c.httpRecords += n;
    });
  }

  tlsSessions(n: number): void {
    this.#both((c) => {
      c.tlsSessions += n;
    });
  }

  d4Lines(n: number): void {
    this.#both((c) => {
      c.d4LinesSent += n;
    });
  }

  query(route: QueryRoute, ms: number): void {
    this.#both((c) => {
      c.latencies[route].push(ms);
    });
  }

  error(kind: string, detail = ""): void {
    if (!this.firstErrors.has(kind)) this.firstErrors.set(kind, { at: new Date().toISOString(), detail });
    this.#both((c) => {
      c.errors.set(kind, (c.errors.get(kind) ?? 0) + 1);
    });
  }

  /** The counts since the last call, and a fresh period. */
  takePeriod(): Counts {
    const period = this.#period;
    this.#period = emptyCounts();
    return period;
  }
}
