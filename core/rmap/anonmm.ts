/**
 * `anonmm`: Hugh Dickins' anonmm reverse map (2.6.6-mm, 2004), the scheme Linus Torvalds sketched
 * in the thread "anon_vma RFC2" (linux-kernel, March 2004): anonymous pages are found through the
 * address spaces of their fork family, at their virtual address.
 *
 * ## Data structures
 * - `anonmm` (40 bytes, {@linkcode SIZES.anonmm}): one per address space, linked into its fork
 *   family's list. `fork` adds the child's anonmm to the parent's family; `exec` (and the first
 *   process) starts a new family.
 * - A page: `owner` = its family ("page->mapping is the anon memory group"), `index` = its virtual
 *   page number ("the virtual address, shifted down by PAGE_SHIFT"). Nothing per area.
 *
 * ## Costs
 * - fork: one anonmm (`fork_rmap_allocs` 1 per fork), PTEs copied as in every design.
 * - COW, COW reuse, munmap: nothing.
 * - Reclaim and swap-in: visit every address space of the family at the page's address
 *   (`rmap_vma_visits` = family size; spaces with no area there, or another page there, are
 *   `rmap_wasted_visits`).
 * - mremap: a page mapped only by the mover is re-indexed at its new address. A page still shared
 *   after fork (another PTE maps it, another PTE or the swap cache holds its swap entry, or a
 *   relative maps the swap-cache page of the mover's swap entry) cannot have two addresses, so it
 *   is copied (`mremap_pages_copied`), including pages on swap, which must be read in first:
 *   "let's just add a few lines to copy_one_pte()" (Torvalds), "does need to COW pages currently
 *   on swap too" (Dickins). The copy changes what later faults do: the mover's copy is exclusive,
 *   so its first write reuses it instead of copying. With no memory for a copy the mremap fails
 *   (an out-of-memory warning) and what it moved goes back, as in Dickins' rmap 11: moving the
 *   page anyway would leave a PTE its rmap cannot find.
 *
 * ## Pathology
 * mremap of an area inherited across fork copies every page still shared (`gen
 * mremap-after-fork`), wasting "whole pages rather than wasting a few bytes of data structure".
 * Walks also grow with the family, like anon_vma's: a page of one child is looked for in every
 * relative.
 *
 * @module
 */
import { C } from "../counters.ts";
import { NONE, PG, ZERO_FRAME } from "../mm/frames.ts";
import type { Mm } from "../mm/mm.ts";
import type { Vma } from "../mm/vma.ts";
import { SIZES } from "./sizes.ts";
import { StrategyBase } from "./base.ts";
import type { RmapContext, RmapVisitor, StrategyInfo } from "./strategy.ts";

/** A fork family: the list of its members' anonmm structures (the address spaces). */
class Family {
  readonly id: number;
  readonly mms: Set<Mm> = new Set();

  constructor(id: number) {
    this.id = id;
  }
}

class Anonmm extends StrategyBase {
  #ctx: RmapContext;
  #byId: (Family | undefined)[] = [];
  #nextId = 1;
  #anonmms = 0;
  #biggest = 0;

  constructor(ctx: RmapContext) {
    super();
    this.#ctx = ctx;
  }

  #family(mm: Mm): Family | null {
    return (mm.rmap as Family | null) ?? null;
  }

  override mmCreate(mm: Mm, parent: Mm | null): void {
    let fam = parent === null ? null : this.#family(parent);
    if (fam === null) {
      fam = new Family(this.#nextId++);
      this.#byId[fam.id] = fam;
    } else {
      this.#ctx.counters[C.fork_rmap_allocs]!++;
    }
    fam.mms.add(mm);
    mm.rmap = fam;
    this.#anonmms++;
    if (fam.mms.size > this.#biggest) this.#biggest = fam.mms.size;
    this.#ctx.addMeta(SIZES.anonmm);
  }

  override mmDestroy(mm: Mm): void {
    const fam = this.#family(mm);
    if (fam === null) return;
    fam.mms.delete(mm);
    mm.rmap = null;
    this.#anonmms--;
    this.#ctx.addMeta(-SIZES.anonmm);
    if (fam.mms.size === 0) this.#byId[fam.id] = undefined;
  }

  override newAnonPage(frame: number, vma: Vma, vpage: number): void {
    const fam = this.#family(vma.mm);
    const f = this.#ctx.frames;
    f.owner[frame] = fam === null ? NONE : fam.id;
    f.index[frame] = vpage;
  }

  override pteAdded(frame: number, vma: Vma, vpage: number): void {
    const f = this.#ctx.frames;
    if ((f.flags[frame]! & PG.anon) === 0) return;
    // A swap-cache page mapped again by its only mapper, after an mremap moved the swap entry:
    // it takes the address it is mapped at now.
    if (f.mapcount[frame] === 1) {
      const fam = this.#family(vma.mm);
      f.owner[frame] = fam === null ? NONE : fam.id;
      f.index[frame] = vpage;
    }
  }

  override movePte(
    frame: number,
    slotShared: boolean,
    _old: Vma,
    _oldVpage: number,
    _moved: Vma,
    newVpage: number,
  ): boolean {
    const f = this.#ctx.frames;
    if (frame === NONE) return slotShared;
    if (frame === ZERO_FRAME || (f.flags[frame]! & PG.anon) === 0) return false;
    if (f.mapcount[frame]! > 1 || slotShared) return true;
    f.index[frame] = newVpage;
    return false;
  }

  override rmapWalk(frame: number, visit: RmapVisitor): void {
    const f = this.#ctx.frames;
    const fam = this.#byId[f.owner[frame]!];
    if (fam === undefined) return;
    const vpage = f.index[frame]!;
    for (const mm of fam.mms) {
      if (visit.mm(mm, vpage)) return;
    }
  }

  override extraCounters(): Record<string, number> {
    return { anonmm_count: this.#anonmms, anonmm_family_peak: this.#biggest };
  }
}

/** The `anonmm` strategy. */
export const info: StrategyInfo = {
  name: "anonmm",
  origin: "Dickins/Torvalds, 2.6.6-mm (2004), seed 001",
  idea: "page→mapping is the fork family's anonmm, page→index its virtual address; rmap walks " +
    "every mm in the family at that address; mremap of a page still shared after fork copies it",
  counters: {
    anonmm_count: "anonmm structures alive: one per fork family of address spaces.",
    anonmm_family_peak: "Most address spaces one anonmm family held at once.",
  },
  create: (ctx) => new Anonmm(ctx),
};
