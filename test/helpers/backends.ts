/**
 * Runs a suite against every store backend: the embedded LMDB store in a temporary directory, and a real
 * Redis (REDIS_URL, default redis://127.0.0.1:6379) under a key prefix of its own. In CI an unreachable
 * Redis fails the run; locally the Redis suites are skipped with a loud warning.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe } from "vitest";
import { openLmdbStore } from "../../src/store/lmdb-store.js";
import { openRedisStore } from "../../src/store/redis-store.js";
import type { Store } from "../../src/store/types.js";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

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

export const redisReachable = await probeRedis();
if (!redisReachable) {
  if (process.env.CI) throw new Error(`CI is set but Redis is not reachable at ${REDIS_URL}`);
  console.warn(
    `\n!!! Redis not reachable at ${REDIS_URL}: the Redis-backed suites are SKIPPED (set REDIS_URL) !!!\n`,
  );
}

export interface Backend {
  name: "lmdb" | "redis";
  /** Opens a fresh, empty store of this backend; closed and removed after each test. */
  open(): Promise<Store>;
}

/** Deletes every key under a prefix (tests clean up after themselves). */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

export function uniquePrefix(): string {
  return `test-${randomBytes(6).toString("hex")}`;
}

/** Declares `suite` once per backend, with a fresh store for every test. */
export function describeEachBackend(
  title: string,
  suite: (ctx: { store: () => Store; backend: string }) => void,
) {
  for (const backend of ["lmdb", "redis"] as const) {
    describe.skipIf(backend === "redis" && !redisReachable)(`${title} [${backend}]`, () => {
      let store: Store | undefined;
      let cleanup: (() => Promise<void>) | undefined;
      beforeEach(async () => {
        if (backend === "lmdb") {
          const dir = await mkdtemp(join(tmpdir(), "pp-store-"));
          store = await openLmdbStore(dir);
          cleanup = () => rm(dir, { recursive: true, force: true });
        } else {
          const prefix = uniquePrefix();
          store = await openRedisStore(REDIS_URL, prefix);
          cleanup = () => deleteRedisPrefix(prefix);
        }
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
