/**
 * Page tables: every address space's 4-level radix tree (PGD, PUD, PMD, PTE; 512 entries a
 * level), with all table pages of the machine in one pool of typed arrays.
 *
 * Table page `t` holds entries `t*512 .. t*512+511` of {@linkcode PageTables.flags} and
 * {@linkcode PageTables.num}. In PGD, PUD and PMD pages `num` is the child table's id (0: none);
 * in PTE pages `flags` holds the `PTE_*` bits and `num` the frame or swap slot. A PTE is named by
 * its pool index ("slot"), which is what the TLB caches. Addresses above 2^48 (5-level paging) get
 * a PGD of their own per 2^48 range (`Mm.high`).
 *
 * @module
 */
import type { Mm } from "./mm.ts";

const ENTRIES = 512;
const L2 = 512; // pages per PTE table
const L3 = 512 * 512; // pages per PMD table
const L4 = 512 * 512 * 512; // pages per PUD table
const L5 = 512 * 512 * 512 * 512; // pages per PGD

/** Virtual pages below this are mapped by an address space's own PGD (`Mm.pgd`). */
export const WALK_LIMIT = L5;

/**
 * Pool index of the PTE of `vpage` (below {@linkcode WALK_LIMIT}) in the tree whose PGD is table
 * `pgd` of a pool whose `num` array is `num`, or -1 when a table on the way is missing: the
 * hardware's walk, cheap enough for the machine's hot loop (it allocates nothing and sets nothing).
 */
export function walkPte(num: Int32Array, pgd: number, vpage: number): number {
  const u = num[pgd * ENTRIES + ((vpage / L4) & 511)]!;
  if (u === 0) return -1;
  const m = num[u * ENTRIES + ((vpage / L3) & 511)]!;
  if (m === 0) return -1;
  const p = num[m * ENTRIES + ((vpage / L2) & 511)]!;
  return p === 0 ? -1 : p * ENTRIES + (vpage & 511);
}

/** The pool of page-table pages. */
export class PageTables {
  /** PTE flag bytes (PTE pages) ; unused in upper levels. */
  flags: Uint8Array;
  /** Frame / swap slot (PTE pages) or child table id (upper levels). */
  num: Int32Array;
  /** Table pages in use, machine-wide. */
  live = 0;
  /** After {@linkcode PageTables.pteBase} returned -1: the next virtual page worth looking at. */
  skipTo = 0;
  /** After {@linkcode PageTables.pteRun}: the first virtual page past the run it looked at. */
  runEnd = 0;
  #freeIds: number[] = [];
  #next = 1; // table id 0 means "none"

  /** Makes a pool with room for `tables` table pages (it grows as needed). */
  constructor(tables = 64) {
    this.flags = new Uint8Array(tables * ENTRIES);
    this.num = new Int32Array(tables * ENTRIES);
  }

  /** Allocates a zeroed table page and returns its id. May replace `flags`/`num` (growth). */
  alloc(): number {
    let t = this.#freeIds.pop();
    if (t === undefined) {
      t = this.#next++;
      if (t * ENTRIES >= this.num.length) {
        const f = new Uint8Array(this.num.length * 2);
        f.set(this.flags);
        const n = new Int32Array(this.num.length * 2);
        n.set(this.num);
        this.flags = f;
        this.num = n;
      }
    } else {
      this.flags.fill(0, t * ENTRIES, t * ENTRIES + ENTRIES);
      this.num.fill(0, t * ENTRIES, t * ENTRIES + ENTRIES);
    }
    this.live++;
    return t;
  }

  /** Sets the PTE at pool index `s`: its flag bits and its frame or swap slot. */
  set(s: number, flags: number, num: number): void {
    this.flags[s] = flags;
    this.num[s] = num;
  }

  /** Returns table page `t` to the pool. */
  free(t: number): void {
    this.#freeIds.push(t);
    this.live--;
  }

  #root(mm: Mm, vpage: number, create: boolean): number {
    if (vpage < L5) return mm.pgd;
    const key = Math.floor(vpage / L5);
    let t = mm.high?.get(key);
    if (t === undefined) {
      if (!create) return 0;
      t = this.alloc();
      mm.ptPages++;
      (mm.high ??= new Map()).set(key, t);
    }
    return t;
  }

  /** Pool index of the PTE of `vpage`, or -1 when its table does not exist. */
  lookup(mm: Mm, vpage: number): number {
    if (vpage < WALK_LIMIT) return walkPte(this.num, mm.pgd, vpage);
    const base = this.pteBase(mm, vpage);
    return base < 0 ? -1 : base + (vpage & 511);
  }

  /**
   * Pool index of entry 0 of the PTE table covering `vpage`, or -1 when there is none; then
   * {@linkcode PageTables.skipTo} is the first virtual page past the missing part of the tree.
   */
  pteBase(mm: Mm, vpage: number): number {
    const num = this.num;
    const g = this.#root(mm, vpage, false);
    if (g === 0) {
      this.skipTo = (Math.floor(vpage / L5) + 1) * L5;
      return -1;
    }
    const u = num[g * ENTRIES + ((vpage / L4) & 511)]!;
    if (u === 0) {
      this.skipTo = (Math.floor(vpage / L4) + 1) * L4;
      return -1;
    }
    const m = num[u * ENTRIES + ((vpage / L3) & 511)]!;
    if (m === 0) {
      this.skipTo = (Math.floor(vpage / L3) + 1) * L3;
      return -1;
    }
    const p = num[m * ENTRIES + ((vpage / L2) & 511)]!;
    if (p === 0) {
      this.skipTo = (Math.floor(vpage / L2) + 1) * L2;
      return -1;
    }
    return p * ENTRIES;
  }

  /**
   * One step of a walk over the PTEs of `[vpage, end)`: the pool index of the PTE of `vpage`, or
   * -1 when its table does not exist. Either way {@linkcode PageTables.runEnd} is then the end of
   * the run of pages that answer holds for (the end of that PTE table, or the first page past the
   * missing part of the tree), at most `end`; the PTEs of a run have consecutive pool indexes. A
   * walk reads `runEnd` before anything that may walk again:
   *
   * ```ts ignore
   * for (let v = start; v < end;) {
   *   const first = pt.pteRun(mm, v, end), stop = pt.runEnd;
   *   if (first < 0) v = stop;
   *   for (let s = first; v < stop; v++, s++) visit(v, s);
   * }
   * ```
   */
  pteRun(mm: Mm, vpage: number, end: number): number {
    const base = this.pteBase(mm, vpage);
    const next = base < 0 ? this.skipTo : (Math.floor(vpage / L2) + 1) * L2;
    this.runEnd = next < end ? next : end;
    return base < 0 ? -1 : base + (vpage & 511);
  }

  /** Pool index of the PTE of `vpage`, creating missing tables (counted in `mm.ptPages`). */
  ensure(mm: Mm, vpage: number): number {
    const g = this.#root(mm, vpage, true);
    const u = this.#child(mm, g * ENTRIES + ((vpage / L4) & 511));
    const m = this.#child(mm, u * ENTRIES + ((vpage / L3) & 511));
    const p = this.#child(mm, m * ENTRIES + ((vpage / L2) & 511));
    return p * ENTRIES + (vpage & 511);
  }

  #child(mm: Mm, slot: number): number {
    let c = this.num[slot]!;
    if (c === 0) {
      c = this.alloc();
      this.num[slot] = c;
      mm.ptPages++;
    }
    return c;
  }

  /**
   * Frees the table pages under `[start, end)` whose whole span no area of `mm` overlaps any more
   * (Linux's `free_pgtables`). Returns the number freed. Their entries must all be none.
   */
  freeUnused(mm: Mm, start: number, end: number): number {
    if (end <= start) return 0;
    let freed = 0;
    if (start < L5) freed += this.#unusedUnder(mm, mm.pgd, L4, 0, start, end);
    if (mm.high !== null) {
      for (const [key, g] of mm.high) {
        const base = key * L5;
        if (base + L5 <= start || base >= end) continue;
        freed += this.#unusedUnder(mm, g, L4, base, start, end);
      }
    }
    return freed;
  }

  /**
   * `freeUnused` under table `table` (`span`: pages per entry; > 1, so its children are tables;
   * `base`: its first virtual page): children first, then each child no area overlaps.
   */
  #unusedUnder(
    mm: Mm,
    table: number,
    span: number,
    base: number,
    start: number,
    end: number,
  ): number {
    let freed = 0;
    const first = Math.max(0, Math.floor((start - base) / span));
    const last = Math.min(ENTRIES - 1, Math.floor((end - 1 - base) / span));
    for (let k = first; k <= last; k++) {
      const slot = table * ENTRIES + k;
      const c = this.num[slot]!;
      if (c === 0) continue;
      const cs = base + k * span;
      if (span > L2) freed += this.#unusedUnder(mm, c, span / ENTRIES, cs, start, end);
      if (!mm.overlaps(cs, cs + span)) {
        if (span === L4) this.#freePud(mm, c);
        else if (span === L3) this.#freePmd(mm, c);
        else this.#freePte(mm, c);
        this.num[slot] = 0;
        freed++;
      }
    }
    return freed;
  }

  // Freeing a subtree, one function per level (children first, in entry order): straight loops
  // that the JIT keeps optimized, where one recursive function over all levels was deoptimized
  // again and again.

  /** Frees PTE table `t`. */
  #freePte(mm: Mm, t: number): void {
    this.free(t);
    mm.ptPages--;
  }

  /** Frees PMD table `t` and its PTE tables. */
  #freePmd(mm: Mm, t: number): void {
    const num = this.num;
    for (let x = t * ENTRIES, e = x + ENTRIES; x < e; x++) {
      const c = num[x]!;
      if (c !== 0) this.#freePte(mm, c);
    }
    this.#freePte(mm, t);
  }

  /** Frees PUD table `t` and everything under it. */
  #freePud(mm: Mm, t: number): void {
    for (let k = 0; k < ENTRIES; k++) {
      const c = this.num[t * ENTRIES + k]!;
      if (c !== 0) this.#freePmd(mm, c);
    }
    this.#freePte(mm, t);
  }

  /** Frees PGD `t` and everything under it. */
  #freePgd(mm: Mm, t: number): void {
    for (let k = 0; k < ENTRIES; k++) {
      const c = this.num[t * ENTRIES + k]!;
      if (c !== 0) this.#freePud(mm, c);
    }
    this.#freePte(mm, t);
  }

  /** Frees every table page of `mm`, the PGD included. */
  destroy(mm: Mm): void {
    this.#freePgd(mm, mm.pgd);
    if (mm.high !== null) { for (const g of mm.high.values()) this.#freePgd(mm, g); }
    mm.high = null;
  }

  /**
   * Calls `fn(vpage, slot)` for every PTE of `mm` that is not none, in address order (slow: for
   * invariant checks).
   */
  forEachPte(mm: Mm, fn: (vpage: number, slot: number) => void): void {
    const walk = (t: number, span: number, base: number): void => {
      for (let k = 0; k < ENTRIES; k++) {
        const slot = t * ENTRIES + k;
        if (span === 1) {
          if (this.flags[slot] !== 0) fn(base + k, slot);
          continue;
        }
        const c = this.num[slot]!;
        if (c !== 0) walk(c, span / ENTRIES, base + k * span);
      }
    };
    walk(mm.pgd, L4, 0);
    if (mm.high !== null) { for (const [key, g] of mm.high) walk(g, L4, key * L5); }
  }

  /**
   * Calls `fn(vpage, slot)` for every PTE of `mm` in `[start, end)` that is not none, skipping
   * missing tables whole (so a huge, sparse range costs what its tables cost).
   */
  forEachInRange(
    mm: Mm,
    start: number,
    end: number,
    fn: (vpage: number, slot: number) => void,
  ): void {
    for (let v = start; v < end;) {
      const first = this.pteRun(mm, v, end), stop = this.runEnd;
      if (first < 0) v = stop;
      for (let slot = first; v < stop; v++, slot++) {
        if (this.flags[slot] !== 0) fn(v, slot);
      }
    }
  }
}
