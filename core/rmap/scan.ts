/**
 * `scan`: no reverse map at all, as in Linux 2.4 (and every Linux before 2.5): to free memory,
 * `swap_out()` walks the page tables of every process in turn, round-robin, and unmaps PTEs one at
 * a time; a page can only be freed once the scan has met and unmapped its last PTE.
 *
 * ## Data structures
 * None: no per-page, per-area or per-process rmap data (`rmap_meta_bytes_peak` 0). A swapped-out
 * page's swap entry lives in each PTE; the swap cache ties the PTEs of a page shared by fork
 * together when they fault it back in.
 *
 * ## Costs
 * - fork, COW, mremap, munmap, exit: nothing beyond the page-table work every design does.
 * - Reclaim: the machine's `swap_out` (`core/mm/swap_out_scan.ts`, used whenever a strategy has no
 *   rmap) first frees pages nobody maps, oldest first, then resumes its round-robin walk over
 *   address spaces, visiting each present PTE (`pte_walks`): a PTE whose accessed bit is set gets
 *   it cleared and is skipped this time (the aging comes from the scan itself, as 2.4's
 *   `try_to_swap_out` did), otherwise it is unmapped (anonymous pages into the swap cache, their
 *   PTEs holding the swap entry). A page shared by n processes needs n PTE visits, spread over the
 *   walk, before its frame can go.
 * - Accessed bits are never looked up through a reverse map; page-cache pages nobody maps are
 *   reclaimed from the LRU without a walk.
 *
 * ## Pathology
 * With much mapped memory and little to reclaim (`gen scan-pressure`), the walk visits many PTEs,
 * mostly recently used ones, for every page it frees: `pte_walks` per reclaimed page far above any
 * reverse-mapping design, and the cost grows with the total mapped memory rather than with the
 * memory reclaimed. This is what drove the 2.5 rmap work.
 *
 * @module
 */
import { StrategyBase } from "./base.ts";
import type { StrategyInfo } from "./strategy.ts";

class Scan extends StrategyBase {
  override readonly hasRmap = false;

  override rmapWalk(): void {
    throw new Error("scan has no reverse map: the machine must not call rmapWalk");
  }
}

/** The `scan` strategy. */
export const info: StrategyInfo = {
  name: "scan",
  origin: "Linux 2.4",
  idea: "no reverse map: reclaim walks every process's page tables round-robin (swap_out), " +
    "unmapping PTEs one at a time; a page is freed when its last PTE is gone",
  counters: {},
  create: () => new Scan(),
};
