/**
 * Swap-in: reading a swap slot into a new swap-cache frame, with readahead of the aligned cluster
 * of slots around it (`swap_cluster_readahead`, `page-cluster` 3).
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import { C } from "../counters.ts";
import { LRU, NONE, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { allocFrame } from "./page_alloc.ts";

/** Swap readahead cluster in pages (`page-cluster` 3). */
export const SWAP_CLUSTER = 8;

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
