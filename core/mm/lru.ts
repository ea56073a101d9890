/**
 * Placing pages on the LRU lists (Linux's `mm/swap.c` and the mlock side of `mm/mlock.c`): a new
 * page's first list, activation, `mark_page_accessed` and mlocked pages; and the lists' recent
 * reclaim cost (`lru_note_cost`).
 *
 * @module
 */
import { type FrameTable, LRU, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import type { Vma } from "./vma.ts";

/** What one page written costs against one page scanned (`SWAP_CLUSTER_MAX`, vmscan's batch). */
const IO_COST = 32;

/** Puts new page `fr` on its first list: unevictable in a locked area, else the inactive one. */
export function lruAddNew(frames: FrameTable, fr: number, vma: Vma | null): void {
  const fl = frames.flags[fr]!;
  if (vma !== null && vma.locked) {
    frames.flags[fr] = fl | PG.mlocked;
    frames.lruAdd(fr, LRU.unevictable);
  } else {
    frames.lruAdd(fr, (fl & PG.swapBacked) ? LRU.inactiveAnon : LRU.inactiveFile);
  }
}

/** Marks page `f` mlocked and moves it to the unevictable list. */
export function mlockPage(frames: FrameTable, f: number): void {
  frames.flags[f]! |= PG.mlocked;
  frames.lruMove(f, LRU.unevictable);
}

/** Moves page `f` to the head of its active list (`folio_activate`). */
export function activate(frames: FrameTable, f: number): void {
  const fl = frames.flags[f]!;
  frames.lruMove(f, (fl & PG.swapBacked) ? LRU.activeAnon : LRU.activeFile);
}

/** `mark_page_accessed`: a second touch of an inactive page activates it. */
export function markAccessed(frames: FrameTable, fr: number): void {
  const fl = frames.flags[fr]!;
  const l = frames.lru[fr]!;
  if ((fl & PG.referenced) && (l === LRU.inactiveAnon || l === LRU.inactiveFile)) {
    frames.flags[fr] = fl & ~PG.referenced;
    activate(frames, fr);
  } else frames.flags[fr] = fl | PG.referenced;
}

/**
 * Reclaim cost of anonymous or `file` pages (`lru_note_cost_unlock_irq`): `io` pages written or
 * refaulted after they had been active, `rotated` pages scanned and kept; a cost of 0 is not
 * noted. Both costs halve when their sum passes a quarter of the LRU pages as the cgroup's
 * flushed statistics count them (`lruvec_page_state`, `Kernel.memcgStat`: 0 in a new cgroup, so
 * there every cost noted halves both, and the balance follows the latest reclaims). Memory cgroup
 * reclaim balances its scanning with them (`memcg_reclaim.ts`).
 */
export function noteCost(k: Kernel, file: boolean, io: number, rotated: number): void {
  const cost = io * IO_COST + rotated;
  if (cost === 0) return;
  if (file) k.fileCost += cost;
  else k.anonCost += cost;
  const z = k.memcgStat;
  const lru = z[LRU.inactiveAnon]! + z[LRU.activeAnon]! + z[LRU.inactiveFile]! +
    z[LRU.activeFile]!;
  if (k.fileCost + k.anonCost > lru / 4) {
    k.fileCost = Math.floor(k.fileCost / 2);
    k.anonCost = Math.floor(k.anonCost / 2);
  }
}
