/**
 * Lookups over a big store (issue 5's benchmark): a store of 10,000,000 records (the full profile) is
 * filled from the lookup corpus (lookup-corpus.ts) through the real ingest pipeline, then a server
 * process answers, over one keep-alive connection with one analyst token, the lookups whose answers
 * are planted in it: a left-hand wildcard, a right-hand wildcard, a /24 and a /16 block, a time-fenced
 * wildcard, and a bulk request of 1,000 names (also compared with 1,000 separate requests).
 *
 * Each latency is measured to the last byte of the answer, over N sequential requests after a warm-up;
 * every answer's record count is checked, and the first answer of each lookup is checked record by
 * record.
 */
import { Agent, request } from "node:http";
import { openInput } from "../src/ingest/input.js";
import type { IngestSummary } from "../src/ingest/passivedns-batches.js";
import { DEFAULT_LAYOUT } from "../src/ingest/passivedns-parser.js";
import { ingestPassiveDnsPipelined } from "../src/ingest/pipelined-ingest.js";
import { openStore, type StoreSettings } from "../src/store/open-store.js";
import { diskUsage } from "./ingest-bench.js";
import { PLANTED } from "./lookup-corpus.js";
import { cpuSnapshot, othersShare } from "./machine.js";
import type { RedisServer } from "./redis-server.js";
import type { Backend } from "./report.js";

/**
 * Lines per write batch of the fill. The CLI writes 50,000 lines per transaction; on a store of
 * millions of records each LMDB transaction copies every page it touches, so bigger batches fill
 * faster (the store's content is the same).
 */
const FILL_BATCH_LINES = 500_000;

export interface BuildFigures {
  backend: Backend;
  /** Lines of the big file and the distinct records they created. */
  lines: number;
  records: number;
  rejected: number;
  seconds: number;
  /** Fresh lines ingested after it (the time-fenced lookup's recent records) and records they created. */
  freshLines: number;
  freshRecords: number;
  /** The store's size after the fill, as measured for this backend. */
  storage: string;
  /** Share of the CPUs used by other processes during the fill. */
  othersCpu: number | undefined;
}

function rejectedLines(summary: IngestSummary): number {
  return Object.values(summary.rejected).reduce((sum, n) => sum + (n ?? 0), 0);
}

/** Ingests `path` (parse worker + writer, as the CLI does) into the store of `settings`. */
async function fill(settings: StoreSettings, path: string, batchLines: number | undefined) {
  const store = await openStore(settings);
  try {
    const input = await openInput(path);
    const started = process.hrtime.bigint();
    const summary = await ingestPassiveDnsPipelined(input.stream, store, {
      sensorId: "bench",
      layout: DEFAULT_LAYOUT,
      ...(batchLines === undefined ? {} : { batchLines }),
    });
    return { summary, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    await store.close();
  }
}

const GB = 1024 ** 3;

/**
 * Fills an empty store with the big file, then the fresh lines: LMDB in `settings.dataDir` (which must
 * not exist yet), or the private Redis (emptied first, its `used_memory` measured around the fill).
 */
export async function buildLookupStore(
  backend: Backend,
  settings: StoreSettings,
  paths: { corpus: string; fresh: string },
  redis: RedisServer | undefined,
  log: (message: string) => void,
): Promise<BuildFigures> {
  await redis?.flushAll();
  const memoryBefore = (await redis?.usedMemory()) ?? 0;
  const pids = redis ? [redis.pid] : [];
  const before = cpuSnapshot(pids);
  const big = await fill(settings, paths.corpus, FILL_BATCH_LINES);
  const after = cpuSnapshot(pids);
  log(
    `  ${big.summary.lines.toLocaleString("en-US")} lines in ${big.seconds.toFixed(0)} s ` +
      `(${Math.round(big.summary.lines / big.seconds).toLocaleString("en-US")} lines/s)`,
  );
  const fresh = await fill(settings, paths.fresh, undefined);
  let storage: string;
  if (redis) {
    const grown = (await redis.usedMemory()) - memoryBefore;
    storage = `used_memory +${(grown / GB).toFixed(2)} GB`;
  } else {
    const { apparent } = await diskUsage(settings.dataDir);
    storage = `files ${(apparent / GB).toFixed(2)} GB`;
  }
  return {
    backend,
    lines: big.summary.lines,
    records: big.summary.created,
    rejected: rejectedLines(big.summary),
    seconds: big.seconds,
    freshLines: fresh.summary.lines,
    freshRecords: fresh.summary.created,
    storage,
    othersCpu: before && after ? othersShare(before, after) : undefined,
  };
}

export type LookupKind =
  | "left wildcard"
  | "right wildcard"
  | "/24 block"
  | "/16 block"
  | "time-fenced"
  | "bulk";

/** One lookup measured: N sequential requests on one keep-alive connection, to the last byte. */
export interface LatencyFigures {
  kind: LookupKind;
  /** What was asked, as the report prints it (markdown). */
  value: string;
  records: number;
  /** Records of the target before filtering, for the time-fenced lookup. */
  scanned?: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  othersCpu: number | undefined;
}

/** The bulk request against the same names asked one by one. */
export interface BulkFigures {
  names: number;
  records: number;
  /** Time of the 1,000 separate requests over one keep-alive connection, median of the rounds. */
  separateMs: number;
  rounds: number;
  bulkP50Ms: number;
  /** separateMs / bulkP50Ms. */
  ratio: number;
  othersCpu: number | undefined;
}

export interface LookupFigures {
  backend: Backend;
  build: BuildFigures;
  latencies: LatencyFigures[];
  bulk: BulkFigures;
}

export interface LookupOptions {
  /** Timed requests per lookup (after the warm-up). */
  requests: number;
  warmups: number;
  /** Rounds of 1,000 separate requests. */
  rounds: number;
  /** The server's (and Redis') processes, whose CPU is not "other". */
  pids: number[];
  /** The fresh lines' time: what the time fence is relative to. */
  freshSince: number;
}

interface Answer {
  status: number;
  body: Buffer;
  ms: number;
}

/** One HTTP exchange on the (single-socket, keep-alive) agent, timed to the answer's last byte. */
function exchange(
  agent: Agent,
  url: URL,
  authorization: string,
  method: "GET" | "POST",
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    const started = process.hrtime.bigint();
    const req = request(url, { agent, method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks), ms });
      });
      response.on("error", reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${url.pathname} took more than 60 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

function countLines(body: Buffer): number {
  let n = 0;
  for (let at = body.indexOf(10); at >= 0; at = body.indexOf(10, at + 1)) n++;
  return n;
}

interface CofRecord {
  rrname: string;
  rrtype: string;
  rdata: string;
  time_last: number;
  query?: string;
  summary?: { records: number; limited: boolean; error?: string };
}

function recordsOf(body: Buffer): CofRecord[] {
  return body
    .toString("utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as CofRecord);
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

interface LookupCase {
  kind: LookupKind;
  value: string;
  path: string;
  expected: number;
  scanned?: number;
  /** Throws unless one answer's records are the planted ones. */
  check(records: CofRecord[]): void;
}

function inBlock(prefix: string) {
  return (records: CofRecord[]) => {
    const stray = records.find((r) => r.rrtype !== "A" || !r.rdata.startsWith(prefix));
    if (stray) throw new Error(`a record outside the block: ${JSON.stringify(stray)}`);
    const distinct = new Set(records.map((r) => `${r.rrname} ${r.rdata}`));
    if (distinct.size !== records.length) throw new Error("a record came twice");
  };
}

function ownersMatch(test: (rrname: string) => boolean) {
  return (records: CofRecord[]) => {
    const stray = records.find((r) => r.rrtype !== "A" || !test(r.rrname));
    if (stray) throw new Error(`a record the lookup should not match: ${JSON.stringify(stray)}`);
    const distinct = new Set(records.map((r) => r.rrname));
    if (distinct.size !== records.length) throw new Error("expected one A record per name");
  };
}

function lookupCases(freshSince: number): LookupCase[] {
  const left = `*.${PLANTED.leftDomain}`;
  const right = `${PLANTED.rightLabels}.*`;
  const fenced = `*.${PLANTED.fencedDomain}`;
  const cutoff = Math.floor(Date.now() / 1000) - 86_400;
  return [
    {
      kind: "left wildcard",
      value: `\`${left}\``,
      path: `/pdns/query/${left}`,
      expected: PLANTED.leftNames,
      check: ownersMatch((name) => name.endsWith(`.${PLANTED.leftDomain}`)),
    },
    {
      kind: "right wildcard",
      value: `\`${right}\``,
      path: `/pdns/query/${right}`,
      expected: PLANTED.rightNames,
      check: ownersMatch((name) => name.startsWith(`${PLANTED.rightLabels}.`)),
    },
    {
      kind: "/24 block",
      value: `\`${PLANTED.block24}\``,
      path: `/pdns/query/${PLANTED.block24}`,
      expected: PLANTED.block24Addresses * PLANTED.block24NamesPerAddress,
      check: inBlock("203.0.113."),
    },
    {
      kind: "/16 block",
      value: `\`${PLANTED.block16}\``,
      path: `/pdns/query/${PLANTED.block16}`,
      expected: PLANTED.block16Records,
      check: inBlock("100.64."),
    },
    {
      kind: "time-fenced",
      value: `\`${fenced}?time_last_after=-86400\``,
      path: `/pdns/query/${fenced}?time_last_after=-86400`,
      expected: PLANTED.fencedSeenAgain + PLANTED.fencedNew,
      scanned: PLANTED.fencedNames + PLANTED.fencedNew,
      check(records) {
        ownersMatch((name) => name.endsWith(`.${PLANTED.fencedDomain}`))(records);
        const old = records.find((r) => r.time_last <= cutoff || r.time_last < freshSince);
        if (old) throw new Error(`an old record passed the time fence: ${JSON.stringify(old)}`);
      },
    },
  ];
}

/** Warms a lookup up (checking its first answer in full), then times `requests` sequential requests. */
async function measureLookup(
  agent: Agent,
  baseUrl: string,
  authorization: string,
  lookup: LookupCase,
  options: LookupOptions,
): Promise<LatencyFigures> {
  const url = new URL(lookup.path, baseUrl);
  const get = async () => {
    const answer = await exchange(agent, url, authorization, "GET");
    if (answer.status !== 200) {
      throw new Error(`${lookup.kind}: HTTP ${answer.status} ${answer.body.toString("utf8").slice(0, 200)}`);
    }
    const records = countLines(answer.body);
    if (records !== lookup.expected) {
      throw new Error(`${lookup.kind}: ${records} records, expected ${lookup.expected}`);
    }
    return answer;
  };
  const first = await get();
  lookup.check(recordsOf(first.body));
  for (let i = 1; i < options.warmups; i++) await get();
  const before = cpuSnapshot(options.pids);
  const times: number[] = [];
  for (let i = 0; i < options.requests; i++) times.push((await get()).ms);
  const after = cpuSnapshot(options.pids);
  times.sort((a, b) => a - b);
  return {
    kind: lookup.kind,
    value: lookup.value,
    records: lookup.expected,
    ...(lookup.scanned === undefined ? {} : { scanned: lookup.scanned }),
    requests: options.requests,
    p50Ms: percentile(times, 0.5),
    p99Ms: percentile(times, 0.99),
    maxMs: times[times.length - 1] as number,
    othersCpu: before && after ? othersShare(before, after) : undefined,
  };
}

/** Checks a bulk answer: every name's planted records, each tagged, and one clean summary per name. */
function checkBulk(body: Buffer, names: readonly string[]): void {
  const lines = recordsOf(body);
  const perName = PLANTED.bulkRecordsPerName;
  if (lines.length !== names.length * (perName + 1)) {
    throw new Error(`bulk: ${lines.length} lines, expected ${names.length * (perName + 1)}`);
  }
  names.forEach((name, i) => {
    const group = lines.slice(i * (perName + 1), (i + 1) * (perName + 1));
    const summary = group[perName];
    if (
      group.slice(0, perName).some((r) => r.query !== name || r.rrname !== name || r.summary) ||
      summary?.query !== name ||
      summary.summary?.records !== perName ||
      summary.summary.limited ||
      summary.summary.error !== undefined
    ) {
      throw new Error(`bulk: unexpected answer for ${name}: ${JSON.stringify(group)}`);
    }
  });
}

/** Bulk latency, and 1,000 separate GETs on the same connection against one bulk request. */
async function measureBulk(
  agent: Agent,
  baseUrl: string,
  authorization: string,
  names: readonly string[],
  options: LookupOptions,
): Promise<{ latency: LatencyFigures; bulk: BulkFigures }> {
  const bulkUrl = new URL("/pdns/bulk", baseUrl);
  const body = JSON.stringify(names);
  const expected = names.length * PLANTED.bulkRecordsPerName;
  const post = async () => {
    const answer = await exchange(agent, bulkUrl, authorization, "POST", body);
    if (answer.status !== 200) {
      throw new Error(`bulk: HTTP ${answer.status} ${answer.body.toString("utf8").slice(0, 200)}`);
    }
    // One summary line per name follows its records.
    const records = countLines(answer.body) - names.length;
    if (records !== expected) throw new Error(`bulk: ${records} records, expected ${expected}`);
    return answer;
  };
  checkBulk((await post()).body, names);
  for (let i = 1; i < options.warmups; i++) await post();

  const separately = async () => {
    const started = process.hrtime.bigint();
    let records = 0;
    for (const name of names) {
      const answer = await exchange(agent, new URL(`/pdns/query/${name}`, baseUrl), authorization, "GET");
      if (answer.status !== 200) throw new Error(`GET ${name}: HTTP ${answer.status}`);
      records += countLines(answer.body);
    }
    if (records !== expected) throw new Error(`separate requests: ${records} records, expected ${expected}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  // The first round warms the single-name path up.
  await separately();

  const before = cpuSnapshot(options.pids);
  const times: number[] = [];
  for (let i = 0; i < options.requests; i++) times.push((await post()).ms);
  const rounds: number[] = [];
  for (let i = 0; i < options.rounds; i++) rounds.push(await separately());
  const after = cpuSnapshot(options.pids);
  times.sort((a, b) => a - b);
  const othersCpu = before && after ? othersShare(before, after) : undefined;
  const bulkP50Ms = percentile(times, 0.5);
  const separateMs = median(rounds);
  return {
    latency: {
      kind: "bulk",
      value: `\`POST /pdns/bulk\`, ${names.length.toLocaleString("en-US")} names (a JSON array)`,
      records: expected,
      requests: options.requests,
      p50Ms: bulkP50Ms,
      p99Ms: percentile(times, 0.99),
      maxMs: times[times.length - 1] as number,
      othersCpu,
    },
    bulk: {
      names: names.length,
      records: expected,
      separateMs,
      rounds: options.rounds,
      bulkP50Ms,
      ratio: separateMs / bulkP50Ms,
      othersCpu,
    },
  };
}

/** Measures every lookup against the server at `baseUrl`, on one keep-alive connection. */
export async function measureLookups(
  baseUrl: string,
  authorization: string,
  bulkNames: readonly string[],
  options: LookupOptions,
): Promise<{ latencies: LatencyFigures[]; bulk: BulkFigures }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const latencies: LatencyFigures[] = [];
    for (const lookup of lookupCases(options.freshSince)) {
      latencies.push(await measureLookup(agent, baseUrl, authorization, lookup, options));
    }
    const { latency, bulk } = await measureBulk(agent, baseUrl, authorization, bulkNames, options);
    latencies.push(latency);
    return { latencies, bulk };
  } finally {
    agent.destroy();
  }
}
