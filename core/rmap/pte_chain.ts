/**
 * `pte_chain`: a chain of PTE pointers per page, Mark Hemment's "pmaps" (linux-kernel, 19 August
 * 1997, "tmpfs and the VM": "each page … has a link list of PTEs which reference the page") as Rik
 * van Riel merged it into Linux 2.5 (the rmap of 2.5.27 to 2.5.x, replaced by object-based rmap in
 * 2.6).
 *
 * ## Data structures
 * - Every mapped page, anonymous or in the page cache, knows the PTEs that map it. A page mapped
 *   once keeps the PTE's address in `struct page` (`pte.direct`, no allocation); from the second
 *   mapping on, the addresses live in `struct pte_chain` blocks of one cache line (64 bytes,
 *   {@linkcode SIZES.pteChainBlock}) holding 7 addresses each.
 * - Here an entry is (address space, virtual page), which names one PTE; `owner`/`index` of
 *   anonymous pages are unused.
 *
 * ## Costs
 * - Every new mapping of a page adds an entry; every unmapping removes one after searching the
 *   chain for it (`pte_chain_scan_steps`, the cost `page_remove_rmap` paid at exit and munmap).
 * - fork: one entry for every PTE it copies (`fork_rmap_allocs` counts entries), so the chains of
 *   a big address space grow by its resident size at every fork and shrink again at exit.
 * - COW: the writer's entry leaves the old page's chain and starts the copy's. mremap: each moved
 *   PTE's entry is rewritten to the new address.
 * - Reclaim and swap-in: visit exactly the PTEs on the chain: no wasted visit, ever.
 * - Memory (`rmap_meta_bytes_peak`): ⌈n / 7⌉ blocks of 64 bytes for a page mapped n ≥ 2 times.
 *
 * ## Pathology
 * Fork-heavy workloads with big address spaces (`gen fork-server`): the chains cost memory and
 * time in proportion to the PTEs copied, which is why 2.6 went object-based (the "rmap
 * overhead" of 2.5 on fork/exit benchmarks).
 *
 * @module
 */
import { C } from "../counters.ts";
import type { Mm } from "../mm/mm.ts";
import type { Vma } from "../mm/vma.ts";
import { SIZES } from "./sizes.ts";
import { StrategyBase } from "./base.ts";
import type { RmapContext, RmapVisitor, StrategyInfo } from "./strategy.ts";

/** Chain blocks a page mapped `n` times needs (none while the direct pointer suffices). */
function blocks(n: number): number {
  return n <= 1 ? 0 : Math.ceil(n / SIZES.pteChainPerBlock);
}

class PteChain extends StrategyBase {
  /** The chains hold every mapped page, page-cache pages too. */
  override readonly walksFilePages = true;
  #ctx: RmapContext;
  /** Per frame: the address spaces and virtual pages of the PTEs mapping it (parallel arrays). */
  #mms: (Mm[] | undefined)[] = [];
  #vps: (number[] | undefined)[] = [];
  #entries = 0;
  #entriesPeak = 0;
  #blocks = 0;
  #scanSteps = 0;
  #forkMm: Mm | null = null;
  #forkEvent = -1;

  constructor(ctx: RmapContext) {
    super();
    this.#ctx = ctx;
  }

  #add(frame: number, mm: Mm, vpage: number): void {
    // The two arrays of a frame are made together: one test stands for both.
    let mms = this.#mms[frame], vps = this.#vps[frame]!;
    if (mms === undefined) {
      mms = this.#mms[frame] = [];
      vps = this.#vps[frame] = [];
    }
    const n = mms.length;
    mms.push(mm);
    vps.push(vpage);
    this.#account(n, n + 1);
  }

  #remove(frame: number, mm: Mm, vpage: number): void {
    const mms = this.#mms[frame], vps = this.#vps[frame]!;
    if (mms === undefined) return;
    const n = mms.length;
    for (let k = 0; k < n; k++) {
      this.#scanSteps++;
      if (mms[k] === mm && vps[k] === vpage) {
        // Swap-remove: rmapWalk iterates backwards, so the moved entry was already visited.
        mms[k] = mms[n - 1]!;
        vps[k] = vps[n - 1]!;
        mms.pop();
        vps.pop();
        this.#account(n, n - 1);
        return;
      }
    }
  }

  #account(before: number, after: number): void {
    this.#entries += after - before;
    if (this.#entries > this.#entriesPeak) this.#entriesPeak = this.#entries;
    const db = blocks(after) - blocks(before);
    if (db !== 0) {
      this.#blocks += db;
      this.#ctx.addMeta(db * SIZES.pteChainBlock);
    }
  }

  override vmaFork(_parent: Vma, child: Vma): void {
    this.#forkMm = child.mm;
    this.#forkEvent = this.#ctx.counters[C.events]!;
  }

  override newAnonPage(frame: number, vma: Vma, vpage: number): void {
    const mms = this.#mms[frame];
    if (mms !== undefined && mms.length > 0) {
      // A recycled frame cannot carry entries: its PTEs were all removed before it was freed.
      this.#account(mms.length, 0);
      mms.length = 0;
      this.#vps[frame]!.length = 0;
    }
    this.#add(frame, vma.mm, vpage);
  }

  override pteAdded(frame: number, vma: Vma, vpage: number): void {
    this.#add(frame, vma.mm, vpage);
    if (vma.mm === this.#forkMm && this.#ctx.counters[C.events] === this.#forkEvent) {
      this.#ctx.counters[C.fork_rmap_allocs]!++;
    }
  }

  override pteRemoved(frame: number, vma: Vma, vpage: number): void {
    this.#remove(frame, vma.mm, vpage);
  }

  override movePte(
    frame: number,
    _slotShared: boolean,
    old: Vma,
    oldVpage: number,
    moved: Vma,
    newVpage: number,
  ): boolean {
    if (frame < 0) return false;
    const mms = this.#mms[frame], vps = this.#vps[frame]!;
    if (mms === undefined) return false;
    for (let k = 0; k < mms.length; k++) {
      this.#scanSteps++;
      if (mms[k] === old.mm && vps[k] === oldVpage) {
        mms[k] = moved.mm;
        vps[k] = newVpage;
        break;
      }
    }
    return false;
  }

  override rmapWalk(frame: number, visit: RmapVisitor): void {
    const mms = this.#mms[frame], vps = this.#vps[frame]!;
    if (mms === undefined) return;
    for (let k = mms.length - 1; k >= 0; k--) {
      if (k >= mms.length) continue;
      if (visit.mm(mms[k]!, vps[k]!)) return;
    }
  }

  override extraCounters(): Record<string, number> {
    return {
      pte_chain_entries: this.#entries,
      pte_chain_entries_peak: this.#entriesPeak,
      pte_chain_blocks: this.#blocks,
      pte_chain_scan_steps: this.#scanSteps,
    };
  }
}

/** The `pte_chain` strategy. */
export const info: StrategyInfo = {
  name: "pte_chain",
  origin: "Hemment's pmaps (seed 004), van Riel's Linux 2.5 rmap (2002)",
  idea: "each page keeps a chain of pointers to the PTEs that map it; rmap visits exactly those, " +
    "but every mapping costs chain memory and fork adds one entry per copied PTE",
  counters: {
    pte_chain_entries: "PTE-chain entries alive: one per page-table entry mapping an anonymous " +
      "page.",
    pte_chain_entries_peak: "Most PTE-chain entries alive at once.",
    pte_chain_blocks: "PTE-chain blocks alive (entries are allocated 7 to a 64-byte block).",
    pte_chain_scan_steps: "Chain entries stepped over to find one to remove or move.",
  },
  create: (ctx) => new PteChain(ctx),
};
