/**
 * The TLB: a direct-mapped cache of translations, tagged with the address space id and a per-space
 * generation (bumping `Mm.tlbGen` flushes a whole address space at once, as `flush_tlb_mm`).
 *
 * An entry caches the pool index of the PTE (see `PageTables`), so a hit checks the PTE's bits
 * and sets accessed/dirty without walking the tree. The machine flushes where Linux flushes and
 * counts each flush once (`tlb_flushes`); like x86, a range of more than 33 pages is flushed as a
 * whole address space (`tlb_single_page_flush_ceiling`).
 *
 * @module
 */

import { C } from "../counters.ts";

/** Default TLB size (a Skylake STLB). */
export const DEFAULT_TLB_ENTRIES = 1536;
/** Pages above which a range flush becomes a full flush of the address space. */
export const FLUSH_CEILING = 33;

/** What a flush needs of an address space (`Mm`): its id and its TLB generation. */
export interface TlbOwner {
  /** The address-space id the entries are tagged with. */
  readonly id: number;
  /** Its generation: bumping it drops all its entries at once. */
  tlbGen: number;
}

/** An address space's part of the TLB hash (`Mm.tlbSalt` keeps it). */
export function tlbSalt(mmId: number): number {
  return Math.imul(mmId, 0x27d4eb2d);
}

/**
 * The entry of a `size`-entry TLB that may hold `vpage` of the address space whose
 * {@linkcode tlbSalt} is `salt`. Integer-only arithmetic (no `%` on doubles): this runs on every
 * access.
 */
export function tlbIndexSalted(vpage: number, salt: number, size: number): number {
  const h = Math.imul((vpage | 0) ^ salt, 0x9e3779b1) >>> 0;
  return (h * size * 2.3283064365386963e-10) | 0;
}

/** The entry of a `size`-entry TLB that may hold (`mmId`, `vpage`). */
export function tlbIndex(mmId: number, vpage: number, size: number): number {
  return tlbIndexSalted(vpage, tlbSalt(mmId), size);
}

/** Offsets of an entry's fields in {@linkcode Tlb.e} (entry `h` starts at `h * 4`). */
export const TLB_VPAGE = 0, TLB_MM = 1, TLB_GEN = 2, TLB_SLOT = 3;

/** A direct-mapped TLB of `size` entries. */
export class Tlb {
  /** Number of entries. */
  readonly size: number;
  /**
   * The entries, 4 numbers each, side by side so that a lookup reads one cache line: the virtual
   * page ({@linkcode TLB_VPAGE}), the address-space id ({@linkcode TLB_MM}, -1: invalid), the
   * address space's generation when the entry was filled ({@linkcode TLB_GEN}), and the pool
   * index of the PTE it caches ({@linkcode TLB_SLOT}).
   */
  readonly e: Float64Array;

  readonly #counters: Float64Array;

  /** Makes an empty TLB that counts its flushes in `counters` (slot `C.tlb_flushes`). */
  constructor(size: number, counters: Float64Array) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`TLB entries: expected a positive integer, found ${size}`);
    }
    this.size = size;
    this.#counters = counters;
    this.e = new Float64Array(size * 4);
    for (let h = 0; h < size; h++) this.e[h * 4 + TLB_MM] = -1;
  }

  /** True when entry `h` caches (`mmId`, `vpage`) at generation `gen`. */
  hit(h: number, mmId: number, gen: number, vpage: number): boolean {
    const e = this.e, x = h * 4;
    return e[x] === vpage && e[x + TLB_MM] === mmId && e[x + TLB_GEN] === gen;
  }

  /** The PTE pool index entry `h` caches. */
  slot(h: number): number {
    return this.e[h * 4 + TLB_SLOT]!;
  }

  /** The entry that may hold (`mmId`, `vpage`) (multiplicative hash, then a range reduction). */
  index(mmId: number, vpage: number): number {
    return tlbIndex(mmId, vpage, this.size);
  }

  /** Caches PTE `slot` for (`mmId`, `vpage`) at generation `gen`. */
  fill(mmId: number, gen: number, vpage: number, slot: number): void {
    this.fillAt(this.index(mmId, vpage), mmId, gen, vpage, slot);
  }

  /** Caches PTE `slot` for (`mmId`, `vpage`) in entry `h`, which must be their `index`. */
  fillAt(h: number, mmId: number, gen: number, vpage: number, slot: number): void {
    const e = this.e, x = h * 4;
    e[x] = vpage;
    e[x + TLB_MM] = mmId;
    e[x + TLB_GEN] = gen;
    e[x + TLB_SLOT] = slot;
  }

  /** Drops the entry of (`mmId`, `vpage`), if cached. */
  invalidate(mmId: number, vpage: number): void {
    const e = this.e, x = this.index(mmId, vpage) * 4;
    if (e[x + TLB_MM] === mmId && e[x] === vpage) e[x + TLB_MM] = -1;
  }

  /** `flush_tlb_page`: one flush, of one page of `mm`. */
  flushPage(mm: TlbOwner, vpage: number): void {
    this.#counters[C.tlb_flushes]!++;
    this.invalidate(mm.id, vpage);
  }

  /** `flush_tlb_range`: one flush, page by page up to `FLUSH_CEILING` pages, else all of `mm`. */
  flushRange(mm: TlbOwner, start: number, end: number): void {
    this.#counters[C.tlb_flushes]!++;
    if (end - start <= FLUSH_CEILING) {
      for (let v = start; v < end; v++) this.invalidate(mm.id, v);
    } else mm.tlbGen = (mm.tlbGen + 1) | 0;
  }

  /** `flush_tlb_mm`: one flush of every entry of `mm`. */
  flushMm(mm: TlbOwner): void {
    this.#counters[C.tlb_flushes]!++;
    mm.tlbGen = (mm.tlbGen + 1) | 0;
  }
}
