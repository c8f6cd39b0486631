/**
 * The D4 analyzer-queue consumers `serve` runs: one per configured queue, each until the server closes,
 * each surviving the D4 Redis going away (consumeD4Queue backs off, reconnects and resumes), with the
 * live figures /info shows admins.
 */
import type { D4QueueSetting } from "../config.js";
import { withoutPassword } from "../store/redis-url.js";
import type { Store } from "../store/types.js";
import { consumeD4Queue, type D4QueueStatus, d4QueueKeys, newD4QueueStatus } from "./d4-queue.js";

/** One queue as /info shows it (snake_case, as the rest of the JSON API). */
export interface D4QueueReport {
  queue: string;
  type: string;
  /** The D4 Redis, its password replaced by `***`. */
  redis: string;
  sensor_id: string;
  connected: boolean;
  /** Items waiting in the queue when last looked at. */
  lag: number;
  items: number;
  batches: number;
  records: number;
  rejected: number;
  replayed: number;
  errors: number;
  /** Records per second over the last minute (over the time since start, when shorter). */
  records_per_second: number;
  rate_window_seconds: number;
  last_error: string | null;
  last_error_at: string | null;
  started_at: string;
}

export interface D4Consumers {
  report(): D4QueueReport[];
  /** Stops every consumer after its current batch. */
  close(): Promise<void>;
}

const RATE_WINDOW_MS = 60_000;
const SAMPLE_MS = 5_000;
const RESTART_MS = 5_000;

interface Running {
  setting: D4QueueSetting;
  status: D4QueueStatus;
  startedAt: number;
  /** Records committed at past moments, the oldest at or just before the rate window's start. */
  samples: { at: number; records: number }[];
  done: Promise<void>;
}

export function startD4Consumers(
  settings: readonly D4QueueSetting[],
  store: Store,
  log: (message: string) => void,
): D4Consumers {
  const stop = new AbortController();
  const { signal } = stop;

  // consumeD4Queue retries every failure itself; should it still throw, the server stays up and the
  // consumer starts again.
  async function run(setting: D4QueueSetting, status: D4QueueStatus): Promise<void> {
    while (!signal.aborted) {
      try {
        await consumeD4Queue({
          redisUrl: setting.redis,
          queue: setting.queue,
          type: setting.type,
          sensorId: setting.sensorId,
          batchSize: setting.batchSize,
          store,
          signal,
          status,
          log,
        });
      } catch (error) {
        status.stats.errors++;
        status.lastError = { message: (error as Error).message, at: Date.now() };
        log(`d4 queue ${setting.queue}: stopped (${(error as Error).message}); starting again in 5 s`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, RESTART_MS);
          signal.addEventListener(
            "abort",
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
    }
  }

  const running: Running[] = settings.map((setting) => {
    d4QueueKeys(setting.type, setting.queue); // a bad uuid fails start-up, not the consumer
    const status = newD4QueueStatus();
    const startedAt = Date.now();
    log(`consuming D4 queue analyzer:${setting.type}:${setting.queue} on ${withoutPassword(setting.redis)}`);
    return {
      setting,
      status,
      startedAt,
      samples: [{ at: startedAt, records: 0 }],
      done: run(setting, status),
    };
  });

  const sampler = setInterval(() => {
    const now = Date.now();
    for (const r of running) {
      r.samples.push({ at: now, records: r.status.stats.records });
      while ((r.samples[1]?.at ?? now) <= now - RATE_WINDOW_MS) r.samples.shift();
    }
  }, SAMPLE_MS);
  sampler.unref();

  return {
    report() {
      const now = Date.now();
      return running.map(({ setting, status, startedAt, samples }) => {
        const { stats } = status;
        const from = samples[0] ?? { at: startedAt, records: 0 };
        const seconds = Math.max(now - from.at, 1000) / 1000;
        return {
          queue: setting.queue,
          type: setting.type,
          redis: withoutPassword(setting.redis),
          sensor_id: setting.sensorId ?? `d4:${setting.queue}`,
          connected: status.connected,
          lag: stats.lag,
          items: stats.items,
          batches: stats.batches,
          records: stats.records,
          rejected: stats.rejected,
          replayed: stats.replayed,
          errors: stats.errors,
          records_per_second: Math.round(((stats.records - from.records) / seconds) * 100) / 100,
          rate_window_seconds: Math.round(seconds),
          last_error: status.lastError?.message ?? null,
          last_error_at: status.lastError ? new Date(status.lastError.at).toISOString() : null,
          started_at: new Date(startedAt).toISOString(),
        };
      });
    },
    async close() {
      clearInterval(sampler);
      stop.abort();
      await Promise.all(running.map((r) => r.done));
    },
  };
}
