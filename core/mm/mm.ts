/**
 * Address spaces (Linux's `mm_struct`): the sorted areas of a process and the root of its page
 * tables, shared by the threads `clone` makes.
 *
 * @module
 */
import { tlbSalt } from "./tlb.ts";
import type { Vma } from "./vma.ts";

/** Entries of the per-region area cache of `Mm.find`. */
const REGIONS = 256;
/** Lookups that miss the four last areas before the region cache is made. */
const REGION_AFTER = 32;

/** One address space. */
export class Mm {
  /** Unique id, never reused (the TLB tags entries with it). */
  readonly id: number;
  /** The id's part of the TLB hash (`tlbIndex`), computed once. */
  readonly tlbSalt: number;
  /** Processes and threads using it; it is torn down when the last one goes. */
  users = 1;
  /** Page-table page id of the PGD (see `PageTables`). */
  pgd: number;
  /** PGDs of the 5-level range above 2^48 (key: virtual page >> 36), created when used. */
  high: Map<number, number> | null = null;
  /** Page-table pages this address space holds (PGD, PUD, PMD and PTE pages). */
  ptPages = 1;
  /** Resident pages mapped (the zero page excluded). */
  rss = 0;
  /** TLB generation: bumping it flushes every TLB entry of this address space. */
  tlbGen = 0;
  /** Areas, sorted by start, non-overlapping. */
  readonly vmas: Vma[] = [];
  /** The strategy's per-address-space data (anonmm's family, for example). */
  rmap: unknown = null;
  // The areas found last (a small, round-robin vmacache): accesses of a process alternate between
  // several areas, and each entry is checked against its bounds before use. Cleared whenever an
  // area goes or changes bounds (`remove`, `forgetLast`).
  #c0: Vma | null = null;
  #c1: Vma | null = null;
  #c2: Vma | null = null;
  #c3: Vma | null = null;
  #next = 0;
  // Behind them, the area found last in each of 256 256 KiB regions (virtual page bits 6..13),
  // made once REGION_AFTER lookups have missed the four: a process's accesses spread over more
  // areas than 4, and a binary search over its areas costs several cache misses (but a process
  // forked to exit soon would spend more on making the table than it saves). An entry counts only
  // when its tag is the current epoch: `forgetLast` (frequent: every munmap, mprotect, mremap)
  // just moves to the next epoch.
  #region: (Vma | null)[] | null = null;
  #regionTag: Int32Array | null = null;
  #epoch = 1;
  #misses = 0;

  /** Makes an empty address space whose PGD is page-table page `pgd`. */
  constructor(id: number, pgd: number) {
    this.id = id;
    this.tlbSalt = tlbSalt(id);
    this.pgd = pgd;
  }

  /** Index in `vmas` of the first area ending after `vpage` (`vmas.length` if none). */
  lowerBound(vpage: number): number {
    const v = this.vmas;
    let lo = 0, hi = v.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v[mid]!.end <= vpage) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The area containing `vpage`, or null (`find_vma` plus the start check). */
  find(vpage: number): Vma | null {
    let c = this.#c0;
    if (c !== null && vpage >= c.start && vpage < c.end) return c;
    c = this.#c1;
    if (c !== null && vpage >= c.start && vpage < c.end) return c;
    c = this.#c2;
    if (c !== null && vpage >= c.start && vpage < c.end) return c;
    c = this.#c3;
    if (c !== null && vpage >= c.start && vpage < c.end) return c;
    let a: Vma;
    if (this.#region === null && ++this.#misses < REGION_AFTER) {
      const found = this.vmas[this.lowerBound(vpage)];
      if (found === undefined || found.start > vpage) return null;
      a = found;
    } else {
      if (this.#region === null) {
        this.#region = new Array<Vma | null>(REGIONS).fill(null);
        this.#regionTag = new Int32Array(REGIONS);
      }
      const region = this.#region, tags = this.#regionTag!;
      const r = (vpage >>> 6) & (REGIONS - 1);
      let b = region[r]!;
      if (tags[r] !== this.#epoch || b === null || vpage < b.start || vpage >= b.end) {
        const found = this.vmas[this.lowerBound(vpage)];
        if (found === undefined || found.start > vpage) return null;
        b = region[r] = found;
        tags[r] = this.#epoch;
      }
      a = b;
    }
    switch (this.#next) {
      case 0:
        this.#c0 = a;
        break;
      case 1:
        this.#c1 = a;
        break;
      case 2:
        this.#c2 = a;
        break;
      default:
        this.#c3 = a;
    }
    this.#next = (this.#next + 1) & 3;
    return a;
  }

  /** True when some area overlaps `[start, end)`. */
  overlaps(start: number, end: number): boolean {
    const a = this.vmas[this.lowerBound(start)];
    return a !== undefined && a.start < end;
  }

  /** Links `vma` in address order. */
  insert(vma: Vma): void {
    const k = this.lowerBound(vma.start);
    this.vmas.splice(k, 0, vma);
  }

  /** Unlinks `vma`. */
  remove(vma: Vma): void {
    const k = this.vmas.indexOf(vma, Math.max(0, this.lowerBound(vma.start) - 1));
    if (k >= 0) this.vmas.splice(k, 1);
    this.forgetLast();
  }

  /** Forgets the lookup cache (after areas changed bounds). */
  forgetLast(): void {
    this.#c0 =
      this.#c1 =
      this.#c2 =
      this.#c3 =
        null;
    if (++this.#epoch === 0x7fffffff) {
      // Tags of 2^31 epochs ago could match again: start over with every entry invalid.
      this.#regionTag?.fill(0);
      this.#epoch = 1;
    }
  }
}
