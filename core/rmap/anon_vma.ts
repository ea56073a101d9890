/**
 * `anon_vma`: Andrea Arcangeli's object-based reverse map for anonymous memory as merged in Linux
 * 2.6.7 (2004), before the anon_vma_chain rework of 2.6.34.
 *
 * ## Data structures
 * - `anon_vma` (24 bytes, {@linkcode SIZES.anonVmaListOnly}): a lock and a list head. There is one
 *   per fork family of areas: the first anonymous fault in an area allocates it (or borrows a
 *   mergeable neighbour's), and every area forked from an area on the list joins the same list.
 * - Each area links into its anon_vma's list through the `anon_vma_node` embedded in
 *   `vm_area_struct` (counted as a 16-byte {@linkcode SIZES.listLink} of metadata per linked area).
 * - A page: `owner` = its anon_vma, `index` = its linear page index (`vm_pgoff` plus the offset in
 *   the area), so `vma_address()` finds the page's address in any area of the family.
 *
 * ## Costs
 * - First anonymous fault in an area: one anon_vma unless a neighbour lends its own.
 * - fork: the child's area is added to the parent's list; nothing is allocated
 *   (`fork_rmap_allocs` 0). PTEs are copied and write-protected as in every design.
 * - COW and COW reuse: nothing; the copy belongs to the same anon_vma as the original.
 * - mremap: the moved area joins the same list; `vm_pgoff` moves with it, no page is touched.
 * - munmap / exit: the area leaves the list; the anon_vma is freed with its last area.
 * - Reclaim (`page_referenced`, `try_to_unmap`) and swap-in: walk the whole list, computing
 *   `vma_address()` in every area; areas that do not cover the index cost a visit and no PTE,
 *   areas that cover it cost a PTE look-up even when they map another copy.
 *
 * ## Pathology
 * The AIM7 benchmark (about 1000 children, each COWing about 1000 pages of the parent's memory):
 * every COWed page still belongs to the family's single anon_vma, so each rmap walk of any of the
 * million copies visits all 1001 areas to find the one that maps it. Rik van Riel's anon_vma_chain
 * (2.6.34) fixed it by giving every area an anon_vma of its own (`gen aim7`).
 *
 * @module
 */
import { NONE } from "../mm/frames.ts";
import type { Vma } from "../mm/vma.ts";
import { SIZES } from "./sizes.ts";
import { StrategyBase } from "./base.ts";
import { IdTable } from "./_id_table.ts";
import { findMergeable } from "./_mergeable.ts";
import type { RmapContext, RmapVisitor, StrategyInfo } from "./strategy.ts";

/** One anon_vma: the list of the family's areas. */
class AnonVma {
  readonly id: number;
  /** The list, in link order (`list_add_tail`, so a walk meets older areas first). */
  readonly vmas: Set<Vma> = new Set();

  constructor(id: number) {
    this.id = id;
  }
}

function avOf(vma: Vma): AnonVma | null {
  return (vma.rmap as AnonVma | null) ?? null;
}

class AnonVmaList extends StrategyBase {
  #ctx: RmapContext;
  #avs: IdTable<AnonVma>;

  constructor(ctx: RmapContext) {
    super();
    this.#ctx = ctx;
    this.#avs = new IdTable(ctx, SIZES.anonVmaListOnly);
  }

  #link(vma: Vma, av: AnonVma): void {
    vma.rmap = av;
    av.vmas.add(vma);
    this.#ctx.addMeta(SIZES.listLink);
  }

  override vmaCreate(vma: Vma): void {
    vma.rmap = null;
  }

  override anonPrepare(vma: Vma): void {
    if (avOf(vma) !== null) return;
    // find_mergeable_anon_vma(): a neighbour that could merge with this area lends its anon_vma.
    this.#link(vma, findMergeable(vma, avOf) ?? this.#avs.add(new AnonVma(this.#avs.next)));
  }

  override vmaFork(parent: Vma, child: Vma): void {
    child.rmap = null;
    const av = avOf(parent);
    // The child's vm_area_struct is a copy of the parent's: same anon_vma, linked next to it.
    if (av !== null) this.#link(child, av);
  }

  override vmaSplit(orig: Vma, created: Vma): void {
    created.rmap = null;
    const av = avOf(orig);
    if (av !== null) this.#link(created, av);
  }

  override vmaMerge(kept: Vma, removed: Vma): void {
    const av = avOf(removed);
    if (avOf(kept) === null && av !== null) this.#link(kept, av);
    this.vmaUnlink(removed);
  }

  override vmaMove(old: Vma, moved: Vma): void {
    moved.rmap = null;
    const av = avOf(old);
    if (av !== null) this.#link(moved, av);
  }

  override vmaUnlink(vma: Vma): void {
    const av = avOf(vma);
    if (av === null) return;
    av.vmas.delete(vma);
    vma.rmap = null;
    this.#ctx.addMeta(-SIZES.listLink);
    if (av.vmas.size === 0) {
      this.#avs.remove(av);
    }
  }

  override canMerge(a: Vma, b: Vma): boolean {
    const x = avOf(a), y = avOf(b);
    return x === y || x === null || y === null;
  }

  override newAnonPage(frame: number, vma: Vma, vpage: number): void {
    const av = avOf(vma);
    const f = this.#ctx.frames;
    f.owner[frame] = av === null ? NONE : av.id;
    f.index[frame] = vma.linearIndex(vpage);
  }

  override rmapWalk(frame: number, visit: RmapVisitor): void {
    const f = this.#ctx.frames;
    const av = this.#avs.at[f.owner[frame]!];
    if (av === undefined) return;
    const index = f.index[frame]!;
    // A list, not a tree: every area is visited; vma_address() fails (no PTE) outside its range.
    for (const vma of av.vmas) {
      if (visit.vma(vma, vma.addressOf(index))) return;
    }
  }

  override extraCounters(): Record<string, number> {
    return { anon_vma_count: this.#avs.live, anon_vma_count_peak: this.#avs.peak };
  }
}

/** The `anon_vma` strategy. */
export const info: StrategyInfo = {
  name: "anon_vma",
  origin: "Arcangeli, Linux 2.6.7 (2004)",
  idea: "one anon_vma list per fork family of areas; page→index is the offset in the area; " +
    "rmap walks every area on the list",
  counters: {
    anon_vma_count: "anon_vmas alive: one per fork family of areas.",
    anon_vma_count_peak: "Most anon_vmas alive at once.",
  },
  create: (ctx) => new AnonVmaList(ctx),
};
