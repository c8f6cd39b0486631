/**
 * Query throughput and latency over real HTTP: autocannon (in this process) against a server child
 * process, with HTTP Basic credentials, for a name hit, an IP hit and a miss.
 */
import autocannon from "autocannon";
import { KNOWN } from "./corpus.js";
import { cpuSnapshot, othersShare } from "./machine.js";

export type QueryKind = "name hit" | "IP hit" | "miss";

/** What one load of one URL measured. */
export interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Share of all CPUs used by processes other than the bench, the server and Redis during the load. */
  othersCpu: number | undefined;
}

export interface QueryFigures extends LoadFigures {
  query: QueryKind;
}

export interface LoadOptions {
  seconds: number;
  warmupSeconds: number;
  connections: number;
  /** The server's (and Redis') processes, whose CPU is not "other". */
  pids: number[];
}

const PATHS: Record<QueryKind, string> = {
  "name hit": `/pdns/query/${KNOWN.nameHit}`,
  "IP hit": `/pdns/query/${KNOWN.ipHit}`,
  miss: `/pdns/query/${KNOWN.miss}`,
};

async function recordsOf(baseUrl: string, kind: QueryKind, authorization: string) {
  const response = await fetch(`${baseUrl}${PATHS[kind]}`, { headers: { authorization } });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${kind}: HTTP ${response.status} ${body.slice(0, 200)}`);
  return body
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as { rrname: string; rrtype: string; rdata: string });
}

/** Throws unless each query answers exactly the records planted in the corpus. */
export async function checkAnswers(baseUrl: string, authorization: string): Promise<void> {
  const name = await recordsOf(baseUrl, "name hit", authorization);
  if (name.length !== KNOWN.nameHitRecords || name.some((r) => r.rrname !== KNOWN.nameHit)) {
    throw new Error(
      `name hit: expected ${KNOWN.nameHitRecords} records of ${KNOWN.nameHit}, got ${name.length}`,
    );
  }
  const ip = await recordsOf(baseUrl, "IP hit", authorization);
  const names = new Set(ip.map((r) => r.rrname));
  if (
    ip.length !== KNOWN.ipHitNames ||
    names.size !== KNOWN.ipHitNames ||
    ip.some((r) => r.rdata !== KNOWN.ipHit)
  ) {
    throw new Error(`IP hit: expected ${KNOWN.ipHitNames} A records of distinct names, got ${ip.length}`);
  }
  const miss = await recordsOf(baseUrl, "miss", authorization);
  if (miss.length !== 0) throw new Error(`miss: expected no record, got ${miss.length}`);
}

function load(url: string, authorization: string, seconds: number, connections: number) {
  return autocannon({ url, connections, duration: seconds, headers: { authorization }, timeout: 10 });
}

/** Warms `url` up for the warm-up seconds (unmeasured). */
export async function warmUp(url: string, authorization: string, options: LoadOptions): Promise<void> {
  await load(url, authorization, options.warmupSeconds, options.connections);
}

/** Loads `url` for `seconds` at `connections` connections, watching what else uses the CPUs. */
export async function measureLoad(
  url: string,
  authorization: string,
  options: LoadOptions,
): Promise<LoadFigures> {
  const before = cpuSnapshot(options.pids);
  const result = await load(url, authorization, options.seconds, options.connections);
  const after = cpuSnapshot(options.pids);
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    othersCpu: before && after ? othersShare(before, after) : undefined,
  };
}

/** Warms the server up briefly, then loads each query for `seconds` at `connections` connections. */
export async function loadQueries(
  baseUrl: string,
  authorization: string,
  options: LoadOptions,
): Promise<QueryFigures[]> {
  // The first seconds of a Node process run unoptimised code; they are not what is being measured.
  for (const kind of ["name hit", "IP hit"] as const) {
    await warmUp(`${baseUrl}${PATHS[kind]}`, authorization, options);
  }
  const figures: QueryFigures[] = [];
  for (const kind of ["name hit", "IP hit", "miss"] as const) {
    figures.push({ query: kind, ...(await measureLoad(`${baseUrl}${PATHS[kind]}`, authorization, options)) });
  }
  return figures;
}
