/**
 * Placing pages on the LRU lists (Linux's `mm/swap.c` and the mlock side of `mm/mlock.c`): a new
 * page's first list, activation, `mark_page_accessed` and mlocked pages.
 *
 * @module
 */
import { type FrameTable, LRU, PG } from "./frames.ts";
import type { Vma } from "./vma.ts";

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
