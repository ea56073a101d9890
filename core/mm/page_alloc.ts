/**
 * Frame allocation: a free frame, after reclaiming when free frames fall below the low watermark
 * (Linux's direct reclaim from the page allocator), or, in a memory cgroup (`memcg`), when memory
 * is full (the reclaim of `try_charge`).
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import { NONE } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { reclaim } from "./reclaim.ts";
import { SCAN_BATCH } from "./vmscan.ts";

/**
 * A free frame, reclaiming below the low watermark (or, in a memory cgroup, when memory is full);
 * NONE when none can be found.
 */
export function allocFrame(k: Kernel): number {
  const fr = k.frames;
  if (fr.freeCount <= k.lowWater && !k.reclaiming) {
    // Reclaim works in batches of at least SWAP_CLUSTER_MAX pages, as Linux does: from the low
    // watermark up to the high one, or, at a memory cgroup's limit (lowWater 0), one batch
    // (try_charge's try_to_free_mem_cgroup_pages).
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
 * Whether readahead (file, swap, MADV_WILLNEED) stops now rather than reclaim: at the low
 * watermark; in a memory cgroup never (a page read ahead is charged, reclaiming at the limit, as
 * any other: {@linkcode allocFrame}).
 */
export function readaheadStops(k: Kernel): boolean {
  return !k.memcg && k.frames.freeCount <= k.lowWater;
}
