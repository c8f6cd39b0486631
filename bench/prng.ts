/** A small seeded PRNG, so that the same parameters always give the same corpus byte for byte. */

/** Uniform floats in [0, 1) from mulberry32 (32-bit state: plenty for a synthetic corpus). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws from a seeded source: integers, picks and skewed picks. */
export class Draw {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  float(): number {
    return this.#next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }

  /**
   * An index in [0, n) where low indices are far more likely (u^power): popularity in DNS is heavily
   * skewed (a few CDN addresses serve thousands of names, most addresses serve one or two).
   */
  skewed(n: number, power: number): number {
    return Math.floor(n * this.#next() ** power);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** A pick from `[item, weight]` pairs, weights relative. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, weight] of choices) total += weight;
    let at = this.#next() * total;
    for (const [item, weight] of choices) {
      at -= weight;
      if (at < 0) return item;
    }
    return (choices[choices.length - 1] as readonly [T, number])[0];
  }

  /** Shuffles `items` in place (Fisher–Yates) from index `from` on. */
  shuffle<T>(items: T[], from = 0): void {
    for (let i = items.length - 1; i > from; i--) {
      const j = from + this.int(i - from + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
  }

  hex(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += "0123456789abcdef"[this.int(16)];
    return out;
  }
}
