/**
 * Frame allocation: a free frame, after reclaiming when free frames fall below the low watermark
 * (Linux's direct reclaim from the page allocator).
 *
 * Internal to the machine: a function over its state (`Kernel`).
 *
 * @module
 */
import { NONE } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { reclaim } from "./reclaim.ts";
import { SCAN_BATCH } from "./vmscan.ts";

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
