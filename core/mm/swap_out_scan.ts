/**
 * Reclaim without a reverse map (`scan`, Linux 2.4's `swap_out`): free unmapped cache pages,
 * then walk the address spaces' page tables round-robin, giving accessed PTEs a second chance
 * and unmapping the others one at a time.
 *
 * Internal to the machine: functions over its state (`Kernel`); the entry is `reclaim.ts`.
 *
 * @module
 */
import { C } from "../counters.ts";
import { LRU, NONE, PG, ZERO_FRAME } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import { A, D, P, PTE_SWAP } from "./pte.ts";
import { reclaimUnmapped } from "./vmscan.ts";

/**
 * Linux 2.4's reclaim for the `scan` strategy: free unmapped cache pages, then walk the address
 * spaces' page tables round-robin (`swap_out`), giving accessed PTEs a second chance and
 * unmapping the others one at a time; a page is freed when its last PTE goes.
 */
export function swapOutScan(k: Kernel, target: number): number {
  const frames = k.frames;
  let reclaimed = 0;
  // shrink_cache: unmapped pages first, oldest first.
  for (const list of [LRU.inactiveFile, LRU.activeFile, LRU.inactiveAnon, LRU.activeAnon]) {
    let f = frames.lruTail[list]!;
    let budget = frames.lruSize[list]!;
    while (f !== NONE && reclaimed < target && budget-- > 0) {
      const prev = frames.lruPrev[f]!;
      const fl = frames.flags[f]!;
      if (frames.mapcount[f] === 0 && !(fl & (PG.pinned | PG.mlocked))) {
        reclaimed += reclaimUnmapped(k, f);
      }
      f = prev;
    }
  }
  if (reclaimed >= target) return reclaimed;
  // swap_out: round-robin over address spaces by id, resuming where the last pass stopped.
  let rss = 0;
  for (const mm of k.mms.values()) rss += mm.rss;
  let budget = 2 * rss + 512;
  const ids = [...k.mms.keys()];
  if (ids.length === 0) return reclaimed;
  let q = ids.findIndex((id) => id >= k.scanMm);
  if (q < 0) {
    q = 0;
    k.scanPage = 0;
  } else if (ids[q] !== k.scanMm) k.scanPage = 0;
  let laps = 0;
  while (reclaimed < target && budget > 0 && laps <= ids.length * 2) {
    const mm = k.mms.get(ids[q]!)!;
    k.scanMm = mm.id;
    const r = swapOutMm(k, mm, target - reclaimed, budget);
    reclaimed += r.freed;
    budget -= r.walked;
    if (r.done) {
      q = (q + 1) % ids.length;
      k.scanMm = ids[q]!;
      k.scanPage = 0;
      laps++;
    }
  }
  return reclaimed;
}

/** Scans `mm` from the cursor; `done` when it reached the end of the address space. */
export function swapOutMm(
  k: Kernel,
  mm: Mm,
  want: number,
  budget: number,
): { freed: number; walked: number; done: boolean } {
  const frames = k.frames;
  const pt = k.pt;
  let freed = 0, walked = 0;
  for (let q = mm.lowerBound(k.scanPage); q < mm.vmas.length; q++) {
    const vma = mm.vmas[q]!;
    if (vma.locked) continue;
    for (let v = Math.max(vma.start, k.scanPage); v < vma.end;) {
      const first = pt.pteRun(mm, v, vma.end), stop = pt.runEnd;
      if (first < 0) v = stop;
      for (let s = first; v < stop; v++, s++) {
        const f = pt.flags[s]!;
        if ((f & P) === 0) continue;
        const fr = pt.num[s]!;
        if (fr === ZERO_FRAME) continue;
        walked++;
        k.counters[C.pte_walks]!++;
        if (f & A) {
          pt.flags[s] = f & ~A;
          continue;
        }
        const fl = frames.flags[fr]!;
        if (fl & (PG.pinned | PG.mlocked)) continue;
        if ((fl & PG.anon) && !(fl & PG.swapCache)) {
          const slot = k.swap.alloc(false);
          if (slot === NONE) continue;
          frames.flags[fr] = fl | PG.swapCache | PG.dirty;
          frames.swap[fr] = slot;
          k.swap.cache[slot] = fr;
        }
        if (k.tracks) k.strategy.pteRemoved(fr, vma, v);
        if (f & D) frames.flags[fr]! |= PG.dirty;
        if (frames.flags[fr]! & PG.anon) {
          const slot = frames.swap[fr]!;
          k.pt.set(s, PTE_SWAP, slot);
          k.swap.refs[slot]!++;
        } else k.pt.set(s, 0, 0);
        frames.mapcount[fr]!--;
        mm.rss--;
        k.tlb.flushPage(mm, v);
        if (frames.mapcount[fr] === 0) freed += reclaimUnmapped(k, fr);
        if (freed >= want || walked >= budget) {
          k.scanPage = v + 1;
          return { freed, walked, done: false };
        }
      }
    }
  }
  return { freed, walked, done: true };
}
