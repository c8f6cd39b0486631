/**
 * Brute-force defence: failed authentications are counted per client address in the store (so every
 * process on one Redis sees them); an address over the limit is refused for the rest of the window.
 * Only that address is refused: the same user's other addresses go on working.
 */
import type { Store } from "../store/types.js";

export interface AuthFailurePolicy {
  /** Failures allowed per address and window. */
  limit: number;
  windowSeconds: number;
}

export class AuthFailureGuard {
  readonly #store: Store;
  readonly #policy: AuthFailurePolicy;

  constructor(store: Store, policy: AuthFailurePolicy) {
    this.#store = store;
    this.#policy = policy;
  }

  /** Seconds the address must wait before trying again, or 0 when it may try now. */
  async waitSeconds(address: string): Promise<number> {
    const state = await this.#store.takeCounters(`ip:${address}`, [this.#counter()], 0);
    return state.taken ? 0 : Math.max(1, Math.ceil((state.resetMs[0] ?? 0) / 1000));
  }

  /** Counts one failed authentication from the address. */
  async recordFailure(address: string): Promise<void> {
    await this.#store.takeCounters(`ip:${address}`, [{ ...this.#counter(), limit: Infinity }], 1);
  }

  #counter() {
    return { name: "auth-failures", limit: this.#policy.limit, ttlMs: this.#policy.windowSeconds * 1000 };
  }
}
