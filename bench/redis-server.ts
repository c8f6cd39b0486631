/**
 * A private redis-server for the benchmark: its own port, no persistence, nothing else in it, so that
 * `used_memory` before and after an ingest measures exactly what the ingest stored.
 */
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { Redis } from "ioredis";
import { spawnTracked, stopChild, tail } from "./children.js";

export interface RedisServer {
  url: string;
  pid: number;
  /** `used_memory` of `INFO memory`, in bytes. */
  usedMemory(): Promise<number>;
  /** Keys matching a SCAN pattern and the sum of their `MEMORY USAGE` (every element counted). */
  keyMemory(pattern: string): Promise<{ keys: number; bytes: number }>;
  /** Empties the server: keys and cached scripts. */
  flushAll(): Promise<void>;
  stop(): Promise<void>;
}

/** The path of `command` on PATH, or undefined. */
export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** A TCP port free on loopback right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (typeof address !== "object" || address === null) throw new Error("no port from the OS");
  return address.port;
}

/** Starts redis-server on a free loopback port; undefined when redis-server is not installed. */
export async function startRedisServer(workDir: string): Promise<RedisServer | undefined> {
  const binary = findOnPath("redis-server");
  if (!binary) return undefined;
  await mkdir(workDir, { recursive: true });
  const port = await freePort();
  // zset-max-listpack-value 256: the setting README's "Redis and Kvrocks" recommends (compact encoding
  // for owners whose records carry long rdata such as TXT or DNSKEY).
  const args = [
    "--port",
    `${port}`,
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--zset-max-listpack-value",
    "256",
  ];
  const child = spawnTracked(binary, [...args, "--dir", workDir], { stdio: ["ignore", "pipe", "pipe"] });
  const output = tail(child.stdout);
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  let client: Redis;
  for (;;) {
    client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    // connect() rejects with the same error; without a listener ioredis would also print it.
    client.on("error", () => {});
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      client.disconnect();
      if (child.exitCode !== null || Date.now() > deadline) {
        await stopChild(child);
        throw new Error(`redis-server did not start on ${url}: ${String(error)}\n${output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    pid: child.pid as number,
    async usedMemory() {
      const info = await client.info("memory");
      const match = /^used_memory:(\d+)/m.exec(info);
      if (!match) throw new Error("INFO memory has no used_memory");
      return Number(match[1]);
    },
    async keyMemory(pattern) {
      const total = { keys: 0, bytes: 0 };
      for await (const keys of client.scanStream({ match: pattern, count: 1_000 })) {
        const batch = client.pipeline();
        for (const key of keys as string[]) batch.call("MEMORY", "USAGE", key, "SAMPLES", "0");
        for (const [error, bytes] of (await batch.exec()) ?? []) {
          if (error) throw error;
          total.keys++;
          total.bytes += Number(bytes);
        }
      }
      return total;
    },
    async flushAll() {
      // Scripts survive FLUSHALL; dropping them too makes every ingest start from the same used_memory.
      await client.flushall();
      await client.script("FLUSH");
    },
    async stop() {
      client.disconnect();
      await stopChild(child);
    },
  };
}
