/**
 * The server under load: one this script starts as a child process (`serve --workers 1` on loopback,
 * with the D4 endpoint and the operations listener, on the embedded store in a temp dir or on Redis
 * under a key prefix of its own), or one already running that it attaches to with an admin's token.
 * Either way the soak sees the same thing: the API's URL, the D4 endpoint, where to scrape metrics,
 * how to measure the store, and whether the server is still alive.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { runToEnd, spawnTracked, stopChild } from "../../bench/children.js";
import { buildServer, listeningPort, type Memory, memoryOf } from "../../bench/server-process.js";
import type { ServerMode, TargetOptions } from "./options.js";
import { ServerLog } from "./server-log.js";

export interface Target {
  baseUrl: string;
  /** The server's process, when it is our child. */
  pid: number | undefined;
  /** The D4 endpoint, or undefined when there is none to load. */
  d4: { host: string; port: number } | undefined;
  /** Prometheus text: the operations listener's, or the API's with the admin's credential. */
  metricsUrl: string;
  metricsHeaders: Record<string, string>;
  /** The admin's credential, as an Authorization header value. */
  adminAuthorization: string;
  /** Where the store lives, for the report. */
  storeText: string;
  /** The store's kind, when known. */
  backend: "embedded" | "redis" | undefined;
  /** Memory of the server process from /proc, when it is our child (undefined: read it from metrics). */
  memory(): Promise<ServerMemory | undefined>;
  /** Bytes the store takes: `du` of the embedded store's directory, or Redis' `used_memory`. */
  storeBytes(): Promise<number | undefined>;
  /** The started server's log file, when kept (`--keep`; undefined when attached). */
  logPath: string | undefined;
  /** Lines the server logged at warn level and above since the last call (0 when attached). */
  newLogProblems(): number;
  /** How many such lines there were in all, and the first of them, for the report. */
  logProblems(): { count: number; first: readonly string[] };
  /** Why the server is gone (exit code or signal, with the end of its log), or undefined while it runs. */
  died(): string | undefined;
  /** Stops what was started here and removes what it made (unless asked to keep it). */
  close(): Promise<void>;
}

/** /proc's figures (bench/server-process.ts), and PSS. */
export interface ServerMemory extends Memory {
  /**
   * Proportional set size: RSS with each page divided among its mappings. lmdb-js keeps the older,
   * smaller maps of a file that grew, so LMDB's pages count several times in RSS but once in PSS.
   */
  pss: number | undefined;
}

const START_TIMEOUT_MS = 60_000;

/** PSS of a process from /proc/<pid>/smaps_rollup (Linux 4.14+), in bytes. */
async function pssOf(pid: number): Promise<number | undefined> {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The memory of a running process, or undefined once it is gone. */
async function serverMemory(pid: number): Promise<ServerMemory | undefined> {
  try {
    return { ...(await memoryOf(pid)), pss: await pssOf(pid) };
  } catch {
    return undefined;
  }
}

/** `du`: the bytes the files under `dir` occupy on disk (LMDB's file may be sparse). */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await diskUsage(path);
    else if (entry.isFile()) total += (await stat(path)).blocks * 512;
  }
  return total;
}

/** A Redis client for `INFO memory`, and `used_memory` from it. */
function redisMemory(url: string): { read(): Promise<number | undefined>; close(): void } {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  return {
    async read() {
      try {
        const match = /^used_memory:(\d+)/m.exec(await client.info("memory"));
        return match ? Number(match[1]) : undefined;
      } catch {
        return undefined;
      }
    },
    close: () => client.disconnect(),
  };
}

/** Deletes every key under `prefix:` (the started server's own prefix), in batches. */
async function deleteKeys(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    for await (const keys of client.scanStream({ match: `${prefix}:*`, count: 1_000 })) {
      const batch = keys as string[];
      if (batch.length > 0) deleted += await client.unlink(...batch);
    }
  } finally {
    client.disconnect();
  }
  return deleted;
}

/** The command that runs the CLI: the built dist/cli.js, or src/cli.ts through tsx. */
function cliCommand(root: string, mode: ServerMode): string[] {
  return mode === "source" ? ["--import", "tsx", join(root, "src/cli.ts")] : [join(root, "dist/cli.js")];
}

/** Why a child is gone, once it is. */
function deathOf(child: ChildProcess, output: () => string): string | undefined {
  if (child.exitCode === null && child.signalCode === null) return undefined;
  const how = child.signalCode ? `killed by ${child.signalCode}` : `exited with ${child.exitCode}`;
  return `the server ${how}; its last log lines:\n${output().split("\n").slice(-15).join("\n")}`;
}

/**
 * Starts `serve` on loopback with the D4 endpoint and the operations listener, after making an admin
 * (`users add`, `tokens create`) with the CLI on the same store.
 */
export async function startTarget(
  root: string,
  options: Extract<TargetOptions, { kind: "start" }>,
  log: (message: string) => void,
): Promise<Target> {
  if (options.server === "build") {
    log("npm run build...");
    await buildServer(root);
  }
  const dir = await mkdtemp(join(tmpdir(), "pdns-pssl-soak-"));
  const dataDir = join(dir, "data");
  const redis = options.store === "embedded" ? undefined : options.store;
  const storeArgs = redis
    ? ["--store", redis, "--key-prefix", options.keyPrefix, "--data-dir", dataDir]
    : ["--data-dir", dataDir];
  // Sensor keys are encrypted under the secret key: the embedded store makes one, Redis needs it given.
  const env = redis
    ? { ...process.env, PDNS_PSSL_SECRET_KEY: randomBytes(32).toString("base64") }
    : process.env;
  const command = cliCommand(root, options.server);
  const cli = (args: string[]) =>
    runToEnd(process.execPath, [...command, ...storeArgs, ...args], { cwd: root, env, timeoutMs: 60_000 });
  await cli(["users", "add", "soak-admin", "--role", "admin"]);
  const adminToken = (await cli(["tokens", "create", "soak-admin", "--name", "soak"])).trim();
  const serve = ["serve", "--listen", "127.0.0.1:0", "--workers", "1"];
  serve.push("--d4-listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0");
  const serverLog = new ServerLog(join(dir, "server.log"));
  const logFd = serverLog.open();
  const child = spawnTracked(process.execPath, [...command, ...storeArgs, ...serve], {
    cwd: root,
    env,
    stdio: ["ignore", "ignore", logFd],
  });
  closeSync(logFd);
  const output = () => serverLog.tail();
  const removeDir = () => (options.keep ? Promise.resolve() : rm(dir, { recursive: true, force: true }));
  let port: number;
  try {
    port = await listeningPort(child, output, START_TIMEOUT_MS);
  } catch (error) {
    await stopChild(child);
    await removeDir();
    throw error;
  }
  // The server logs these before the HTTP line it was waited for.
  const d4Port = /D4 sensor endpoint listening on \S+:(\d+) /.exec(output())?.[1];
  const opsPort = /operations \(health, metrics\) on http:\/\/127\.0\.0\.1:(\d+)/.exec(output())?.[1];
  const pid = child.pid as number;
  const adminAuthorization = adminToken;
  const usedMemory = redis ? redisMemory(redis) : undefined;
  log(`server pid ${pid} on http://127.0.0.1:${port} (D4 ${d4Port ?? "-"}, ops ${opsPort ?? "-"}), ${dir}`);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid,
    d4: d4Port ? { host: "127.0.0.1", port: Number(d4Port) } : undefined,
    metricsUrl: opsPort ? `http://127.0.0.1:${opsPort}/metrics` : `http://127.0.0.1:${port}/metrics`,
    metricsHeaders: opsPort ? {} : { authorization: adminAuthorization },
    adminAuthorization,
    storeText: redis ? `Redis ${redis} (key prefix ${options.keyPrefix})` : `embedded, ${dataDir}`,
    backend: redis ? "redis" : "embedded",
    memory: async () => (deathOf(child, output) ? undefined : serverMemory(pid)),
    storeBytes: async () => (usedMemory ? usedMemory.read() : diskUsage(dataDir).catch(() => undefined)),
    logPath: options.keep ? serverLog.path : undefined,
    newLogProblems: () => serverLog.scan(),
    logProblems: () => ({ count: serverLog.problems, first: serverLog.samples }),
    died: () => deathOf(child, output),
    async close() {
      await stopChild(child);
      usedMemory?.close();
      if (redis && !options.keep) log(`deleted ${await deleteKeys(redis, options.keyPrefix)} Redis keys`);
      await removeDir();
    },
  };
}

/** A running server, reached with an admin's token; nothing is started, and nothing stopped at the end. */
export function attachTarget(options: Extract<TargetOptions, { kind: "attach" }>): Target {
  const usedMemory = options.redis ? redisMemory(options.redis) : undefined;
  const dataDir = options.dataDir;
  return {
    baseUrl: options.url,
    pid: undefined,
    d4: options.d4,
    metricsUrl: options.metricsUrl ?? `${options.url}/metrics`,
    metricsHeaders: options.metricsUrl ? {} : { authorization: options.adminToken },
    adminAuthorization: options.adminToken,
    storeText: options.redis ?? options.dataDir ?? "not measured (no --data-dir or --redis)",
    backend: options.redis ? "redis" : options.dataDir ? "embedded" : undefined,
    memory: async () => undefined,
    async storeBytes() {
      if (usedMemory) return usedMemory.read();
      return dataDir ? diskUsage(dataDir).catch(() => undefined) : undefined;
    },
    logPath: undefined,
    newLogProblems: () => 0,
    logProblems: () => ({ count: 0, first: [] }),
    died: () => undefined,
    async close() {
      usedMemory?.close();
    },
  };
}
