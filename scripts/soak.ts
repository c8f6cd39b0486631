/**
 * `npm run soak -- --minutes N`: a mixed load for N minutes against one server, printing one row per
 * minute and a summary, to show that throughput, latency and memory hold steady over time.
 *
 * The server is started here as a child process (`serve --workers 1` on loopback, the D4 endpoint and
 * the operations listener on, the embedded store in a temp dir or `--store redis://...` under a key
 * prefix of its own), or attached to with `--url` and `--admin-token`. An analyst, a sensor user and a
 * D4 sensor are made over the admin API; the sample files are ingested; then, all at once:
 *
 * - HTTP ingest: synthetic passivedns lines (new names all along, so the store grows; a fifth repeat
 *   recent records) POSTed to /ingest/passivedns in streamed batches, and ja3-jl sessions to
 *   /ingest/ja3-jl, with the sensor user's token;
 * - D4 ingest: synthetic passivedns lines as type-8 packets over TLS, one session a minute;
 * - queries: several clients, one keep-alive connection each, on /pdns/query/<name>,
 *   /dnsdb/v2/lookup/rrset/name/<name>, /dnsdb/v2/lookup/rdata/ip/<ip>, /v2pssl/query/<ip> and
 *   /v2pssl/cquery/<sha1>, for values whose ingest was confirmed, each answer checked for its record.
 *
 * Each row: ingest records/s (HTTP, TLS sessions, D4), queries/s with p50/p99, errors (non-2xx, network
 * errors, answers missing their record), the server's RSS, PSS, anonymous memory and V8 heap, the
 * store's size (`du` of the embedded store, Redis' used_memory), the server's CPU, the CPU other
 * processes took (the machine may be shared) and the server's longest event-loop delay. The rows go to
 * a JSON file too; the started server's log goes to a file (kept with --keep), its warnings counted.
 * Exits 1 if anything went wrong, 2 if the server died.
 */
import { writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CpuSnapshot,
  cpuSnapshot,
  describeMachine,
  type Machine,
  othersShare,
} from "../bench/machine.js";
import { basic, createAccounts, type SoakAccounts } from "./soak/accounts.js";
import { streamD4 } from "./soak/d4-stream.js";
import {
  KnownValues,
  linesOf,
  readSamples,
  SyntheticDns,
  SyntheticTls,
  sampleNames,
  sampleTls,
} from "./soak/data.js";
import { clientAgent, exchange, expectOk } from "./soak/http-client.js";
import { postPassiveDns, postTls, queryClient } from "./soak/load.js";
import { parseSoakOptions, type SoakOptions, USAGE, UsageError } from "./soak/options.js";
import { sleep } from "./soak/pacer.js";
import { levelling, levellingText, makeRow, type SoakRow, tableHeader, tableLine } from "./soak/report.js";
import { d4LinesWritten, type ServerFigures, serverFigures } from "./soak/server-figures.js";
import { allLatencies, errorTotal, percentile, QUERY_ROUTES, Tally } from "./soak/tally.js";
import { attachTarget, startTarget, type Target } from "./soak/target.js";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** How long the load generators get to finish their exchange in hand once the time is up. */
const DRAIN_MS = 60_000;
/** How long the D4 endpoint gets to write the last lines sent. */
const D4_CATCH_UP_MS = 30_000;

function log(message: string): void {
  process.stderr.write(`soak: ${message}\n`);
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const integer = (n: number) => Math.round(n).toLocaleString("en-US");

/** Ingests the sample files and notes the names, addresses and certificates they hold. */
async function seedSamples(
  baseUrl: string,
  accounts: SoakAccounts,
  samplesDir: string,
  known: KnownValues,
): Promise<string[]> {
  const samples = await readSamples(samplesDir);
  const agent = clientAgent();
  const headers = { authorization: basic(accounts.sensorUser.user, accounts.sensorUser.token) };
  const post = async (format: string, body: string | undefined) => {
    if (body === undefined) return;
    const url = `${baseUrl}/ingest/${format}`;
    expectOk(await exchange(agent, url, { method: "POST", headers, body }), `POST /ingest/${format}`);
  };
  try {
    await post("passivedns", samples.passivedns);
    await post("ja3-jl", samples.ja3);
    await post("eve", samples.eve);
  } finally {
    agent.destroy();
  }
  for (const [name, address] of sampleNames(samples.passivedns ?? "")) known.addName(name, address);
  const ja3Lines = linesOf(samples.ja3);
  for (const [address, certificate] of sampleTls(ja3Lines)) known.addTls(address, certificate);
  const missing = Object.entries(samples).filter(([, text]) => text === undefined);
  if (missing.length > 0)
    log(`samples not found in ${samplesDir}: ${missing.map(([name]) => name).join(", ")}`);
  return ja3Lines;
}

/** What the run measured, for the summary and the JSON file. */
interface SoakResult {
  rows: SoakRow[];
  tally: Tally;
  d4: { sent: number; written: number | undefined } | undefined;
  died: string | undefined;
  otherCpuShare: number | undefined;
}

/** Starts every load generator; they stop when `running()` turns false. */
function startLoad(
  options: SoakOptions,
  target: Target,
  accounts: SoakAccounts,
  known: KnownValues,
  ja3Lines: readonly string[],
  tally: Tally,
  running: () => boolean,
): Promise<void>[] {
  const { rates, seed, runId } = options;
  const sensor = {
    baseUrl: target.baseUrl,
    authorization: basic(accounts.sensorUser.user, accounts.sensorUser.token),
  };
  const loads: Promise<void>[] = [];
  if (rates.httpLinesPerSecond > 0) {
    const lines = new SyntheticDns(seed, "http", runId, options.distinct);
    loads.push(
      postPassiveDns(
        sensor,
        { linesPerSecond: rates.httpLinesPerSecond, batchLines: rates.httpBatchLines },
        lines,
        known,
        tally,
        running,
      ),
    );
  }
  const tls = new SyntheticTls(seed + 1, ja3Lines);
  if (rates.tlsSessionsPerSecond > 0 && tls.available) {
    loads.push(postTls(sensor, rates.tlsSessionsPerSecond, tls, known, tally, running));
  }
  if (target.d4 && accounts.d4Sensor && rates.d4LinesPerSecond > 0) {
    const d4 = {
      endpoint: target.d4,
      sensor: accounts.d4Sensor,
      linesPerSecond: rates.d4LinesPerSecond,
      sessionSeconds: rates.d4SessionSeconds,
    };
    loads.push(streamD4(d4, new SyntheticDns(seed + 2, "d4", runId, options.distinct), tally, running));
  }
  const credentials = {
    basic: basic(accounts.analyst.user, accounts.analyst.token),
    token: accounts.analyst.token,
  };
  const perClient = rates.queriesPerSecond / Math.max(1, rates.queryClients);
  for (let i = 0; i < rates.queryClients; i++) {
    loads.push(queryClient(target.baseUrl, credentials, perClient, seed + 10 + i, known, tally, running));
  }
  return loads;
}

/** Waits until `when` (ms since the epoch), or until the server dies; true if it died. */
async function waitUntil(when: number, target: Target): Promise<boolean> {
  while (Date.now() < when) {
    if (target.died()) return true;
    await sleep(Math.min(1_000, when - Date.now()));
  }
  return target.died() !== undefined;
}

/** Waits for the generators to finish their exchange in hand, at most DRAIN_MS. */
async function drain(loads: readonly Promise<void>[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log(`the load generators did not stop within ${DRAIN_MS / 1000} s`);
      resolve();
    }, DRAIN_MS);
  });
  await Promise.race([Promise.all(loads).then(() => undefined), limit]);
  clearTimeout(timer);
}

/**
 * Once the D4 sessions are closed, waits until the endpoint has written every line sent (its /info
 * figures), at most D4_CATCH_UP_MS; returns the lines it wrote during the run.
 */
async function d4CatchUp(
  target: Target,
  before: number | undefined,
  sent: number,
): Promise<number | undefined> {
  if (before === undefined) return undefined;
  const deadline = Date.now() + D4_CATCH_UP_MS;
  for (;;) {
    const now = await d4LinesWritten(target.baseUrl, target.adminAuthorization);
    const written = now === undefined ? undefined : now - before;
    if (written === undefined || written >= sent || Date.now() > deadline) return written;
    await sleep(250);
  }
}

/** Runs the load for the whole duration, printing a row per period; stops early if the server dies. */
async function runPeriods(
  options: SoakOptions,
  target: Target,
  loadsOf: (running: () => boolean) => Promise<void>[],
  tally: Tally,
  readFigures: () => Promise<ServerFigures>,
  pids: number[],
): Promise<{
  rows: SoakRow[];
  died: boolean;
  cpu: { first: CpuSnapshot | undefined; last: CpuSnapshot | undefined };
}> {
  const rows: SoakRow[] = [];
  const started = Date.now();
  const end = started + options.seconds * 1000;
  let stopped = false;
  const loads = loadsOf(() => !stopped && Date.now() < end && !target.died());
  let before = await readFigures();
  const firstCpu = cpuSnapshot(pids);
  let cpu = firstCpu;
  let periodStart = started;
  for (let period = 1; ; period++) {
    const died = await waitUntil(Math.min(started + period * options.periodSeconds * 1000, end), target);
    const last = died || Date.now() >= end;
    if (last) {
      stopped = true;
      await drain(loads);
    }
    const counts = tally.takePeriod();
    const after = died ? before : await readFigures();
    const now = Date.now();
    const cpuNow = cpuSnapshot(pids);
    const others = cpu && cpuNow ? othersShare(cpu, cpuNow) : undefined;
    // The last period ends with the time asked for: the drain after it only completes exchanges in hand.
    const periodEnd = last ? Math.min(now, Math.max(end, periodStart + 1)) : now;
    const row = makeRow(
      (periodEnd - started) / 60_000,
      (periodEnd - periodStart) / 1000,
      counts,
      before,
      after,
      others,
      target.newLogProblems(),
    );
    rows.push(row);
    out(tableLine(row));
    if (last) return { rows, died, cpu: { first: firstCpu, last: cpuNow } };
    before = after;
    cpu = cpuNow;
    periodStart = now;
  }
}

async function soak(options: SoakOptions, target: Target, machine: Machine): Promise<SoakResult> {
  const withD4 = target.d4 !== undefined && options.rates.d4LinesPerSecond > 0;
  const accounts = await createAccounts(target.baseUrl, target.adminAuthorization, options.runId, withD4);
  try {
    const known = new KnownValues();
    const ja3Lines = await seedSamples(target.baseUrl, accounts, options.samplesDir, known);
    const figures = serverFigures(target);
    const d4Before = withD4 ? await d4LinesWritten(target.baseUrl, target.adminAuthorization) : undefined;
    const tally = new Tally();
    printHeader(options, target, machine, withD4);
    const pid = target.pid;
    const run = await runPeriods(
      options,
      target,
      (running) => startLoad(options, target, accounts, known, ja3Lines, tally, running),
      tally,
      figures.read,
      pid === undefined ? [] : [pid],
    );
    figures.close();
    const diedText = target.died();
    let d4: SoakResult["d4"];
    if (withD4 && !diedText) {
      const sent = tally.total.d4LinesSent;
      const written = await d4CatchUp(target, d4Before, sent);
      if (written !== undefined && written < sent && !hasD4Errors(tally)) tally.error("d4:lines-missing");
      d4 = { sent, written };
    }
    const { first, last } = run.cpu;
    return {
      rows: run.rows,
      tally,
      d4,
      died: diedText,
      otherCpuShare: first && last ? othersShare(first, last) : undefined,
    };
  } finally {
    if (!target.died())
      await accounts.remove().catch((error: unknown) => log(`cleaning up: ${String(error)}`));
  }
}

function hasD4Errors(tally: Tally): boolean {
  return [...tally.total.errors.keys()].some((kind) => kind.startsWith("d4:"));
}

function printHeader(options: SoakOptions, target: Target, machine: Machine, withD4: boolean): void {
  const { rates } = options;
  const minutes = options.seconds / 60;
  out(
    `pdns-pssl soak: ${minutes} min, rows every ${options.periodSeconds} s; ${machine.cpus} vCPU ${machine.cpuModel}, ` +
      `${machine.memoryGb} GB, Node ${machine.node}, Linux ${machine.kernel}`,
  );
  out(
    `server: ${target.baseUrl} (${target.pid === undefined ? "attached" : `pid ${target.pid}`}), store: ${target.storeText}`,
  );
  out(
    `load: HTTP ${integer(rates.httpLinesPerSecond)} passivedns lines/s in POSTs of ${integer(rates.httpBatchLines)}, ` +
      `${integer(rates.tlsSessionsPerSecond)} ja3-jl sessions/s; ` +
      (withD4
        ? `D4 ${integer(rates.d4LinesPerSecond)} lines/s (sessions of ${rates.d4SessionSeconds} s); `
        : "no D4; ") +
      `${rates.queryClients} query clients, ${rates.queriesPerSecond > 0 ? `${integer(rates.queriesPerSecond)} queries/s in all` : "closed loop"}`,
  );
  out("");
  out(tableHeader());
}

/**
 * The memory figures judged for levelling off. On the embedded store rss and pss include LMDB's mapped
 * file, which grows with the store; anon (heap and native private memory) and heap are what a leak moves.
 */
const MEMORY_FIGURES: ReadonlyArray<readonly [string, (row: SoakRow) => number | null]> = [
  ["rss", (row) => row.rssMb],
  ["pss", (row) => row.pssMb],
  ["anon", (row) => row.anonMb],
  ["heap", (row) => row.heapMb],
];

function printSummary(target: Target, result: SoakResult): void {
  const { rows, tally } = result;
  const total = tally.total;
  const minutes = rows.length > 0 ? (rows[rows.length - 1] as SoakRow).minute : 0;
  const seconds = Math.max(1, minutes * 60);
  const latencies = allLatencies(total);
  const ms = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(1));
  const routes = QUERY_ROUTES.map((route) => {
    const sorted = [...total.latencies[route]].sort((a, b) => a - b);
    return `${route} ${integer(sorted.length)} (p50 ${ms(percentile(sorted, 0.5))}, p99 ${ms(percentile(sorted, 0.99))})`;
  });
  const errors = errorTotal(total);
  const kinds = [...total.errors].map(([kind, n]) => `${kind}×${n}`).join(" ");
  const store = rows.map((row) => row.storeMb).filter((mb): mb is number => mb !== null);
  const d4 = result.d4;
  out("");
  out(`summary (${minutes.toFixed(1)} min, ${target.storeText}):`);
  out(
    `  ingest: HTTP ${integer(total.httpRecords)} passivedns records (${integer(total.httpRecords / seconds)}/s), ` +
      `${integer(total.tlsSessions)} ja3-jl sessions; ` +
      (d4
        ? `D4 ${integer(d4.sent)} lines sent, ${d4.written === undefined ? "?" : integer(d4.written)} written by the endpoint`
        : "no D4"),
  );
  out(
    `  queries: ${integer(latencies.length)} (${integer(latencies.length / seconds)}/s), p50 ${ms(percentile(latencies, 0.5))} ms, ` +
      `p99 ${ms(percentile(latencies, 0.99))} ms; ${routes.join(", ")}`,
  );
  out(`  errors: ${errors}${kinds ? ` (${kinds})` : ""}`);
  for (const [kind, first] of tally.firstErrors) out(`    first ${kind} at ${first.at}: ${first.detail}`);
  const problems = target.logProblems();
  if (problems.count > 0) {
    out(`  server log: ${problems.count} lines at warn level or above; the first:`);
    for (const line of problems.first.slice(0, 5)) out(`    ${line.slice(0, 300)}`);
  }
  for (const [name, figure] of MEMORY_FIGURES) out(`  ${levellingText(name, levelling(rows, figure))}`);
  if (target.backend === "embedded") {
    out("  (rss and pss include LMDB's mapped file, which grows with the store; anon and heap show leaks)");
  }
  if (store.length > 0) {
    const growth = ((store[store.length - 1] as number) - (store[0] as number)) / Math.max(minutes, 1 / 60);
    out(
      `  store: ${(store[0] as number).toFixed(0)} MB after the first row, ${(store[store.length - 1] as number).toFixed(0)} MB at the end (${growth.toFixed(1)} MB/min)`,
    );
  }
  if (result.otherCpuShare !== undefined) {
    out(
      `  other processes used ${(result.otherCpuShare * 100).toFixed(0)}% of the machine's CPUs during the run`,
    );
  }
  if (result.died) out(`  THE SERVER DIED: ${result.died}`);
  out(
    `  result: ${result.died ? "FAILED (the server died)" : errors > 0 ? `FAILED (${errors} errors)` : "OK"}`,
  );
}

async function writeJson(
  options: SoakOptions,
  target: Target,
  machine: Machine,
  result: SoakResult,
): Promise<void> {
  const total = result.tally.total;
  const json = {
    runId: options.runId,
    machine,
    server: { url: target.baseUrl, pid: target.pid ?? null, store: target.storeText },
    minutes: options.seconds / 60,
    periodSeconds: options.periodSeconds,
    rates: options.rates,
    rows: result.rows,
    summary: {
      httpRecords: total.httpRecords,
      tlsSessions: total.tlsSessions,
      d4: result.d4 ?? null,
      queries: allLatencies(total).length,
      errors: errorTotal(total),
      errorKinds: Object.fromEntries(total.errors),
      firstErrors: Object.fromEntries(result.tally.firstErrors),
      serverLog: { path: target.logPath ?? null, ...target.logProblems() },
      memory: Object.fromEntries(
        MEMORY_FIGURES.map(([name, figure]) => [name, levelling(result.rows, figure)]),
      ),
      otherCpuPercent: result.otherCpuShare === undefined ? null : result.otherCpuShare * 100,
      died: result.died ?? null,
    },
  };
  await writeFile(options.out, `${JSON.stringify(json, null, 2)}\n`);
}

async function main(): Promise<number> {
  const runId = Date.now().toString(36);
  const options = parseSoakOptions(process.argv.slice(2), ROOT, runId);
  const machine = describeMachine();
  const target =
    options.target.kind === "start"
      ? await startTarget(ROOT, options.target, log)
      : attachTarget(options.target);
  // Every step is bounded, but a hung server must not hold the machine forever.
  setTimeout(
    () => {
      log("gave up: the run took 10 minutes longer than asked");
      process.exit(1);
    },
    options.seconds * 1000 + 600_000,
  ).unref();
  let result: SoakResult;
  try {
    result = await soak(options, target, machine);
  } finally {
    await target.close();
  }
  printSummary(target, result);
  await writeJson(options, target, machine, result);
  out(`  rows: ${options.out}`);
  if (result.died) return 2;
  return errorTotal(result.tally.total) > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError && error.message === "") {
      // --help
      process.stdout.write(USAGE);
      process.exit(0);
    }
    if (error instanceof UsageError) log(`${error.message}\n${USAGE}`);
    else log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
