/**
 * Reclaim from the LRU lists (Linux's `mm/vmscan.c`, for every strategy with a reverse map): the
 * inactive lists scanned a batch at a time, second chance from the accessed bits the rmap finds
 * (`folio_referenced`), then unmapping (`try_to_unmap`), writing to swap or to the file, and
 * freeing.
 *
 * Internal to the machine: functions over its state (`Kernel`); the entry is `reclaim.ts`.
 *
 * @module
 */
import { C } from "../counters.ts";
import { LRU, NONE, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { activate, mlockPage } from "./lru.ts";
import { folioFrame, folioFrames } from "./page_cache.ts";
import { dropSwapCache } from "./release.ts";
import { evictionShadow } from "./workingset.ts";
import { markForFlusher, startWriteback } from "./writeback.ts";

/** Pages reclaim takes from a list per round (`SWAP_CLUSTER_MAX`). */
export const SCAN_BATCH = 32;

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
    // A batch is taken off the list's tail (isolate_lru_folios): each page at most once.
    let n = 0;
    const files = Math.min(SCAN_BATCH, fr.lruSize[LRU.inactiveFile]!);
    for (let q = 0; q < files && reclaimed < target; q++) {
      const f = fr.lruTail[LRU.inactiveFile]!;
      if (f === NONE) break;
      n++;
      reclaimed += shrinkPage(k, f, false);
    }
    const anons = Math.min(SCAN_BATCH, fr.lruSize[LRU.inactiveAnon]!);
    for (let q = 0; q < anons && reclaimed < target; q++) {
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
  // A batch is taken off the tail (isolate_lru_folios): a page kept active is not met again.
  const batch = Math.min(SCAN_BATCH, fr.lruSize[active]!);
  for (let q = 0; q < batch; q++) {
    const f = fr.lruTail[active]!;
    if (f === NONE) break;
    n++;
    if (keepActive(k, f, active)) continue;
    fr.flags[f] = fr.flags[f]! & ~PG.referenced;
    fr.lruMove(f, inactive);
  }
  return n;
}

/**
 * `shrink_active_list`'s say on page `f` at the tail of active list `active`: true when it stays
 * off the inactive list (pinned, or a referenced executable file page: back to the head of
 * `active`; in a locked area: mlocked), after the rmap walk of a mapped page cleared its accessed
 * bits.
 */
export function keepActive(k: Kernel, f: number, active: number): boolean {
  const fr = k.frames;
  if (fr.flags[f]! & PG.pinned) {
    fr.lruMove(f, active);
    return true;
  }
  if (fr.mapcount[f]! > 0) {
    const refs = k.walker.referenced(f);
    if (k.walker.locked) {
      mlockPage(fr, f);
      return true;
    }
    if (refs > 0 && k.walker.exec && active === LRU.activeFile) {
      fr.lruMove(f, active);
      return true;
    }
  }
  return false;
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
    mlockPage(k.frames, f);
    return 0;
  }
  // Still being written (a page faulted back meanwhile, met by MADV_PAGEOUT): activated, kept
  // (shrink_folio_list's second writeback case; memory cgroup reclaim has waited for it before).
  if (flags & PG.writeback) {
    activate(k.frames, f);
    return 0;
  }
  const mapped = frames.mapcount[f]! > 0;
  if (!force) {
    const refs = mapped ? k.walker.referenced(f) : 0;
    if (mapped && k.walker.locked) {
      mlockPage(k.frames, f);
      return 0;
    }
    const wasRef = (flags & PG.referenced) !== 0;
    if (refs > 0) {
      fl[f] = fl[f]! | PG.referenced;
      if (wasRef || refs > 1 || (k.walker.exec && !(flags & PG.swapBacked))) activate(k.frames, f);
      else frames.lruMove(f, frames.lru[f]!);
      return 0;
    }
    fl[f] = fl[f]! & ~PG.referenced;
  }
  // A slot on a device being swapped off is given up rather than written again, by a mapped page
  // (one nothing maps or refers to any more, left in the swap cache while it was written, is
  // freed with its slot below).
  if (
    (flags & PG.swapCache) && mapped && k.swap.refs[frames.swap[f]!] === 0 &&
    k.swap.deviceOf(frames.swap[f]!).removing
  ) {
    dropSwapCache(k, f);
  }
  // Anonymous page not yet in the swap cache: give it a slot first.
  if ((fl[f]! & PG.anon) && !(fl[f]! & PG.swapCache)) {
    const slot = k.swap.alloc(false);
    if (slot === NONE) {
      activate(k.frames, f);
      return 0;
    }
    fl[f] = fl[f]! | PG.swapCache | PG.dirty;
    frames.swap[f] = slot;
    k.swap.cache[slot] = f;
  }
  if (mapped) {
    k.walker.unmap(f);
    if (frames.mapcount[f]! > 0) {
      if (k.walker.locked) mlockPage(k.frames, f);
      else activate(k.frames, f);
      return 0;
    }
  }
  return reclaimUnmapped(k, f);
}

/**
 * The pages of the large folio of disk-file page `f` that reclaim takes as one (`folioFrames`:
 * into `folioFrame`), or 0 when it takes `f` alone: a single page, a folio no longer whole, or
 * one with a page mlocked, dirty or being written (those go page by page, as before folios).
 */
export function reclaimFolio(k: Kernel, f: number): number {
  const fr = k.frames;
  if (fr.order[f] === 0 || !(fr.flags[f]! & PG.pageCache) || (fr.flags[f]! & PG.swapBacked)) {
    return 0;
  }
  const n = folioFrames(k, k.objAt[fr.owner[f]!]!, f);
  const busy = PG.mlocked | PG.dirty | PG.writeback | PG.reclaim;
  for (let i = 0; i < n; i++) if (fr.flags[folioFrame(i)]! & busy) return 0;
  return n;
}

/**
 * `shrink_folio_list` for the `n` clean disk-file pages `reclaimFolio` found (one large folio):
 * referenced as one (the accessed bits of all its pages, its one PG_referenced), kept or
 * activated whole, else unmapped and freed whole. Returns the pages freed.
 */
export function shrinkFolio(k: Kernel, n: number): number {
  const frames = k.frames;
  const fl = frames.flags;
  let refs = 0, wasRef = false, mapped = false, exec = false, locked = false;
  // Held by an operation: back to the head whole (folio_trylock fails).
  for (let i = 0; i < n; i++) {
    if (!(fl[folioFrame(i)]! & PG.pinned)) continue;
    for (let j = 0; j < n; j++) frames.lruMove(folioFrame(j), frames.lru[folioFrame(j)]!);
    return 0;
  }
  for (let i = 0; i < n; i++) {
    const f = folioFrame(i);
    if (fl[f]! & PG.referenced) wasRef = true;
    if (frames.mapcount[f]! === 0) continue;
    mapped = true;
    const r = k.walker.referenced(f);
    if (k.walker.locked) locked = true;
    if (r > 0 && k.walker.exec) exec = true;
    refs = Math.max(refs, r);
  }
  if (locked) {
    for (let i = 0; i < n; i++) mlockPage(frames, folioFrame(i));
    return 0;
  }
  if (refs > 0) {
    const act = wasRef || refs > 1 || exec;
    for (let i = 0; i < n; i++) {
      const f = folioFrame(i);
      fl[f] = fl[f]! | PG.referenced;
      if (act) activate(frames, f);
      else frames.lruMove(f, frames.lru[f]!);
    }
    return 0;
  }
  for (let i = 0; i < n; i++) fl[folioFrame(i)]! &= ~PG.referenced;
  if (mapped) {
    let still = false;
    for (let i = 0; i < n; i++) {
      const f = folioFrame(i);
      if (frames.mapcount[f]! > 0) k.walker.unmap(f);
      if (frames.mapcount[f]! > 0) still = true;
    }
    if (still) {
      for (let i = 0; i < n; i++) activate(frames, folioFrame(i));
      return 0;
    }
  }
  let freed = 0;
  for (let i = 0; i < n; i++) freed += reclaimUnmapped(k, folioFrame(i));
  return freed;
}

/**
 * Frees unmapped frame `f`: writes it back first when dirty (file) or not on swap (tmpfs, shm,
 * anon). Returns 1 when freed, 0 when it cannot be (no swap left) or not yet (`lateWriteback`: a
 * page written to swap is freed once its write completes, `writeback.ts`). In a memory cgroup a
 * page freed leaves a shadow (`workingset.ts`), and a dirty file page is left to the flusher
 * instead: marked PG_reclaim and activated (reclaim with a reverse map).
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
        activate(k.frames, f);
        return 0;
      }
      writeSlot(k, f, slot);
      k.swap.refs[slot] = 1;
      obj.swap.set(index, slot);
      if (k.lateWriteback && frames.stamp[f] !== 0) {
        // Into the swap cache while the write runs; freed once it completes (startWriteback). A
        // zero-filled page is not written (writeSlot): it goes at once.
        obj.pages.delete(index);
        frames.flags[f] = (flags & ~(PG.pageCache | PG.dirty)) | PG.swapCache;
        frames.swap[f] = slot;
        k.swap.cache[slot] = f;
        startWriteback(k, f);
        return 0;
      }
    } else {
      if ((flags & PG.dirty) && k.memcg && k.strategy.hasRmap) {
        // Reclaim other than kswapd's leaves dirty file pages to the flusher.
        markForFlusher(frames, f);
        return 0;
      }
      if (flags & PG.dirty) {
        c[C.file_write_pages]!++;
        obj.disk.set(index, frames.stamp[f]!);
      }
      if (k.memcg) obj.shadow.set(index, evictionShadow(k, f));
    }
    obj.pages.delete(index);
    frames.release(f);
    c[C.pages_reclaimed]!++;
    return 1;
  }
  if (flags & PG.swapCache) {
    const slot = frames.swap[f]!;
    if (k.lateWriteback && (flags & PG.dirty) && frames.stamp[f] !== 0) {
      writeSlot(k, f, slot);
      fl[f] = flags & ~PG.dirty;
      startWriteback(k, f);
      return 0;
    }
    if (flags & PG.dirty) writeSlot(k, f, slot);
    k.swap.cache[slot] = NONE;
    if (k.swap.refs[slot] === 0) k.swap.free(slot);
    else if (k.memcg) k.swap.shadow[slot] = evictionShadow(k, f);
    if (flags & PG.anon) k.strategy.pageFreed(f);
    frames.release(f);
    c[C.pages_reclaimed]!++;
    return 1;
  }
  // An unmapped anonymous page outside the swap cache does not survive unmapping.
  return 0;
}

/**
 * Writes frame `fr` to slot `slot` (counting pages and merged requests). A zero-filled page
 * (stamp 0: never written) is not written: Linux 6.12 and later only mark its slot in the swap
 * device's zeromap, and a swap-in of it reads nothing (`swap_in.ts`).
 */
export function writeSlot(k: Kernel, fr: number, slot: number): void {
  const stamp = k.frames.stamp[fr]!;
  k.swap.stamp[slot] = stamp;
  if (stamp === 0) return;
  k.counters[C.swap_out_pages]!++;
  if (slot !== k.ioLast + 1) k.counters[C.swap_io_requests]!++;
  k.ioLast = slot;
}
