import { openLmdbStore } from "./lmdb-store.js";
import { isClusterUrl, openRedisClusterStore, openRedisStore } from "./redis-store.js";
import type { Store } from "./types.js";

export interface StoreSettings {
  /**
   * "embedded" for LMDB in `dataDir`, a redis:// (rediss://) URL for one Redis/Kvrocks node, or
   * redis+cluster://host:port,host:port,... (rediss+cluster://) for a Redis Cluster.
   */
  store: string;
  dataDir: string;
  keyPrefix: string;
}

export interface StoreOptions {
  /**
   * Rate-limit counters taken by several processes at once (serve --workers): on the embedded store
   * each take is then a write transaction instead of this process's memory. (Redis always shares them.)
   */
  sharedCounters?: boolean;
}

/** Opens the store the settings name. */
export function openStore(settings: StoreSettings, options: StoreOptions = {}): Promise<Store> {
  if (settings.store === "embedded") return openLmdbStore(settings.dataDir, options);
  if (isClusterUrl(settings.store)) return openRedisClusterStore(settings.store, settings.keyPrefix);
  return openRedisStore(settings.store, settings.keyPrefix);
}
