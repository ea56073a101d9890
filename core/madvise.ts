/**
 * madvise (dontneed, pageout, willneed) and msync with file write-back (`page_mkclean`).
 *
 * Internal to the machine: functions over its state (`Kernel`), called by `machine.ts` and each
 * other.
 *
 * @module
 */
import { zapRange } from "./areas.ts";
import { C } from "./counters.ts";
import { NONE, PG, ZERO_FRAME } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { hex } from "./report.ts";
import type { Mm } from "./mm.ts";
import { Madv, PAGE_SIZE } from "../uapi/event.ts";
import { readFilePage } from "./page_cache.ts";
import { swapIn } from "./pages.ts";
import { D, P, PTE_SWAP } from "./pte.ts";
import { reclaimUnmapped, shrinkPage } from "./reclaim.ts";
import type { Vma } from "./vma.ts";

/** madvise `advice` (dontneed, pageout, willneed) over `[start, end)`. */
export function madvise(k: Kernel, mm: Mm, start: number, end: number, advice: number): void {
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
    else pageout(k, mm, victims);
    return;
  }
  // willneed: read what the range will need into the page cache or swap cache, unmapped. Like
  // readahead it never reclaims: it stops when memory runs low.
  for (const vma of vs) {
    const s = Math.max(start, vma.start), e = Math.min(end, vma.end);
    const obj = vma.obj;
    if (obj !== null && !obj.swapBacked) {
      for (let v = s; v < e; v++) {
        const idx = vma.linearIndex(v);
        if (idx * PAGE_SIZE >= obj.size || k.frames.freeCount <= k.lowWater) break;
        if (!obj.pages.has(idx) && readFilePage(k, obj, idx) === NONE) return;
      }
    } else if (obj !== null) {
      const from = vma.linearIndex(s), to = vma.linearIndex(e);
      // In place, without a copy or a pair per entry: swapIn runs only above the low watermark,
      // so it never reclaims, and nothing changes the swap map meanwhile.
      let stop = false;
      obj.swap.forEach((slot, idx) => {
        if (stop || idx < from || idx >= to || k.swap.cache[slot] !== NONE) return;
        if (k.frames.freeCount <= k.lowWater || swapIn(k, slot, false) === NONE) stop = true;
      });
      if (stop) return;
    } else {
      const slots: number[] = [];
      k.pt.forEachInRange(mm, s, e, (_v, sl) => {
        if (k.pt.flags[sl]! & PTE_SWAP) slots.push(k.pt.num[sl]!);
      });
      for (const slot of slots) {
        if (k.swap.cache[slot] !== NONE) continue;
        if (k.frames.freeCount <= k.lowWater || swapIn(k, slot, false) === NONE) return;
      }
    }
  }
}

/** Frames of `[s, e)` of `vma` that madvise pageout may reclaim: mapped once, not locked. */
export function collectPageout(k: Kernel, vma: Vma, s: number, e: number, out: number[]): void {
  k.pt.forEachInRange(vma.mm, s, e, (v, sl) => {
    if (!(k.pt.flags[sl]! & P)) return;
    const fr = k.pt.num[sl]!;
    if (fr === ZERO_FRAME || k.frames.mapcount[fr] !== 1) return;
    if (k.frames.flags[fr]! & PG.mlocked) return;
    out.push(fr, v);
  });
}

/** Reclaims the (frame, page) pairs of `list` at once, ignoring references (MADV_PAGEOUT). */
export function pageout(k: Kernel, mm: Mm, list: number[]): void {
  k.reclaiming = true;
  k.ioLast = -2;
  k.swap.addPending();
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
export function pageoutDirect(k: Kernel, mm: Mm, v: number, fr: number): void {
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

/** msync: writes back the dirty pages of shared `file:` mappings in the range. */
export function msync(k: Kernel, mm: Mm, start: number, end: number): void {
  if (!mm.overlaps(start, end)) {
    k.report.warn(`msync ${hex(start)}: nothing mapped there (ENOMEM)`);
    return;
  }
  for (let q = mm.lowerBound(start); q < mm.vmas.length && mm.vmas[q]!.start < end; q++) {
    const vma = mm.vmas[q]!;
    if (!vma.shared || vma.obj === null || vma.obj.kind !== "file") continue;
    const s = Math.max(start, vma.start), e = Math.min(end, vma.end);
    const dirty: number[] = [];
    k.pt.forEachInRange(mm, s, e, (_v, sl) => {
      const f = k.pt.flags[sl]!;
      if ((f & P) && ((f & D) || (k.frames.flags[k.pt.num[sl]!]! & PG.dirty))) {
        dirty.push(k.pt.num[sl]!);
      }
    });
    for (const fr of dirty) if (k.frames.flags[fr]! & PG.dirty) writeback(k, fr);
  }
}

/** Writes dirty file page `fr` to its file and cleans its PTEs (`page_mkclean`). */
export function writeback(k: Kernel, fr: number): void {
  const obj = k.objAt[k.frames.owner[fr]!]!;
  k.counters[C.file_write_pages]!++;
  obj.disk.set(k.frames.index[fr]!, k.frames.stamp[fr]!);
  k.frames.flags[fr]! &= ~PG.dirty;
  if (k.frames.mapcount[fr]! > 0) k.walker.mkclean(fr);
}
