/**
 * `pdns-pssl serve --workers N`: N processes serve the HTTP API on one listener (node:cluster shares the
 * socket; the embedded store is multi-process safe, Redis is shared anyway). The primary process forks
 * the workers, restarts one that dies, serves the operations listener (health, and metrics summed over
 * every worker), and stops them all on SIGTERM/SIGINT. Worker 0, the leader, starts first and alone
 * runs what must run once: the D4 endpoint, D4 queue consumers, the retention sweeper.
 */
import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { AggregatorRegistry } from "prom-client";
import type { Config } from "../config.js";
import { createOpsApp } from "../http/app.js";
import { log, setLogLevel } from "../observability/logger.js";
import { registry } from "../observability/metrics.js";
import { httpLimitsOf, listen, portOf, startServer } from "../server.js";
import { openStore } from "../store/open-store.js";

const WORKER_INDEX = "PDNS_PSSL_WORKER_INDEX";
const RESTART_DELAY_MS = 1_000;

/** How many processes serve: --workers, or one per core ("auto"). */
export function workerCount(config: Pick<Config, "workers">): number {
  return config.workers === "auto" ? availableParallelism() : config.workers;
}

/** Runs the server: in this process alone, or as the primary or a worker of a cluster. */
export async function serve(config: Config): Promise<void> {
  setLogLevel(config.logLevel);
  const workers = workerCount(config);
  if (cluster.isWorker) return runWorker(config);
  if (workers <= 1) return runAlone(config);
  return runPrimary(config, workers);
}

function onStopSignal(stop: (signal: string) => Promise<void>): void {
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}

async function runAlone(config: Config): Promise<void> {
  const server = await startServer(config);
  onStopSignal(async (signal) => {
    log(`${signal}: shutting down`);
    await server.close();
    process.exit(0);
  });
}

async function runWorker(config: Config): Promise<void> {
  const index = Number(process.env[WORKER_INDEX] ?? 0);
  // The primary sums the workers' metrics over IPC: constructing an aggregator is what makes this
  // worker answer its requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const server = await startServer(config, { leader: index === 0, clustered: true });
  const stop = async (why: string) => {
    log(`worker ${index}: ${why}: shutting down`);
    await server.close();
    process.exit(0);
  };
  onStopSignal(stop);
  // The primary is gone (killed): nothing would restart or stop this worker, so it leaves too.
  process.on("disconnect", () => void stop("primary gone"));
}

async function runPrimary(config: Config, workers: number): Promise<void> {
  log(`pdns-pssl: starting ${workers} workers (--workers)`);
  let stopping = false;
  const running = new Map<number, Worker>();

  const fork = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const worker = cluster.fork({ [WORKER_INDEX]: String(index) });
      running.set(index, worker);
      worker.once("listening", () => resolve());
      worker.once("exit", (code, signal) => {
        running.delete(index);
        resolve();
        if (stopping) return;
        log(`worker ${index} exited (${signal ?? `code ${code}`}); starting it again`);
        setTimeout(() => void fork(index), RESTART_DELAY_MS);
      });
    });

  // The leader first and alone: it makes what the others then find (signing key, secret key, D4 cert).
  await fork(0);
  await Promise.all(Array.from({ length: workers - 1 }, (_, i) => fork(i + 1)));

  const store = config.opsListen ? await openStore(config) : undefined;
  const aggregator = new AggregatorRegistry();
  const ops =
    config.opsListen && store
      ? await listen(
          createOpsApp({
            store,
            log,
            metrics: async () => ({
              body: await aggregator.clusterMetrics(),
              contentType: aggregator.contentType,
            }),
          }).fetch,
          config.opsListen.host,
          config.opsListen.port,
          httpLimitsOf(config),
        )
      : undefined;
  if (ops && config.opsListen) {
    log(`operations (health, metrics) on http://${config.opsListen.host}:${portOf(ops)}`);
  }

  onStopSignal(async (signal) => {
    log(`${signal}: stopping ${running.size} workers`);
    stopping = true;
    const exits = [...running.values()].map(
      (worker) => new Promise<void>((resolve) => worker.once("exit", () => resolve())),
    );
    for (const worker of running.values()) worker.process.kill("SIGTERM");
    await Promise.all(exits);
    if (ops) await new Promise<void>((resolve) => ops.close(() => resolve()));
    await store?.close();
    process.exit(0);
  });
}
