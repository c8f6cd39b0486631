/**
 * Consumes a D4 analyzer queue: the Redis list `analyzer:<type>:<uuid>` that d4-core fills with LPUSH
 * (newest first), read oldest first, at least once. Each batch of items is moved atomically onto this
 * consumer's processing list (`pdns-pssl:processing:<type>:<uuid>`) before anything is parsed, and
 * removed from it only after its records are committed to the store; on start-up, what a previous run
 * left on the processing list is replayed first. A crash can therefore replay a batch (observation counts
 * then include it twice) but never lose one. Items are lines, or — as the stock D4 module does for
 * ja3-jl — paths to JSON files on this host.
 */
import { readFile } from "node:fs/promises";
import { Redis } from "ioredis";
import type { Store } from "../store/types.js";
import { ingestLines } from "./ingest-lines.js";

/** The D4 types this consumer reads: passivedns (8) and the D4 TLS sensor's `ja3-jl`. */
export type D4QueueType = "8" | "ja3-jl";

export interface D4QueueOptions {
  /** The D4 analyzer Redis, e.g. redis://127.0.0.1:6380/2. */
  redisUrl: string;
  /** The queue uuid created in the D4 web UI. */
  queue: string;
  type: D4QueueType;
  store: Store;
  /** Sensor id recorded with every record (default `d4:<queue>`). */
  sensorId?: string | undefined;
  /** Items moved and committed at once. */
  batchSize?: number | undefined;
  /** Stop when the queue is empty instead of waiting for more. */
  once?: boolean | undefined;
  /** Stop after the current batch when this resolves or is aborted. */
  signal?: AbortSignal | undefined;
  log?: ((message: string) => void) | undefined;
}

/** What a consumer did so far (for logs, /info and metrics). */
export interface D4QueueStats {
  items: number;
  batches: number;
  records: number;
  rejected: number;
  replayed: number;
  errors: number;
  /** Items waiting in the queue when last looked at. */
  lag: number;
}

const MOVE_SCRIPT = `
-- KEYS[1] queue, KEYS[2] processing; ARGV[1] most items. Moves the oldest items (the tail: d4-core
-- pushes on the head) onto the processing list, atomically, and returns them oldest first.
local moved = {}
for i = 1, tonumber(ARGV[1]) do
  local item = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
  if not item then break end
  moved[#moved + 1] = item
end
return moved
`;

const UUID = /^[0-9A-Za-z-]{1,64}$/;
const IDLE_MS = [100, 200, 500, 1000];

/** The queue key d4-core pushes to, and this consumer's processing list. */
export function d4QueueKeys(type: D4QueueType, queue: string): { queue: string; processing: string } {
  if (!UUID.test(queue))
    throw new Error(`a D4 queue uuid is letters, digits and dashes, not ${JSON.stringify(queue)}`);
  return { queue: `analyzer:${type}:${queue}`, processing: `pdns-pssl:processing:${type}:${queue}` };
}

/** A queue item as lines: the item itself, or the content of the JSON file it names. */
async function linesOf(item: string, log: (message: string) => void): Promise<string> {
  if (item.startsWith("/") && item.endsWith(".json") && !item.includes("\n")) {
    try {
      return (await readFile(item, "utf8")).trim();
    } catch (error) {
      log(
        `d4 queue: cannot read ${item} (${(error as NodeJS.ErrnoException).code ?? "error"}); taking it as a line`,
      );
    }
  }
  return item;
}

/** Consumes until the queue is empty (`once`) or the signal aborts; returns what it did. */
export async function consumeD4Queue(options: D4QueueOptions): Promise<D4QueueStats> {
  const log = options.log ?? (() => {});
  const keys = d4QueueKeys(options.type, options.queue);
  const batchSize = options.batchSize ?? 5000;
  const sensorId = options.sensorId ?? `d4:${options.queue}`;
  const redis = new Redis(options.redisUrl, { protocol: 2, maxRetriesPerRequest: null, lazyConnect: true });
  redis.on("error", () => {
    // ioredis reconnects with back-off by itself; failed commands are retried by the loop below.
  });
  const stats: D4QueueStats = {
    items: 0,
    batches: 0,
    records: 0,
    rejected: 0,
    replayed: 0,
    errors: 0,
    lag: 0,
  };

  async function commit(items: string[]): Promise<void> {
    const lines = await Promise.all(items.map((item) => linesOf(item, log)));
    const format = options.type === "8" ? "passivedns" : "ja3-jl";
    const written = await ingestLines(options.store, lines, format, sensorId);
    stats.records += written.records;
    stats.rejected += written.rejects;
    // Committed: only now does the batch leave the processing list.
    await redis.del(keys.processing);
    stats.items += items.length;
    stats.batches++;
  }

  // A store that fails (Redis away) keeps the batch on the processing list: retry it, and give up only
  // in `once` mode after a few attempts (the next run replays it).
  async function commitWithRetry(items: string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await commit(items);
        return;
      } catch (error) {
        stats.errors++;
        log(
          `d4 queue ${options.queue}: committing ${items.length} items failed: ${(error as Error).message}`,
        );
        if (options.signal?.aborted || (options.once && attempt >= 3)) throw error;
        await sleep(IDLE_MS[IDLE_MS.length - 1] as number, options.signal);
      }
    }
  }

  try {
    await redis.connect();
    // Leftovers of a run that stopped between moving and committing: replay them first, oldest first.
    const leftover = await redis.lrange(keys.processing, 0, -1);
    if (leftover.length > 0) {
      log(`d4 queue ${options.queue}: replaying ${leftover.length} items left by a previous run`);
      await commitWithRetry(leftover.reverse());
      stats.replayed += leftover.length;
    }
    let idle = 0;
    while (!options.signal?.aborted) {
      let items: string[];
      try {
        items = (await redis.eval(MOVE_SCRIPT, 2, keys.queue, keys.processing, batchSize)) as string[];
        stats.lag = await redis.llen(keys.queue);
      } catch (error) {
        stats.errors++;
        log(`d4 queue ${options.queue}: ${(error as Error).message}; retrying`);
        await sleep(IDLE_MS[IDLE_MS.length - 1] as number, options.signal);
        continue;
      }
      if (items.length === 0) {
        if (options.once) break;
        await sleep(IDLE_MS[Math.min(idle++, IDLE_MS.length - 1)] as number, options.signal);
        continue;
      }
      idle = 0;
      await commitWithRetry(items);
    }
    return stats;
  } finally {
    redis.disconnect();
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
