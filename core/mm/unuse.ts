/**
 * Emptying a swap device for swapoff (Linux's `try_to_unuse`): every page on it comes back, those
 * of objects (mapped or not) first, then those of every swap PTE of every address space, then the
 * swap-cache pages left.
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import { C } from "../counters.ts";
import { NONE, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import type { VmObject } from "./object.ts";
import { getPage } from "./page_cache.ts";
import { P, protBits, PTE_SWAP } from "./pte.ts";
import { dropSwapCache } from "./release.ts";
import type { SwapDevice } from "./swap.ts";
import { swapIn } from "./swap_in.ts";
import type { Vma } from "./vma.ts";
import { waitOnWriteback } from "./writeback.ts";

/**
 * Brings every page on `d` back. Reclaim during a pass may push a page back to a slot of `d` it
 * still caches, so passes repeat until the device is empty or a pass makes no progress. False
 * when memory ran out.
 */
export function tryToUnuse(k: Kernel, d: SwapDevice): boolean {
  let before = Infinity;
  while (d.used > 0 && d.used < before) {
    before = d.used;
    if (!unusePass(k, d)) return false;
  }
  return true;
}

/** One pass of try_to_unuse over `d`; false when memory ran out. */
export function unusePass(k: Kernel, d: SwapDevice): boolean {
  const lo = d.base, hi = d.base + d.size;
  const inDev = (slot: number) => slot >= lo && slot < hi;
  // shmem_unuse: objects, mapped or not.
  for (const obj of [...k.objById.values()]) {
    // Walked live in index order, not copied (these maps are long and passes frequent): getPage
    // deletes only the current entry, and entries that reclaim adds meanwhile never hold a slot
    // of `d` (it is being removed).
    let failed = false;
    obj.swap.forEach((slot, idx) => {
      if (failed || !inDev(slot)) return;
      if (getPageForSwapoff(k, obj, idx) === NONE) failed = true;
    });
    if (failed) return false;
  }
  // unuse_mm: every address space's page tables.
  const pt = k.pt;
  for (const mm of [...k.mms.values()]) {
    // try_to_unuse stops between address spaces once the device is empty.
    if (d.used === 0) break;
    for (const vma of [...mm.vmas]) {
      if (!vma.anon || !mm.vmas.includes(vma)) continue;
      for (let v = vma.start; v < vma.end;) {
        const first = pt.pteRun(mm, v, vma.end), stop = pt.runEnd;
        if (first < 0) {
          v = stop;
          continue;
        }
        // Every PTE of the table counts as walked; only swap entries of `d` need work.
        k.counters[C.pte_walks]! += stop - v;
        for (let s = first, e = first + (stop - v); s < e; s++) {
          if (!(pt.flags[s]! & PTE_SWAP)) continue;
          const slot = pt.num[s]!;
          if (slot < lo || slot >= hi) continue;
          if (!unusePte(k, mm, vma, v + (s - first), s)) {
            k.counters[C.pte_walks]! -= e - s - 1; // the walk stopped here
            return false;
          }
        }
        v = stop;
      }
    }
  }
  // Swap-cache pages left (readahead, or mapped pages still backed by the slot), in slot order:
  // only clusters with a slot in use hold any.
  const ranges = d.clusters.rangesInUse();
  for (let q = 0; q < ranges.length; q += 2) {
    for (let slot = lo + ranges[q]!; slot <= lo + ranges[q + 1]!; slot++) unuseCached(k, slot);
  }
  return true;
}

/** Slot `slot` of a device being swapped off: its swap-cache page, if only that holds it, goes. */
function unuseCached(k: Kernel, slot: number): void {
  const sw = k.swap;
  if (!sw.inUse[slot]) return;
  const fr = sw.cache[slot]!;
  if (fr === NONE || sw.refs[slot]! > 0) return;
  // A page still being written (mapped, or its area went meanwhile: release.ts keeps it) is
  // waited for, as try_to_unuse does (folio_wait_writeback), so no write in flight outlives its
  // page or its place in the swap cache.
  waitOnWriteback(k, fr);
  if (k.frames.mapcount[fr] === 0) {
    sw.cache[slot] = NONE;
    sw.free(slot);
    if (k.frames.flags[fr]! & PG.anon) k.strategy.pageFreed(fr);
    k.frames.release(fr);
  } else dropSwapCache(k, fr);
}

/** Brings page `idx` of `obj` back from swap into its page cache (dirty: no swap copy left). */
export function getPageForSwapoff(k: Kernel, obj: VmObject, idx: number): number {
  const fr = getPage(k, obj, idx, false);
  if (fr !== NONE) k.frames.flags[fr]! |= PG.dirty;
  return fr;
}

/** unuse_pte: maps the page of a swap PTE back (read-only, as `vm_page_prot`). */
export function unusePte(k: Kernel, mm: Mm, vma: Vma, v: number, s: number): boolean {
  const sw = k.swap;
  const slot = k.pt.num[s]!;
  let fr = sw.cache[slot]!;
  if (fr === NONE) {
    fr = swapIn(k, slot);
    if (fr === NONE) return false;
    s = k.pt.lookup(mm, v);
  }
  sw.refs[slot]!--;
  const fl = k.frames.flags;
  const fresh = (fl[fr]! & PG.anon) === 0;
  const exclusive = sw.refs[slot] === 0 && k.frames.mapcount[fr] === 0;
  fl[fr] = (fl[fr]! & ~PG.exclusive) | PG.anon | (exclusive ? PG.exclusive : 0);
  k.frames.mapcount[fr]!++;
  mm.rss++;
  k.pt.set(s, P | protBits(vma), fr);
  if (fresh) k.strategy.newAnonPage(fr, vma, v, exclusive);
  else if (k.tracks) k.strategy.pteAdded(fr, vma, v);
  if (sw.refs[slot] === 0) {
    // try_to_unuse waits for a write in flight before the page leaves the swap cache.
    waitOnWriteback(k, fr);
    dropSwapCache(k, fr);
  }
  return true;
}
