/** The command line of `npm run soak`: what to run against, for how long, and how hard. */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

export const USAGE = `usage: npm run soak -- [--minutes N] [options]

Start a server (or attach to one), run a mixed load for N minutes, print a row per minute.

  --minutes <n>             how long the load runs, fractions allowed (default 10)
  --store <store>           the started server's store: embedded (in a temp dir, the default) or
                            redis://host:port[/db]
  --key-prefix <p>          its Redis key prefix, deleted at the end (default soak-<run id>)
  --server <how>            build: npm run build, then dist/cli.js (default); dist: as built;
                            source: src/cli.ts through tsx
  --keep                    keep the temp dir (store, server.log) or the Redis keys
  --url <url>               attach to a running server instead, with
  --admin-token <token>       an admin's API token (required with --url),
  --d4 <host:port>            its D4 endpoint (no D4 load without it),
  --metrics-url <url>         its operations listener's /metrics (default /metrics on --url),
  --data-dir <dir>            its embedded store, or
  --redis <url>               its Redis, for the store size column
  --http-rate <n>           passivedns lines/s to /ingest/passivedns (default 2000)
  --http-batch <n>          lines per POST (default 5000)
  --tls-rate <n>            ja3-jl sessions/s to /ingest/ja3-jl (default 20)
  --d4-rate <n>             passivedns lines/s to the D4 endpoint, type 8 (default 1000)
  --d4-session-seconds <n>  seconds before a D4 session ends and a new one starts (default 60)
  --query-clients <n>       query clients, one keep-alive connection each (default 4)
  --query-rate <n>          queries/s of all clients together, 0 for as fast as they can (default 200)
  --samples <dir>           sample files ingested first (default ../shared/samples)
  --out <file>              rows and summary as JSON (default <tmpdir>/pdns-pssl-soak-<run id>.json)
  --seed <n>                seed of the synthetic data (default 1)
  --distinct <n>            at most n distinct synthetic names per stream (HTTP, D4), then the same
                            names again (merges): the store stops growing, as with a real sensor's
                            repeats (default: every line a new name, the store grows all along)
`;

export type ServerMode = "build" | "dist" | "source";

/** Where the load goes: a server this script starts, or one already running. */
export type TargetOptions =
  | { kind: "start"; store: "embedded" | string; keyPrefix: string; server: ServerMode; keep: boolean }
  | {
      kind: "attach";
      url: string;
      adminToken: string;
      d4: { host: string; port: number } | undefined;
      metricsUrl: string | undefined;
      dataDir: string | undefined;
      redis: string | undefined;
    };

/** Target rates of the load generators. */
export interface LoadRates {
  httpLinesPerSecond: number;
  httpBatchLines: number;
  tlsSessionsPerSecond: number;
  d4LinesPerSecond: number;
  d4SessionSeconds: number;
  queryClients: number;
  /** Queries/s of all clients together; 0 runs them closed-loop, as fast as the server answers. */
  queriesPerSecond: number;
}

export interface SoakOptions {
  runId: string;
  seconds: number;
  /** Seconds per printed row (60; shorter for quick checks). */
  periodSeconds: number;
  target: TargetOptions;
  rates: LoadRates;
  samplesDir: string;
  out: string;
  seed: number;
  /** Distinct synthetic names per stream, or undefined for ever new ones. */
  distinct: number | undefined;
}

export class UsageError extends Error {}

function positiveNumber(name: string, text: string | undefined, fallback: number, allowZero = false): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new UsageError(`--${name}: expected a positive number, got ${JSON.stringify(text)}`);
  }
  return value;
}

function hostPort(text: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  if (!match) throw new UsageError(`--d4: expected host:port, got ${JSON.stringify(text)}`);
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, "$1"), port: Number(match[2]) };
}

function serverMode(text: string | undefined): ServerMode {
  const mode = text ?? "build";
  if (mode !== "build" && mode !== "dist" && mode !== "source") {
    throw new UsageError(`--server: build, dist or source, got ${JSON.stringify(mode)}`);
  }
  return mode;
}

/** Parses `args` (without node and the script); throws UsageError on a bad or unknown option. */
export function parseSoakOptions(args: readonly string[], root: string, runId: string): SoakOptions {
  const text = { type: "string" } as const;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        minutes: text,
        "period-seconds": text,
        store: text,
        "key-prefix": text,
        server: text,
        url: text,
        "admin-token": text,
        d4: text,
        "metrics-url": text,
        "data-dir": text,
        redis: text,
        "http-rate": text,
        "http-batch": text,
        "tls-rate": text,
        "d4-rate": text,
        "d4-session-seconds": text,
        "query-clients": text,
        "query-rate": text,
        samples: text,
        out: text,
        seed: text,
        distinct: text,
        keep: { type: "boolean" },
        help: { type: "boolean" },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) throw new UsageError("");
  const str = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  const num = (name: string, fallback: number, allowZero = false) =>
    positiveNumber(name, str(name), fallback, allowZero);
  const url = str("url");
  let target: TargetOptions;
  if (url !== undefined) {
    const adminToken = str("admin-token");
    if (!adminToken) throw new UsageError("--url needs --admin-token");
    const d4 = str("d4");
    target = {
      kind: "attach",
      url: url.replace(/\/+$/, ""),
      adminToken,
      d4: d4 === undefined ? undefined : hostPort(d4),
      metricsUrl: str("metrics-url"),
      dataDir: str("data-dir"),
      redis: str("redis"),
    };
  } else {
    const store = str("store") ?? "embedded";
    if (store !== "embedded" && !/^redis:\/\//.test(store)) {
      throw new UsageError(`--store: embedded or redis://..., got ${JSON.stringify(store)}`);
    }
    target = {
      kind: "start",
      store,
      keyPrefix: str("key-prefix") ?? `soak-${runId}`,
      server: serverMode(str("server")),
      keep: values.keep === true,
    };
  }
  const minutes = num("minutes", 10);
  return {
    runId,
    seconds: minutes * 60,
    periodSeconds: num("period-seconds", 60),
    target,
    rates: {
      httpLinesPerSecond: num("http-rate", 2_000, true),
      httpBatchLines: Math.round(num("http-batch", 5_000)),
      tlsSessionsPerSecond: num("tls-rate", 20, true),
      d4LinesPerSecond: num("d4-rate", 1_000, true),
      d4SessionSeconds: num("d4-session-seconds", 60),
      queryClients: Math.round(num("query-clients", 4, true)),
      queriesPerSecond: num("query-rate", 200, true),
    },
    samplesDir: str("samples") ?? join(root, "..", "shared", "samples"),
    out: str("out") ?? join(tmpdir(), `pdns-pssl-soak-${runId}.json`),
    seed: Math.round(num("seed", 1)),
    distinct: str("distinct") === undefined ? undefined : Math.round(num("distinct", 1)),
  };
}
