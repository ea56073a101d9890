/**
 * Reclaim with a reverse map (every strategy but `scan`): the LRU lists with second chance from
 * accessed bits found through the strategy's rmap (`page_referenced`), unmapping (`try_to_unmap`),
 * write-back to swap or file, and the rmap visitor that does the PTE work of every walk.
 *
 * Internal to the machine: functions over its state (`Kernel`), called by `machine.ts` and each
 * other.
 *
 * @module
 */
import { C } from "./counters.ts";
import { LRU, NONE, PG } from "./frames.ts";
import { A, D, type Kernel, Mode, P, SCAN_BATCH, W } from "./kernel.ts";
import { Prot } from "../uapi/event.ts";
import { dropSwapCache } from "./pages.ts";
import { PTE_SWAP } from "./pte.ts";
import type { RmapVisitor } from "./rmap/strategy.ts";
import { swapOutScan } from "./swap_out_scan.ts";
import type { Vma } from "./vma.ts";

/** Reclaims up to `target` frames; returns how many were freed. */
export function reclaim(k: Kernel, target: number): number {
  if (target <= 0 || k.reclaiming) return 0;
  k.reclaiming = true;
  k.ioLast = -2;
  k.ensureSwapDevice();
  let got = 0;
  try {
    got = k.strategy.hasRmap ? shrinkLists(k, target) : swapOutScan(k, target);
  } finally {
    k.reclaiming = false;
  }
  return got;
}

/**
 * Reclaims from the LRU lists (`shrink_lruvec`): ages the active lists when the inactive ones are
 * short, then scans the inactive file and anon lists a batch at a time.
 */
export function shrinkLists(k: Kernel, target: number): number {
  const fr = k.frames;
  let reclaimed = 0;
  const lruPages = () =>
    fr.lruSize[LRU.inactiveAnon]! + fr.lruSize[LRU.activeAnon]! + fr.lruSize[LRU.inactiveFile]! +
    fr.lruSize[LRU.activeFile]!;
  const limit = 4 * lruPages() + 64;
  let scanned = 0;
  while (reclaimed < target && scanned < limit) {
    const canSwap = k.swap.used < k.swap.total;
    if (fr.lruSize[LRU.inactiveFile]! < fr.lruSize[LRU.activeFile]!) {
      scanned += shrinkActive(k, LRU.activeFile, LRU.inactiveFile);
    }
    if (fr.lruSize[LRU.inactiveAnon]! < fr.lruSize[LRU.activeAnon]!) {
      scanned += shrinkActive(k, LRU.activeAnon, LRU.inactiveAnon);
    }
    let n = 0;
    for (let q = 0; q < SCAN_BATCH && reclaimed < target; q++) {
      const f = fr.lruTail[LRU.inactiveFile]!;
      if (f === NONE) break;
      n++;
      reclaimed += shrinkPage(k, f, false);
    }
    for (let q = 0; q < SCAN_BATCH && reclaimed < target; q++) {
      const f = fr.lruTail[LRU.inactiveAnon]!;
      if (f === NONE) break;
      if (!canSwap && !(fr.flags[f]! & PG.swapCache)) {
        fr.lruMove(f, LRU.activeAnon);
        n++;
        continue;
      }
      n++;
      reclaimed += shrinkPage(k, f, false);
    }
    if (n === 0) {
      // Nothing inactive: age the active lists wholesale, or give up.
      const moved = shrinkActive(k, LRU.activeFile, LRU.inactiveFile) +
        shrinkActive(k, LRU.activeAnon, LRU.inactiveAnon);
      if (moved === 0) break;
      n = moved;
    }
    scanned += n;
  }
  return reclaimed;
}

/** Moves up to a batch of pages from the tail of `active` to `inactive` (exec file pages stay). */
export function shrinkActive(k: Kernel, active: number, inactive: number): number {
  const fr = k.frames;
  let n = 0;
  for (let q = 0; q < SCAN_BATCH; q++) {
    const f = fr.lruTail[active]!;
    if (f === NONE) break;
    n++;
    if (fr.flags[f]! & PG.pinned) {
      fr.lruMove(f, active);
      continue;
    }
    if (fr.mapcount[f]! > 0) {
      const refs = pageReferenced(k, f);
      if (k.vLocked) {
        k.mlockPage(f);
        continue;
      }
      if (refs > 0 && k.vExec && active === LRU.activeFile) {
        fr.lruMove(f, active);
        continue;
      }
    }
    fr.flags[f] = fr.flags[f]! & ~PG.referenced;
    fr.lruMove(f, inactive);
  }
  return n;
}

/**
 * shrink_folio_list for one page from an inactive list: second chance from the accessed bits
 * (through the rmap), then unmap, write and free. `force` (madvise pageout) skips the
 * references. Returns 1 when the frame was freed.
 */
export function shrinkPage(k: Kernel, f: number, force: boolean): number {
  const frames = k.frames;
  const fl = frames.flags;
  const flags = fl[f]!;
  if (flags & PG.pinned) {
    frames.lruMove(f, frames.lru[f]!);
    return 0;
  }
  if (flags & PG.mlocked) {
    k.mlockPage(f);
    return 0;
  }
  const mapped = frames.mapcount[f]! > 0;
  if (!force) {
    const refs = mapped ? pageReferenced(k, f) : 0;
    if (mapped && k.vLocked) {
      k.mlockPage(f);
      return 0;
    }
    const wasRef = (flags & PG.referenced) !== 0;
    if (refs > 0) {
      fl[f] = fl[f]! | PG.referenced;
      if (wasRef || refs > 1 || (k.vExec && !(flags & PG.swapBacked))) k.activate(f);
      else frames.lruMove(f, frames.lru[f]!);
      return 0;
    }
    fl[f] = fl[f]! & ~PG.referenced;
  }
  // A slot on a device being swapped off is given up rather than written again.
  if (
    (flags & PG.swapCache) && k.swap.refs[frames.swap[f]!] === 0 &&
    k.swap.deviceOf(frames.swap[f]!).removing
  ) {
    dropSwapCache(k, f);
  }
  // Anonymous page not yet in the swap cache: give it a slot first.
  if ((fl[f]! & PG.anon) && !(fl[f]! & PG.swapCache)) {
    const slot = k.swap.alloc(false);
    if (slot === NONE) {
      k.activate(f);
      return 0;
    }
    fl[f] = fl[f]! | PG.swapCache | PG.dirty;
    frames.swap[f] = slot;
    k.swap.cache[slot] = f;
  }
  if (mapped) {
    unmapAll(k, f);
    if (frames.mapcount[f]! > 0) {
      if (k.vLocked) k.mlockPage(f);
      else k.activate(f);
      return 0;
    }
  }
  return reclaimUnmapped(k, f);
}

/**
 * Frees unmapped frame `f`: writes it back first when dirty (file) or not on swap (tmpfs, shm,
 * anon). Returns 1 when freed, 0 when it cannot be (no swap left).
 */
export function reclaimUnmapped(k: Kernel, f: number): number {
  const frames = k.frames;
  const fl = frames.flags;
  const flags = fl[f]!;
  const c = k.counters;
  if (flags & PG.pageCache) {
    const obj = k.objAt[frames.owner[f]!]!;
    const index = frames.index[f]!;
    if (obj.swapBacked) {
      const slot = k.swap.alloc(obj.kind === "anon");
      if (slot === NONE) {
        k.activate(f);
        return 0;
      }
      k.writeSlot(f, slot);
      k.swap.refs[slot] = 1;
      obj.swap.set(index, slot);
    } else if (flags & PG.dirty) {
      c[C.file_write_pages]!++;
      obj.disk.set(index, frames.stamp[f]!);
    }
    obj.pages.delete(index);
    frames.release(f);
    c[C.pages_reclaimed]!++;
    return 1;
  }
  if (flags & PG.swapCache) {
    const slot = frames.swap[f]!;
    if (flags & PG.dirty) k.writeSlot(f, slot);
    k.swap.cache[slot] = NONE;
    if (k.swap.refs[slot] === 0) k.swap.free(slot);
    if (flags & PG.anon) k.strategy.pageFreed(f);
    frames.release(f);
    c[C.pages_reclaimed]!++;
    return 1;
  }
  // An unmapped anonymous page outside the swap cache does not survive unmapping.
  return 0;
}

/** Walks the rmap of mapped frame `f`, clearing accessed bits; returns how many were set. */
export function pageReferenced(k: Kernel, f: number): number {
  k.mode = Mode.Referenced;
  k.vFrame = f;
  k.vRefs = 0;
  k.vLocked = false;
  k.vExec = false;
  k.strategy.rmapWalk(f, k.visitor);
  return k.vRefs;
}

/** Unmaps every PTE of `f` through the rmap (swap entries for swap-cache pages). */
export function unmapAll(k: Kernel, f: number): void {
  k.mode = Mode.Unmap;
  k.vFrame = f;
  k.vLocked = false;
  k.vUnmapped = 0;
  const fl = k.frames.flags[f]!;
  k.vSlot = (fl & PG.anon) && (fl & PG.swapCache) ? k.frames.swap[f]! : NONE;
  k.strategy.rmapWalk(f, k.visitor);
}

/**
 * The rmap visitor: looks up the PTE of `vpage` in `vma`, counts the visit, and does what the
 * current walk (`k.mode`) wants with it.
 */
export function visitVma(k: Kernel, vma: Vma, vpage: number): boolean {
  const c = k.counters;
  c[C.rmap_vma_visits]!++;
  if (vpage < vma.start || vpage >= vma.end) {
    c[C.rmap_wasted_visits]!++;
    return false;
  }
  c[C.pte_walks]!++;
  const mm = vma.mm;
  const s = k.pt.lookup(mm, vpage);
  const f = k.vFrame;
  if (s < 0 || (k.pt.flags[s]! & P) === 0 || k.pt.num[s] !== f) {
    c[C.rmap_wasted_visits]!++;
    return false;
  }
  const pf = k.pt.flags;
  switch (k.mode) {
    case Mode.Referenced:
      if (vma.locked) {
        k.vLocked = true;
        return true;
      }
      if (pf[s]! & A) {
        pf[s] = pf[s]! & ~A;
        k.vRefs++;
        if (vma.prot & Prot.exec) k.vExec = true;
      }
      return false;
    case Mode.Unmap: {
      if (vma.locked) {
        k.vLocked = true;
        return true;
      }
      if (k.tracks) k.strategy.pteRemoved(f, vma, vpage);
      if (pf[s]! & D) k.frames.flags[f]! |= PG.dirty;
      if (k.vSlot !== NONE) {
        k.setPte(s, PTE_SWAP, k.vSlot);
        k.swap.refs[k.vSlot]!++;
      } else k.setPte(s, 0, 0);
      k.frames.mapcount[f]!--;
      mm.rss--;
      k.vUnmapped++;
      k.flushPage(mm, vpage);
      return k.frames.mapcount[f] === 0;
    }
    case Mode.MkClean:
      if (pf[s]! & (W | D)) {
        pf[s] = pf[s]! & ~(D | (k.writeNotify(vma) ? W : 0));
        k.flushPage(mm, vpage);
      }
      return false;
    case Mode.Collect:
      k.collect.push(mm.id, vpage);
      return false;
  }
}

/** The default rmap of page-cache pages: the areas of the object's i_mmap covering the index. */
export function walkObject(k: Kernel, frame: number, visit: RmapVisitor): void {
  const owner = k.frames.owner[frame]!;
  const obj = owner >= 0 ? k.objAt[owner] : undefined; // NONE (-1): no index off V8's fast path
  if (obj === undefined) return;
  const index = k.frames.index[frame]!;
  const list = obj.mappings.list;
  for (let j = 0; j < list.length; j++) {
    const vma = list[j]!;
    if (index < vma.pgoff || index >= vma.pgoff + (vma.end - vma.start)) continue;
    if (visit.vma(vma, vma.addressOf(index))) return;
  }
}
