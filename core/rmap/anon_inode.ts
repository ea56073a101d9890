/**
 * `anon_inode`: Mark Hemment's anonymous inodes (linux-mm, 16 November 1997, "Re: Ideas for
 * memory management hackers (2)"): every
 * anonymous area gets a dummy dentry and inode whose `anon_inode_info` says, per page offset,
 * where the page is: in core (a `struct page *`), on swap (a swap entry) or never loaded.
 *
 * ## Data structures
 * - An anonymous inode per private area that gets anonymous pages: `struct inode` (600 bytes) and
 *   `struct dentry` (192) of Linux 6.6, plus the `anon_inode_info` array, one 16-byte slot
 *   (page pointer and swap entry, {@linkcode SIZES.anonInodeSlot}) per page of the range the inode
 *   covers, "indexed via vm_start-vm_end+vm_offset", touched or not.
 * - The inode's share ring: the areas that use it (an area split by munmap or mprotect keeps a
 *   reference to the original dentry; Hemment did not intend to merge areas).
 * - Fork calls the area's `dup()`: a shared area shares its inode (here the machine's inode per
 *   shared anonymous mapping, after Eric W. Biederman's suggestion of January 1998, the same idea);
 *   a private area gets a new inode with a copy of the array. Pages copied into a child's array are
 *   then in two arrays, and `page->mapping` can name only one, so inodes dup'd from one another
 *   form a family; a page's `owner` is its family and its `index` its offset (linear page index).
 *
 * ## Costs
 * - First anonymous fault in an area: an inode, a dentry and an array for the whole area.
 * - fork: per private area with anonymous pages, a new inode, dentry and array
 *   (`fork_rmap_allocs` 3), and a copy of every slot (`anon_inode_slots_copied`).
 * - COW: the writer's slot takes the copy. mremap: the moved area stays on the ring at the same
 *   offsets; nothing is copied. munmap: the area leaves the ring; the inode goes with its last area.
 * - Reclaim and swap-in: for each inode of the page's family, read the slot at the page's offset
 *   (`anon_inode_slot_checks`); visit the ring of every inode whose slot holds the page.
 * - No zero page: a slot is a page, a swap entry or "never loaded, so a zero-filled page is needed
 *   on first access"; a read of untouched memory allocates a zeroed page (one fault for read then
 *   write where Linux takes two, `zero_page_maps` 0, more memory).
 *
 * ## Pathology
 * Memory: a 16-byte slot for every page of every anonymous area, resident or not, copied at every
 * fork ("a pointer and an unsigned long for each page is a bit fat"), plus an inode and a dentry
 * per area. Walks check every inode copied from the page's first one, so they grow with the fork
 * family like anon_vma's, if more cheaply (an array read, not a page-table walk).
 *
 * Not modelled: Hemment moved the swap entry out of the PTE into the array (so that page tables
 * could be freed once unloaded); the machine keeps swap entries in PTEs for every strategy.
 *
 * @module
 */
import { C } from "../counters.ts";
import { PG } from "../mm/frames.ts";
import type { Mm } from "../mm/mm.ts";
import type { Vma } from "../mm/vma.ts";
import { SIZES } from "./sizes.ts";
import { StrategyBase } from "./base.ts";
import type { RmapContext, RmapVisitor, StrategyInfo } from "./strategy.ts";

/** Inodes dup'd from one another by fork: what a page's owner names. */
class Family {
  readonly id: number;
  readonly inodes: Set<Inode> = new Set();

  constructor(id: number) {
    this.id = id;
  }
}

/** One anonymous inode: its share ring and its `anon_inode_info` array. */
class Inode {
  readonly family: Family;
  /** Areas using the inode. */
  readonly ring: Set<Vma> = new Set();
  /**
   * In-core slots, kept as frame → offset (absent: on swap, in the PTE here, or never loaded).
   * Keyed by frame because Linux-style mremap can grow one piece of a split area over offsets
   * another piece still uses; the walk asks "does this inode hold that page at that offset".
   */
  readonly slots: Map<number, number>;
  /** Offsets `[lo, hi)` the array covers. */
  lo: number;
  hi: number;

  constructor(family: Family, lo: number, hi: number, slots?: Map<number, number>) {
    this.family = family;
    this.lo = lo;
    this.hi = hi;
    this.slots = slots ? new Map(slots) : new Map();
  }

  get span(): number {
    return this.hi - this.lo;
  }
}

const INODE_BYTES = SIZES.inode + SIZES.dentry;

function inodeOf(vma: Vma): Inode | null {
  return (vma.rmap as Inode | null) ?? null;
}

class AnonInode extends StrategyBase {
  #ctx: RmapContext;
  #families: (Family | undefined)[] = [];
  #nextFamily = 1;
  #inodes = 0;
  #slotChecks = 0;
  #slotsCopied = 0;
  /** The fork in progress: its child address space and the inodes dup'd for it so far. */
  #forkMm: Mm | null = null;
  #dups: Map<Inode, Inode> = new Map();

  constructor(ctx: RmapContext) {
    super();
    this.#ctx = ctx;
  }

  #newInode(family: Family, lo: number, hi: number, slots?: Map<number, number>): Inode {
    const ino = new Inode(family, lo, hi, slots);
    family.inodes.add(ino);
    this.#inodes++;
    this.#ctx.addMeta(INODE_BYTES + SIZES.anonInodeSlot * ino.span);
    return ino;
  }

  #join(vma: Vma, ino: Inode): void {
    vma.rmap = ino;
    ino.ring.add(vma);
    this.#cover(ino, vma.pgoff, vma.pgoff + vma.pages);
  }

  /** Grows the array to cover offsets `[lo, hi)`. */
  #cover(ino: Inode, lo: number, hi: number): void {
    const before = ino.span;
    if (lo < ino.lo) ino.lo = lo;
    if (hi > ino.hi) ino.hi = hi;
    if (ino.span !== before) this.#ctx.addMeta(SIZES.anonInodeSlot * (ino.span - before));
  }

  #inodeFor(vma: Vma): Inode {
    const ino = inodeOf(vma);
    if (ino !== null) return ino;
    this.anonPrepare(vma);
    return inodeOf(vma)!;
  }

  override vmaCreate(vma: Vma): void {
    vma.rmap = null;
  }

  override anonPrepare(vma: Vma): void {
    if (inodeOf(vma) !== null) return;
    const fam = new Family(this.#nextFamily++);
    this.#families[fam.id] = fam;
    this.#join(vma, this.#newInode(fam, vma.pgoff, vma.pgoff + vma.pages));
  }

  override vmaFork(parent: Vma, child: Vma): void {
    child.rmap = null;
    const ino = inodeOf(parent);
    if (ino === null) return;
    if (child.mm !== this.#forkMm) {
      this.#forkMm = child.mm;
      this.#dups.clear();
    }
    // Pieces of one split area share their inode: the child's pieces share one copy.
    let copy = this.#dups.get(ino);
    if (copy === undefined) {
      // dup(): a new inode and dentry with a copy of the whole array.
      copy = this.#newInode(ino.family, ino.lo, ino.hi, ino.slots);
      this.#dups.set(ino, copy);
      this.#ctx.counters[C.fork_rmap_allocs]! += 3;
      this.#slotsCopied += ino.span;
    }
    this.#join(child, copy);
  }

  override vmaSplit(orig: Vma, created: Vma): void {
    created.rmap = null;
    const ino = inodeOf(orig);
    if (ino !== null) this.#join(created, ino);
  }

  override vmaMerge(kept: Vma, removed: Vma): void {
    const ino = inodeOf(removed);
    if (inodeOf(kept) === null && ino !== null) this.#join(kept, ino);
    const k = inodeOf(kept);
    if (k !== null) this.#cover(k, kept.pgoff, kept.pgoff + kept.pages);
    this.vmaUnlink(removed);
  }

  override vmaMove(old: Vma, moved: Vma): void {
    moved.rmap = null;
    const ino = inodeOf(old);
    if (ino !== null) this.#join(moved, ino);
  }

  override vmaUnlink(vma: Vma): void {
    const ino = inodeOf(vma);
    if (ino === null) return;
    ino.ring.delete(vma);
    vma.rmap = null;
    if (ino.ring.size > 0) return;
    // The dentry's count reached zero: delete() frees the anon_inode_info.
    this.#ctx.addMeta(-(INODE_BYTES + SIZES.anonInodeSlot * ino.span));
    this.#inodes--;
    ino.family.inodes.delete(ino);
    if (ino.family.inodes.size === 0) this.#families[ino.family.id] = undefined;
  }

  override canMerge(a: Vma, b: Vma): boolean {
    const x = inodeOf(a), y = inodeOf(b);
    return x === y || x === null || y === null;
  }

  override useZeroPage(): boolean {
    return false;
  }

  override newAnonPage(frame: number, vma: Vma, vpage: number): void {
    const ino = this.#inodeFor(vma);
    const idx = vma.linearIndex(vpage);
    // Beyond the array only after the area grew in place (mremap): the array grows with it.
    this.#cover(ino, idx, idx + 1);
    ino.slots.set(frame, idx);
    const f = this.#ctx.frames;
    f.owner[frame] = ino.family.id;
    f.index[frame] = idx;
  }

  override pteAdded(frame: number, vma: Vma, vpage: number): void {
    const f = this.#ctx.frames;
    if ((f.flags[frame]! & PG.anon) === 0) return;
    // An anonymous page mapped again (a swap-cache page, a fork's copy, a move) is at an offset
    // where it, or its original, was a new page of an area of this inode or of the one it was
    // dup'd from, which covers it already (arrays never shrink, a dup covers its area's range).
    this.#inodeFor(vma).slots.set(frame, vma.linearIndex(vpage));
  }

  override pteRemoved(frame: number, vma: Vma, vpage: number): void {
    const f = this.#ctx.frames;
    if ((f.flags[frame]! & PG.anon) === 0) return;
    const ino = inodeOf(vma);
    if (ino === null) return;
    const idx = vma.linearIndex(vpage);
    if (ino.slots.get(frame) === idx) ino.slots.delete(frame);
  }

  override rmapWalk(frame: number, visit: RmapVisitor): void {
    const f = this.#ctx.frames;
    const fam = this.#families[f.owner[frame]!];
    if (fam === undefined) return;
    const idx = f.index[frame]!;
    const counting = !this.#ctx.checking;
    for (const ino of fam.inodes) {
      if (counting) this.#slotChecks++;
      if (ino.slots.get(frame) !== idx) continue;
      for (const vma of ino.ring) {
        if (visit.vma(vma, vma.addressOf(idx))) return;
      }
    }
  }

  override extraCounters(): Record<string, number> {
    return {
      anon_inode_count: this.#inodes,
      anon_inode_slot_checks: this.#slotChecks,
      anon_inode_slots_copied: this.#slotsCopied,
    };
  }
}

/** The `anon_inode` strategy. */
export const info: StrategyInfo = {
  name: "anon_inode",
  origin: "Hemment, linux-mm 1997 (seed 000)",
  idea: "each anonymous area gets an anonymous inode: an array of page pointers and swap entries " +
    "indexed by offset; fork dups it (shared areas share it, private areas copy it); rmap goes " +
    "page → (inode, index) → the areas on the inode's ring",
  counters: {
    anon_inode_count: "Anonymous inodes alive: one per anonymous area, duplicated for the child " +
      "at fork.",
    anon_inode_slot_checks: "Inodes of a page's family an rmap walk looked in to find the one " +
      "holding the page.",
    anon_inode_slots_copied: "Page slots fork copied when it duplicated an inode's array.",
  },
  create: (ctx) => new AnonInode(ctx),
};
