/**
 * `anon_vma_chain`: Linux today (van Riel, 2.6.34, 2010), with the 2015 anon_vma reuse rule and
 * `folio_move_anon_rmap` on COW reuse. The default strategy.
 *
 * ## Data structures
 * - `anon_vma` (96 bytes): a tree of areas that may hold its pages, a `root` (the oldest anon_vma
 *   of the fork family), a `parent`, `num_children` (its "degree": child anon_vmas plus the root's
 *   self link) and `num_active_vmas` (areas whose own `vma->anon_vma` it is).
 * - `anon_vma_chain` (64 bytes): one per (area, anon_vma) pair; an area links to its own anon_vma
 *   and to every ancestor's, so a page filed under any of them finds the area.
 * - A page: `owner` = the anon_vma of the area that first faulted it (or the root's when it was
 *   already shared, on swap-in), `index` = its linear page index (`vm_pgoff` + offset in the area).
 *
 * ## Costs
 * - First anonymous fault in an area: `anon_vma_prepare` reuses a mergeable neighbour's anon_vma
 *   or allocates one anon_vma and one chain entry.
 * - fork: per area with anonymous pages, one chain entry per entry of the parent's chain
 *   (`anon_vma_clone`), plus a new anon_vma and its chain entry unless an anon_vma of the chain has
 *   no areas of its own and fewer than 2 children (the 2015 reuse rule bounding chain growth in
 *   fork-exit loops). All counted in `fork_rmap_allocs`. PTEs are copied and write-protected.
 * - COW: a copy is filed under the writer's own anon_vma; reuse moves the page there
 *   (`folio_move_anon_rmap`), so later walks skip the rest of the family.
 * - mremap: the new area clones the old one's chain (one entry per anon_vma), PTEs move, no page
 *   is touched; `index` is unchanged because `vm_pgoff` moves with the area.
 * - munmap / exit: `unlink_anon_vmas` frees the chain entries; an anon_vma goes when no area
 *   links to it and no descendant needs its root.
 * - Reclaim (`page_referenced`, `try_to_unmap`) and swap-in: walk the page's anon_vma's interval
 *   tree, visiting only areas whose range covers `index`; swap-in of a page several processes
 *   hold files it under the root.
 *
 * ## Pathology
 * Pages filed under an ancestor's anon_vma (never COWed, or swapped in while shared) are looked
 * for in every descendant's area: a server that forks many children which each COW their own copy
 * makes every walk of the parent's pages visit all children (`rmap_wasted_visits`). Without the
 * reuse rule, long fork-exit chains grew chains without bound; with it, chain length stays small.
 *
 * @module
 */
import { C } from "../counters.ts";
import { NONE } from "../mm/frames.ts";
import { Mappings } from "../mm/object.ts";
import type { Vma } from "../mm/vma.ts";
import { SIZES } from "./sizes.ts";
import { StrategyBase } from "./base.ts";
import { IdTable } from "./_id_table.ts";
import { findMergeable } from "./_mergeable.ts";
import type { RmapContext, RmapVisitor, StrategyInfo } from "./strategy.ts";

/** One anon_vma. */
class AnonVma {
  readonly id: number;
  root: AnonVma;
  parent: AnonVma;
  /** `num_children`. */
  degree = 0;
  /** `num_active_vmas`. */
  activeVmas = 0;
  /** References: 1 of its own plus one per non-root anon_vma whose root it is. */
  refs = 1;
  /** The interval tree: areas with a chain entry to this anon_vma, in link order. */
  readonly vmas: Mappings = new Mappings();

  constructor(id: number) {
    this.id = id;
    this.root = this;
    this.parent = this;
  }
}

/** Per-area state: `vma->anon_vma` and the `anon_vma_chain` list. */
interface AreaRmap {
  av: AnonVma | null;
  chain: AnonVma[];
}

function area(vma: Vma): AreaRmap {
  let r = vma.rmap as AreaRmap | null;
  if (r === null) {
    r = { av: null, chain: [] };
    vma.rmap = r;
  }
  return r;
}

class AnonVmaChain extends StrategyBase {
  #ctx: RmapContext;
  #avs: IdTable<AnonVma>;
  #chains = 0;

  constructor(ctx: RmapContext) {
    super();
    this.#ctx = ctx;
    this.#avs = new IdTable(ctx, SIZES.anonVma);
  }

  #alloc(): AnonVma {
    return this.#avs.add(new AnonVma(this.#avs.next));
  }

  #link(vma: Vma, av: AnonVma): void {
    area(vma).chain.push(av);
    av.vmas.add(vma);
    this.#chains++;
    this.#ctx.addMeta(SIZES.anonVmaChain);
  }

  #put(av: AnonVma): void {
    if (--av.refs > 0) return;
    this.#avs.remove(av);
    if (av.root !== av) this.#put(av.root);
  }

  /** `anon_vma_clone(dst, src)`; returns the number of chain entries allocated. */
  #clone(dst: Vma, src: Vma, mayReuse: boolean): number {
    const s = area(src), d = area(dst);
    let n = 0;
    for (let k = s.chain.length - 1; k >= 0; k--) {
      const av = s.chain[k]!;
      this.#link(dst, av);
      n++;
      if (mayReuse && d.av === null && s.av !== null && av.degree < 2 && av.activeVmas === 0) {
        d.av = av;
      }
    }
    if (d.av !== null) d.av.activeVmas++;
    return n;
  }

  override vmaCreate(vma: Vma): void {
    vma.rmap = { av: null, chain: [] } satisfies AreaRmap;
  }

  override anonPrepare(vma: Vma): void {
    const r = area(vma);
    if (r.av !== null) return;
    // find_mergeable_anon_vma: a compatible neighbour with a single chain entry lends its anon_vma.
    let av = findMergeable(vma, reusable);
    if (av === null) {
      av = this.#alloc();
      av.degree++; // the root's self-parent link
    }
    r.av = av;
    av.activeVmas++;
    this.#link(vma, av);
  }

  override vmaFork(parent: Vma, child: Vma): void {
    const p = area(parent);
    child.rmap = { av: null, chain: [] } satisfies AreaRmap;
    if (p.av === null) return;
    let allocs = this.#clone(child, parent, true);
    const c = area(child);
    if (c.av === null) {
      const av = this.#alloc();
      av.root = p.av.root;
      av.parent = p.av;
      av.root.refs++;
      av.activeVmas++;
      c.av = av;
      this.#link(child, av);
      av.parent.degree++;
      allocs += 2;
    }
    this.#ctx.counters[C.fork_rmap_allocs]! += allocs;
  }

  override vmaSplit(orig: Vma, created: Vma): void {
    const o = area(orig);
    created.rmap = { av: o.av, chain: [] } satisfies AreaRmap;
    if (o.av !== null) this.#clone(created, orig, false);
  }

  override vmaMerge(kept: Vma, removed: Vma): void {
    const k = area(kept), r = area(removed);
    if (k.av === null && r.av !== null) {
      k.av = r.av;
      this.#clone(kept, removed, false);
    }
    this.vmaUnlink(removed);
  }

  override vmaMove(old: Vma, moved: Vma): void {
    const o = area(old);
    moved.rmap = { av: o.av, chain: [] } satisfies AreaRmap;
    if (o.av !== null) this.#clone(moved, old, false);
  }

  override vmaUnlink(vma: Vma): void {
    const r = area(vma);
    const empty: AnonVma[] = [];
    for (const av of r.chain) {
      av.vmas.delete(vma);
      this.#chains--;
      this.#ctx.addMeta(-SIZES.anonVmaChain);
      if (av.vmas.size === 0) {
        av.parent.degree--;
        empty.push(av);
      }
    }
    if (r.av !== null) r.av.activeVmas--;
    r.av = null;
    r.chain = [];
    for (const av of empty) this.#put(av);
  }

  override canMerge(a: Vma, b: Vma): boolean {
    const x = area(a).av, y = area(b).av;
    if (x === y) return true;
    if (x === null) return area(b).chain.length === 1;
    if (y === null) return area(a).chain.length === 1;
    return false;
  }

  override newAnonPage(frame: number, vma: Vma, vpage: number, exclusive: boolean): void {
    const av = area(vma).av;
    const f = this.#ctx.frames;
    if (av === null) {
      f.owner[frame] = NONE;
      return;
    }
    f.owner[frame] = exclusive ? av.id : av.root.id;
    f.index[frame] = vma.linearIndex(vpage);
  }

  override cowReuse(frame: number, vma: Vma): void {
    const av = area(vma).av;
    if (av !== null) this.#ctx.frames.owner[frame] = av.id;
  }

  override rmapWalk(frame: number, visit: RmapVisitor): void {
    const f = this.#ctx.frames;
    // NONE (-1) for a page of an area without an anon_vma: no negative index into the array,
    // which V8 looks up as a property, off its fast path.
    const owner = f.owner[frame]!;
    const av = owner >= 0 ? this.#avs.at[owner] : undefined;
    if (av === undefined) return;
    const index = f.index[frame]!;
    const vmas = av.vmas.list;
    for (let j = 0; j < vmas.length; j++) {
      const vma = vmas[j]!;
      // The interval tree only returns areas whose pgoff range covers the index.
      if (index < vma.pgoff || index >= vma.pgoff + (vma.end - vma.start)) continue;
      if (visit.vma(vma, vma.addressOf(index))) return;
    }
  }

  override extraCounters(): Record<string, number> {
    return { anon_vma_count: this.#avs.live, anon_vma_chain_count: this.#chains };
  }
}

/** `reusable_anon_vma()`: a neighbour's anon_vma when its chain is a single entry. */
function reusable(v: Vma): AnonVma | null {
  const r = v.rmap as AreaRmap | null;
  if (r === null || r.av === null || r.chain.length !== 1) return null;
  return r.av;
}

/** The `anon_vma_chain` strategy. */
export const info: StrategyInfo = {
  name: "anon_vma_chain",
  origin: "van Riel, Linux 2.6.34 (2010), reuse rule 2015",
  idea: "each area links to its own anon_vma and its ancestors' through chain entries; " +
    "a page points to the anon_vma of the area that first faulted it; rmap visits only areas " +
    "that can hold the page",
  counters: {
    anon_vma_count: "anon_vmas alive: one per area that faulted a page or forked, fewer by the " +
      "reuse rule.",
    anon_vma_chain_count: "anon_vma_chain entries alive: one per area and each anon_vma (its own " +
      "and its ancestors') it may hold pages of.",
  },
  create: (ctx) => new AnonVmaChain(ctx),
};
