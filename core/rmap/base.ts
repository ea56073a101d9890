/**
 * {@linkcode StrategyBase}: the default of every hook of {@linkcode RmapStrategy}, so that a
 * strategy's class writes only what its design changes (as ChampSim's replacement policies
 * override only the hooks of `champsim::modules::replacement` they need, or libCacheSim's eviction
 * plug-ins lean on the common cache code).
 *
 * The defaults: no data on address spaces, areas or pages; areas merge whenever the machine finds
 * them compatible; read faults may map the zero page; mremap moves every PTE; no extra counters.
 * `tracksPtes` is worked out: true exactly when the class overrides `pteAdded` or `pteRemoved`, so
 * that the machine does not call two empty hooks for every PTE of fork, exit and munmap.
 *
 * @example
 * ```ts
 * import { StrategyBase } from "./base.ts";
 * import type { RmapVisitor, Vma } from "./strategy.ts";
 *
 * // A strategy that remembers the last area that faulted each page, and nothing else.
 * class LastArea extends StrategyBase {
 *   #areas: (Vma | undefined)[] = [];
 *   override newAnonPage(frame: number, vma: Vma): void {
 *     this.#areas[frame] = vma;
 *   }
 *   rmapWalk(frame: number, visit: RmapVisitor): void {
 *     const vma = this.#areas[frame];
 *     if (vma !== undefined) visit.vma(vma, vma.start);
 *   }
 * }
 * const s = new LastArea();
 * if (!s.hasRmap || s.tracksPtes || s.walksFilePages) throw new Error("not the defaults");
 * ```
 *
 * @module
 */
import type { Mm, RmapStrategy, RmapVisitor, Vma } from "./strategy.ts";

/** The default hooks of a strategy; a strategy class extends it and overrides what it changes. */
export abstract class StrategyBase implements RmapStrategy {
  /** A reverse map exists (`scan` says false). */
  readonly hasRmap: boolean = true;
  /** The machine walks page-cache pages itself (`pte_chain` says true). */
  readonly walksFilePages: boolean = false;
  /** True when the class overrides `pteAdded` or `pteRemoved`. */
  readonly tracksPtes: boolean;

  /** Works out `tracksPtes` from the hooks the class overrides. */
  constructor() {
    const base = StrategyBase.prototype;
    this.tracksPtes = this.pteAdded !== base.pteAdded || this.pteRemoved !== base.pteRemoved;
  }

  /** Nothing per address space. */
  mmCreate(_mm: Mm, _parent: Mm | null): void {}
  /** Nothing per address space. */
  mmDestroy(_mm: Mm): void {}
  /** Nothing per area. */
  vmaCreate(_vma: Vma): void {}
  /** Nothing per area. */
  anonPrepare(_vma: Vma): void {}
  /** Nothing per area. */
  vmaFork(_parent: Vma, _child: Vma): void {}
  /** Nothing per area. */
  vmaSplit(_orig: Vma, _created: Vma): void {}
  /** Nothing per area. */
  vmaMerge(_kept: Vma, _removed: Vma): void {}
  /** Nothing per area. */
  vmaMove(_old: Vma, _moved: Vma): void {}
  /** Nothing per area. */
  vmaUnlink(_vma: Vma): void {}

  /** Areas the machine finds compatible merge. */
  canMerge(_a: Vma, _b: Vma): boolean {
    return true;
  }

  /** Read faults map the zero page, as Linux's do. */
  useZeroPage(_vma: Vma): boolean {
    return true;
  }

  /** Nothing per page. */
  newAnonPage(_frame: number, _vma: Vma, _vpage: number, _exclusive: boolean): void {}
  /** Nothing per PTE. */
  pteAdded(_frame: number, _vma: Vma, _vpage: number): void {}
  /** Nothing per PTE. */
  pteRemoved(_frame: number, _vma: Vma, _vpage: number): void {}
  /** Nothing per page. */
  cowReuse(_frame: number, _vma: Vma, _vpage: number): void {}
  /** Nothing per page. */
  pageFreed(_frame: number): void {}

  /** mremap moves every PTE (no copy). */
  movePte(
    _frame: number,
    _slotShared: boolean,
    _old: Vma,
    _oldVpage: number,
    _moved: Vma,
    _newVpage: number,
  ): boolean {
    return false;
  }

  /** The strategy's walk of a page's mappings (see {@linkcode RmapStrategy.rmapWalk}). */
  abstract rmapWalk(frame: number, visit: RmapVisitor): void;

  /** No extra counters. */
  extraCounters(): Record<string, number> {
    return {};
  }
}
