/**
 * Rate limits and quotas: a user's own settings over the server defaults, and the per-request check
 * against counters in the store (shared by every process on one Redis).
 */
import type { Store } from "../store/types.js";
import type { Quota } from "./accounts.js";

/** The limits that apply to one user; null is unlimited. */
export interface EffectiveQuota {
  daily: number | null;
  burstSize: number | null;
  /** Seconds. */
  burstWindow: number;
  resultsMax: number | null;
}

/** One limit's standing after a request: how much is left and when it starts over. */
export interface LimitStanding {
  limit: number;
  used: number;
  remaining: number;
  /** Epoch seconds at which the counter starts over. */
  reset: number;
}

/** What the limiter decided, with the figures for the rate-limit headers and `/dnsdb/v2/rate_limit`. */
export interface RateStatus {
  allowed: boolean;
  daily?: LimitStanding | undefined;
  burst?: LimitStanding | undefined;
  /** Whole seconds to wait, when refused. */
  retryAfter?: number | undefined;
}

/** A user's own quota settings over the defaults (absent: the default; null: unlimited). */
export function effectiveQuota(own: Quota, defaults: EffectiveQuota): EffectiveQuota {
  return {
    daily: own.daily === undefined ? defaults.daily : own.daily,
    burstSize: own.burstSize === undefined ? defaults.burstSize : own.burstSize,
    burstWindow: own.burstWindow ?? defaults.burstWindow,
    resultsMax: own.resultsMax === undefined ? defaults.resultsMax : own.resultsMax,
  };
}

const DAY_MS = 86_400_000;

/** Checks and counts queries per user: a daily (UTC) quota and a fixed-window burst limit. */
export class RateLimiter {
  readonly #store: Store;
  readonly #now: () => number;

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** Counts `cost` queries (one by default) when every limit allows; otherwise refuses without counting. */
  take(user: string, quota: EffectiveQuota, cost = 1): Promise<RateStatus> {
    return this.#check(user, quota, cost);
  }

  /** The standing without counting anything (for `rate_limit`). */
  peek(user: string, quota: EffectiveQuota): Promise<RateStatus> {
    return this.#check(user, quota, 0);
  }

  async #check(user: string, quota: EffectiveQuota, cost: number): Promise<RateStatus> {
    const now = this.#now();
    const counters: Array<{ name: string; limit: number; ttlMs: number }> = [];
    // A day's counter is named by its date: it ends at UTC midnight whatever happened before.
    const dayEnd = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
    if (quota.daily !== null) {
      const date = new Date(now).toISOString().slice(0, 10);
      counters.push({ name: `d:${date}`, limit: quota.daily, ttlMs: dayEnd - now });
    }
    if (quota.burstSize !== null) {
      counters.push({
        name: `b:${quota.burstWindow}`,
        limit: quota.burstSize,
        ttlMs: quota.burstWindow * 1000,
      });
    }
    if (counters.length === 0) return { allowed: true };
    const state = await this.#store.takeCounters(`u:${user}`, counters, cost);
    const standing = (i: number): LimitStanding => {
      const limit = (counters[i] as { limit: number }).limit;
      const used = state.counts[i] ?? 0;
      const resetMs = state.resetMs[i] ?? 0;
      // The day's counter resets at midnight, whenever the store started its lifetime; a counter nobody
      // has started yet resets a full lifetime after its first use.
      const reset =
        quota.daily !== null && i === 0
          ? dayEnd
          : used === 0
            ? (counters[i] as { ttlMs: number }).ttlMs + now
            : now + resetMs;
      return { limit, used, remaining: Math.max(0, limit - used), reset: Math.ceil(reset / 1000) };
    };
    let at = 0;
    const daily = quota.daily === null ? undefined : standing(at++);
    const burst = quota.burstSize === null ? undefined : standing(at++);
    if (state.taken || cost === 0) return { allowed: state.taken || cost === 0, daily, burst };
    // Wait for the latest reset among the counters that are full.
    let waitMs = 0;
    counters.forEach((counter, i) => {
      if ((state.counts[i] ?? 0) + cost > counter.limit) waitMs = Math.max(waitMs, state.resetMs[i] ?? 0);
    });
    return { allowed: false, daily, burst, retryAfter: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
}

/**
 * The `X-RateLimit-*` headers: the limit nearest to refusing (fewest remaining; the daily quota on a
 * tie). None when the user has no rate limit at all.
 */
export function rateLimitHeaders(status: RateStatus): Record<string, string> {
  const candidates = [status.daily, status.burst].filter((s): s is LimitStanding => s !== undefined);
  if (candidates.length === 0) return {};
  const nearest = candidates.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  return {
    "X-RateLimit-Limit": String(nearest.limit),
    "X-RateLimit-Remaining": String(nearest.remaining),
    "X-RateLimit-Reset": String(nearest.reset),
  };
}
