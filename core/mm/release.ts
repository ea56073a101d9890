/**
 * Dropping references to pages and swap slots: a PTE's mapping of a frame (freeing an anonymous
 * page with its last mapping, unless the swap cache holds it), a reference to a swap slot (freeing
 * the slot, and its swap-cache page when nothing maps it), and the swap cache's hold on a page.
 *
 * Internal to the machine: functions over its state (`Kernel`), at the bottom of the primitives:
 * they allocate nothing and reclaim nothing.
 *
 * @module
 */
import { LRU, NONE, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";

/** Drops one mapping of `fr` (already removed from the PTE and the strategy). */
export function unmapFrame(k: Kernel, fr: number): void {
  const mc = --k.frames.mapcount[fr]!;
  if (mc > 0) return;
  const fl = k.frames.flags;
  const f = fl[fr]!;
  if (f & PG.mlocked) {
    fl[fr] = f & ~PG.mlocked;
    if (k.frames.lru[fr] === LRU.unevictable) {
      k.frames.lruMove(fr, (f & PG.swapBacked) ? LRU.inactiveAnon : LRU.inactiveFile);
    }
  }
  if ((f & PG.anon) && !(f & PG.pinned)) putAnon(k, fr);
}

/** An unmapped anonymous page: freed, unless its swap slot still needs it as swap cache. */
export function putAnon(k: Kernel, fr: number): void {
  const f = k.frames.flags[fr]!;
  if (f & PG.swapCache) {
    const slot = k.frames.swap[fr]!;
    // A page still being written stays in the swap cache (folio_free_swap fails under writeback):
    // reclaim frees it, slot and all, once the write has completed.
    if (k.swap.refs[slot]! > 0 || (f & PG.writeback)) return;
    k.swap.free(slot);
  }
  k.strategy.pageFreed(fr);
  k.frames.release(fr);
}

/** Takes `fr` out of the swap cache and frees its slot (which must have no references). */
export function dropSwapCache(k: Kernel, fr: number): void {
  const slot = k.frames.swap[fr]!;
  k.swap.cache[slot] = NONE;
  k.swap.free(slot);
  k.frames.swap[fr] = NONE;
  k.frames.flags[fr] = (k.frames.flags[fr]! & ~PG.swapCache) | PG.dirty;
}

/** Drops one reference to swap slot `slot` (a swap PTE or an object entry went). */
export function slotPut(k: Kernel, slot: number): void {
  const sw = k.swap;
  if (--sw.refs[slot]! > 0) return;
  const fr = sw.cache[slot]!;
  if (fr === NONE) {
    sw.free(slot);
    return;
  }
  const fl = k.frames.flags;
  // Unmapped, it goes with the slot, unless it is still being written (as in putAnon).
  if (k.frames.mapcount[fr] === 0 && !(fl[fr]! & (PG.pinned | PG.writeback))) {
    fl[fr] = fl[fr]! & ~PG.swapCache;
    k.frames.swap[fr] = NONE;
    sw.free(slot);
    if (fl[fr]! & PG.anon) k.strategy.pageFreed(fr);
    k.frames.release(fr);
  }
}
