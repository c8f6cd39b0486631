/**
 * D4 analyzer queues consumed inside `serve`, named in a config file, against private redis-servers
 * standing for a D4 server's Redis: (a) two queues (type 8 and ja3-jl, on two databases of a Redis with
 * a password) are drained, their records served by the query APIs and their figures shown to admins in
 * /info, never to analysts, never with the password; (b) the real `pdns-pssl serve --config` keeps
 * consuming while its D4 Redis is SIGKILLed mid-consume and started again over the same data: it
 * reconnects, counts the failures, logs the outage once, and every item ends up in the store.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { D4QueueReport } from "../src/ingest/d4-consumers.js";
import { d4QueueKeys } from "../src/ingest/d4-queue.js";
import type { IngestInfo } from "../src/ingest/ingest-status.js";
import { runCli } from "./helpers/cli.js";
import { basic, parseNdjsonStrict } from "./helpers/http.js";
import { type PrivateRedis, redisServerBinary, startPrivateRedis } from "./helpers/redis-server.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

const SAMPLES = new URL("../../shared/samples/", import.meta.url);
const ROOT = new URL("..", import.meta.url).pathname;

type Info = { sensors: { sensor_id: string; count: number }[]; ingest?: IngestInfo };

/** Polls `check` until it answers something other than undefined, or fails after `ms`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function info(base: string, user: string, token: string): Promise<Info> {
  const response = await fetch(`${base}/info`, { headers: { authorization: basic(user, token) } });
  expect(response.status).toBe(200);
  return (await response.json()) as Info;
}

describe.skipIf(!redisServerBinary)("D4 queues consumed by serve, from a config file", () => {
  const password = `pw-${randomUUID()}`;
  const dns = randomUUID();
  const tls = randomUUID();
  let dir = "";
  let d4: PrivateRedis;
  let server: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-d4serve-"));
    d4 = await startPrivateRedis({ dir, password });
    const redis = `redis://:${password}@127.0.0.1:${d4.port}`;
    const configFile = join(dir, "config.json");
    await writeFile(
      configFile,
      JSON.stringify({
        origin: "from-config-file",
        d4Listen: "127.0.0.1:0",
        d4Queues: [
          { redis: `${redis}/2`, queue: dns, type: 8, batchSize: 50 },
          { redis: `${redis}/3`, queue: tls, type: "ja3-jl", sensorId: "tls-tap" },
        ],
      }),
    );
    server = await startTestServer("lmdb", { config: configFile });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await d4?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it("drains both queues into the store and shows their figures to admins only", async () => {
    // d4-core: LPUSH each line as it arrives, the oldest at the tail.
    const lines = (await readFile(new URL("passivedns.txt", SAMPLES), "utf8")).trim().split("\n");
    const sessions = (await readFile(new URL("ja3-jl.ndjson", SAMPLES), "utf8")).trim().split("\n");
    const db2 = new Redis(`redis://:${password}@127.0.0.1:${d4.port}/2`);
    const db3 = new Redis(`redis://:${password}@127.0.0.1:${d4.port}/3`);
    try {
      await db2.lpush(d4QueueKeys("8", dns).queue, ...lines);
      await db3.lpush(d4QueueKeys("ja3-jl", tls).queue, ...sessions);

      const admin = await waitFor("both queues drained", async () => {
        const answer = await info(server.base, "root", server.adminToken);
        const done = answer.ingest?.d4_queues.every((q) => q.lag === 0 && q.items > 0);
        return done && answer.ingest?.d4_queues.reduce((n, q) => n + q.items, 0) === 266 ? answer : undefined;
      });
      const byQueue = new Map(admin.ingest?.d4_queues.map((q) => [q.queue, q]));
      const redacted = `redis://:***@127.0.0.1:${d4.port}`;
      expect(byQueue.get(dns)).toMatchObject({
        type: "8",
        redis: `${redacted}/2`,
        sensor_id: `d4:${dns}`,
        connected: true,
        lag: 0,
        items: 216,
        batches: 5,
        records: 206,
        rejected: 0,
        replayed: 0,
        errors: 0,
        last_error: null,
      } satisfies Partial<D4QueueReport>);
      expect(byQueue.get(tls)).toMatchObject({
        type: "ja3-jl",
        redis: `${redacted}/3`,
        sensor_id: "tls-tap",
        connected: true,
        items: 50,
        records: 50,
        errors: 0,
      });
      for (const q of admin.ingest?.d4_queues ?? []) {
        expect(q.records_per_second).toBeGreaterThan(0);
        expect(q.rate_window_seconds).toBeLessThanOrEqual(65);
      }
      // The D4 sensor endpoint, also started from the file, with its own figures.
      expect(admin.ingest?.d4_endpoint).toEqual({
        sessions_open: 0,
        sessions_total: 0,
        bytes: 0,
        lines: 0,
        records: 0,
        rejected: 0,
        refused: {},
      });
      expect(admin.sensors).toContainEqual({ sensor_id: `d4:${dns}`, count: 216 });
      // Never the password, anywhere in the answer.
      expect(JSON.stringify(admin)).not.toContain(password);
      // Analysts may read /info, but not the queues.
      const analyst = await info(server.base, "alice", server.analystToken);
      expect(analyst.ingest).toBeUndefined();
      expect(analyst.sensors).toContainEqual({ sensor_id: `d4:${dns}`, count: 216 });
      // Nothing left in the D4 Redis.
      expect(await db2.exists(d4QueueKeys("8", dns).queue, d4QueueKeys("8", dns).processing)).toBe(0);
      expect(await db3.exists(d4QueueKeys("ja3-jl", tls).queue)).toBe(0);
    } finally {
      db2.disconnect();
      db3.disconnect();
    }

    // The records, served by the query APIs under the origin the config file set.
    const analyst = { authorization: basic("alice", server.analystToken) };
    const records = parseNdjsonStrict(
      await (await fetch(`${server.base}/pdns/query/www.example.lu`, { headers: analyst })).text(),
    );
    expect(records.map((r) => `${r.rrtype} ${r.rdata}`)).toContain("A 192.0.2.11");
    expect(records.every((r) => r.origin === "from-config-file")).toBe(true);
    const seen = await fetch(`${server.base}/v2pssl/query/127.0.0.1`, { headers: analyst });
    expect(Object.keys((await seen.json()) as object).length).toBeGreaterThan(0);
  });
});

describe.skipIf(!redisServerBinary)("serve --config while the D4 Redis is killed and restarted", () => {
  it("reconnects, counts the failures, logs the outage once and loses no item", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pp-d4restart-"));
    // The D4 Redis keeps its data across the kill: AOF, fsync'd before each answer.
    const d4 = await startPrivateRedis({ dir, persistent: true });
    const queue = randomUUID();
    const keys = d4QueueKeys("8", queue);
    const client = new Redis(`${d4.url}/1`, { maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    client.on("error", () => {});
    let child: ChildProcess | undefined;
    try {
      const total = 20_000;
      for (let at = 0; at < total; at += 2000) {
        const lines = Array.from({ length: 2000 }, (_, i) => {
          const n = at + i;
          return `1700000000.1||10.0.0.1||10.0.0.2||IN||restart.example.||A||10.9.${n >> 8}.${n & 255}||60||1`;
        });
        await client.lpush(keys.queue, ...lines);
      }
      // Everything from the file: the store, the listener, the queue; the CLI reads the same file.
      const configFile = join(dir, "config.json");
      await writeFile(
        configFile,
        JSON.stringify({
          store: "embedded",
          dataDir: join(dir, "store"),
          listen: "127.0.0.1:0",
          d4Queues: [{ redis: `${d4.url}/1`, queue, type: "8", batchSize: 200 }],
        }),
      );
      const cli = async (...args: string[]) => {
        const result = await runCli(["--config", configFile, ...args]);
        expect(result.code, result.stderr).toBe(0);
        return result.stdout.trim();
      };
      await cli("users", "add", "root", "--role", "admin");
      const token = await cli("tokens", "create", "root");

      const server = spawn(
        process.execPath,
        ["--import", "tsx", "src/cli.ts", "serve", "--config", configFile],
        {
          cwd: ROOT,
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      child = server;
      let stderr = "";
      server.stderr?.setEncoding("utf8");
      server.stderr?.on("data", (chunk: string) => {
        stderr += chunk;
      });
      const base = await waitFor("the server to listen", async () => {
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        return match?.[1];
      });

      // Kill the D4 Redis once the consumer has taken some batches, well before it is done.
      // Polled back to back: the kill most likely lands while a batch moved is being committed.
      const deadline = Date.now() + 20_000;
      let left = total;
      while (left > total - 1000 && Date.now() < deadline) left = await client.llen(keys.queue);
      await d4.kill("SIGKILL");
      expect(left).toBeGreaterThan(0);

      const down = await waitFor("the consumer to notice", async () => {
        const q = (await info(base, "root", token)).ingest?.d4_queues[0];
        return q && !q.connected && q.errors >= 2 ? q : undefined;
      });
      expect(down.last_error).toMatch(/unreachable/);
      expect(down.items).toBeLessThan(total);

      await d4.restart();
      const done = await waitFor("the queue to be drained", async () => {
        const q = (await info(base, "root", token)).ingest?.d4_queues[0];
        const left = await client.exists(keys.queue, keys.processing).catch(() => -1);
        return q?.connected && q.lag === 0 && left === 0 ? q : undefined;
      });
      // At least once: every item committed (a batch in flight at the kill may count twice).
      expect(done.items).toBeGreaterThanOrEqual(total);
      expect(done.errors).toBeGreaterThanOrEqual(down.errors);
      const records = parseNdjsonStrict(
        await (
          await fetch(`${base}/pdns/query/restart.example`, {
            headers: { authorization: basic("root", token) },
          })
        ).text(),
      );
      expect(new Set(records.map((r) => r.rdata)).size).toBe(total);

      // The server never stopped; the outage was logged once, not once per retry.
      expect(server.exitCode).toBeNull();
      expect(stderr.match(/retrying with back-off/g)).toHaveLength(1);
      expect(stderr).toMatch(/working again after \d+ s/);
      const exited = once(server, "exit");
      server.kill("SIGTERM");
      expect((await exited)[0]).toBe(0);
    } finally {
      child?.kill("SIGKILL");
      client.disconnect();
      await d4.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
