/**
 * The entries of reclaim: freeing a number of frames when memory runs low or when asked
 * (`try_to_free_pages`), with the LRU lists (`vmscan.ts`), at a memory cgroup's limit
 * (`try_to_free_mem_cgroup_pages`, `memcg_reclaim.ts`) or, for a strategy without a reverse map,
 * by scanning page tables (`swap_out_scan.ts`); and reclaiming given pages at once
 * (`reclaim_pages`, for MADV_PAGEOUT).
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import { C } from "../counters.ts";
import { NONE, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import { memcgReclaim } from "./memcg_reclaim.ts";
import { D, P, PTE_SWAP } from "./pte.ts";
import { swapOutScan } from "./swap_out_scan.ts";
import { reclaimUnmapped, shrinkLists, shrinkPage } from "./vmscan.ts";

/** Makes the pending swap device (a warning when its slots do not fit). */
function addPendingSwap(k: Kernel): void {
  const size = k.swap.pending;
  if (!k.swap.addPending()) {
    k.report.warn(`swap: no room for ${size} more slots (at most 2^31 in all: 8 TiB of swap)`);
  }
}

/** Reclaims up to `target` frames; returns how many were freed. */
export function reclaim(k: Kernel, target: number): number {
  if (target <= 0 || k.reclaiming) return 0;
  k.reclaiming = true;
  k.ioLast = -2;
  addPendingSwap(k);
  let got = 0;
  try {
    got = !k.strategy.hasRmap
      ? swapOutScan(k, target)
      : k.memcg
      ? memcgReclaim(k, target)
      : shrinkLists(k, target);
  } finally {
    k.reclaiming = false;
  }
  return got;
}

/**
 * Reclaims the (frame, page) pairs of `list` of `mm` at once, ignoring references (MADV_PAGEOUT:
 * `reclaim_pages`).
 */
export function reclaimPages(k: Kernel, mm: Mm, list: number[]): void {
  k.reclaiming = true;
  k.ioLast = -2;
  addPendingSwap(k);
  try {
    for (let q = 0; q < list.length; q += 2) {
      const fr = list[q]!, v = list[q + 1]!;
      if (k.frames.isFree(fr)) continue;
      if (k.strategy.hasRmap) shrinkPage(k, fr, true);
      else pageoutDirect(k, mm, v, fr);
    }
  } finally {
    k.reclaiming = false;
  }
}

/** madvise pageout without an rmap: the page's only PTE is known. */
function pageoutDirect(k: Kernel, mm: Mm, v: number, fr: number): void {
  const s = k.pt.lookup(mm, v);
  if (s < 0 || k.pt.num[s] !== fr || !(k.pt.flags[s]! & P)) return;
  const vma = mm.find(v)!;
  const frames = k.frames;
  let fl = frames.flags[fr]!;
  if ((fl & PG.anon) && !(fl & PG.swapCache)) {
    const slot = k.swap.alloc(false);
    if (slot === NONE) return;
    fl = fl | PG.swapCache | PG.dirty;
    frames.flags[fr] = fl;
    frames.swap[fr] = slot;
    k.swap.cache[slot] = fr;
  }
  if (k.tracks) k.strategy.pteRemoved(fr, vma, v);
  if (k.pt.flags[s]! & D) frames.flags[fr]! |= PG.dirty;
  if (fl & PG.anon) {
    k.pt.set(s, PTE_SWAP, frames.swap[fr]!);
    k.swap.refs[frames.swap[fr]!]!++;
  } else k.pt.set(s, 0, 0);
  frames.mapcount[fr]!--;
  mm.rss--;
  k.tlb.flushPage(mm, v);
  k.counters[C.pte_walks]!++;
  reclaimUnmapped(k, fr);
}
