/** Pacing at a target rate, and a plain sleep. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How far behind its rate a pacer may fall before the debt is dropped (no catch-up bursts). */
const MAX_DEBT_SECONDS = 1;

/**
 * Units (lines, queries) at `perSecond` since the pacer started. A generator that fell behind (the
 * server was slow) catches up at most one second's worth: a soak measures a steady load, not bursts.
 */
export class Pacer {
  readonly #perSecond: number;
  #started = performance.now();
  #sent = 0;

  constructor(perSecond: number) {
    this.#perSecond = perSecond;
  }

  #target(): number {
    return ((performance.now() - this.#started) / 1000) * this.#perSecond;
  }

  #dropDebt(): void {
    const target = this.#target();
    const limit = this.#perSecond * MAX_DEBT_SECONDS;
    if (target - this.#sent > limit) this.#sent = target - limit;
  }

  /** Whole units due now. */
  due(): number {
    this.#dropDebt();
    return Math.max(0, Math.floor(this.#target() - this.#sent));
  }

  sent(n: number): void {
    this.#sent += n;
  }

  /**
   * Waits until the units sent so far are due, then counts `n` more as sent: the first batch goes at
   * once, the next when the rate has caught up with it.
   */
  async take(n: number): Promise<void> {
    this.#dropDebt();
    const waitMs = (this.#sent / this.#perSecond) * 1000 - (performance.now() - this.#started);
    if (waitMs > 0) await sleep(waitMs);
    this.#sent += n;
  }

  /** Starts over from now (after a pause such as a reconnection). */
  reset(): void {
    this.#started = performance.now();
    this.#sent = 0;
  }
}
