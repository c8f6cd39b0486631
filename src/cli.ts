#!/usr/bin/env node
/** The `pdns-pssl` command line: serve, ingest (passivedns, ja3-jl, eve), and administration. */
import { availableParallelism } from "node:os";
import { Command, Option } from "commander";
import { AuditCursorError } from "./audit/audit-log.js";
import { TimeBoundError } from "./audit/time-bound.js";
import { AccountError } from "./auth/accounts.js";
import { registerAccountCommands, UsageError } from "./cli/account-commands.js";
import { progressReporter } from "./cli/progress.js";
import { registerSensorCommands } from "./cli/sensor-commands.js";
import { type Config, ConfigError, type ConfigFlags, type ConfigKey, loadConfig } from "./config.js";
import { SensorError } from "./d4/sensors.js";
import { consumeD4Queue, type D4QueueType } from "./ingest/d4-queue.js";
import { type IngestSummary, ingestPassiveDns } from "./ingest/ingest-passivedns.js";
import { ingestTls, type TlsIngestSummary } from "./ingest/ingest-tls.js";
import { openInput } from "./ingest/input.js";
import { DEFAULT_LAYOUT, type PassiveDnsLayout, parseFieldLetters } from "./ingest/passivedns-parser.js";
import { ingestPassiveDnsPipelined, ingestTlsPipelined } from "./ingest/pipelined-ingest.js";
import { retentionEnabled } from "./retention/retention-policy.js";
import { retentionPolicyOf, sweepExpired } from "./retention/sweeper.js";
import { serve } from "./runtime/serve-workers.js";
import { log } from "./server.js";
import { openStore } from "./store/open-store.js";
import type { Store } from "./store/types.js";
import { VERSION } from "./version.js";

const program = new Command("pdns-pssl")
  .description("Passive DNS and passive SSL server")
  .version(VERSION)
  .option(
    "--store <store>",
    '"embedded" (LMDB in --data-dir), redis://host:port or redis+cluster://h1:p1,h2:p2 (env PDNS_PSSL_STORE)',
  )
  .option("--data-dir <dir>", "embedded store directory (env PDNS_PSSL_DATA_DIR, default ./data)")
  .option("--key-prefix <prefix>", "Redis key prefix (env PDNS_PSSL_KEY_PREFIX, default pp)")
  .option("--config <file>", "JSON file of settings, under flags and environment (env PDNS_PSSL_CONFIG)");

function configOf(command: Command, extra: Partial<Record<ConfigKey, string>> = {}): Config {
  const opts = command.optsWithGlobals<ConfigFlags>();
  const { store, dataDir, keyPrefix, config } = opts;
  return loadConfig({ store, dataDir, keyPrefix, config, ...extra });
}

async function withStore<T>(
  command: Command,
  action: (store: Store, config: Config) => Promise<T>,
): Promise<T> {
  const config = configOf(command);
  const store = await openStore(config);
  try {
    return await action(store, config);
  } finally {
    await store.close();
  }
}

program
  .command("serve")
  .description("run the HTTP API")
  .option("--listen <host:port>", "address to listen on (env PDNS_PSSL_LISTEN, default 127.0.0.1:8080)")
  .option("--origin <uri>", "COF origin field of every record (env PDNS_PSSL_ORIGIN)")
  .option("--max-page-size <n>", "largest dribble-paginate-count accepted (env PDNS_PSSL_MAX_PAGE_SIZE)")
  .option("--pssl-max-cidr <prefixlen>", "widest IPv4 block a pssl query takes (env PDNS_PSSL_PSSL_MAX_CIDR)")
  .option("--pdns-max-cidr4 <prefixlen>", "widest IPv4 block a non-admin pdns query takes (default 16)")
  .option("--pdns-max-cidr6 <prefixlen>", "widest IPv6 block a non-admin pdns query takes (default 48)")
  .option("--bulk-max-values <n>", "most values one POST /pdns/bulk takes (default 10000)")
  .option("--ingest-max-bytes <n>", "largest POST /ingest/* body, as sent (default 1073741824)")
  .option(
    "--retention <age>",
    "drop records and TLS sightings last seen longer ago than this (e.g. 400d; default off)",
  )
  .option(
    "--retention-rrtypes <list>",
    "per-rrtype maximum age overriding --retention, e.g. A=90d,TXT=7d,NS=off",
  )
  .option("--retention-sweep-interval <seconds>", "how often expired records are swept (default 3600)")
  .option("--d4-listen <host:port>", "also run the D4 sensor endpoint (TLS) there (env PDNS_PSSL_D4_LISTEN)")
  .option(
    "--d4-cert <file>",
    "PEM certificate of the D4 endpoint (default: a self-signed one in the data dir)",
  )
  .option("--d4-key <file>", "PEM private key of the D4 endpoint")
  .option(
    "--d4-queue <type:uuid@redis-url>",
    "consume this D4 analyzer queue, e.g. 8:<uuid>@redis://127.0.0.1:6380/2 (repeatable)",
    (spec: string, previous?: string) => (previous ? `${previous} ${spec}` : spec),
  )
  .option(
    "--default-daily <n>",
    "queries per UTC day for users without their own (or unlimited, the default)",
  )
  .option("--default-burst-size <n>", "queries per burst window for users without their own (or unlimited)")
  .option("--default-burst-window <seconds>", "the default burst window (default 60)")
  .option("--default-results-max <n>", "records per query for users without their own (or unlimited)")
  .option("--audit-retention-days <days>", "audit entries older than this are dropped (default 30)")
  .option("--audit-max-entries <n>", "audit entries kept at most (default 1000000)")
  .option("--auth-failure-limit <n>", "failed authentications per address before it is refused (default 10)")
  .option(
    "--auth-failure-window <seconds>",
    "how long failures count and a refused address waits (default 300)",
  )
  .option("--trust-proxy <bool>", "take the client address from X-Forwarded-For (default false)")
  .option("--ops-listen <host:port>", "serve /healthz, /readyz and /metrics there, without credentials")
  .option(
    "--ops-public <bool>",
    "serve them without credentials on --listen too (default false: admins only)",
  )
  .option("--headers-timeout <seconds>", "time a client has to send a request's headers (default 10)")
  .option(
    "--request-timeout <seconds>",
    "time a client has to send a whole request, 0 for none (default 300; not applied to ingest bodies)",
  )
  .option("--keep-alive-timeout <seconds>", "how long an idle kept-alive connection stays open (default 5)")
  .option(
    "--idle-timeout <seconds>",
    "a connection with no bytes either way for this long is closed, 0 for never (default 120)",
  )
  .option(
    "--cors-origins <list>",
    "origins allowed to call the API from a browser, comma-separated (default none)",
  )
  .option("--workers <n>", "processes serving the API: a number, or auto (default: one per core)")
  .option("--log-level <level>", "fatal, error, warn, info (default), debug, trace or silent")
  .option("--jwt-ttl <seconds>", "default lifetime of JWTs from POST /auth/token (default 900)")
  .option("--jwt-max-ttl <seconds>", "longest lifetime a JWT may be asked for (default 3600)")
  .option("--idp-issuer <iss>", "trust JWTs of this external identity provider (issuer)")
  .option("--idp-audience <aud>", "the audience the identity provider's JWTs must name")
  .option("--idp-jwks-url <url>", "where the identity provider publishes its keys")
  .option("--idp-user-claim <claim>", "the claim holding the user name (default sub)")
  .option("--idp-role-claim <claim>", "the claim holding the role, a string or a list (default role)")
  .option("--idp-algorithms <list>", "accepted signing algorithms (default RS256,ES256,EdDSA)")
  .action(async (opts: Partial<Record<ConfigKey, string>> & { d4Queue?: string }, command: Command) => {
    const { d4Queue, ...settings } = opts;
    await serve(configOf(command, { ...settings, d4Queues: d4Queue }));
  });

const ingest = program.command("ingest").description("import sensor output from a file or stdin");
ingest
  .command("passivedns")
  .description("passivedns sensor lines (plain or gzip; - for stdin)")
  .argument("<file>", "input file, or - for stdin")
  .option("--sensor-id <id>", "sensor id recorded with every record", "cli")
  .addOption(new Option("--format <format>", "line format").choices(["text", "json"]).default("text"))
  .option("--delimiter <delimiter>", "field delimiter of the text format (passivedns -d)", "||")
  .option("--fields <letters>", "field letters of the text format (passivedns -f)", "SMcsCQTAtn")
  .option("--no-worker", "parse on the writing thread instead of a worker thread (one core)")
  .option("--json", "print the summary as JSON")
  .action(async (file: string, opts: IngestFlags, command: Command) => {
    const layout: PassiveDnsLayout =
      opts.format === "json"
        ? { ...DEFAULT_LAYOUT, format: "json" }
        : { format: "text", delimiter: opts.delimiter, fields: parseFieldLetters(opts.fields) };
    const input = await openInput(file);
    const progress = progressReporter(input.sizeBytes);
    const ingestOptions = { sensorId: opts.sensorId, layout, onProgress: progress.update };
    let summary: IngestSummary;
    try {
      const ingestWith =
        opts.worker && availableParallelism() > 1 ? ingestPassiveDnsPipelined : ingestPassiveDns;
      summary = await withStore(command, (store) => ingestWith(input.stream, store, ingestOptions));
    } finally {
      progress.finish();
    }
    process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
  });

for (const format of ["ja3-jl", "eve"] as const) {
  ingest
    .command(format)
    .description(
      format === "ja3-jl"
        ? "D4 TLS sensor sessions, one ja3-jl JSON object per line (plain or gzip; - for stdin)"
        : "Suricata EVE JSON lines; tls events are kept, others skipped (plain or gzip; - for stdin)",
    )
    .argument("<file>", "input file, or - for stdin")
    .option("--sensor-id <id>", "sensor id recorded with every sighting", "cli")
    .option("--no-worker", "parse on the writing thread instead of a worker thread (one core)")
    .option("--json", "print the summary as JSON")
    .action(
      async (file: string, opts: { sensorId: string; worker: boolean; json?: boolean }, command: Command) => {
        const input = await openInput(file);
        const progress = progressReporter(input.sizeBytes);
        const ingestWith = opts.worker && availableParallelism() > 1 ? ingestTlsPipelined : ingestTls;
        let summary: TlsIngestSummary;
        try {
          summary = await withStore(command, (store) =>
            ingestWith(input.stream, store, { format, sensorId: opts.sensorId, onProgress: progress.update }),
          );
        } finally {
          progress.finish();
        }
        process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : formatTlsSummary(summary));
      },
    );
}

function formatRejects(
  rejected: Record<string, number | undefined>,
  firstRejects: IngestSummary["firstRejects"],
) {
  const reasons = Object.entries(rejected).sort(([a], [b]) => a.localeCompare(b));
  const total = reasons.reduce((sum, [, n]) => sum + (n ?? 0), 0);
  return [
    `rejected:        ${total}`,
    ...reasons.map(([reason, n]) => `  ${reason.padEnd(15)}${n}`),
    ...(firstRejects.length > 0 ? ["first rejected lines:"] : []),
    ...firstRejects.map((r) => `  line ${r.line}: ${r.reason} ${r.detail}`),
  ];
}

function formatTlsSummary(s: TlsIngestSummary): string {
  const lines = [
    `lines read:      ${s.lines}`,
    `tls sessions:    ${s.sessions}`,
    `skipped events:  ${s.skipped}`,
    `certificates:    ${s.certificates} parsed`,
    ...formatRejects(s.rejected, s.firstRejects),
  ];
  return `${lines.join("\n")}\n`;
}

interface IngestFlags {
  sensorId: string;
  worker: boolean;
  format: "text" | "json";
  delimiter: string;
  fields: string;
  json?: boolean;
}

function formatSummary(s: IngestSummary): string {
  const lines = [
    `lines read:      ${s.lines}`,
    `records:         ${s.records}`,
    `error answers:   ${s.rcodes}`,
    `written:         ${s.written} distinct (${s.created} new)`,
    ...formatRejects(s.rejected, s.firstRejects),
  ];
  return `${lines.join("\n")}\n`;
}

registerAccountCommands(program, withStore);
registerSensorCommands(program, withStore);

program
  .command("d4")
  .description("D4 project integration")
  .command("consume")
  .description("consume a D4 analyzer queue (analyzer:<type>:<uuid>) at least once, oldest first")
  .requiredOption("--redis <url>", "the D4 analyzer Redis, e.g. redis://127.0.0.1:6380/2")
  .requiredOption("--queue <uuid>", "the queue uuid from the D4 web UI")
  .addOption(new Option("--type <type>", "D4 type").choices(["8", "ja3-jl"]).makeOptionMandatory())
  .option("--sensor-id <id>", "sensor id recorded with every record (default d4:<uuid>)")
  .option("--batch <n>", "items moved and committed at once", "5000")
  .option("--once", "stop when the queue is empty")
  .action(
    async (
      opts: {
        redis: string;
        queue: string;
        type: D4QueueType;
        sensorId?: string;
        batch: string;
        once?: boolean;
      },
      command: Command,
    ) => {
      const batchSize = Number(opts.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
        throw new UsageError("--batch: 1 to 100000");
      }
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      process.once("SIGTERM", () => stop.abort());
      const stats = await withStore(command, (store) =>
        consumeD4Queue({ ...opts, redisUrl: opts.redis, batchSize, store, signal: stop.signal, log }),
      );
      process.stdout.write(`${JSON.stringify(stats)}\n`);
    },
  );

program
  .command("retention")
  .description("retention of passive DNS records and TLS sightings")
  .command("sweep")
  .description(
    "turn expiry filing on and delete now what the retention settings no longer keep (serve with --retention sweeps by itself)",
  )
  .option("--retention <age>", "maximum age since last seen, e.g. 400d (env PDNS_PSSL_RETENTION)")
  .option("--retention-rrtypes <list>", "per-rrtype ages overriding it, e.g. A=90d,TXT=7d,NS=off")
  .action(async (opts: { retention?: string; retentionRrtypes?: string }, command: Command) => {
    const config = configOf(command, opts);
    const policy = retentionPolicyOf(config);
    if (!retentionEnabled(policy))
      throw new UsageError("nothing expires: give --retention or --retention-rrtypes");
    const store = await openStore(config);
    try {
      await store.enableExpiryFiling();
      process.stdout.write(`${JSON.stringify(await sweepExpired(store, policy))}\n`);
    } finally {
      await store.close();
    }
  });

program.parseAsync().catch((error: unknown) => {
  if (
    error instanceof ConfigError ||
    error instanceof AccountError ||
    error instanceof UsageError ||
    error instanceof TimeBoundError ||
    error instanceof AuditCursorError ||
    error instanceof SensorError
  ) {
    process.stderr.write(`pdns-pssl: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`pdns-pssl: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
