/**
 * The HTTP load generators: a sensor posting passivedns batches (streamed bodies) and ja3-jl batches,
 * and query clients asking the CIRCL, DNSDB and passive SSL routes for values the store is known to
 * hold, each answer checked for the record it must contain. Each runs until `running()` turns false,
 * finishing the exchange in hand, and counts into the Tally; errors are counted, never thrown.
 */
import { Readable } from "node:stream";
import { Draw } from "../../bench/prng.js";
import type { KnownValues, SyntheticDns, SyntheticTls } from "./data.js";
import { type Answer, clientAgent, exchange, failureKind } from "./http-client.js";
import { Pacer, sleep } from "./pacer.js";
import type { QueryRoute, Tally } from "./tally.js";

/** After an error, a generator waits this long before its next exchange. */
const ERROR_PAUSE_MS = 500;
/** TLS sessions per ja3-jl POST. */
const TLS_BATCH = 50;

export interface IngestTarget {
  baseUrl: string;
  /** The sensor user's credential. */
  authorization: string;
}

const ok = (answer: Answer) => answer.status >= 200 && answer.status <= 299;

/** Runs `step` until `running()` turns false; a step that throws is counted as `<what>:<code>`. */
async function loop(what: string, tally: Tally, running: () => boolean, step: () => Promise<void>) {
  while (running()) {
    try {
      await step();
    } catch (error) {
      tally.error(`${what}:${failureKind(error)}`, String(error));
      await sleep(ERROR_PAUSE_MS);
    }
  }
}

/**
 * POSTs synthetic passivedns lines to /ingest/passivedns, `batchLines` per request, body streamed in
 * chunks, at `linesPerSecond`; the names of the batch's A records join `known` once the answer (sent
 * after the last batch is committed) comes back.
 */
export function postPassiveDns(
  target: IngestTarget,
  options: { linesPerSecond: number; batchLines: number },
  lines: SyntheticDns,
  known: KnownValues,
  tally: Tally,
  running: () => boolean,
): Promise<void> {
  const agent = clientAgent();
  const pacer = new Pacer(options.linesPerSecond);
  const headers = { authorization: target.authorization, "content-type": "text/plain" };
  return loop("ingest-passivedns", tally, running, async () => {
    await pacer.take(options.batchLines);
    if (!running()) return;
    const batch = lines.batch(options.batchLines);
    const body = Readable.from(batch.chunks);
    const answer = await exchange(agent, `${target.baseUrl}/ingest/passivedns`, {
      method: "POST",
      headers,
      body,
    });
    if (!ok(answer)) {
      tally.error(`ingest-passivedns:${answer.status}`, answer.body.slice(0, 200));
      return;
    }
    const summary = JSON.parse(answer.body) as {
      lines: number;
      records: number;
      rejected: Record<string, number>;
    };
    tally.httpRecords(summary.records);
    if (summary.lines !== batch.lines) {
      tally.error("ingest-passivedns:lines-missing", answer.body.slice(0, 200));
    }
    if (Object.values(summary.rejected).some((n) => n > 0)) {
      tally.error("ingest-passivedns:rejected", answer.body.slice(0, 200));
    }
    for (const [name, address] of batch.known) known.addName(name, address);
  }).finally(() => agent.destroy());
}

/** POSTs ja3-jl sessions to /ingest/ja3-jl at `sessionsPerSecond`, 50 per request. */
export function postTls(
  target: IngestTarget,
  sessionsPerSecond: number,
  sessions: SyntheticTls,
  known: KnownValues,
  tally: Tally,
  running: () => boolean,
): Promise<void> {
  const agent = clientAgent();
  const pacer = new Pacer(sessionsPerSecond);
  const headers = { authorization: target.authorization, "content-type": "application/x-ndjson" };
  return loop("ingest-ja3-jl", tally, running, async () => {
    await pacer.take(TLS_BATCH);
    if (!running()) return;
    const batch = sessions.batch(TLS_BATCH);
    const url = `${target.baseUrl}/ingest/ja3-jl`;
    const answer = await exchange(agent, url, { method: "POST", headers, body: batch.body });
    if (!ok(answer)) {
      tally.error(`ingest-ja3-jl:${answer.status}`, answer.body.slice(0, 200));
      return;
    }
    const summary = JSON.parse(answer.body) as { sessions: number; rejected: Record<string, number> };
    tally.tlsSessions(summary.sessions);
    if (Object.values(summary.rejected).some((n) => n > 0)) {
      tally.error("ingest-ja3-jl:rejected", answer.body.slice(0, 200));
    }
    for (const [address, certificate] of batch.seen) known.addTls(address, certificate);
  }).finally(() => agent.destroy());
}

/** One query: its route, URL path and headers, and what its answer must contain. */
interface Query {
  route: QueryRoute;
  path: string;
  headers: Record<string, string>;
  check(body: string): boolean;
}

const ROUTE_WEIGHTS: ReadonlyArray<readonly [QueryRoute, number]> = [
  ["circl-name", 30],
  ["dnsdb-rrset", 20],
  ["dnsdb-rdata-ip", 20],
  ["pssl-query", 15],
  ["pssl-cquery", 15],
];

/** The analyst's token as each client family sends it: curl -u, dnsdbq's X-API-Key, PyPSSL's bare header. */
export interface AnalystCredentials {
  basic: string;
  token: string;
}

/** Draws a query among the routes, for a value of `known`; undefined while nothing is known yet. */
function drawQuery(draw: Draw, known: KnownValues, credentials: AnalystCredentials): Query | undefined {
  const route = draw.weighted(ROUTE_WEIGHTS);
  const dnsdb = { "x-api-key": credentials.token, accept: "application/x-ndjson" };
  if (route === "circl-name" || route === "dnsdb-rrset" || route === "dnsdb-rdata-ip") {
    if (known.size === 0) return undefined;
    if (route === "dnsdb-rdata-ip") {
      const address = known.pickAddress(draw);
      const check = (body: string) =>
        body.includes(`"${address}"`) && /"cond":"(succeeded|limited)"/.test(body);
      return { route, path: `/dnsdb/v2/lookup/rdata/ip/${address}`, headers: dnsdb, check };
    }
    const name = known.pickName(draw);
    if (route === "circl-name") {
      const check = (body: string) => body.includes(`"rrname":"${name}"`);
      return { route, path: `/pdns/query/${name}`, headers: { authorization: credentials.basic }, check };
    }
    const check = (body: string) =>
      body.includes(`"rrname":"${name}"`) && /"cond":"(succeeded|limited)"/.test(body);
    return { route, path: `/dnsdb/v2/lookup/rrset/name/${name}`, headers: dnsdb, check };
  }
  const psslHeaders = { authorization: credentials.token };
  if (route === "pssl-query") {
    if (known.tlsAddresses.length === 0) return undefined;
    const address = draw.pick(known.tlsAddresses);
    const check = (body: string) => body.includes(`"${address}":`);
    return { route, path: `/v2pssl/query/${address}`, headers: psslHeaders, check };
  }
  if (known.certificates.length === 0) return undefined;
  const sha1 = draw.pick(known.certificates);
  const check = (body: string) => {
    const answer = JSON.parse(body) as { hits?: number };
    return (answer.hits ?? 0) > 0;
  };
  return { route, path: `/v2pssl/cquery/${sha1}`, headers: psslHeaders, check };
}

/**
 * One query client on its own keep-alive connection, paced at `perSecond` (0: as fast as answers come).
 * A non-2xx answer counts as `query-<route>:<status>`, a network error as `query-<route>:<code>`, and an
 * answer without the record the value must have as `query-<route>:missing`.
 */
export async function queryClient(
  baseUrl: string,
  credentials: AnalystCredentials,
  perSecond: number,
  seed: number,
  known: KnownValues,
  tally: Tally,
  running: () => boolean,
): Promise<void> {
  const agent = clientAgent();
  const draw = new Draw(seed);
  const pacer = perSecond > 0 ? new Pacer(perSecond) : undefined;
  try {
    while (running()) {
      await pacer?.take(1);
      const query = drawQuery(draw, known, credentials);
      if (!query || !running()) {
        if (!query) await sleep(100);
        continue;
      }
      const started = performance.now();
      try {
        const answer = await exchange(agent, `${baseUrl}${query.path}`, { headers: query.headers });
        const what = `GET ${query.path}: HTTP ${answer.status} after ${answer.ms.toFixed(0)} ms`;
        if (!ok(answer))
          tally.error(`query-${query.route}:${answer.status}`, `${what} ${answer.body.slice(0, 200)}`);
        else {
          tally.query(query.route, answer.ms);
          if (!query.check(answer.body))
            tally.error(`query-${query.route}:missing`, `${what} ${answer.body.slice(0, 200)}`);
        }
      } catch (error) {
        const ms = (performance.now() - started).toFixed(0);
        tally.error(
          `query-${query.route}:${failureKind(error)}`,
          `GET ${query.path} after ${ms} ms: ${String(error)}`,
        );
        await sleep(ERROR_PAUSE_MS);
      }
    }
  } finally {
    agent.destroy();
  }
}
