#!/usr/bin/env node
/** The `pdns-pssl` command line: serve, ingest (passivedns, ja3-jl, eve), users and tokens. */
import { availableParallelism } from "node:os";
import { Command, Option } from "commander";
import { AccountError, Accounts, ROLES, type Role } from "./auth/accounts.js";
import { progressReporter } from "./cli/progress.js";
import { type Config, ConfigError, type ConfigKey, loadConfig } from "./config.js";
import { type IngestSummary, ingestPassiveDns } from "./ingest/ingest-passivedns.js";
import { ingestTls, type TlsIngestSummary } from "./ingest/ingest-tls.js";
import { openInput } from "./ingest/input.js";
import { DEFAULT_LAYOUT, type PassiveDnsLayout, parseFieldLetters } from "./ingest/passivedns-parser.js";
import { ingestPassiveDnsPipelined, ingestTlsPipelined } from "./ingest/pipelined-ingest.js";
import { log, startServer } from "./server.js";
import { openStore } from "./store/open-store.js";
import type { Store } from "./store/types.js";
import { VERSION } from "./version.js";

const program = new Command("pdns-pssl")
  .description("Passive DNS and passive SSL server")
  .version(VERSION)
  .option("--store <store>", '"embedded" (LMDB in --data-dir) or redis://host:port (env PDNS_PSSL_STORE)')
  .option("--data-dir <dir>", "embedded store directory (env PDNS_PSSL_DATA_DIR, default ./data)")
  .option("--key-prefix <prefix>", "Redis key prefix (env PDNS_PSSL_KEY_PREFIX, default pp)");

function configOf(command: Command, extra: Partial<Record<ConfigKey, string>> = {}): Config {
  const opts = command.optsWithGlobals<{ store?: string; dataDir?: string; keyPrefix?: string }>();
  return loadConfig({ store: opts.store, dataDir: opts.dataDir, keyPrefix: opts.keyPrefix, ...extra });
}

async function withStore<T>(command: Command, action: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(configOf(command));
  try {
    return await action(store);
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
  .action(async (opts: Partial<Record<ConfigKey, string>>, command: Command) => {
    const server = await startServer(configOf(command, opts));
    const stop = async (signal: string) => {
      log(`${signal}: shutting down`);
      await server.close();
      process.exit(0);
    };
    process.once("SIGINT", () => void stop("SIGINT"));
    process.once("SIGTERM", () => void stop("SIGTERM"));
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

const users = program.command("users").description("manage users");
users
  .command("add")
  .argument("<name>")
  .addOption(new Option("--role <role>", "role").choices([...ROLES]).default("analyst"))
  .action(async (name: string, opts: { role: Role }, command: Command) => {
    await withStore(command, async (store) => {
      await new Accounts(store).addUser(name, opts.role);
      process.stdout.write(`user ${name} added with role ${opts.role}\n`);
    });
  });
users
  .command("list")
  .option("--json", "print JSON")
  .action(async (opts: { json?: boolean }, command: Command) => {
    await withStore(command, async (store) => {
      const list = await new Accounts(store).listUsers();
      if (opts.json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else
        for (const u of list) process.stdout.write(`${u.name}\t${u.role}${u.disabled ? "\tdisabled" : ""}\n`);
    });
  });

const tokens = program.command("tokens").description("manage API tokens");
tokens
  .command("create")
  .description("create a token; prints only the token (shown once)")
  .argument("<user>")
  .option("--name <label>", "label to recognise the token by")
  .action(async (user: string, opts: { name?: string }, command: Command) => {
    await withStore(command, async (store) => {
      const created = await new Accounts(store).createToken(user, opts.name);
      process.stdout.write(`${created.token}\n`);
      process.stderr.write(`token id ${created.id} created for ${user}; it is shown only this once\n`);
    });
  });
tokens
  .command("list")
  .argument("<user>")
  .option("--json", "print JSON")
  .action(async (user: string, opts: { json?: boolean }, command: Command) => {
    await withStore(command, async (store) => {
      const list = await new Accounts(store).listTokens(user);
      if (opts.json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else for (const t of list) process.stdout.write(`${t.id}\t${t.label ?? ""}\t${t.createdAt}\n`);
    });
  });
tokens
  .command("revoke")
  .argument("<user>")
  .argument("<token-id>")
  .action(async (user: string, id: string, _opts: unknown, command: Command) => {
    await withStore(command, async (store) => {
      await new Accounts(store).revokeToken(user, id);
      process.stdout.write(`token ${id} of ${user} revoked\n`);
    });
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof AccountError) {
    process.stderr.write(`pdns-pssl: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`pdns-pssl: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
