/**
 * Consumes a D4 analyzer queue: the Redis list `analyzer:<type>:<uuid>` that d4-core fills with LPUSH
 * (newest first), read oldest first, at least once. Each batch of items is moved atomically onto this
 * consumer's processing list (`pdns-pssl:processing:<type>:<uuid>`) before anything is parsed, and
 * removed from it only after its records are committed to the store; on start-up, what a previous run
 * left on the processing list is replayed first. A crash can therefore replay a batch (observation counts
 * then include it twice) but never lose one; so can a failure (the D4 Redis going away, the store
 * failing), after which the consumer backs off, reconnects and commits what the processing list holds
 * before moving more. Items are lines, or — as the stock D4 module does for ja3-jl — paths to JSON files
 * on this host.
 */
import { readFile } from "node:fs/promises";
import { Redis } from "ioredis";
import { withoutPassword } from "../store/redis-url.js";
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
  /** Stop when the queue is empty (or after three failures in a row) instead of waiting for more. */
  once?: boolean | undefined;
  /** Stop after the current batch when this resolves or is aborted. */
  signal?: AbortSignal | undefined;
  /** Filled in as the consumer runs, for a live view (/info); a fresh one otherwise. */
  status?: D4QueueStatus | undefined;
  log?: ((message: string) => void) | undefined;
}

/** What a consumer did so far (for logs, /info and metrics). */
export interface D4QueueStats {
  /** Items committed, replayed ones included. */
  items: number;
  batches: number;
  records: number;
  rejected: number;
  /** Items taken again from the processing list: left by a previous run, or by a failed attempt. */
  replayed: number;
  /** Failed attempts (D4 Redis unreachable or failing, store failing), each retry counted. */
  errors: number;
  /** Items waiting in the queue when last looked at. */
  lag: number;
}

/** A running consumer's figures and connection, as /info shows them. */
export interface D4QueueStatus {
  stats: D4QueueStats;
  /** Connected to the D4 Redis right now. */
  connected: boolean;
  /** The last error's message (never the Redis URL's credentials) and when it happened (epoch ms). */
  lastError: { message: string; at: number } | undefined;
}

export function newD4QueueStatus(): D4QueueStatus {
  return {
    stats: { items: 0, batches: 0, records: 0, rejected: 0, replayed: 0, errors: 0, lag: 0 },
    connected: false,
    lastError: undefined,
  };
}

const MOVE_SCRIPT = `
-- KEYS[1] queue, KEYS[2] processing; ARGV[1] most items. Moves the oldest items (the tail: d4-core
-- pushes on the head) onto the processing list, atomically, and returns the items left in the queue
-- followed by the moved items, oldest first.
local moved = {0}
for i = 1, tonumber(ARGV[1]) do
  local item = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
  if not item then break end
  moved[#moved + 1] = item
end
moved[1] = redis.call('LLEN', KEYS[1])
return moved
`;

const UUID = /^[0-9A-Za-z-]{1,64}$/;
const IDLE_MS = [100, 200, 500, 1000];
/** Waits between failed attempts: doubling from the first, up to the last. */
const BACKOFF_MS = { first: 250, most: 5000 };

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

/** An error message fit to show: without the Redis URL's password, should any layer have quoted it. */
function withoutSecret(message: string, url: string): string {
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // Not a URL ioredis could have used either.
  }
  return password.length >= 3 ? message.replaceAll(password, "***") : message;
}

/**
 * Consumes until the queue is empty (`once`) or the signal aborts; returns what it did. Every failure
 * (the D4 Redis unreachable or failing, the store failing) is counted, logged once per outage, and
 * retried with back-off; after one, whatever the processing list holds is committed before anything
 * new is moved (a move whose answer was lost on the way is therefore never skipped).
 */
export async function consumeD4Queue(options: D4QueueOptions): Promise<D4QueueStats> {
  const log = options.log ?? (() => {});
  const { signal } = options;
  const keys = d4QueueKeys(options.type, options.queue);
  const batchSize = options.batchSize ?? 5000;
  const sensorId = options.sensorId ?? `d4:${options.queue}`;
  const format = options.type === "8" ? "passivedns" : "ja3-jl";
  const status = options.status ?? newD4QueueStatus();
  const { stats } = status;
  const where = `d4 queue ${options.queue} (${withoutPassword(options.redisUrl)})`;
  const redis = new Redis(options.redisUrl, {
    protocol: 2,
    // While disconnected, commands fail at once and none is queued or sent again after a reconnect:
    // the loop below decides what to retry. ioredis reconnects by itself, backing off up to 2 s.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: 30_000,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  let connectionError: string | undefined;
  redis.on("error", (error: Error) => {
    connectionError = error.message;
  });
  redis.on("ready", () => {
    status.connected = true;
    connectionError = undefined;
  });
  redis.on("close", () => {
    status.connected = false;
  });

  // "recover": the processing list may hold items not committed yet (at start-up, after a failure);
  // "clear": its items are committed but the list is not emptied yet; "move": it is empty.
  let phase: "recover" | "clear" | "move" = "recover";

  async function commit(items: string[], replay: boolean): Promise<void> {
    let written: { records: number; rejects: number };
    try {
      const lines = await Promise.all(items.map((item) => linesOf(item, log)));
      written = await ingestLines(options.store, lines, format, sensorId, "d4-queue");
    } catch (error) {
      throw new Error(`committing ${items.length} items failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    stats.records += written.records;
    stats.rejected += written.rejects;
    stats.items += items.length;
    stats.batches++;
    if (replay) stats.replayed += items.length;
    // Committed: only now does the batch leave the processing list.
    phase = "clear";
    await redis.del(keys.processing);
    phase = "move";
  }

  /** One batch: what the processing list holds first, then the next items of the queue. */
  async function step(): Promise<"idle" | "busy"> {
    if (phase === "clear") {
      await redis.del(keys.processing);
      phase = "move";
    }
    if (phase === "recover") {
      const leftover = await redis.lrange(keys.processing, 0, -1);
      if (leftover.length > 0) {
        log(`${where}: replaying ${leftover.length} items left on its processing list`);
        await commit(leftover.reverse(), true);
        return "busy";
      }
      phase = "move";
    }
    // From here until committed, a failure (even one where the move happened but its answer was lost)
    // means the processing list must be read again.
    phase = "recover";
    const [left, ...items] = (await redis.eval(MOVE_SCRIPT, 2, keys.queue, keys.processing, batchSize)) as [
      number,
      ...string[],
    ];
    stats.lag = left;
    if (items.length === 0) {
      phase = "move";
      return "idle";
    }
    await commit(items, false);
    return "busy";
  }

  let outage: { since: number; failures: number } | undefined;
  try {
    // The first connection attempt's outcome, either way (a failure is then counted by the loop).
    await untilConnectedOrFailed(redis, signal);
    let idle = 0;
    while (!signal?.aborted) {
      let outcome: "idle" | "busy";
      try {
        outcome = await step();
      } catch (error) {
        const message = withoutSecret(
          redis.status === "ready"
            ? (error as Error).message
            : `the D4 Redis is unreachable (${connectionError ?? "connection closed"})`,
          options.redisUrl,
        );
        stats.errors++;
        status.lastError = { message, at: Date.now() };
        if (outage === undefined) {
          outage = { since: Date.now(), failures: 0 };
          log(`${where}: ${message}; retrying with back-off`);
        }
        outage.failures++;
        if (options.once && outage.failures >= 3) throw new Error(`${where}: ${message}`, { cause: error });
        await backOff(
          redis,
          Math.min(BACKOFF_MS.first * 2 ** (outage.failures - 1), BACKOFF_MS.most),
          signal,
        );
        continue;
      }
      if (outage !== undefined) {
        const seconds = Math.round((Date.now() - outage.since) / 1000);
        log(`${where}: working again after ${seconds} s (${outage.failures} failed attempts)`);
        outage = undefined;
      }
      if (outcome === "busy") {
        idle = 0;
        continue;
      }
      if (options.once) break;
      await sleep(IDLE_MS[Math.min(idle++, IDLE_MS.length - 1)] as number, signal);
    }
    return stats;
  } finally {
    redis.disconnect();
    status.connected = false;
  }
}

/** Resolves once the connection is ready or its attempt failed (or on abort). */
function untilConnectedOrFailed(redis: Redis, signal: AbortSignal | undefined): Promise<void> {
  if (redis.status === "ready" || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      redis.off("ready", done);
      redis.off("error", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    redis.once("ready", done);
    redis.once("error", done);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Waits `ms` after a failure; sooner when a lost connection comes back (or on abort). */
function backOff(redis: Redis, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (redis.status === "ready") return sleep(ms, signal);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once("ready", done);
    signal?.addEventListener("abort", done, { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
