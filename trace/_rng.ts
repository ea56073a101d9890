/**
 * The package's one seeded pseudo-random generator (mulberry32), for the workload generators, the
 * trace builder's random events, the tests and the benchmarks: the same seed always gives the
 * same sequence, on every platform, so generated traces are reproducible. Also a keyed
 * permutation for sampling without holding the sample.
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

  /**
   * A generator whose state starts as `state` itself, as plain mulberry32 is seeded (the sequence
   * `new Rng(seed)` gives starts from the seed mixed with a constant instead).
   *
   * @example
   * ```ts
   * import { Rng } from "./_rng.ts";
   * const a = Rng.fromState(42), b = Rng.fromState(42);
   * if (a.next() !== b.next() || new Rng(42).next() === Rng.fromState(42).next()) throw new Error();
   * ```
   */
  static fromState(state: number): Rng {
    const r = new Rng(0);
    r.#state = state >>> 0;
    return r;
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

/** Largest `n` a {@linkcode KeyedPermutation} takes (its Feistel network works on 32 bits). */
export const MAX_KEYED_PERMUTATION = 2 ** 32;

/** murmur3's 32-bit finaliser: a well-mixed hash of a 32-bit integer. */
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A pseudo-random permutation of [0, n) chosen by `key`, read one element at a time in O(1) time
 * and memory: `at(0), at(1), ..., at(k-1)` is a random sample of k distinct values. Generators use
 * one per process instead of holding every process's sample (which grows with the trace).
 *
 * A four-round Feistel network over the smallest even number of bits covering n, walking the
 * cycle until the value falls in range (fewer than four steps on average).
 *
 * @example
 * ```ts
 * import { KeyedPermutation } from "./_rng.ts";
 * const p = new KeyedPermutation(10, 42);
 * const all = Array.from({ length: 10 }, (_, j) => p.at(j));
 * if (new Set(all).size !== 10 || all.some((v) => v < 0 || v >= 10)) throw new Error("not a permutation");
 * ```
 */
export class KeyedPermutation {
  readonly #n: number;
  readonly #half: number;
  readonly #mask: number;
  readonly #k0: number;
  readonly #k1: number;
  readonly #k2: number;
  readonly #k3: number;

  /** The permutation of [0, n) (1 ≤ n ≤ 2^32) for `key` (any integer). */
  constructor(n: number, key: number) {
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_KEYED_PERMUTATION) {
      throw new RangeError(`KeyedPermutation: n must be 1 to 2^32, found ${n}`);
    }
    let bits = 2;
    while (2 ** bits < n) bits += 2;
    this.#n = n;
    this.#half = bits / 2;
    this.#mask = 2 ** this.#half - 1;
    const k0 = fmix((key >>> 0) ^ fmix(Math.floor(key / 2 ** 32) >>> 0) ^ 0x9e3779b9);
    this.#k0 = k0;
    this.#k1 = fmix(k0 + 1);
    this.#k2 = fmix(k0 + 2);
    this.#k3 = fmix(k0 + 3);
  }

  /** Element `j` (0 ≤ j < n) of the permutation. */
  at(j: number): number {
    const half = this.#half, mask = this.#mask;
    let x = j;
    do {
      let l = Math.floor(x / 2 ** half), r = x & mask;
      l = (l ^ fmix(r ^ this.#k0)) & mask;
      r = (r ^ fmix(l ^ this.#k1)) & mask;
      l = (l ^ fmix(r ^ this.#k2)) & mask;
      r = (r ^ fmix(l ^ this.#k3)) & mask;
      x = l * 2 ** half + r;
    } while (x >= this.#n);
    return x;
  }
}

/**
 * A key for process `i` of a generator seeded with `seed`: distinct processes get unrelated
 * permutations, the same (seed, i) always the same one.
 */
export function keyFor(seed: number, i: number): number {
  return fmix(fmix(seed >>> 0) ^ Math.imul(i >>> 0, 0x9e3779b1) ^ Math.floor(i / 2 ** 32));
}
