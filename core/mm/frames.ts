/**
 * Physical memory: per-frame state in typed arrays indexed by frame number, a free stack and the
 * LRU lists, with no object per page.
 *
 * Frame 0 is the shared zero page: always "mapped", never allocated, never on an LRU list. Frames
 * `1..count` are allocatable. The arrays cover only the frames handed out so far and grow by
 * doubling (`growable.ts`): a machine of a terabyte that uses a megabyte costs a megabyte.
 *
 * LRU lists follow Linux's split: swap-backed pages (private anonymous memory, tmpfs, System V
 * and shared anonymous memory) on the anon lists, disk-file pages on the file lists, each with an
 * inactive and an active list, plus an unevictable list for mlocked pages. Each list is doubly
 * linked through `lruPrev`/`lruNext`; its head is the most recently added page, its tail the
 * next candidate for reclaim.
 *
 * @module
 */

import { grown } from "./growable.ts";

/** Frame number of the shared zero page. */
export const ZERO_FRAME = 0;
/** "No frame" / "no slot" / "no link". */
export const NONE = -1;

/** Per-frame flag bits (`FrameTable.flags`), named after Linux's page flags. */
export const PG = {
  /** Private anonymous page (PageAnon): `owner`/`index` belong to the rmap strategy. */
  anon: 1,
  /** Backed by swap rather than a file (anon, tmpfs, shm, shared anon). */
  swapBacked: 2,
  /** Contents differ from the backing store (or there is none yet). */
  dirty: 4,
  /** Referenced once since the last reclaim look (PG_referenced, for second chance). */
  referenced: 8,
  /** Mapped by a locked area: never reclaimed. */
  mlocked: 16,
  /** Exclusive to one mapper (PageAnonExclusive): mprotect may make it writable, COW reuses. */
  exclusive: 32,
  /** On the free stack. */
  free: 64,
  /** In an object's page cache (`owner` is the object id, `index` the page index). */
  pageCache: 128,
  /** In the swap cache (`swap` is its slot). */
  swapCache: 256,
  /** Held by an operation in progress: reclaim must leave it alone. */
  pinned: 512,
  /** Readahead marker (PG_readahead): touching it reads the next window; fault-around skips it. */
  readahead: 1024,
  /** Was active before it was last deactivated (PG_workingset; `workingset.ts`). */
  workingset: 2048,
  /** Written to swap by memory cgroup reclaim, the write not yet complete (`memcg_reclaim.ts`). */
  writeback: 4096,
  /**
   * A dirty file page memory cgroup reclaim met (PG_reclaim): it was activated, not written; when
   * the flusher writes it, it goes to the tail of the inactive file list.
   */
  reclaim: 8192,
} as const;

/** LRU list numbers (`FrameTable.lru`). */
export const LRU = {
  none: 0,
  inactiveAnon: 1,
  activeAnon: 2,
  inactiveFile: 3,
  activeFile: 4,
  unevictable: 5,
} as const;

/** The frames of the simulated machine. */
export class FrameTable {
  /** Number of allocatable frames (frames 1..count): the machine's memory. */
  readonly count: number;
  /**
   * {@linkcode PG} bits. Like every per-frame array, it covers the frames handed out so far
   * (`extent`) and is replaced by a larger copy as more are: read it through the table
   * (`frames.flags[f]`), or reload a local copy after anything that may allocate a frame.
   */
  flags: Uint16Array;
  /** Number of page-table entries mapping the frame. */
  mapcount: Int32Array;
  /** Page-cache pages: the object id. Anonymous pages: the strategy's owner id (e.g. anon_vma). */
  owner: Int32Array;
  /** Page-cache pages: the page index in the object. Anonymous pages: strategy-defined. */
  index: Float64Array;
  /** Swap slot of a swap-cache page, or {@linkcode NONE}. */
  swap: Int32Array;
  /** Previous frame on the frame's LRU list (towards the head), or {@linkcode NONE}. */
  lruPrev: Int32Array;
  /** Next frame on the frame's LRU list (towards the tail), or {@linkcode NONE}. */
  lruNext: Int32Array;
  /** The {@linkcode LRU} list the frame is on. */
  lru: Uint8Array;
  /** Page contents: the stamp of the last store (0 for a zeroed page). */
  stamp: Float64Array;
  /**
   * Disk-file page-cache pages: the order of the folio the page belongs to (its 2^order pages,
   * aligned by page index, came in together: `page_cache.ts`); 0 for every other frame.
   */
  order: Uint8Array;
  /** Head (newest) of each LRU list. */
  readonly lruHead: Int32Array = new Int32Array(6).fill(NONE);
  /** Tail (oldest) of each LRU list. */
  readonly lruTail: Int32Array = new Int32Array(6).fill(NONE);
  /** Length of each LRU list. */
  readonly lruSize: Int32Array = new Int32Array(6);
  /** Frames freed since they were first handed out, the last freed on top. */
  #free: Int32Array = new Int32Array(0);
  #nfree = 0;
  /** Frames 1..#extent have been handed out at least once; those above never were. */
  #extent = 0;

  /**
   * Makes `count` free frames plus the zero page. Nothing is allocated per frame until frames are
   * handed out: memory grows with the frames a trace uses, whatever `count` is.
   */
  constructor(count: number) {
    this.count = count;
    const n = Math.min(count + 1, 1024);
    this.flags = new Uint16Array(n);
    this.mapcount = new Int32Array(n);
    this.owner = new Int32Array(n).fill(NONE);
    this.index = new Float64Array(n);
    this.swap = new Int32Array(n).fill(NONE);
    this.lruPrev = new Int32Array(n).fill(NONE);
    this.lruNext = new Int32Array(n).fill(NONE);
    this.lru = new Uint8Array(n);
    this.stamp = new Float64Array(n);
    this.order = new Uint8Array(n);
  }

  /** The highest frame number handed out so far: frames above it have never been used. */
  get extent(): number {
    return this.#extent;
  }

  /** Number of free frames. */
  get freeCount(): number {
    return this.#nfree + (this.count - this.#extent);
  }

  /** Takes a free frame, cleared (stamp 0), or returns {@linkcode NONE}. */
  alloc(): number {
    // The frames freed so far first, the last freed first; then the lowest never used, so frame
    // numbers come out exactly as from a stack that held every frame, lowest on top.
    let f: number;
    if (this.#nfree > 0) f = this.#free[--this.#nfree]!;
    else if (this.#extent < this.count) {
      f = ++this.#extent;
      if (f >= this.flags.length) this.#grow(f);
    } else return NONE;
    this.flags[f] = 0;
    this.mapcount[f] = 0;
    this.owner[f] = NONE;
    this.index[f] = 0;
    this.swap[f] = NONE;
    this.stamp[f] = 0;
    this.order[f] = 0;
    return f;
  }

  /** Returns frame `f` to the free stack; it must be off every list and unmapped. */
  release(f: number): void {
    if (this.lru[f] !== LRU.none) this.lruDel(f);
    this.flags[f] = PG.free;
    this.owner[f] = NONE;
    this.swap[f] = NONE;
    if (this.#nfree === this.#free.length) this.#free = grown(this.#free, this.#nfree, this.count);
    this.#free[this.#nfree++] = f;
  }

  /** Makes every per-frame array hold frame `f`. */
  #grow(f: number): void {
    const lim = this.count + 1;
    this.flags = grown(this.flags, f, lim);
    this.mapcount = grown(this.mapcount, f, lim);
    this.owner = grown(this.owner, f, lim, NONE);
    this.index = grown(this.index, f, lim);
    this.swap = grown(this.swap, f, lim, NONE);
    this.lruPrev = grown(this.lruPrev, f, lim, NONE);
    this.lruNext = grown(this.lruNext, f, lim, NONE);
    this.lru = grown(this.lru, f, lim);
    this.stamp = grown(this.stamp, f, lim);
    this.order = grown(this.order, f, lim);
  }

  /** True when frame `f` is on the free stack. */
  isFree(f: number): boolean {
    return f > this.#extent || (this.flags[f]! & PG.free) !== 0;
  }

  /** Puts frame `f` at the head of LRU list `list`. */
  lruAdd(f: number, list: number): void {
    const h = this.lruHead[list]!;
    this.lruPrev[f] = NONE;
    this.lruNext[f] = h;
    if (h !== NONE) this.lruPrev[h] = f;
    else this.lruTail[list] = f;
    this.lruHead[list] = f;
    this.lru[f] = list;
    this.lruSize[list]!++;
  }

  /** Takes frame `f` off its LRU list (no-op when it is on none). */
  lruDel(f: number): void {
    const list = this.lru[f]!;
    if (list === LRU.none) return;
    const p = this.lruPrev[f]!, n = this.lruNext[f]!;
    if (p !== NONE) this.lruNext[p] = n;
    else this.lruHead[list] = n;
    if (n !== NONE) this.lruPrev[n] = p;
    else this.lruTail[list] = p;
    this.lruPrev[f] = NONE;
    this.lruNext[f] = NONE;
    this.lru[f] = LRU.none;
    this.lruSize[list]!--;
  }

  /** Moves frame `f` to the tail of list `list` (the next to be reclaimed). */
  lruMoveTail(f: number, list: number): void {
    this.lruDel(f);
    const t = this.lruTail[list]!;
    this.lruPrev[f] = t;
    this.lruNext[f] = NONE;
    if (t !== NONE) this.lruNext[t] = f;
    else this.lruHead[list] = f;
    this.lruTail[list] = f;
    this.lru[f] = list;
    this.lruSize[list]!++;
  }

  /** Moves frame `f` to the head of list `list`. */
  lruMove(f: number, list: number): void {
    this.lruDel(f);
    this.lruAdd(f, list);
  }
}

/**
 * The free-frame watermarks of a machine of `pages` frames, as Linux sets them: `min_free_kbytes`
 * = sqrt(16 × memory in KiB), 128 KiB..256 MiB and at most 1/32 of memory, with
 * `watermark_scale_factor` 10. Below `low` an allocation reclaims up to `high`.
 *
 * @example
 * ```ts
 * import { watermarks } from "./frames.ts";
 * const w = watermarks(16384); // 64 MiB
 * if (w.low >= w.high || w.high > 16384 / 16) throw new Error(`${w.low} ${w.high}`);
 * ```
 */
export function watermarks(pages: number): { low: number; high: number } {
  const minKb = Math.min(262144, Math.max(128, Math.floor(Math.sqrt(pages * 4 * 16))));
  const min = Math.max(1, Math.min(Math.floor(minKb / 4), Math.floor(pages / 32)));
  const delta = Math.max(1, min >> 2, Math.floor(pages / 1000));
  return { low: min + delta, high: min + 2 * delta };
}
