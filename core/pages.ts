/**
 * Frame and slot lifetimes: allocating a frame (reclaiming below the low watermark), dropping a
 * mapping of a page, freeing anonymous pages, the swap cache and swap-in with readahead.
 *
 * Internal to the machine: functions over its state (`Kernel`), called by `machine.ts` and each
 * other.
 *
 * @module
 */
import { C } from "./counters.ts";
import { LRU, NONE, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { reclaim, SCAN_BATCH } from "./reclaim.ts";

/** Swap readahead cluster in pages (`page-cluster` 3). */
export const SWAP_CLUSTER = 8;

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
    if (k.swap.refs[slot]! > 0) return;
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
  if (k.frames.mapcount[fr] === 0 && !(fl[fr]! & PG.pinned)) {
    fl[fr] = fl[fr]! & ~PG.swapCache;
    k.frames.swap[fr] = NONE;
    sw.free(slot);
    if (fl[fr]! & PG.anon) k.strategy.pageFreed(fr);
    k.frames.release(fr);
  }
}

/** A free frame, reclaiming below the low watermark; NONE when none can be found. */
export function allocFrame(k: Kernel): number {
  const fr = k.frames;
  if (fr.freeCount <= k.lowWater && !k.reclaiming) {
    // Reclaim works in batches of at least SWAP_CLUSTER_MAX pages, as Linux does.
    reclaim(k, Math.max(SCAN_BATCH, k.highWater - fr.freeCount));
  }
  let f = fr.alloc();
  if (f === NONE && !k.reclaiming) {
    reclaim(k, 1);
    f = fr.alloc();
  }
  return f;
}

/**
 * Reads swap slot `slot` into a new swap-cache frame, with readahead of the aligned cluster
 * around it (`around`). Returns the frame (unmapped, on the inactive anon list) or NONE.
 */
export function swapIn(k: Kernel, slot: number, around: boolean): number {
  const sw = k.swap;
  const fr = allocFrame(k);
  if (fr === NONE) return NONE;
  readSlot(k, slot, fr);
  if (!around) {
    k.counters[C.swap_io_requests]!++;
    return fr;
  }
  k.frames.flags[fr]! |= PG.pinned;
  const d = sw.deviceOf(slot);
  const ws = d.base + ((slot - d.base) & ~(SWAP_CLUSTER - 1));
  const we = Math.min(ws + SWAP_CLUSTER, d.base + d.size);
  let runs = 0, prev = -2;
  for (let t = ws; t < we; t++) {
    let read = t === slot;
    if (
      !read && sw.inUse[t] && sw.cache[t] === NONE && sw.refs[t]! > 0 &&
      k.frames.freeCount > k.lowWater
    ) {
      const rf = k.frames.alloc();
      if (rf !== NONE) {
        readSlot(k, t, rf);
        read = true;
      }
    }
    if (read) {
      if (t !== prev + 1) runs++;
      prev = t;
    }
  }
  k.counters[C.swap_io_requests]! += runs;
  k.frames.flags[fr]! &= ~PG.pinned;
  return fr;
}

/** Reads slot `slot` into frame `fr`, which joins the swap cache (`swap_in_pages`). */
export function readSlot(k: Kernel, slot: number, fr: number): void {
  k.frames.flags[fr] = PG.swapBacked | PG.swapCache;
  k.frames.swap[fr] = slot;
  k.frames.stamp[fr] = k.swap.stamp[slot]!;
  k.swap.cache[slot] = fr;
  k.frames.lruAdd(fr, LRU.inactiveAnon);
  k.counters[C.swap_in_pages]!++;
}
