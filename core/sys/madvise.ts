/**
 * `madvise`: dontneed (zap), pageout (reclaim at once), willneed (read into the page cache or the
 * swap cache without mapping).
 *
 * A system-call entry point: it takes the decoded arguments of an event (`machine.ts` decodes
 * them) and works through the primitives of `core/mm/`.
 *
 * @module
 */
import { NONE, PG, ZERO_FRAME } from "../mm/frames.ts";
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { readaheadStops } from "../mm/page_alloc.ts";
import { readFilePage } from "../mm/page_cache.ts";
import { P, PTE_SWAP } from "../mm/pte.ts";
import { reclaimPages } from "../mm/reclaim.ts";
import { hex } from "../mm/report.ts";
import { swapIn } from "../mm/swap_in.ts";
import type { Vma } from "../mm/vma.ts";
import { zapRange } from "../mm/zap.ts";
import { Madv, PAGE_SIZE } from "../../uapi/event.ts";

/** madvise `advice` (a `Madv` code: dontneed, pageout, willneed) of `len` bytes at page `start`. */
export function madvise(k: Kernel, mm: Mm, start: number, len: number, advice: number): void {
  const end = start + Math.ceil(len / PAGE_SIZE);
  if (!mm.overlaps(start, end)) {
    k.report.warn(`madvise ${hex(start)}: nothing mapped there`);
    return;
  }
  const k0 = mm.lowerBound(start);
  const vs: Vma[] = [];
  for (let q = k0; q < mm.vmas.length && mm.vmas[q]!.start < end; q++) vs.push(mm.vmas[q]!);
  if (advice === Madv.dontneed || advice === Madv.pageout) {
    const victims: number[] = [];
    for (const vma of vs) {
      if (vma.locked) {
        k.report.warn(`madvise ${hex(start)}: locked area at ${hex(vma.start)} (EINVAL)`);
        break;
      }
      const s = Math.max(start, vma.start), e = Math.min(end, vma.end);
      if (advice === Madv.dontneed) zapRange(k, vma, s, e);
      else collectPageout(k, vma, s, e, victims);
    }
    if (advice === Madv.dontneed) k.tlb.flushRange(mm, start, end);
    else reclaimPages(k, mm, victims);
    return;
  }
  // willneed: read what the range will need into the page cache or swap cache, unmapped. Like
  // readahead it stops when memory runs low rather than reclaim (in a memory cgroup it reclaims at
  // the limit: readaheadStops).
  for (const vma of vs) {
    const s = Math.max(start, vma.start), e = Math.min(end, vma.end);
    const obj = vma.obj;
    if (obj !== null && !obj.swapBacked) {
      for (let v = s; v < e; v++) {
        const idx = vma.linearIndex(v);
        if (idx * PAGE_SIZE >= obj.size || readaheadStops(k)) break;
        if (!obj.pages.has(idx) && readFilePage(k, obj, idx) === NONE) return;
      }
    } else if (obj !== null) {
      const from = vma.linearIndex(s), to = vma.linearIndex(e);
      // In place, in index order (shmem_swapin_range): swapIn runs only above the low watermark,
      // so it never reclaims, except in a memory cgroup, where reclaim may add entries (pages of
      // this object it evicts), which the walk visits too when they lie ahead of it: each page
      // is evicted to swap once at most (what is read here stays in the swap cache), so it ends.
      let stop = false;
      obj.swap.forEach((slot, idx) => {
        if (stop || idx < from || idx >= to || k.swap.cache[slot] !== NONE) return;
        if (readaheadStops(k) || swapIn(k, slot) === NONE) stop = true;
      });
      if (stop) return;
    } else {
      const slots: number[] = [];
      k.pt.forEachInRange(mm, s, e, (_v, sl) => {
        if (k.pt.flags[sl]! & PTE_SWAP) slots.push(k.pt.num[sl]!);
      });
      for (const slot of slots) {
        if (k.swap.cache[slot] !== NONE) continue;
        if (readaheadStops(k) || swapIn(k, slot) === NONE) return;
      }
    }
  }
}

/** Frames of `[s, e)` of `vma` that madvise pageout may reclaim: mapped once, not locked. */
function collectPageout(k: Kernel, vma: Vma, s: number, e: number, out: number[]): void {
  k.pt.forEachInRange(vma.mm, s, e, (v, sl) => {
    if (!(k.pt.flags[sl]! & P)) return;
    const fr = k.pt.num[sl]!;
    if (fr === ZERO_FRAME || k.frames.mapcount[fr] !== 1) return;
    if (k.frames.flags[fr]! & PG.mlocked) return;
    out.push(fr, v);
  });
}
