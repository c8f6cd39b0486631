/**
 * Records/s through each live ingestion path of the built server, into an empty store each time:
 *
 * - HTTP: `POST /ingest/passivedns` with a sensor's token, the corpus file streamed as the body (plain,
 *   then gzip), timed from the request's start to the JSON summary (sent once every batch is committed);
 * - D4 analyzer queue: the corpus's lines LPUSHed one item per line into `analyzer:8:<uuid>` (as d4-core
 *   does), then `pdns-pssl d4 consume --once` timed from its start to its exit;
 * - D4 endpoint: a sensor made with `pdns-pssl sensors add`, the corpus streamed as type-8 D4 packets
 *   over TLS (d4-bench-client.ts), timed from the connection until `/info` counts every line under the
 *   sensor's uuid (the endpoint answers nothing: the store is the only witness).
 *
 * Each run gets its own server process on a fresh store (the embedded store in a new directory, Redis
 * flushed); the CPU the ingesting process (server or consumer) and Redis used is read from /proc, and so
 * is the share other processes took: a run they disturbed (over 10%) is made again once, when the
 * machine is quiet, and the quieter run kept.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { Redis } from "ioredis";
import { runToEnd, spawnTracked, stopChild, tail } from "./children.js";
import { readSensorFolder, sendFile } from "./d4-bench-client.js";
import { busyShare, cpuSnapshot, othersShare } from "./machine.js";
import type { RedisServer } from "./redis-server.js";
import type { Backend } from "./report.js";
import { createCredentials } from "./server-process.js";

export type LivePath = "HTTP" | "HTTP gzip" | "D4 queue" | "D4 endpoint";

export interface LiveFigures {
  backend: Backend;
  path: LivePath;
  /** Lines of the corpus sent. */
  lines: number;
  /** Bytes sent: the body (gzip: compressed), the queue's items, or the D4 packets before TLS. */
  bytes: number;
  seconds: number;
  /** Records the path reports written (observations, repeats included). */
  records: number;
  rejected: number;
  /** CPU seconds of the ingesting process (the server, or the consumer) and of Redis, during the run. */
  ingestCpu: number | undefined;
  redisCpu: number | undefined;
  /** Share of all CPUs used by processes other than the bench, the ingesting process and Redis. */
  othersCpu: number | undefined;
  note: string;
}

export interface LiveSetup {
  /** The repository (dist/cli.js is run from there). */
  root: string;
  /** Where the stores, sensor folders and server files of this section go. */
  workDir: string;
  /** The private Redis: the Redis store, and the D4 analyzer queue of both backends. */
  redis: RedisServer | undefined;
  keyPrefix: string;
  /** D4 payload size of the endpoint runs. */
  payloadBytes: number;
  log: (message: string) => void;
}

export interface LiveCorpus {
  path: string;
  lines: number;
}

const SENSOR_USER = "bench-sensor";
/** The D4 analyzer Redis is db 2 in d4-core's default configuration. */
const QUEUE_DB = 2;
const QUEUE_PUSH_ITEMS = 10_000;
const POLL_MS = 25;
/** The D4 endpoint run ends when its count has not moved for this long after the client closed. */
const STALL_MS = 10_000;
const RUN_TIMEOUT_MS = 600_000;
const TICKS_PER_SECOND = 100;
const OTHERS_WARNING = 0.1;
/** Runs of one path at most while other processes take more than OTHERS_WARNING of the CPUs. */
const NOISY_ATTEMPTS = 2;
/** How long a run made again first waits for a quiet second. */
const QUIET_WAIT_SECONDS = 30;

/** utime + stime of a process, in seconds; cutime + cstime for "self-children" (reaped children). */
function cpuSeconds(pid: number | "self-children"): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid === "self-children" ? "self" : pid}/stat`, "utf8");
    const fields = text
      .slice(text.lastIndexOf(")") + 2)
      .split(" ")
      .slice(11, 15)
      .map(Number);
    const [utime = 0, stime = 0, cutime = 0, cstime = 0] = fields;
    return (pid === "self-children" ? cutime + cstime : utime + stime) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function cpuMeter(pid: number | "self-children" | undefined): () => number | undefined {
  if (pid === undefined) return () => undefined;
  const before = cpuSeconds(pid);
  return () => {
    const after = cpuSeconds(pid);
    return before === undefined || after === undefined ? undefined : after - before;
  };
}

/** Measures the share of all CPUs that processes other than ours and `pids` use until it is called. */
function othersMeter(pids: readonly (number | undefined)[]): () => number | undefined {
  const ours = pids.filter((pid): pid is number => pid !== undefined);
  const before = cpuSnapshot(ours);
  return () => {
    const after = cpuSnapshot(ours);
    return before && after ? othersShare(before, after) : undefined;
  };
}

function seconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The corpus gzipped next to it (default level, as `gzip -c` does), made once. */
async function gzipped(path: string): Promise<string> {
  const out = `${path}.gz`;
  if (existsSync(out) && (await stat(out)).mtimeMs >= (await stat(path)).mtimeMs) return out;
  await pipeline(createReadStream(path), createGzip(), createWriteStream(`${out}.tmp`));
  await rename(`${out}.tmp`, out);
  return out;
}

interface LiveServer {
  baseUrl: string;
  d4Port: number | undefined;
  pid: number;
  stop(): Promise<void>;
}

/** `node dist/cli.js <store flags> serve` on free loopback ports, with the D4 endpoint when asked. */
async function startLiveServer(
  root: string,
  storeArgs: readonly string[],
  env: NodeJS.ProcessEnv,
  d4: boolean,
): Promise<LiveServer> {
  // One process, as the other sections run it: the figures compare across machines.
  const args = [
    join(root, "dist/cli.js"),
    ...storeArgs,
    "serve",
    "--listen",
    "127.0.0.1:0",
    "--workers",
    "1",
  ];
  if (d4) args.push("--d4-listen", "127.0.0.1:0");
  const child = spawnTracked(process.execPath, args, { cwd: root, env, stdio: ["ignore", "ignore", "pipe"] });
  const output = tail(child.stderr);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const http = /listening on http:\/\/[^\s]*:(\d+) /.exec(output());
    const endpoint = /D4 sensor endpoint listening on \S+:(\d+) /.exec(output());
    if (http && (!d4 || endpoint)) {
      return {
        baseUrl: `http://127.0.0.1:${http[1]}`,
        d4Port: endpoint ? Number(endpoint[1]) : undefined,
        pid: child.pid as number,
        stop: () => stopChild(child),
      };
    }
    if (child.exitCode !== null || child.signalCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stopChild(child);
  throw new Error(`the server did not start listening:\n${output()}`);
}

/** POSTs a file as a streamed body; resolves with the status and the answer's text. */
async function postFile(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const { size } = await stat(path);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent: false,
        headers: { "content-type": "text/plain", "content-length": `${size}`, ...headers },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    pipeline(createReadStream(path), req).catch(reject);
  });
}

interface IngestSummary {
  lines: number;
  records: number;
  rejected: Record<string, number>;
}

function rejectedOf(summary: { rejected: Record<string, number> }): number {
  return Object.values(summary.rejected).reduce((sum, n) => sum + n, 0);
}

/** Lines counted under `sensorId` by `/info`, or 0 before the first batch. */
async function infoCount(baseUrl: string, authorization: string, sensorId: string): Promise<number> {
  const response = await fetch(`${baseUrl}/info`, { headers: { authorization } });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`/info: HTTP ${response.status} ${body.slice(0, 200)}`);
  const info = JSON.parse(body) as { sensors: Array<{ sensor_id: string; count: number }> };
  return info.sensors.find((s) => s.sensor_id === sensorId)?.count ?? 0;
}

/** One backend's store: the flags that point the CLI and the server at it, and how to empty it. */
interface LiveStore {
  backend: Backend;
  args: string[];
  env: NodeJS.ProcessEnv;
  reset(): Promise<void>;
}

function storeOf(setup: LiveSetup, backend: Backend): LiveStore {
  const dataDir = join(setup.workDir, `live-${backend}`);
  if (backend === "embedded") {
    return {
      backend,
      args: ["--data-dir", dataDir],
      env: { ...process.env },
      reset: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const redis = setup.redis as RedisServer;
  return {
    backend,
    // The data dir only holds the D4 endpoint's self-signed pair here.
    args: ["--store", redis.url, "--key-prefix", setup.keyPrefix, "--data-dir", dataDir],
    // A Redis store has no key file: every process managing sensors needs the same secret key.
    env: { ...process.env, PDNS_PSSL_SECRET_KEY: randomBytes(32).toString("base64") },
    async reset() {
      await redis.flushAll();
      // The server writes the pair there but does not make the directory (the embedded store does).
      await mkdir(dataDir, { recursive: true });
    },
  };
}

class LiveRunner {
  readonly #setup: LiveSetup;
  readonly #store: LiveStore;
  readonly #corpus: LiveCorpus;

  constructor(setup: LiveSetup, store: LiveStore, corpus: LiveCorpus) {
    this.#setup = setup;
    this.#store = store;
    this.#corpus = corpus;
  }

  #cli(args: string[], timeoutMs = 30_000): Promise<string> {
    const { root } = this.#setup;
    return runToEnd(process.execPath, [join(root, "dist/cli.js"), ...this.#store.args, ...args], {
      cwd: root,
      env: this.#store.env,
      timeoutMs,
    });
  }

  async #withServer<T>(d4: boolean, action: (server: LiveServer) => Promise<T>): Promise<T> {
    const server = await startLiveServer(this.#setup.root, this.#store.args, this.#store.env, d4);
    try {
      return await action(server);
    } finally {
      await server.stop();
    }
  }

  #figures(path: LivePath, run: Omit<LiveFigures, "backend" | "path" | "lines">): LiveFigures {
    return { backend: this.#store.backend, path, lines: this.#corpus.lines, ...run };
  }

  async http(gzip: boolean): Promise<LiveFigures> {
    await this.#store.reset();
    await this.#cli(["users", "add", SENSOR_USER, "--role", "sensor"]);
    const token = (await this.#cli(["tokens", "create", SENSOR_USER, "--name", "bench"])).trim();
    const authorization = `Basic ${Buffer.from(`${SENSOR_USER}:${token}`).toString("base64")}`;
    const body = gzip ? await gzipped(this.#corpus.path) : this.#corpus.path;
    const { size } = await stat(body);
    const headers: Record<string, string> = { authorization };
    if (gzip) headers["content-encoding"] = "gzip";
    return this.#withServer(false, async (server) => {
      const serverCpu = cpuMeter(server.pid);
      const redisCpu = cpuMeter(this.#setup.redis?.pid);
      const others = othersMeter([server.pid, this.#setup.redis?.pid]);
      const started = process.hrtime.bigint();
      const answer = await postFile(`${server.baseUrl}/ingest/passivedns`, body, headers);
      const elapsed = seconds(started);
      if (answer.status !== 200) {
        throw new Error(`POST /ingest/passivedns: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
      }
      const summary = JSON.parse(answer.body) as IngestSummary & { created: number };
      if (summary.lines !== this.#corpus.lines) {
        throw new Error(`the server read ${summary.lines} lines of ${this.#corpus.lines}`);
      }
      return this.#figures(gzip ? "HTTP gzip" : "HTTP", {
        bytes: size,
        seconds: elapsed,
        records: summary.records,
        rejected: rejectedOf(summary),
        ingestCpu: serverCpu(),
        redisCpu: this.#store.backend === "redis" ? redisCpu() : undefined,
        othersCpu: others(),
        note: `${integerText(summary.created)} distinct records created`,
      });
    });
  }

  async queue(): Promise<LiveFigures> {
    const redis = this.#setup.redis as RedisServer;
    await this.#store.reset();
    // Queue and store may share the Redis: the queue is emptied with the store above, and kept in db 2.
    const queueUrl = `${redis.url}/${QUEUE_DB}`;
    const uuid = randomUUID();
    const key = `analyzer:8:${uuid}`;
    const bytes = await fillQueue(queueUrl, key, this.#corpus.path);
    const consume = ["d4", "consume", "--redis", queueUrl, "--queue", uuid, "--type", "8", "--once"];
    const consumerCpu = cpuMeter("self-children");
    const redisCpu = cpuMeter(redis.pid);
    const others = othersMeter([redis.pid]);
    const started = process.hrtime.bigint();
    const out = await this.#cli(consume, RUN_TIMEOUT_MS);
    const elapsed = seconds(started);
    const ingestCpu = consumerCpu();
    const redisUsed = redisCpu();
    const othersCpu = others();
    const stats = JSON.parse(out.trim().split("\n").pop() ?? "{}") as {
      items: number;
      records: number;
      rejected: number;
    };
    if (stats.items !== this.#corpus.lines) {
      throw new Error(`the consumer took ${stats.items} items of ${this.#corpus.lines}`);
    }
    // The fixed cost in that time (node's start, opening the store, connecting): a run on the empty queue.
    const idleStarted = process.hrtime.bigint();
    await this.#cli(consume);
    const fixed = seconds(idleStarted);
    return this.#figures("D4 queue", {
      bytes,
      seconds: elapsed,
      records: stats.records,
      rejected: stats.rejected,
      ingestCpu,
      redisCpu: redisUsed,
      othersCpu,
      note: `of which ${fixed.toFixed(2)} s start-up (the same command on the empty queue)`,
    });
  }

  async endpoint(): Promise<LiveFigures> {
    const { workDir, payloadBytes } = this.#setup;
    await this.#store.reset();
    const folder = join(workDir, `live-sensor-${this.#store.backend}`);
    await rm(folder, { recursive: true, force: true });
    await this.#cli(["sensors", "add", "--type", "8", "--out", folder]);
    const sensor = await readSensorFolder(folder);
    // An analyst reads /info, where the endpoint's progress shows.
    const authorization = await createCredentials(this.#setup.root, this.#store.args);
    const run = await this.#withServer(true, async (server) => {
      const serverCpu = cpuMeter(server.pid);
      const redisCpu = cpuMeter(this.#setup.redis?.pid);
      const others = othersMeter([server.pid, this.#setup.redis?.pid]);
      const started = process.hrtime.bigint();
      let sent: Awaited<ReturnType<typeof sendFile>> | undefined;
      let failed: unknown;
      const sending = sendFile(
        { host: "127.0.0.1", port: server.d4Port as number },
        sensor,
        this.#corpus.path,
        {
          type: 8,
          payloadBytes,
        },
      ).then(
        (figures) => {
          sent = figures;
        },
        (error: unknown) => {
          failed = error;
        },
      );
      let count = 0;
      let lastChange = started;
      for (;;) {
        if (failed) throw failed;
        const now = await infoCount(server.baseUrl, authorization, sensor.uuid);
        if (now !== count) {
          count = now;
          lastChange = process.hrtime.bigint();
        }
        if (count >= this.#corpus.lines) break;
        const idleMs = Number(process.hrtime.bigint() - lastChange) / 1e6;
        if (sent && idleMs > STALL_MS) break;
        if (seconds(started) * 1000 > RUN_TIMEOUT_MS) throw new Error(`D4 endpoint: ${count} lines stored`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const elapsed = Number(lastChange - started) / 1e9;
      await sending;
      if (failed) throw failed;
      return {
        elapsed,
        count,
        sent: sent as NonNullable<typeof sent>,
        ingestCpu: serverCpu(),
        redisCpu: this.#store.backend === "redis" ? redisCpu() : undefined,
        othersCpu: others(),
      };
    });
    // The sensor's own figures are written when its session ends, which the server's stop waits for.
    const [listed] = (
      JSON.parse(await this.#cli(["sensors", "list", "--json"])) as Array<{
        uuid: string;
        records: number;
        rejects: number;
      }>
    ).filter((s) => s.uuid === sensor.uuid);
    if (run.count !== this.#corpus.lines) {
      this.#setup.log(`warning: the D4 endpoint stored ${run.count} lines of ${this.#corpus.lines}`);
    }
    return this.#figures("D4 endpoint", {
      bytes: run.sent.bytes,
      seconds: run.elapsed,
      records: listed?.records ?? 0,
      rejected: listed?.rejects ?? 0,
      ingestCpu: run.ingestCpu,
      redisCpu: run.redisCpu,
      othersCpu: run.othersCpu,
      note:
        `${integerText(run.sent.packets)} packets of ${payloadBytes / 1024} KiB, sent in ` +
        `${run.sent.seconds.toFixed(2)} s; ${integerText(run.count)} lines counted by /info`,
    });
  }
}

function integerText(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** LPUSHes every line of `path` (one item each, oldest pushed first) and returns the bytes pushed. */
async function fillQueue(url: string, key: string, path: string): Promise<number> {
  const client = new Redis(url, { protocol: 2, maxRetriesPerRequest: 1 });
  try {
    let items: string[] = [];
    let bytes = 0;
    const push = async () => {
      if (items.length > 0) await client.lpush(key, ...items);
      items = [];
    };
    for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
      if (line === "") continue;
      items.push(line);
      bytes += Buffer.byteLength(line);
      if (items.length >= QUEUE_PUSH_ITEMS) await push();
    }
    await push();
    return bytes;
  } finally {
    client.disconnect();
  }
}

/** Waits until other processes leave the CPUs nearly idle for a second, or QUIET_WAIT_SECONDS pass. */
async function quietSecond(): Promise<void> {
  for (let waited = 0; waited < QUIET_WAIT_SECONDS; waited++) {
    const busy = await busyShare(1_000);
    if (busy === undefined || busy <= OTHERS_WARNING) return;
  }
}

/**
 * Every path on one backend, in order: HTTP, HTTP gzip, the D4 queue (when a Redis runs) and the D4
 * endpoint.
 */
export async function measureLive(
  setup: LiveSetup,
  backend: Backend,
  corpus: LiveCorpus,
): Promise<LiveFigures[]> {
  await mkdir(setup.workDir, { recursive: true });
  const runner = new LiveRunner(setup, storeOf(setup, backend), corpus);
  const steps: Array<[string, () => Promise<LiveFigures>]> = [
    ["HTTP POST /ingest/passivedns", () => runner.http(false)],
    ["HTTP POST /ingest/passivedns (gzip)", () => runner.http(true)],
    ...(setup.redis
      ? [
          ["D4 analyzer queue (d4 consume --once)", () => runner.queue()] as [
            string,
            () => Promise<LiveFigures>,
          ],
        ]
      : []),
    ["D4 endpoint (TLS, type 8)", () => runner.endpoint()],
  ];
  const figures: LiveFigures[] = [];
  for (const [what, step] of steps) {
    // The machine may be shared: a run during which other processes took CPU is run again (each run
    // starts from an empty store), and the quietest is kept.
    let kept: LiveFigures | undefined;
    for (let attempt = 1; attempt <= NOISY_ATTEMPTS; attempt++) {
      if (attempt > 1) await quietSecond();
      setup.log(`live ingest into ${backend}: ${what}${attempt > 1 ? ` (attempt ${attempt})` : ""}...`);
      const f = await step();
      const others = f.othersCpu ?? 0;
      setup.log(`  ${integerText(f.lines / f.seconds)} records/s`);
      if (!kept || others < (kept.othersCpu ?? 0)) kept = f;
      if (others <= OTHERS_WARNING) break;
      setup.log(`  warning: other processes used ${(others * 100).toFixed(0)}% of the CPUs meanwhile`);
    }
    figures.push(kept as LiveFigures);
  }
  if (backend === "embedded")
    await rm(join(setup.workDir, "live-embedded"), { recursive: true, force: true });
  return figures;
}
