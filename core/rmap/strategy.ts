/**
 * The reverse-mapping strategy interface: what the machine asks of a strategy, and what a strategy
 * may use of the machine.
 *
 * A strategy decides how a page is tied to the page-table entries (PTEs) that map it. The machine
 * (`core/machine.ts`) owns frames, page tables, areas, objects, swap and reclaim, and calls the
 * strategy's hooks at the points where Linux calls its rmap code; the strategy keeps its own data
 * (on `Vma.rmap`, `Mm.rmap`, `VmObject.rmap`, in `FrameTable.owner`/`FrameTable.index` of anonymous
 * pages, or in tables of its own) and answers rmap walks.
 *
 * ## Hook order
 *
 * As the comment atop Linux's `mm/rmap.c` gives its lock order, this gives the order of the calls
 * (with `tracksPtes` false the machine skips `pteAdded` and `pteRemoved`):
 *
 *     mmCreate                  first event of a pid; fork, exec (before any area)
 *       vmaCreate               mmap, then canMerge and vmaMerge with its neighbours
 *         anonPrepare           before the first anonymous page of the area
 *           newAnonPage         a new anonymous page, its PTE installed (cowReuse: reused)
 *           pteAdded            any other PTE gained: fault, fork copy, swap-in, fault-around
 *           pteRemoved          a PTE about to go: zap, unmap, COW; pageFreed after the last
 *         vmaSplit, vmaMerge    munmap, mprotect, mlock, mremap of a part of an area
 *         vmaFork               per area of the parent, then pteAdded per PTE copied into it
 *         vmaMove, movePte      mremap: the new area, each PTE, then vmaUnlink of the old one
 *       vmaUnlink               the area's PTEs are gone (munmap, exit, exec)
 *     mmDestroy                 after the last area's vmaUnlink
 *     rmapWalk                  any time (reclaim, check), for anonymous pages; for page-cache
 *                               pages only with walksFilePages (else the machine walks i_mmap)
 *
 * ## Adding a strategy
 *
 * 1. Write `core/rmap/NAME.ts` exporting `info: StrategyInfo` (`name`, `origin`, `idea`, `counters`,
 *    `create(ctx)`), with a module doc comment stating its data structures, the cost of fork, COW,
 *    mremap, munmap, reclaim and swap-in, and its known pathology (see `anon_vma_chain.ts`).
 *    Extend `StrategyBase` (`base.ts`): it has the default of every hook, so the class writes
 *    only the hooks its design changes, and `rmapWalk`.
 * 2. Add one line to `STRATEGIES` in `core/rmap/registry.ts`. Nothing else changes: no other
 *    strategy and no machine code.
 * 3. Test it beside the module (`NAME_test.ts`): call `strategyCases("NAME")` (`_cases_test.ts`),
 *    the tests every strategy passes, then replay small traces through a `Machine` with
 *    `{ strategy: "NAME", check: true }` and assert the exact counters of its design. `check`
 *    compares your rmap walk with a brute-force scan of every page table after each event.
 *
 * ## What the machine guarantees
 *
 * - Hooks are called synchronously, in the order of the Linux code path they stand for, and with
 *   the machine's state consistent (PTEs already installed for `newAnonPage`/`pteAdded`, still
 *   installed for `pteRemoved`).
 * - `FrameTable.mapcount` is maintained by the machine (one per PTE mapping the frame, the zero
 *   page excluded). The strategy sets `owner`/`index` of anonymous pages (`PG.anon`) in
 *   `newAnonPage`/`cowReuse` and may change them later (mremap); the machine never reads them.
 *   Page-cache pages' `owner` is the object id and `index` the page index: leave them alone.
 * - `Vma.pgoff` of private anonymous areas is the virtual page the area started at when created
 *   and is kept across mremap and adjusted on split, as Linux's `vm_pgoff`; so
 *   `vma.linearIndex(vpage)` is Linux's `linear_page_index()`.
 * - Counting: the machine counts `rmap_vma_visits`, `rmap_wasted_visits` and `pte_walks` for
 *   every visit made through the {@linkcode RmapVisitor}; a strategy adds its own extra costs
 *   (e.g. chain entries allocated: `fork_rmap_allocs`) to `ctx.counters` with the slots of `C`,
 *   and reports its metadata memory through `ctx.addMeta` (the machine keeps the peak,
 *   `rmap_meta_bytes_peak`). Struct sizes live in `core/rmap/sizes.ts`.
 *
 * @module
 */
import type { FrameTable } from "../mm/frames.ts";
import type { Mm } from "../mm/mm.ts";
import type { ObjectKind, VmObject } from "../mm/object.ts";
import type { Vma } from "../mm/vma.ts";

/**
 * The callback an rmap walk reports candidate mappings to. The machine looks up the PTE, counts
 * the visit (`rmap_vma_visits`, `pte_walks`, and `rmap_wasted_visits` when the PTE does not map the
 * page) and acts on it (test-and-clear the accessed bit, unmap, write-protect, or collect for
 * `check`). Each method returns true when the walk may stop (e.g. the page is no longer mapped).
 */
export interface RmapVisitor {
  /**
   * Visits area `vma` at virtual page `vpage`. A `vpage` outside the area is a wasted visit with no
   * PTE looked at (Linux's `vma_address()` failing).
   */
  vma(vma: Vma, vpage: number): boolean;
  /**
   * Visits address space `mm` at `vpage`: the machine finds the area itself (for strategies that
   * walk address spaces rather than areas, like `anonmm`). An address with no area is wasted.
   */
  mm(mm: Mm, vpage: number): boolean;
}

/** What a strategy may use of the machine. */
export interface RmapContext {
  /** Frame state; a strategy writes only `owner` and `index` of anonymous pages. */
  readonly frames: FrameTable;
  /** The machine's counters, by slot of `C` (`core/counters.ts`). */
  readonly counters: Float64Array;
  /** Adds `bytes` (negative to free) to the strategy's metadata total; the machine keeps the peak. */
  addMeta(bytes: number): void;
  /**
   * The default walk for page-cache pages (files, tmpfs, shm, shared anonymous inodes): every area
   * on the object's `i_mmap` whose range covers the page's index, as an interval tree would return
   * them. The machine uses it itself for page-cache pages unless the strategy `walksFilePages`; a
   * strategy that does may still hand some pages to it.
   */
  walkObject(frame: number, visit: RmapVisitor): void;
  /** Every live address space, oldest first (for walks over address spaces). */
  mms(): Iterable<Mm>;
  /**
   * True while `check` runs rmap walks for its comparison with a brute-force scan; the machine
   * restores its counters afterwards, and a strategy should not count its own extras then.
   */
  readonly checking: boolean;
}

/**
 * One reverse-mapping strategy instance: one per machine. Every hook is required of the machine's
 * side; `StrategyBase` (`base.ts`) gives each its default (doing nothing, merging, mapping the zero
 * page, moving PTEs), so that a strategy writes only what its design changes.
 */
export interface RmapStrategy {
  /**
   * False for a strategy without any reverse map (`scan`): the machine then reclaims by walking
   * page tables round-robin (Linux 2.4's `swap_out`), `rmapWalk` is never called and `check`
   * skips the rmap cross-check.
   */
  readonly hasRmap: boolean;
  /**
   * Set to false when `pteAdded` and `pteRemoved` do nothing: the machine then skips the two
   * calls on every PTE of fork, exit and munmap (absent means true).
   */
  readonly tracksPtes?: boolean;
  /**
   * True when `rmapWalk` finds the PTEs of page-cache pages too (pte_chain, whose chains hold
   * every mapped page). Absent or false: the machine walks a page-cache page's object (`i_mmap`)
   * itself and calls `rmapWalk` for anonymous pages only.
   */
  readonly walksFilePages?: boolean;

  // ---- address spaces ----
  /** A new address space: `parent` is the forking one, null for a fresh one (first event, exec). */
  mmCreate(mm: Mm, parent: Mm | null): void;
  /** The address space is torn down (its areas were already unlinked). */
  mmDestroy(mm: Mm): void;

  // ---- areas ----
  /** A new area from mmap (before any page is mapped in it, before any merge). */
  vmaCreate(vma: Vma): void;
  /**
   * The first anonymous page is about to be added to `vma` (Linux's `anon_vma_prepare`); the
   * machine sets `vma.anon` after it. Called only while `vma.anon` is false.
   */
  anonPrepare(vma: Vma): void;
  /**
   * Fork: `child` is the copy of `parent` in the new address space (same range, pgoff, object;
   * `child.anon` equals `parent.anon`). Called before the PTEs are copied.
   */
  vmaFork(parent: Vma, child: Vma): void;
  /**
   * `orig` was split: `created` is the new piece (already linked, with its own range and pgoff),
   * `orig` keeps the rest. Pages stay where they were.
   */
  vmaSplit(orig: Vma, created: Vma): void;
  /**
   * `removed` (adjacent, compatible per `canMerge`) was merged into `kept`, which now covers both
   * ranges; `removed` is unlinked right after this call and `vmaUnlink` is NOT called for it.
   */
  vmaMerge(kept: Vma, removed: Vma): void;
  /**
   * mremap moves `old` to the new area `moved` (Linux's `copy_vma`): called before the PTEs move;
   * `vmaUnlink(old)` follows after them.
   */
  vmaMove(old: Vma, moved: Vma): void;
  /** The area goes away (munmap, exit, exec, the old area of a move). Its PTEs are already zapped. */
  vmaUnlink(vma: Vma): void;
  /**
   * Whether two adjacent areas the machine finds otherwise compatible (same prot, flags, object,
   * contiguous pgoff) may merge as far as the strategy's metadata goes (Linux's
   * `is_mergeable_anon_vma`).
   */
  canMerge(a: Vma, b: Vma): boolean;

  // ---- pages ----
  /**
   * Whether a read fault on untouched memory of private anonymous `vma` may map the shared zero
   * page (Linux: yes). A strategy that cannot (anon_inode) returns false and gets a fresh page.
   */
  useZeroPage(vma: Vma): boolean;
  /**
   * A new anonymous page `frame` is mapped at `vpage` of `vma` (fault, COW copy, swap-in of a page
   * with no owner yet, mremap copy): set `frames.owner`/`frames.index`. `exclusive` is false when
   * the page is already shared with other address spaces (a swapped-in page whose swap entry
   * several processes hold): Linux then files it under the root anon_vma.
   */
  newAnonPage(frame: number, vma: Vma, vpage: number, exclusive: boolean): void;
  /**
   * An existing page gained a PTE at `vpage` of `vma` (fork copy, swap-cache hit, page-cache page
   * mapped by a fault, fault-around, swapoff, msync's remap). Not called for the zero page.
   */
  pteAdded(frame: number, vma: Vma, vpage: number): void;
  /** A PTE mapping `frame` at `vpage` of `vma` is about to go (zap, unmap, COW copy). */
  pteRemoved(frame: number, vma: Vma, vpage: number): void;
  /**
   * Write fault on a page whose only mapper is the writer: the page is reused, not copied
   * (Linux: `wp_page_reuse` after `folio_move_anon_rmap`).
   */
  cowReuse(frame: number, vma: Vma, vpage: number): void;
  /** Anonymous page `frame` is freed (its last reference went). */
  pageFreed(frame: number): void;
  /**
   * mremap is about to move the PTE at `oldVpage` of `old` to `newVpage` of `moved`; called for
   * every PTE except those mapping the zero page. `frame` is the mapped frame (anonymous or
   * page-cache), or NONE (-1) for a swap entry. `slotShared` says whether other PTEs or objects
   * hold the same swap slot: for a swap entry, other swap PTEs or objects holding its slot, or
   * PTEs mapping the slot's swap-cache page; for a page in the swap cache, anything holding its
   * slot (false for a page outside it). Returns true when the page must be copied instead of
   * moved (anonmm: a page still shared after fork); the machine honours it for anonymous pages and
   * swap entries only, makes a private copy at the new address (counting `mremap_pages_copied`)
   * and calls `newAnonPage` for it. With no memory for a copy the mremap fails (an out-of-memory
   * warning): the PTEs already moved go back, reported to `movePte` again (its result then
   * ignored). When it returns false (or for a page-cache page) the machine moves the PTE and the
   * strategy updates whatever it keys by address (pte_chain's entries).
   */
  movePte(
    frame: number,
    slotShared: boolean,
    old: Vma,
    oldVpage: number,
    moved: Vma,
    newVpage: number,
  ): boolean;

  // ---- reverse map ----
  /**
   * Reports every mapping that may map `frame` to `visit`: an anonymous page (`PG.anon`), or with
   * `walksFilePages` a page-cache page too. Called only for mapped frames, only when `hasRmap`.
   * Must visit every PTE mapping the frame (check verifies).
   */
  rmapWalk(frame: number, visit: RmapVisitor): void;

  /** Strategy-specific counters for the results (e.g. `anon_vma_count`). */
  extraCounters(): Record<string, number>;
}

/** A registered strategy. */
export interface StrategyInfo {
  /** Name as used on the command line and in results (`run --strategies`, the `strategy` key). */
  readonly name: string;
  /** Where it comes from (`Linux 2.6.34+`, `Hemment 1997`). */
  readonly origin: string;
  /** One line: the idea. */
  readonly idea: string;
  /**
   * The counters of {@linkcode RmapStrategy.extraCounters}, each with what it counts (a sentence):
   * the dashboard shows it on hover, `docs/counters.md` lists it.
   */
  readonly counters: Readonly<Record<string, string>>;
  /** Makes an instance bound to one machine. */
  create(ctx: RmapContext): RmapStrategy;
}

/** Re-exported so strategy modules need one import for the machine's types. */
export type { FrameTable, Mm, ObjectKind, Vma, VmObject };
