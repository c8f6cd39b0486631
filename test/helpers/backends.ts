/**
 * Runs a suite against every store backend: the embedded LMDB store in a temporary directory, a real
 * Redis (REDIS_URL, default redis://127.0.0.1:6379) and, when REDIS_CLUSTER_URL is set (e.g.
 * redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002), a Redis Cluster, each under a key
 * prefix of its own. In CI an unreachable Redis, or a REDIS_CLUSTER_URL that cannot be reached, fails
 * the run; locally the Redis suites are skipped with a loud warning, and the cluster suites are skipped
 * when REDIS_CLUSTER_URL is not set.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, Redis } from "ioredis";
import { afterEach, beforeEach, describe } from "vitest";
import { openLmdbStore } from "../../src/store/lmdb-store.js";
import { openStore } from "../../src/store/open-store.js";
import { isClusterUrl, parseClusterUrl } from "../../src/store/redis-store.js";
import type { Store } from "../../src/store/types.js";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** A Redis Cluster to run the suites on too, when set. */
export const REDIS_CLUSTER_URL = process.env.REDIS_CLUSTER_URL || undefined;

export type BackendName = "lmdb" | "redis" | "redis-cluster";
/** Every backend, in the order suites are declared (see backendAvailable). */
export const BACKENDS: readonly BackendName[] = ["lmdb", "redis", "redis-cluster"];

/** A cluster client for tests (probe, clean-up), failing fast instead of retrying. */
export function clusterClient(url: string): Cluster {
  const { nodes, username, password, tls } = parseClusterUrl(url);
  return new Cluster(nodes, {
    lazyConnect: true,
    clusterRetryStrategy: () => null,
    redisOptions: {
      protocol: 2,
      username,
      password,
      ...(tls ? { tls: {} } : {}),
      maxRetriesPerRequest: 0,
    },
  });
}

async function probeRedis(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function probeCluster(url: string): Promise<string | undefined> {
  const cluster = clusterClient(url);
  cluster.on("error", () => {});
  try {
    await cluster.connect();
    const info = await cluster.cluster("INFO");
    if (!/^cluster_state:ok\s*$/m.test(info)) return "cluster_state is not ok";
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    cluster.disconnect();
  }
}

export const redisReachable = await probeRedis();
if (!redisReachable) {
  if (process.env.CI) throw new Error(`CI is set but Redis is not reachable at ${REDIS_URL}`);
  console.warn(
    `\n!!! Redis not reachable at ${REDIS_URL}: the Redis-backed suites are SKIPPED (set REDIS_URL) !!!\n`,
  );
}

const clusterProblem = REDIS_CLUSTER_URL === undefined ? "not set" : await probeCluster(REDIS_CLUSTER_URL);
export const redisClusterReachable = clusterProblem === undefined;
if (REDIS_CLUSTER_URL !== undefined && !redisClusterReachable) {
  const message = `Redis Cluster not usable at ${REDIS_CLUSTER_URL}: ${clusterProblem}`;
  if (process.env.CI) throw new Error(`CI is set but ${message}`);
  console.warn(`\n!!! ${message}: the Redis Cluster suites are SKIPPED !!!\n`);
}

/** Whether suites of this backend can run here (else they are declared skipped). */
export function backendAvailable(backend: BackendName): boolean {
  if (backend === "redis") return redisReachable;
  if (backend === "redis-cluster") return redisClusterReachable;
  return true;
}

/** The store URL of a Redis backend. */
export function storeUrlOf(backend: "redis" | "redis-cluster"): string {
  if (backend === "redis") return REDIS_URL;
  if (REDIS_CLUSTER_URL === undefined) throw new Error("REDIS_CLUSTER_URL is not set");
  return REDIS_CLUSTER_URL;
}

export interface Backend {
  name: BackendName;
  /** Opens a fresh, empty store of this backend; closed and removed after each test. */
  open(): Promise<Store>;
}

/**
 * Deletes every key under a prefix (tests clean up after themselves), on one Redis or, for a cluster
 * URL, on every master of the cluster.
 */
export async function deleteRedisPrefix(prefix: string, url: string = REDIS_URL): Promise<void> {
  if (!isClusterUrl(url)) {
    const redis = new Redis(url);
    try {
      await deleteOnNode(redis, prefix);
    } finally {
      redis.disconnect();
    }
    return;
  }
  const cluster = clusterClient(url);
  cluster.on("error", () => {});
  try {
    await cluster.connect();
    await Promise.all(cluster.nodes("master").map((node) => deleteOnNode(node, prefix)));
  } finally {
    cluster.disconnect();
  }
}

/** SCAN + UNLINK on one node; one key per UNLINK (a cluster node refuses keys of several slots). */
async function deleteOnNode(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) {
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.unlink(key);
      await pipeline.exec();
    }
  } while (cursor !== "0");
}

export function uniquePrefix(): string {
  return `test-${randomBytes(6).toString("hex")}`;
}

/** A fresh store of one backend, and what removes it. */
export async function openTestStore(
  backend: BackendName,
): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (backend === "lmdb") {
    const dir = await mkdtemp(join(tmpdir(), "pp-store-"));
    return { store: await openLmdbStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
  }
  const prefix = uniquePrefix();
  const url = storeUrlOf(backend);
  const store = await openStore({ store: url, dataDir: "", keyPrefix: prefix });
  return { store, cleanup: () => deleteRedisPrefix(prefix, url) };
}

/** Declares `suite` once per backend, with a fresh store for every test. */
export function describeEachBackend(
  title: string,
  suite: (ctx: { store: () => Store; backend: BackendName }) => void,
) {
  for (const backend of BACKENDS) {
    describe.skipIf(!backendAvailable(backend))(`${title} [${backend}]`, () => {
      let store: Store | undefined;
      let cleanup: (() => Promise<void>) | undefined;
      beforeEach(async () => {
        ({ store, cleanup } = await openTestStore(backend));
      });
      afterEach(async () => {
        await store?.close();
        await cleanup?.();
      });
      suite({
        store: () => {
          if (!store) throw new Error("store not open");
          return store;
        },
        backend,
      });
    });
  }
}
