/**
 * `npm run bench`: generates (or reuses) the corpora, then measures passive DNS ingest, queries over HTTP
 * and a million-record answer, and passive SSL ingest, storage and queries, on the embedded store and on
 * a private Redis, and lookups (wildcards, blocks, time fences, bulk) over a store of 10,000,000 records,
 * and records/s through the server's live ingestion paths (HTTP, D4 analyzer queue, D4 endpoint),
 * and prints the report as markdown (also written to bench/results.md by a full run of every section;
 * other runs write bench/.work/).
 *
 *   npm run bench -- [--quick] [--only ingest,query,stream,pssl,lookup,live]
 *
 * `--quick` is a smoke run: a 100,000-line corpus, a 100,000-record answer, 20,000 TLS sessions,
 * 3 s loads and a lookup store of 200,000 records.
 */
import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runToEnd } from "./children.js";
import { type Corpus, mainCorpus, oneNameCorpus } from "./corpus.js";
import { type IngestFigures, type IngestMode, ingestEmbedded, ingestRedis } from "./ingest-bench.js";
import { type LiveFigures, measureLive } from "./live-ingest-bench.js";
import { buildLookupStore, type LookupFigures, measureLookups } from "./lookup-bench.js";
import { bulkNames, type LookupCorpus, lookupCorpus, PLANTED, writeFreshLines } from "./lookup-corpus.js";
import { busyShare, cpuSnapshot, describeMachine, othersShare } from "./machine.js";
import { ingestTlsEmbedded, ingestTlsRedis, type TlsIngestFigures } from "./pssl-ingest-bench.js";
import { checkPsslAnswers, loadPsslQueries, type PsslQueryFigures } from "./pssl-query-bench.js";
import { checkAnswers, loadQueries, type QueryFigures } from "./query-bench.js";
import { type RedisServer, startRedisServer } from "./redis-server.js";
import {
  type Backend,
  corpusTable,
  ingestTable,
  integer,
  liveIngestTable,
  lookupBuildTable,
  lookupTable,
  machineTable,
  psslIngestTable,
  psslQueryTable,
  psslStorageTable,
  queryTable,
  type StreamRow,
  streamTable,
  tlsCorpusTable,
  workersTable,
} from "./report.js";
import { buildServer, createCredentials, type ServerProcess, startServer } from "./server-process.js";
import { sampleMemory, streamAnswer } from "./stream-bench.js";
import { type TlsCorpus, tlsCorpus } from "./tls-corpus.js";
import { measureWorkers } from "./workers-bench.js";

const SECTIONS = ["ingest", "query", "stream", "pssl", "lookup", "live"] as const;
type Section = (typeof SECTIONS)[number];

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const CORPUS_DIR = join(BENCH_DIR, ".corpus");
const WORK_DIR = join(BENCH_DIR, ".work");
const STORES_DIR = join(WORK_DIR, "stores");
const SEED = 20_240_601;
const CONNECTIONS = 64;
const KEY_PREFIX = "bench";
const STREAM_TIMEOUT_MS = 300_000;
const MEMORY_SAMPLE_MS = 20;
const IDLE_SAMPLE_MS = 1_000;
const BUSY_WARNING = 0.1;
/** Payload size of the D4 packets the live section's sensor sends. */
const D4_PAYLOAD_BYTES = 64 * 1024;

/** The TLS corpus is ~10 KB a session (whole chains): 100,000 sessions make a ~1 GB file. */
const PROFILES = {
  full: {
    lines: 1_000_000,
    streamRecords: 1_000_000,
    tlsSessions: 100_000,
    loadSeconds: 10,
    warmupSeconds: 2,
    limitMinutes: 30,
    lookupRecords: 10_000_000,
    lookupRequests: 50,
    lookupWarmups: 5,
    lookupRounds: 5,
    /** Added to the limit when the lookup section runs (two fills of 10,000,000 records). */
    lookupLimitMinutes: 30,
  },
  quick: {
    lines: 100_000,
    streamRecords: 100_000,
    tlsSessions: 20_000,
    loadSeconds: 3,
    warmupSeconds: 1,
    limitMinutes: 10,
    lookupRecords: 200_000,
    lookupRequests: 20,
    lookupWarmups: 3,
    lookupRounds: 3,
    lookupLimitMinutes: 5,
  },
};
type Profile = (typeof PROFILES)[keyof typeof PROFILES];

/** What every section needs: the profile, the backends and where their stores are. */
interface Context {
  profile: Profile;
  backends: Backend[];
  redis: RedisServer | undefined;
  /** CPU use of the idle machine, sampled before the sections that care, for the report. */
  idleChecks: string[];
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/**
 * The commit measured, whether src/ had uncommitted changes, and a fingerprint of those changes so that
 * a run can tell whether src/ changed under it (the figures move with the code).
 */
async function sourceVersion(): Promise<{ text: string; fingerprint: string }> {
  try {
    const git = (args: string[]) => runToEnd("git", args, { cwd: ROOT, timeoutMs: 10_000 });
    const commit = (await git(["rev-parse", "--short", "HEAD"])).trim();
    const changes = await git(["status", "--porcelain", "--", "src"]);
    const diff = await git(["diff", "HEAD", "--", "src"]);
    const fingerprint = createHash("sha1").update(commit).update(changes).update(diff).digest("hex");
    return {
      text: `commit ${commit}${changes.trim() ? " with uncommitted changes in src/" : ""}`,
      fingerprint,
    };
  } catch {
    return { text: "an unknown source version (no git)", fingerprint: "" };
  }
}

/** Samples how busy the machine is while the benchmark does nothing, and warns when it is. */
async function checkIdle(context: Context, when: string): Promise<void> {
  const busy = await busyShare(IDLE_SAMPLE_MS);
  if (busy === undefined) return;
  const percent = `${(busy * 100).toFixed(0)}%`;
  context.idleChecks.push(`${percent} ${when}`);
  if (busy > BUSY_WARNING) log(`warning: the CPUs are ${percent} busy ${when}: other work skews the figures`);
}

const USAGE = `usage: npm run bench -- [--quick] [--only ${SECTIONS.join(",")}]`;

/** A bad command line: reported as one line and the usage, not as a stack trace. */
class UsageError extends Error {}

function parseOptions() {
  let values: { quick?: boolean; only?: string };
  try {
    ({ values } = parseArgs({
      options: { quick: { type: "boolean", default: false }, only: { type: "string" } },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const only = values.only?.split(",").map((s) => s.trim());
  const unknown = only?.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown?.length) throw new UsageError(`--only takes ${SECTIONS.join(", ")}; got ${unknown.join(", ")}`);
  return {
    quick: values.quick ?? false,
    sections: new Set<Section>((only as Section[] | undefined) ?? SECTIONS),
  };
}

/** Ingests `path` into an empty store of `backend` (the embedded one in `dataDir`). */
function ingest(
  context: Context,
  backend: Backend,
  path: string,
  dataDir: string,
  mode: IngestMode = "parse worker",
): Promise<IngestFigures> {
  return backend === "embedded"
    ? ingestEmbedded(path, dataDir, mode)
    : ingestRedis(path, context.redis as RedisServer, KEY_PREFIX, mode);
}

/** CLI flags that point the server and the CLI at a backend's store. */
function storeArgs(context: Context, backend: Backend, dataDir: string): string[] {
  if (backend === "embedded") return ["--data-dir", dataDir];
  return ["--store", (context.redis as RedisServer).url, "--key-prefix", KEY_PREFIX];
}

async function withServer<T>(args: string[], action: (server: ServerProcess, auth: string) => Promise<T>) {
  const authorization = await createCredentials(ROOT, args);
  const server = await startServer(ROOT, args);
  try {
    return await action(server, authorization);
  } finally {
    await server.stop();
  }
}

async function ingestSection(context: Context, corpus: Corpus, dataDir: string): Promise<IngestFigures[]> {
  const figures: IngestFigures[] = [];
  for (const backend of context.backends) {
    // The CLI's mode runs last, so that it leaves the store the query section reads.
    for (const mode of ["one thread", "parse worker"] as const) {
      log(`ingest into ${backend} (${mode})...`);
      const f = await ingest(context, backend, corpus.path, dataDir, mode);
      log(`  ${integer(f.lines / f.seconds)} lines/s`);
      figures.push(f);
    }
  }
  return figures;
}

/** Queries the stores the ingest section filled (Redis still holds the main corpus at this point). */
async function querySection(context: Context, dataDir: string): Promise<string> {
  const { loadSeconds, warmupSeconds } = context.profile;
  const results: Array<{ backend: Backend; figures: QueryFigures[] }> = [];
  let embeddedAuthorization: string | undefined;
  await checkIdle(context, "before the query loads");
  for (const backend of context.backends) {
    log(`queries on ${backend} (${CONNECTIONS} connections, ${loadSeconds} s each)...`);
    const figures = await withServer(storeArgs(context, backend, dataDir), async (server, authorization) => {
      if (backend === "embedded") embeddedAuthorization = authorization;
      await checkAnswers(server.baseUrl, authorization);
      const pids = backend === "redis" ? [server.pid, (context.redis as RedisServer).pid] : [server.pid];
      const load = { seconds: loadSeconds, warmupSeconds, connections: CONNECTIONS, pids };
      return loadQueries(server.baseUrl, authorization, load);
    });
    results.push({ backend, figures });
  }
  // serve --workers: the name hit on the embedded store with 1 and 2 worker processes.
  const embeddedArgs = storeArgs(context, "embedded", dataDir);
  log(`name hit with serve --workers 1 and 2 (embedded, ${loadSeconds} s each)...`);
  const authorization = embeddedAuthorization ?? (await createCredentials(ROOT, embeddedArgs));
  const workers = await measureWorkers(ROOT, embeddedArgs, authorization, {
    seconds: loadSeconds,
    warmupSeconds,
    connections: CONNECTIONS,
  });
  return [
    "## Queries",
    "",
    `\`GET /pdns/query/<value>\` over HTTP with Basic auth, autocannon (in the bench process) at ` +
      `${CONNECTIONS} connections, ${loadSeconds} s per query after a ${warmupSeconds} s warm-up per hit, ` +
      "against one server process holding the main corpus. Latencies are whole milliseconds " +
      "(autocannon's resolution). The name hit owns 5 records; the IP hit is pointed to by 10 names. " +
      '"Other CPU" is the share of all CPUs that processes other than the bench, the server and Redis ' +
      "used during the load: anything above a few percent took cores from the figures.",
    "",
    queryTable(results),
    "",
    "`serve --workers N` (name hit, embedded store, same load; the load generator shares the cores):",
    "",
    workersTable(workers),
  ].join("\n");
}

async function streamSection(context: Context): Promise<string> {
  const big = await oneNameCorpus(CORPUS_DIR, context.profile.streamRecords);
  const dataDir = join(STORES_DIR, "stream-embedded");
  const rows: StreamRow[] = [];
  for (const backend of context.backends) {
    log(`${integer(big.records)}-record answer on ${backend}...`);
    const ingested = await ingest(context, backend, big.path, dataDir);
    const row = await withServer(storeArgs(context, backend, dataDir), async (server, authorization) => {
      const before = await server.memory();
      const sampler = sampleMemory(server.memory, MEMORY_SAMPLE_MS);
      const url = `${server.baseUrl}/pdns/query/${big.name}`;
      const answer = await streamAnswer(url, authorization, STREAM_TIMEOUT_MS);
      const sampled = await sampler.stop();
      const after = await server.memory();
      if (answer.records !== big.records) {
        throw new Error(`the answer had ${answer.records} records, expected ${big.records}`);
      }
      return {
        backend,
        ingestSeconds: ingested.seconds,
        answer,
        rssBefore: before.rss,
        peakRss: after.peak,
        peakAnon: sampled.anon,
        peakFile: sampled.file,
      };
    });
    rows.push(row);
  }
  return [
    `## A ${integer(big.records)}-record answer`,
    "",
    `One \`GET /pdns/query/${big.name}\` (a name owning ${integer(big.records)} A records, ingested ` +
      "through the normal pipeline) read as a stream, from a server process started for this request " +
      "alone. Peak RSS is the server's VmHWM after the answer (the target's figure); the heap and " +
      `file-mapped columns are the peaks of RssAnon and RssFile sampled every ${MEMORY_SAMPLE_MS} ms ` +
      "(LMDB's memory map is file-mapped: pages the kernel can drop, not heap); RSS before is VmRSS " +
      "just before the request.",
    "",
    streamTable(rows),
  ].join("\n");
}

async function psslIngest(context: Context, corpus: TlsCorpus, dataDir: string): Promise<TlsIngestFigures[]> {
  const figures: TlsIngestFigures[] = [];
  for (const backend of context.backends) {
    // The CLI's mode runs last, so that it leaves the store the queries read; its store is measured.
    for (const mode of ["one thread", "parse worker"] as const) {
      log(`TLS ingest into ${backend} (${mode})...`);
      const f =
        backend === "embedded"
          ? await ingestTlsEmbedded(corpus.path, dataDir, mode, corpus.shape.sightings)
          : await ingestTlsRedis(corpus.path, context.redis as RedisServer, KEY_PREFIX, mode);
      log(`  ${integer(f.sessions / f.seconds)} sessions/s`);
      figures.push(f);
    }
  }
  return figures;
}

async function psslQueries(context: Context, corpus: TlsCorpus, dataDir: string) {
  const { loadSeconds, warmupSeconds } = context.profile;
  const results: Array<{ backend: Backend; figures: PsslQueryFigures[] }> = [];
  await checkIdle(context, "before the passive SSL loads");
  for (const backend of context.backends) {
    log(`passive SSL queries on ${backend} (${CONNECTIONS} connections, ${loadSeconds} s each)...`);
    const figures = await withServer(storeArgs(context, backend, dataDir), async (server, authorization) => {
      await checkPsslAnswers(server.baseUrl, authorization, corpus.known);
      const pids = backend === "redis" ? [server.pid, (context.redis as RedisServer).pid] : [server.pid];
      const load = { seconds: loadSeconds, warmupSeconds, connections: CONNECTIONS, pids };
      return loadPsslQueries(server.baseUrl, authorization, corpus.known, load);
    });
    results.push({ backend, figures });
  }
  return results;
}

/**
 * Lookups over a big store, per backend: the store filled (Redis emptied first), the lookups measured
 * against a server process, then the store dropped (disk, Redis memory) before the next backend.
 */
async function lookupSection(context: Context, corpus: LookupCorpus): Promise<string> {
  const { lookupRequests, lookupWarmups, lookupRounds } = context.profile;
  const dataDir = join(STORES_DIR, "lookup-embedded");
  const freshPath = join(WORK_DIR, "lookup-fresh.txt");
  const names = bulkNames();
  const results: LookupFigures[] = [];
  for (const backend of context.backends) {
    log(`lookup store of ${integer(corpus.shape.lines)} records on ${backend}...`);
    await rm(dataDir, { recursive: true, force: true });
    const freshSince = Math.floor(Date.now() / 1000) - 3_600;
    await writeFreshLines(freshPath, freshSince + 3_600);
    const settings = {
      store: backend === "embedded" ? "embedded" : (context.redis as RedisServer).url,
      dataDir,
      keyPrefix: KEY_PREFIX,
    };
    const build = await buildLookupStore(
      backend,
      settings,
      { corpus: corpus.path, fresh: freshPath },
      backend === "redis" ? context.redis : undefined,
      log,
    );
    await checkIdle(context, `before the lookups on ${backend}`);
    log(`lookups on ${backend} (${lookupRequests} requests each, one connection)...`);
    const measured = await withServer(storeArgs(context, backend, dataDir), (server, authorization) => {
      const pids = backend === "redis" ? [server.pid, (context.redis as RedisServer).pid] : [server.pid];
      return measureLookups(server.baseUrl, authorization, names, {
        requests: lookupRequests,
        warmups: lookupWarmups,
        rounds: lookupRounds,
        pids,
        freshSince,
      });
    });
    results.push({ backend, build, ...measured });
    log(`  bulk speed-up ${measured.bulk.ratio.toFixed(1)}×`);
    if (backend === "redis") await context.redis?.flushAll();
    else await rm(dataDir, { recursive: true, force: true });
  }
  const { shape } = corpus;
  const planted = PLANTED;
  return [
    "## Lookups over a big store",
    "",
    `A store of ${integer(shape.lines)} distinct records per backend: ${integer(shape.lines - shape.plantedLines)} ` +
      `background records (${integer(shape.backgroundNames)} names under ${integer(shape.domains)} domains, ` +
      `1 to 5 records each of A, AAAA, TXT, MX, NS, CNAME; A records over ${integer(shape.ipv4Pool)} addresses, ` +
      `a few hot) and ${integer(shape.plantedLines)} planted ones: ${integer(planted.leftNames)} names under ` +
      `\`${planted.leftDomain}\` (one A each, a fifth of them two levels down), ` +
      `${integer(planted.rightNames)} names \`${planted.rightLabels}.<domain>\` (one A each), ` +
      `${integer(planted.block16Records)} A records on as many addresses spread over \`${planted.block16}\`, ` +
      `${planted.block24Addresses * planted.block24NamesPerAddress} A records on ${planted.block24Addresses} ` +
      `addresses of \`${planted.block24}\`, ${integer(planted.fencedNames)} names under ` +
      `\`${planted.fencedDomain}\` with an old A record, and ${integer(planted.bulkNames)} names with ` +
      `an A, an AAAA and a TXT record. Every line of the file (cached in bench/.corpus, ` +
      `${(shape.bytes / 1024 ** 3).toFixed(2)} GB) is a distinct record, all seen in January 2025. The file is ` +
      "ingested by the CLI's pipeline (`ingestPassiveDnsPipelined`: parse worker + writer) in batches of " +
      "500,000 lines rather than the CLI's 50,000, its background written domain after domain: each LMDB " +
      "write transaction copies every page it touches, so fewer transactions, each within fewer subtrees, " +
      "fill a store of this size faster (the content is the same). Then " +
      `${planted.fencedSeenAgain + planted.fencedNew} fresh lines (an hour old: ${planted.fencedSeenAgain} ` +
      `old fenced records seen again, ${planted.fencedNew} new ones).`,
    "",
    lookupBuildTable(results),
    "",
    "Then `GET /pdns/query/<value>` (and `POST /pdns/bulk`) over HTTP with one analyst's Basic credentials, " +
      `from a server process started on the filled store, one keep-alive connection, requests one at a time: ` +
      `${lookupWarmups} warm-up requests per lookup (the first answer checked record by record), then ` +
      `${lookupRequests} timed ones, each read to its last byte and its record count checked` +
      `${lookupRequests < 100 ? " (with fewer than 100 requests, p99 is the slowest one)" : ""}. ` +
      `The bulk speed-up compares ${integer(planted.bulkNames)} sequential \`GET /pdns/query/<name>\` on the same ` +
      'connection (the same records) with the bulk request\'s p50. "Other CPU" is the share of all CPUs ' +
      "used by processes other than the bench, the server and Redis while each lookup was timed.",
    ...results.flatMap((result) => [
      "",
      `### ${result.backend === "embedded" ? "Embedded (LMDB)" : "Redis"}`,
      "",
      lookupTable(result),
    ]),
  ].join("\n");
}

/** Records/s through each live ingestion path of the built server, per backend, each into an empty store. */
async function liveSection(context: Context, corpus: Corpus): Promise<string> {
  await checkIdle(context, "before the live ingestion");
  const setup = {
    root: ROOT,
    workDir: join(STORES_DIR, "live"),
    redis: context.redis,
    keyPrefix: KEY_PREFIX,
    payloadBytes: D4_PAYLOAD_BYTES,
    log,
  };
  const figures: LiveFigures[] = [];
  for (const backend of context.backends) {
    figures.push(...(await measureLive(setup, backend, { path: corpus.path, lines: corpus.shape.lines })));
  }
  return [
    "## Live ingestion",
    "",
    `The main corpus (${integer(corpus.shape.lines)} lines, ${(corpus.shape.bytes / 1024 ** 2).toFixed(0)} MB) ` +
      "sent through each ingestion path of the built server (`node dist/cli.js`), each run into an empty " +
      "store and, but for the queue, a server process of its own; records/s is lines sent over wall time. " +
      "HTTP: one `POST /ingest/passivedns` with a sensor's token (Basic), the file streamed as the body " +
      "(gzip: the file compressed beforehand at the default level, sent with `Content-Encoding: gzip`), " +
      "timed until the JSON summary, which comes once every batch is committed. D4 analyzer queue: the " +
      "lines pushed one item per line onto `analyzer:8:<uuid>` in db 2 of the private Redis (as d4-core " +
      "does; not timed), then `pdns-pssl d4 consume --once` (batches of 5,000) timed from its start to its " +
      "exit. D4 endpoint: a sensor made with `pdns-pssl sensors add --type 8`, the file streamed over TLS " +
      `as type-8 D4 packets of ${D4_PAYLOAD_BYTES / 1024} KiB (lines cut across packets, HMAC-SHA256 each; ` +
      "a client of the bench's own, bench/d4-bench-client.ts), timed from the connection until `/info` " +
      "(polled every 25 ms) counts every line under the sensor's uuid. Records written: what the path " +
      "reports (the HTTP summary, the consumer's figures, the sensor's `records` in `sensors list`). CPU: " +
      "the ingesting process's (the server, or the consumer) and Redis's, as a share of one core over the " +
      "run; the sender (the bench process) shares the same two cores. Other CPU: the share of all CPUs " +
      "that other processes used during the run; a run where it passed 10% was made again once, after " +
      "waiting (30 s at most) for a quiet second, and the quieter of the two kept.",
    "",
    liveIngestTable(figures),
  ].join("\n");
}

/** Passive SSL: the TLS corpus ingested (after the other sections: it empties Redis), then queried. */
async function psslSection(context: Context, corpus: TlsCorpus): Promise<string> {
  const { loadSeconds, warmupSeconds } = context.profile;
  const dataDir = join(STORES_DIR, "pssl-embedded");
  const ingested = await psslIngest(context, corpus, dataDir);
  const queried = await psslQueries(context, corpus, dataDir);
  const { known, shape } = corpus;
  const cfetch = known.cfetch;
  return [
    "## Passive SSL",
    "",
    "D4 `ja3-jl` lines in the sensor's exact shape (Go x509 fields, chains of leaf and issuing CA, " +
      '`"Certificates": null` for TLS 1.3 sessions), made from real certificates (openssl: EC P-256 and ' +
      "RSA 2048 leaves under an EC P-384 and an RSA 2048 issuing CA) re-used across many server addresses " +
      "as in real traffic: a few certificates (CDN-like) on thousands of endpoints, most servers on port " +
      "443 with one certificate, some with several (SNI) or a second port.",
    "",
    tlsCorpusTable(shape),
    "",
    "### Ingest",
    "",
    "The corpus file ingested in this process into an empty store, by `ingestTls` (one thread) and by " +
      "`ingestTlsPipelined` (parsing on a worker thread while the main thread writes: what " +
      "`pdns-pssl ingest ja3-jl` does on more than one core). A session is one record.",
    "",
    psslIngestTable(ingested),
    "",
    "### Storage",
    "",
    "The stores the CLI's pipeline left, divided by the distinct certificates and by the distinct " +
      "(ip, port, certificate) sightings. Each whole figure is shared by both, so dividing it by either " +
      "alone overstates that one; the split attributes each part to what it grows with. Embedded: the " +
      "pages LMDB's statistics count for the `blobs` sub-database (certificate documents, their SHA-256 " +
      "index, and the 80 JA3/JA3S strings, a few KB) and for `sets` (ip-certs, cert-ips and JA3/JA3S " +
      "sightings per endpoint and certificate, plus the certificates' name index, a few KB), overflow " +
      "pages included; their sum is the compacted copy but for a few metadata pages. The files also keep " +
      "the pages copy-on-write freed (reused by later writes). Redis: `MEMORY USAGE` of every `b:` key for " +
      "the blobs, the rest of the `used_memory` growth for the sets. The store's ip-certs entries are " +
      "checked against the corpus's sightings.",
    "",
    psslStorageTable(ingested, shape),
    "",
    "### Queries",
    "",
    `CIRCL's routes over HTTP with Basic auth, autocannon at ${CONNECTIONS} connections, ${loadSeconds} s ` +
      `per query after a ${warmupSeconds} s warm-up per query, against one server process holding the ` +
      `corpus: \`/v2pssl/query/${known.ip}\` (${known.ipCertificates.length} certificates on two ports), ` +
      `\`/v2pssl/cfetch/<sha1>\` of the most widespread certificate (${cfetch.key}), and ` +
      `\`/v2pssl/query/${known.block}\` (256 addresses looked up, ` +
      `${Object.keys(known.blockAddresses).length} with certificates; no target). Each answer is checked ` +
      "once first: the planted certificates and subjects, the certificate's PEM.",
    "",
    psslQueryTable(queried),
  ].join("\n");
}

/** The corpora the selected sections read, generated unless cached. */
interface Corpora {
  dns: Corpus | undefined;
  tls: TlsCorpus | undefined;
  lookup: LookupCorpus | undefined;
}

async function prepareCorpora(sections: Set<Section>, profile: Profile): Promise<Corpora> {
  const corpora: Corpora = { dns: undefined, tls: undefined, lookup: undefined };
  if (sections.has("ingest") || sections.has("query") || sections.has("stream") || sections.has("live")) {
    log(`corpus of ${integer(profile.lines)} lines...`);
    corpora.dns = await mainCorpus(CORPUS_DIR, profile.lines, SEED);
    log(`${corpora.dns.reused ? "reusing" : "wrote"} ${relative(ROOT, corpora.dns.path)}`);
  }
  if (sections.has("pssl")) {
    log(`TLS corpus of ${integer(profile.tlsSessions)} sessions...`);
    corpora.tls = await tlsCorpus(CORPUS_DIR, profile.tlsSessions, SEED);
    const made = corpora.tls.pkiSeconds;
    if (made !== undefined) log(`made the certificates in ${made.toFixed(1)} s`);
    log(`${corpora.tls.reused ? "reusing" : "wrote"} ${relative(ROOT, corpora.tls.path)}`);
  }
  if (sections.has("lookup")) {
    log(`lookup corpus of ${integer(profile.lookupRecords)} records...`);
    const started = Date.now();
    corpora.lookup = await lookupCorpus(CORPUS_DIR, profile.lookupRecords, SEED);
    const made = corpora.lookup.reused
      ? "reusing"
      : `wrote (in ${((Date.now() - started) / 1000).toFixed(0)} s)`;
    log(`${made} ${relative(ROOT, corpora.lookup.path)}`);
  }
  return corpora;
}

async function runSections(sections: Set<Section>, context: Context, corpora: Corpora): Promise<string[]> {
  const parts: string[] = [];
  if (corpora.dns) {
    parts.push(["## Corpus", "", corpusTable(corpora.dns.shape)].join("\n"));
    parts.push(...(await dnsSections(sections, context, corpora.dns)));
  }
  if (corpora.tls) {
    if (!sections.has("query") && !sections.has("stream") && !sections.has("live")) {
      log("npm run build...");
      await buildServer(ROOT);
    }
    parts.push(await psslSection(context, corpora.tls));
  }
  if (corpora.lookup) {
    // Last: it empties Redis, and its stores are the largest.
    if (!sections.has("query") && !sections.has("stream") && !sections.has("pssl") && !sections.has("live")) {
      log("npm run build...");
      await buildServer(ROOT);
    }
    parts.push(await lookupSection(context, corpora.lookup));
  }
  return parts;
}

async function dnsSections(sections: Set<Section>, context: Context, corpus: Corpus): Promise<string[]> {
  const parts: string[] = [];
  const mainDir = join(STORES_DIR, "main-embedded");
  if (sections.has("ingest") || sections.has("query")) {
    // The query section needs the stores filled; it reports them only when asked to.
    const figures = await ingestSection(context, corpus, mainDir);
    if (sections.has("ingest")) {
      const intro =
        "The corpus file ingested in this process into an empty store, by `ingestPassiveDns` (one thread) " +
        "and by `ingestPassiveDnsPipelined` (parsing on a worker thread while the main thread writes: what " +
        "`pdns-pssl ingest` does on more than one core).";
      parts.push(["## Ingest", "", intro, "", ingestTable(figures)].join("\n"));
    }
  }
  if (sections.has("query") || sections.has("stream") || sections.has("live")) {
    log("npm run build...");
    await buildServer(ROOT);
  }
  if (sections.has("query")) parts.push(await querySection(context, mainDir));
  if (sections.has("stream")) parts.push(await streamSection(context));
  // After the query section: it empties Redis.
  if (sections.has("live")) parts.push(await liveSection(context, corpus));
  return parts;
}

async function main(): Promise<void> {
  const { quick, sections } = parseOptions();
  const profile = quick ? PROFILES.quick : PROFILES.full;
  const limitMinutes = profile.limitMinutes + (sections.has("lookup") ? profile.lookupLimitMinutes : 0);
  // Every step is bounded, but a hung child must not hold the machine forever.
  setTimeout(() => {
    log(`gave up after ${limitMinutes} minutes`);
    process.exit(1);
  }, limitMinutes * 60_000).unref();
  const started = new Date();
  const source = await sourceVersion();

  const corpora = await prepareCorpora(sections, profile);

  await rm(STORES_DIR, { recursive: true, force: true });
  const redis = await startRedisServer(join(WORK_DIR, "redis"));
  if (!redis) log("redis-server is not on PATH: the Redis rows are skipped");
  const backends: Backend[] = redis ? ["embedded", "redis"] : ["embedded"];
  const context: Context = { profile, backends, redis, idleChecks: [] };
  await checkIdle(context, "before the run");
  const cpuBefore = cpuSnapshot();
  let parts: string[];
  try {
    parts = await runSections(sections, context, corpora);
  } finally {
    await redis?.stop();
    await rm(STORES_DIR, { recursive: true, force: true });
  }

  const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1);
  const cpuAfter = cpuSnapshot();
  if (cpuBefore && cpuAfter) {
    context.idleChecks.push(`${(othersShare(cpuBefore, cpuAfter) * 100).toFixed(0)}% during the run`);
  }
  const changed = (await sourceVersion()).fingerprint !== source.fingerprint;
  if (changed) log("warning: src/ changed during the run");
  const full = !quick && sections.size === SECTIONS.length;
  const what = `${quick ? "quick smoke run" : "full run"}${full ? "" : `: ${[...sections].join(", ")}`}`;
  const markdown = [
    "# Benchmarks",
    "",
    `\`npm run bench\` (${what}) on ${source.text}${changed ? " (src/ changed during the run!)" : ""}, ` +
      `${minutes} min in all. The server, Redis and the load ` +
      "generator share the machine's cores. CPUs used by other processes: " +
      `${context.idleChecks.join(", ") || "not measured"}.`,
    ...(redis ? [] : ["", "**redis-server was not installed: no Redis figures.**"]),
    "",
    machineTable(describeMachine(), started),
    ...parts.flatMap((part) => ["", part]),
  ].join("\n");
  process.stdout.write(`${markdown}\n`);
  const out = full ? join(BENCH_DIR, "results.md") : join(WORK_DIR, "results.md");
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${markdown}\n`);
  log(`wrote ${relative(ROOT, out)}`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) log(`${error.message}\n${USAGE}`);
  else log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  // Pending timers must not keep the process alive; the exit hook of children.ts kills what runs.
  process.exit(1);
});
