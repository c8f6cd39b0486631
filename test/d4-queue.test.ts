/**
 * The D4 analyzer-queue consumer against a real Redis filled the way d4-core fills it (LPUSH of lines,
 * and for ja3-jl paths to JSON files), with the at-least-once guarantee: leftovers of a crashed run are
 * replayed, a failing store leaves the batch queued, and the real CLI drains a queue.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consumeD4Queue, d4QueueKeys } from "../src/ingest/d4-queue.js";
import { queryRecords } from "../src/pdns/record-query.js";
import { openLmdbStore } from "../src/store/lmdb-store.js";
import type { Store } from "../src/store/types.js";
import { describeEachBackend, REDIS_URL, redisReachable } from "./helpers/backends.js";
import { runCli } from "./helpers/cli.js";

const SAMPLES = new URL("../../shared/samples/", import.meta.url);
const line = (name: string, ip: string) => `1700000000.1||10.0.0.1||10.0.0.2||IN||${name}.||A||${ip}||60||1`;

// The D4 queue lives in Redis whichever store the records go to.
describe.skipIf(!redisReachable)("D4 analyzer-queue consumer", () => {
  let d4: Redis;
  let dir = "";
  beforeAll(async () => {
    d4 = new Redis(REDIS_URL, { protocol: 2 });
    dir = await mkdtemp(join(tmpdir(), "pp-d4q-"));
  });
  afterAll(async () => {
    d4?.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  async function records(store: Store, name: string): Promise<string[]> {
    const out: string[] = [];
    for await (const chunk of queryRecords(store, { owner: name })) out.push(...chunk.map((r) => r.rdata));
    return out;
  }

  (redisReachable ? describeEachBackend : describe.skip)(
    "D4 analyzer queue",
    ({ store }: { store: () => Store }) => {
      it("drains a type 8 queue oldest first in batches, leaving nothing queued or in processing", async () => {
        const queue = randomUUID();
        const keys = d4QueueKeys("8", queue);
        // d4-core: LPUSH each line as it arrives (so the oldest is at the tail).
        for (let i = 0; i < 25; i++) await d4.lpush(keys.queue, line("q.example", `192.0.2.${i}`));
        await d4.lpush(keys.queue, "not a passivedns line");
        const stats = await consumeD4Queue({
          redisUrl: REDIS_URL,
          queue,
          type: "8",
          store: store(),
          batchSize: 10,
          once: true,
        });
        expect(stats).toMatchObject({ items: 26, batches: 3, records: 25, rejected: 1, replayed: 0, lag: 0 });
        expect((await records(store(), "q.example")).sort()).toEqual(
          Array.from({ length: 25 }, (_, i) => `192.0.2.${i}`).sort(),
        );
        expect(await d4.exists(keys.queue, keys.processing)).toBe(0);
        expect(await store().sensorLines()).toContainEqual({ sensorId: `d4:${queue}`, lines: 26 });
      });

      it("replays what a crashed run left in processing before taking new items", async () => {
        const queue = randomUUID();
        const keys = d4QueueKeys("8", queue);
        // A run that moved two items (newest at the head, as RPOPLPUSH leaves them) and died.
        await d4.lpush(keys.processing, line("left.example", "192.0.2.1"), line("left.example", "192.0.2.2"));
        await d4.lpush(keys.queue, line("new.example", "192.0.2.3"));
        const stats = await consumeD4Queue({
          redisUrl: REDIS_URL,
          queue,
          type: "8",
          store: store(),
          once: true,
        });
        expect(stats).toMatchObject({ replayed: 2, items: 3, records: 3 });
        expect((await records(store(), "left.example")).sort()).toEqual(["192.0.2.1", "192.0.2.2"]);
        expect(await records(store(), "new.example")).toEqual(["192.0.2.3"]);
        expect(await d4.exists(keys.queue, keys.processing)).toBe(0);
      });

      it("keeps a batch on the processing list when the store fails, and a later run commits it", async () => {
        const queue = randomUUID();
        const keys = d4QueueKeys("8", queue);
        await d4.lpush(keys.queue, line("fail.example", "192.0.2.9"));
        // A real store that has gone away (closed): every write fails.
        const failing = await openLmdbStore(join(dir, queue));
        await failing.close();
        const log: string[] = [];
        await expect(
          consumeD4Queue({
            redisUrl: REDIS_URL,
            queue,
            type: "8",
            store: failing,
            once: true,
            log: (m) => log.push(m),
          }),
        ).rejects.toThrow();
        expect(log.some((m) => m.includes("committing 1 items failed"))).toBe(true);
        expect(await d4.lrange(keys.processing, 0, -1)).toEqual([line("fail.example", "192.0.2.9")]);
        const stats = await consumeD4Queue({
          redisUrl: REDIS_URL,
          queue,
          type: "8",
          store: store(),
          once: true,
        });
        expect(stats).toMatchObject({ replayed: 1, records: 1 });
        expect(await records(store(), "fail.example")).toEqual(["192.0.2.9"]);
      });

      it("reads ja3-jl items that are lines and items that are paths to JSON files", async () => {
        const queue = randomUUID();
        const keys = d4QueueKeys("ja3-jl", queue);
        const [first, second] = (await readFile(new URL("ja3-jl.ndjson", SAMPLES), "utf8"))
          .trim()
          .split("\n");
        const file = join(dir, `${queue}.json`);
        await writeFile(file, second as string);
        await d4.lpush(keys.queue, first as string, file);
        const stats = await consumeD4Queue({
          redisUrl: REDIS_URL,
          queue,
          type: "ja3-jl",
          store: store(),
          once: true,
        });
        expect(stats).toMatchObject({ items: 2, records: 2, rejected: 0 });
      });
    },
  );

  it("drains a queue with the real CLI (pdns-pssl d4 consume --once)", async () => {
    const queue = randomUUID();
    const keys = d4QueueKeys("8", queue);
    for (let i = 0; i < 5; i++) await d4.lpush(keys.queue, line("cli.example", `198.51.100.${i}`));
    const env = { PDNS_PSSL_DATA_DIR: join(dir, "cli-store"), PDNS_PSSL_STORE: "embedded" };
    const result = await runCli(
      ["d4", "consume", "--redis", REDIS_URL, "--queue", queue, "--type", "8", "--once"],
      env,
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ items: 5, records: 5, batches: 1 });
    expect(await d4.exists(keys.queue)).toBe(0);
  });
});

describe.skipIf(!redisReachable)("D4 analyzer-queue consumer killed mid-way", () => {
  it("loses nothing when the consumer is SIGKILLed and started again", async () => {
    const d4 = new Redis(REDIS_URL, { protocol: 2 });
    const dir = await mkdtemp(join(tmpdir(), "pp-d4kill-"));
    try {
      const queue = randomUUID();
      const keys = d4QueueKeys("8", queue);
      const total = 60_000;
      // d4-core order: LPUSH, oldest at the tail. Each line a distinct record.
      for (let at = 0; at < total; at += 5000) {
        const lines = Array.from({ length: 5000 }, (_, i) => {
          const n = at + i;
          return `1700000000.1||10.0.0.1||10.0.0.2||IN||kill.example.||A||10.${n >> 16}.${(n >> 8) & 255}.${n & 255}||60||1`;
        });
        await d4.lpush(keys.queue, ...lines);
      }
      const env = { PDNS_PSSL_DATA_DIR: join(dir, "store"), PDNS_PSSL_STORE: "embedded" };
      const args = [
        "--import",
        "tsx",
        "src/cli.ts",
        "d4",
        "consume",
        "--redis",
        REDIS_URL,
        "--queue",
        queue,
        "--type",
        "8",
        "--batch",
        "2000",
      ];
      const child = spawn(process.execPath, args, {
        cwd: new URL("..", import.meta.url).pathname,
        env: { ...process.env, ...env },
        stdio: "ignore",
      });
      // Kill it once it has taken some batches, but well before the end.
      const deadline = Date.now() + 60_000;
      while ((await d4.llen(keys.queue)) > total - 10_000 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      const left = await d4.llen(keys.queue);
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThan(total);

      const again = await runCli(
        ["d4", "consume", "--redis", REDIS_URL, "--queue", queue, "--type", "8", "--once"],
        env,
      );
      expect(again.code).toBe(0);
      expect(await d4.exists(keys.queue, keys.processing)).toBe(0);
      // Every item is a distinct record: all of them are in the store, whatever the kill interrupted.
      const store = await openLmdbStore(join(dir, "store"));
      try {
        const rdata = new Set<string>();
        for await (const chunk of queryRecords(store, { owner: "kill.example" }))
          for (const r of chunk) rdata.add(r.rdata);
        expect(rdata.size).toBe(total);
      } finally {
        await store.close();
      }
    } finally {
      d4.disconnect();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
