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

/** Pages above which a range flush becomes a full flush of the address space. */
export const FLUSH_CEILING = 33;

/**
 * The entry of a `size`-entry TLB that may hold (`mmId`, `vpage`). Integer-only arithmetic (no
 * `%` on doubles): this runs on every access.
 */
export function tlbIndex(mmId: number, vpage: number, size: number): number {
  const h = Math.imul((vpage | 0) ^ Math.imul(mmId, 0x27d4eb2d), 0x9e3779b1) >>> 0;
  return (h * size * 2.3283064365386963e-10) | 0;
}

/** A direct-mapped TLB of `size` entries. */
export class Tlb {
  /** Number of entries. */
  readonly size: number;
  /** Address-space id of each entry (-1: invalid). */
  readonly mm: Int32Array;
  /** Generation of the address space when the entry was filled. */
  readonly gen: Int32Array;
  /** Virtual page of each entry. */
  readonly vpage: Float64Array;
  /** Pool index of the PTE each entry caches. */
  readonly slot: Int32Array;

  /** Makes an empty TLB. */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`TLB entries: expected a positive integer, found ${size}`);
    }
    this.size = size;
    this.mm = new Int32Array(size).fill(-1);
    this.gen = new Int32Array(size);
    this.vpage = new Float64Array(size);
    this.slot = new Int32Array(size);
  }

  /** The entry that may hold (`mmId`, `vpage`) (multiplicative hash, then a range reduction). */
  index(mmId: number, vpage: number): number {
    return tlbIndex(mmId, vpage, this.size);
  }

  /** Caches PTE `slot` for (`mmId`, `vpage`) at generation `gen`. */
  fill(mmId: number, gen: number, vpage: number, slot: number): void {
    const h = this.index(mmId, vpage);
    this.mm[h] = mmId;
    this.gen[h] = gen;
    this.vpage[h] = vpage;
    this.slot[h] = slot;
  }

  /** Caches PTE `slot` for (`mmId`, `vpage`) in entry `h`, which must be their `index`. */
  fillAt(h: number, mmId: number, gen: number, vpage: number, slot: number): void {
    this.mm[h] = mmId;
    this.gen[h] = gen;
    this.vpage[h] = vpage;
    this.slot[h] = slot;
  }

  /** Drops the entry of (`mmId`, `vpage`), if cached. */
  invalidate(mmId: number, vpage: number): void {
    const h = this.index(mmId, vpage);
    if (this.mm[h] === mmId && this.vpage[h] === vpage) this.mm[h] = -1;
  }
}
