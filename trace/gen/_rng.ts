/**
 * A small seeded pseudo-random generator for the workload generators (mulberry32): the same seed
 * always gives the same sequence, on every platform, so generated traces are reproducible.
 *
 * @module
 */

/** A seeded generator of uniform numbers, integers, permutations and samples. */
export class Rng {
  #state: number;

  /** Starts the sequence for `seed` (any integer; 0 is fine). */
  constructor(seed: number) {
    this.#state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** `[0, 1, ..., n-1]` in a random order (Fisher-Yates). */
  permutation(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** `k` distinct integers from [0, n), in a random order. */
  sample(n: number, k: number): number[] {
    return this.permutation(n).slice(0, Math.min(k, n));
  }
}
