/**
 * {@linkcode PageMap}: page index → frame or swap slot, an object's page cache and swap map (Linux
 * keeps both in the file's xarray). Reclaim, faults and readahead change these maps on most events
 * of a trace under memory pressure; as a `Map` their `set` and `delete` were the machine's most
 * costly lines. Here the entries live in chunks of {@linkcode PAGE_MAP_CHUNK} consecutive indexes,
 * each one typed array of values (with a bitmap of the indexes present, for the walks), so a
 * lookup reads a chunk from an array and a value from the chunk, and a change touches no hash
 * table.
 *
 * Iteration goes in index order, as the kernel's walks of a file's pages do (writeback, truncate,
 * shmem's swapoff), and sees the map live: an entry deleted before it is reached is skipped, one
 * added ahead of the walk is visited, one added behind it is not. A callback may delete its own
 * entry.
 *
 * Internal to the machine.
 *
 * @module
 */

/** Indexes per chunk. */
export const PAGE_MAP_CHUNK = 512;
const SHIFT = 9;
const MASK = PAGE_MAP_CHUNK - 1;
const WORDS = PAGE_MAP_CHUNK / 32;
/** Chunks held in an array by number (indexes below 2^25: 128 GiB of a file); beyond, a Map. */
const DIRECT = 65536;
const DIRECT_LIMIT = DIRECT * PAGE_MAP_CHUNK;

// A chunk is one Int32Array: the values by offset (-1: none), then a bitmap of the offsets that
// hold one (WORDS words, for the walks), then how many do. One array, so that a lookup reads one
// value of one object.
const BITS = PAGE_MAP_CHUNK;
const COUNT = BITS + WORDS;
type Chunk = Int32Array;

// Chunks emptied, for reuse (every value -1, every bit clear): under memory pressure an object's
// pages come and go, and a chunk made anew each time cost more than the map's every other line.
const pool: Chunk[] = [];
const POOL_MAX = 256;

function newChunk(): Chunk {
  const c = pool.pop();
  if (c !== undefined) return c;
  const d = new Int32Array(COUNT + 1);
  d.fill(-1, 0, PAGE_MAP_CHUNK);
  return d;
}

function dropChunk(c: Chunk): void {
  if (pool.length < POOL_MAX) pool.push(c);
}

/** Chunk `c` with every entry deleted. */
function emptied(c: Chunk): Chunk {
  c.fill(-1, 0, PAGE_MAP_CHUNK);
  c.fill(0, BITS);
  return c;
}

/**
 * A map from page index (a non-negative integer below 2^53) to a value from 0 to 2^31 - 1.
 *
 * @example
 * ```ts
 * import { PageMap } from "./page_map.ts";
 * const m = new PageMap();
 * m.set(700, 1).set(3, 2).set(2 ** 40, 3);
 * m.delete(3);
 * if (m.get(700) !== 1 || m.has(3) || m.size !== 2) throw new Error();
 * if ([...m.keys()].join() !== `700,${2 ** 40}`) throw new Error("index order");
 * ```
 */
export class PageMap {
  #direct: (Chunk | undefined)[] = [];
  #far: Map<number, Chunk> | null = null;
  #size = 0;

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** The value at `idx`, or undefined. */
  get(idx: number): number | undefined {
    // Bit operations below DIRECT_LIMIT (an index from a Float64Array is a double: `%` would be
    // a floating-point remainder).
    let v: number;
    if (idx < DIRECT_LIMIT) {
      const c = this.#direct[idx >>> SHIFT];
      if (c === undefined) return undefined;
      v = c[idx & MASK]!;
    } else {
      const n = Math.floor(idx / PAGE_MAP_CHUNK);
      const c = this.#far?.get(n);
      if (c === undefined) return undefined;
      v = c[idx - n * PAGE_MAP_CHUNK]!;
    }
    return v < 0 ? undefined : v;
  }

  /** Whether `idx` has a value. */
  has(idx: number): boolean {
    return this.get(idx) !== undefined;
  }

  /** Sets the value at `idx` (from 0 to 2^31 - 1). */
  set(idx: number, value: number): this {
    let c: Chunk | undefined, o: number;
    if (!(idx >= 0)) throw new RangeError(`page index ${idx}: expected 0 or more`);
    if (idx < DIRECT_LIMIT) {
      const n = idx >>> SHIFT, d = this.#direct;
      c = d[n];
      if (c === undefined) {
        // Grown an entry at a time: an array assigned far past its end turns into a dictionary.
        while (d.length <= n) d.push(undefined);
        c = d[n] = newChunk();
      }
      o = idx & MASK;
    } else {
      const n = Math.floor(idx / PAGE_MAP_CHUNK);
      c = this.#far?.get(n);
      if (c === undefined) (this.#far ??= new Map()).set(n, c = newChunk());
      o = idx - n * PAGE_MAP_CHUNK;
    }
    if (c[o]! < 0) {
      // `1 << o` takes o modulo 32.
      c[BITS + (o >>> 5)] = c[BITS + (o >>> 5)]! | (1 << o);
      c[COUNT]!++;
      this.#size++;
    }
    c[o] = value;
    return this;
  }

  /** Deletes the value at `idx`; true when there was one. */
  delete(idx: number): boolean {
    const direct = idx < DIRECT_LIMIT;
    const n = direct ? idx >>> SHIFT : Math.floor(idx / PAGE_MAP_CHUNK);
    const c = direct ? this.#direct[n] : this.#far?.get(n);
    if (c === undefined) return false;
    const o = direct ? idx & MASK : idx - n * PAGE_MAP_CHUNK;
    if (c[o]! < 0) return false;
    c[o] = -1;
    c[BITS + (o >>> 5)] = c[BITS + (o >>> 5)]! & ~(1 << o);
    this.#size--;
    if (--c[COUNT]! === 0) {
      if (direct) this.#direct[n] = undefined;
      else this.#far!.delete(n);
      dropChunk(c);
    }
    return true;
  }

  /** Deletes every entry. */
  clear(): void {
    // Their chunks emptied into the pool (while it has room).
    for (let n = 0; n < this.#direct.length && pool.length < POOL_MAX; n++) {
      const c = this.#direct[n];
      if (c !== undefined) dropChunk(emptied(c));
    }
    this.#direct = [];
    this.#far = null;
    this.#size = 0;
  }

  /** Calls `fn(value, index)` for each entry, in index order, live (see the module doc). */
  forEach(fn: (value: number, idx: number) => void): void {
    if (this.#size === 0) return;
    // Chunk by chunk, each looked up again after every call (the call may free or make it).
    for (let n = 0; n < this.#direct.length; n++) this.#walkChunk(n, fn);
    if (this.#far === null) return;
    for (const n of [...this.#far.keys()].sort((a, b) => a - b)) this.#walkChunk(n, fn);
  }

  /** Chunk number `n`. */
  #at(n: number): Chunk | undefined {
    return n < DIRECT ? this.#direct[n] : this.#far?.get(n);
  }

  #walkChunk(n: number, fn: (value: number, idx: number) => void): void {
    const base = n * PAGE_MAP_CHUNK;
    let c = this.#at(n);
    for (let w = 0; c !== undefined && w < WORDS; w++) {
      let bits = c[BITS + w]!;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits); // the lowest index left in the word
        const o = w * 32 + b;
        fn(c[o]!, base + o);
        c = this.#at(n);
        if (c === undefined) return;
        // The word again, live, past the index just visited.
        bits = b === 31 ? 0 : c[BITS + w]! & (-1 << (b + 1));
      }
    }
  }

  /**
   * The [index, value] pairs in index order, without a copy (slower than `forEach`: for tests
   * and checks). The map must not change while they are iterated.
   */
  *[Symbol.iterator](): IterableIterator<[number, number]> {
    const far = this.#far === null ? [] : [...this.#far.keys()].sort((x, y) => x - y);
    const ns = [...this.#direct.keys()].filter((n) => this.#direct[n] !== undefined).concat(far);
    for (const n of ns) {
      const c = this.#at(n)!;
      for (let w = 0; w < WORDS; w++) {
        let bits = c[BITS + w]!;
        while (bits !== 0) {
          const b = 31 - Math.clz32(bits & -bits);
          const o = w * 32 + b;
          yield [n * PAGE_MAP_CHUNK + o, c[o]!];
          bits &= bits - 1;
        }
      }
    }
  }

  /** The indexes, in index order (as the pairs of {@linkcode PageMap}'s iterator). */
  *keys(): IterableIterator<number> {
    for (const [i] of this) yield i;
  }

  /** The values, in index order (as the pairs of {@linkcode PageMap}'s iterator). */
  *values(): IterableIterator<number> {
    for (const [, v] of this) yield v;
  }
}
