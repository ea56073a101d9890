/**
 * {@linkcode PageStamps}: page index → stamp, for contents that are not bounded by the machine's
 * memory (a file's pages on disk, an object's pages in the reference model): a `write` of
 * gigabytes leaves a stamp on every page it covers, far more pages than frames.
 *
 * Pages are kept in chunks of 512; a chunk whose 512 pages all hold the same stamp (what one large
 * write leaves) is kept as that one number. So memory follows the number of distinct runs of
 * contents, not the number of pages, and there is no limit on the number of pages (a `Map` holds at
 * most 2^24 entries).
 *
 * @module
 */

const CHUNK = 512;

/**
 * A sparse map from page index (below 2^41) to stamp, compact for runs of equal stamps.
 *
 * @example
 * ```ts
 * import { PageStamps } from "./page_stamps.ts";
 * const s = new PageStamps();
 * for (let p = 0; p < 4096; p++) s.set(p, 7); // eight whole chunks of 7: eight numbers
 * s.set(10, 8);
 * if (s.get(10) !== 8 || s.get(11) !== 7 || s.get(5000) !== undefined) throw new Error("get");
 * s.deleteFrom(100);
 * if (s.get(99) !== 7 || s.get(100) !== undefined || s.chunks !== 1) throw new Error("deleteFrom");
 * ```
 */
export class PageStamps {
  /** Chunk number → the chunk's stamps (NaN: none), or the one stamp of every page in it. */
  #chunks = new Map<number, Float64Array | number>();

  /** Chunks held (for tests and memory estimates). */
  get chunks(): number {
    return this.#chunks.size;
  }

  /** The stamp of page `idx`, or `undefined` when none was set. */
  get(idx: number): number | undefined {
    const n = Math.floor(idx / CHUNK);
    const c = this.#chunks.get(n);
    if (c === undefined || typeof c === "number") return c;
    const v = c[idx - n * CHUNK]!;
    return v === v ? v : undefined;
  }

  /** Sets the stamp of page `idx`. */
  set(idx: number, stamp: number): void {
    const n = Math.floor(idx / CHUNK);
    const i = idx - n * CHUNK;
    let c = this.#chunks.get(n);
    if (typeof c === "number") {
      if (c === stamp) return;
      c = new Float64Array(CHUNK).fill(c);
      this.#chunks.set(n, c);
    } else if (c === undefined) {
      c = new Float64Array(CHUNK).fill(NaN);
      this.#chunks.set(n, c);
    }
    c[i] = stamp;
    // A chunk written in order is filled last at its end: see whether it became one run.
    if (i === CHUNK - 1 && c[0] === stamp && uniform(c, stamp)) this.#chunks.set(n, stamp);
  }

  /** Forgets every page at or above `keep`. */
  deleteFrom(keep: number): void {
    // Deleting the current entry while iterating a Map is safe.
    this.#chunks.forEach((c, n) => {
      const first = n * CHUNK;
      if (first >= keep) this.#chunks.delete(n);
      else if (first + CHUNK > keep) {
        const a = typeof c === "number" ? new Float64Array(CHUNK).fill(c) : c;
        a.fill(NaN, keep - first);
        this.#chunks.set(n, a);
      }
    });
  }
}

function uniform(c: Float64Array, v: number): boolean {
  for (let k = 1; k < CHUNK; k++) if (c[k] !== v) return false;
  return true;
}
