/**
 * Reverse-map walks (Linux's `rmap_walk` and the `rmap_one` callbacks of `mm/rmap.c`): finding
 * every PTE that maps a frame, through the strategy for an anonymous page and through the object's
 * i_mmap for a page-cache page (unless the strategy's rmap holds those too), and doing one thing
 * with each:
 * test-and-clear its accessed bit (`folio_referenced`), unmap it (`try_to_unmap`), write-protect
 * and clean it (`page_mkclean`), or collect it (for `check`).
 *
 * {@linkcode RmapWalker} is the {@linkcode RmapVisitor} the strategies report candidate mappings
 * to: it looks the PTE up and counts every visit the same way whatever the strategy
 * (`rmap_vma_visits`, `pte_walks`, `rmap_wasted_visits`).
 *
 * @module
 */
import { C } from "../counters.ts";
import { type FrameTable, NONE, PG } from "./frames.ts";
import type { Mm } from "./mm.ts";
import type { VmObject } from "./object.ts";
import type { PageTables } from "./page_table.ts";
import { A, D, P, PTE_SWAP, W, writeNotify } from "./pte.ts";
import type { RmapStrategy, RmapVisitor } from "../rmap/strategy.ts";
import type { SwapSpace } from "./swap.ts";
import type { Tlb } from "./tlb.ts";
import type { Vma } from "./vma.ts";
import { Prot } from "../../uapi/event.ts";

/** What a walk does with each PTE it finds. */
const Mode = { Referenced: 0, Unmap: 1, MkClean: 2, Collect: 3 } as const;
type Mode = typeof Mode[keyof typeof Mode];

const PROT_EXEC = Prot.exec;

/** The machine state a walk reads and changes (the `Kernel` has it all). */
export interface WalkState {
  /** Counters by slot of `C`. */
  readonly counters: Float64Array;
  /** The frames. */
  readonly frames: FrameTable;
  /** The page tables. */
  readonly pt: PageTables;
  /** The swap slots. */
  readonly swap: SwapSpace;
  /** The TLB (unmapping and cleaning flush). */
  readonly tlb: Tlb;
  /** The strategy whose rmap finds the mappings. */
  readonly strategy: RmapStrategy;
  /** Whether the strategy wants `pteRemoved`. */
  readonly tracks: boolean;
  /** Whether the strategy's walk finds page-cache pages too (`walksFilePages`). */
  readonly fileRmap: boolean;
  /** Objects by id (the default walk of page-cache pages). */
  readonly objAt: readonly (VmObject | undefined)[];
}

/** The walks of one machine, and the visitor every strategy reports mappings to. */
export class RmapWalker implements RmapVisitor {
  readonly #k: WalkState;
  #mode: Mode = Mode.Referenced;
  #frame = 0;
  #refs = 0;
  /** During a `referenced` walk: the mappings of the frame not found yet. */
  #left = 0;
  #slot: number = NONE;
  #collected: number[] = [];
  /** After a walk: an area that maps the frame is locked (`VM_LOCKED`), so it stays resident. */
  locked = false;
  /** After {@linkcode RmapWalker.referenced}: an executable area had the accessed bit set. */
  exec = false;

  /** A walker of the machine whose state is `k`. */
  constructor(k: WalkState) {
    this.#k = k;
  }

  /**
   * `folio_referenced`: clears the accessed bits of mapped frame `f`; returns how many were. As
   * Linux's `folio_referenced_one` does, the walk ends once it has found every mapping the frame
   * had (its mapcount) or an area that is locked.
   */
  referenced(f: number): number {
    this.#mode = Mode.Referenced;
    this.#frame = f;
    this.#refs = 0;
    this.#left = this.#k.frames.mapcount[f]!;
    this.locked = false;
    this.exec = false;
    this.#walk(f);
    return this.#refs;
  }

  /** `try_to_unmap`: unmaps every PTE of `f` (swap entries for swap-cache pages). */
  unmap(f: number): void {
    this.#mode = Mode.Unmap;
    this.#frame = f;
    this.locked = false;
    const frames = this.#k.frames;
    const fl = frames.flags[f]!;
    this.#slot = (fl & PG.anon) && (fl & PG.swapCache) ? frames.swap[f]! : NONE;
    this.#walk(f);
  }

  /** `page_mkclean`: write-protects and cleans the PTEs of page-cache page `f`. */
  mkclean(f: number): void {
    this.#mode = Mode.MkClean;
    this.#frame = f;
    this.walkObject(f, this);
  }

  /** The PTEs the rmap finds for `f`, as (address-space id, virtual page) pairs (for `check`). */
  collect(f: number): number[] {
    this.#mode = Mode.Collect;
    this.#frame = f;
    this.#collected = [];
    this.#walk(f);
    return this.#collected;
  }

  /**
   * Linux's `rmap_walk`: an anonymous page through the strategy, a page-cache page through its
   * object's i_mmap (`walkObject`) unless the strategy finds those too.
   */
  #walk(f: number): void {
    const k = this.#k;
    if ((k.frames.flags[f]! & PG.anon) === 0 && !k.fileRmap) this.walkObject(f, this);
    else k.strategy.rmapWalk(f, this);
  }

  /** The default rmap of page-cache pages: the areas of the object's i_mmap covering the index. */
  walkObject(frame: number, visit: RmapVisitor): void {
    const k = this.#k;
    const owner = k.frames.owner[frame]!;
    const obj = owner >= 0 ? k.objAt[owner] : undefined; // NONE (-1): no index off V8's fast path
    if (obj === undefined) return;
    const index = k.frames.index[frame]!;
    const list = obj.mappings.list;
    for (let j = 0; j < list.length; j++) {
      const vma = list[j]!;
      if (index < vma.pgoff || index >= vma.pgoff + (vma.end - vma.start)) continue;
      if (visit.vma(vma, vma.addressOf(index))) return;
    }
  }

  /** Visits address space `mm` at `vpage`: its area there, or a wasted visit when it has none. */
  mm(mm: Mm, vpage: number): boolean {
    const vma = mm.find(vpage);
    if (vma === null) {
      const c = this.#k.counters;
      c[C.rmap_vma_visits]!++;
      c[C.rmap_wasted_visits]!++;
      return false;
    }
    return this.vma(vma, vpage);
  }

  /**
   * Visits area `vma` at `vpage`: looks the PTE up, counts the visit, and does what the current
   * walk wants with it. True when the walk may stop.
   */
  vma(vma: Vma, vpage: number): boolean {
    const k = this.#k;
    const c = k.counters;
    c[C.rmap_vma_visits]!++;
    if (vpage < vma.start || vpage >= vma.end) {
      c[C.rmap_wasted_visits]!++;
      return false;
    }
    c[C.pte_walks]!++;
    const mm = vma.mm;
    const s = k.pt.lookup(mm, vpage);
    const f = this.#frame;
    if (s < 0 || (k.pt.flags[s]! & P) === 0 || k.pt.num[s] !== f) {
      c[C.rmap_wasted_visits]!++;
      return false;
    }
    const pf = k.pt.flags;
    switch (this.#mode) {
      case Mode.Referenced:
        if (vma.locked) {
          this.locked = true;
          return true;
        }
        if (pf[s]! & A) {
          pf[s] = pf[s]! & ~A;
          this.#refs++;
          if (vma.prot & PROT_EXEC) this.exec = true;
        }
        return --this.#left === 0;
      case Mode.Unmap: {
        if (vma.locked) {
          this.locked = true;
          return true;
        }
        if (k.tracks) k.strategy.pteRemoved(f, vma, vpage);
        if (pf[s]! & D) k.frames.flags[f]! |= PG.dirty;
        if (this.#slot !== NONE) {
          k.pt.set(s, PTE_SWAP, this.#slot);
          k.swap.refs[this.#slot]!++;
        } else k.pt.set(s, 0, 0);
        k.frames.mapcount[f]!--;
        mm.rss--;
        k.tlb.flushPage(mm, vpage);
        return k.frames.mapcount[f] === 0;
      }
      case Mode.MkClean:
        if (pf[s]! & (W | D)) {
          pf[s] = pf[s]! & ~(D | (writeNotify(vma) ? W : 0));
          k.tlb.flushPage(mm, vpage);
        }
        return false;
      case Mode.Collect:
        this.#collected.push(mm.id, vpage);
        return false;
    }
  }
}
