import { openLmdbStore } from "./lmdb-store.js";
import { openRedisStore } from "./redis-store.js";
import type { Store } from "./types.js";

export interface StoreSettings {
  /** "embedded" for LMDB in `dataDir`, or a redis:// (rediss://) URL for Redis/Kvrocks. */
  store: string;
  dataDir: string;
  keyPrefix: string;
}

/** Opens the store the settings name. */
export function openStore(settings: StoreSettings): Promise<Store> {
  if (settings.store === "embedded") return openLmdbStore(settings.dataDir);
  return openRedisStore(settings.store, settings.keyPrefix);
}
