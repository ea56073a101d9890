/**
 * Page faults (Linux's `handle_mm_fault` and what it calls): the not-present fault (zero page, new
 * anonymous page, page-cache page with fault-around, COW of a private file page), the
 * write-protect fault (COW copy or reuse, write-notify) and the swap fault.
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import { C } from "../counters.ts";
import { LRU, NONE, PG, ZERO_FRAME } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { lruAddNew } from "./lru.ts";
import { allocFrame } from "./page_alloc.ts";
import { folioPagesAfter, folioPagesBefore, getPage } from "./page_cache.ts";
import { A, cacheBits, D, P, protBits, PTE_SWAP, W } from "./pte.ts";
import { dropSwapCache, unmapFrame } from "./release.ts";
import { hex } from "./report.ts";
import { swapCacheHit, swapinReadahead } from "./swap_in.ts";
import type { Vma } from "./vma.ts";
import { PAGE_SIZE } from "../../uapi/event.ts";

/** Pages mapped by one fault-around (`fault_around_bytes` 64 KiB). */
export const FAULT_AROUND = 16;

/** `anon_vma_prepare`: the strategy's say before the first anonymous page of `vma`. */
export function anonPrepare(k: Kernel, vma: Vma): void {
  if (!vma.anon) {
    k.strategy.anonPrepare(vma);
    vma.anon = true;
  }
}

/**
 * Makes the PTE at pool index `s` allow the access (faulting as Linux would). The area and its
 * permission were checked. Returns false after reporting when memory ran out.
 */
export function faultIn(k: Kernel, vma: Vma, vpage: number, s: number, write: boolean): boolean {
  const f = k.pt.flags[s]!;
  if (f & P) {
    if (!write || (f & W)) return true;
    return wpFault(k, vma, vpage, s, true);
  }
  if (f & PTE_SWAP) return swapFault(k, vma, vpage, s, write);
  if (vma.obj === null) return anonFault(k, vma, vpage, s, write);
  return objFault(k, vma, vpage, s, write);
}

/**
 * Counts a fault, major when it waited for a read. One that `populate` makes (mlock, MAP_POPULATE,
 * MAP_LOCKED: `__mm_populate`) counts as minor even then: waiting for the read, it gives up the
 * mmap lock (VM_FAULT_RETRY, not counted), and `populate_vma_page_range` faults the page again
 * without FAULT_FLAG_TRIED, finding it read. Measured on Linux 6.18: mlock of 64 swapped-out
 * pages, 64 minor faults and 0 major (72 pages swapped in), where MADV_POPULATE_WRITE of 64
 * (`__get_user_pages_locked`, which retries with FOLL_TRIED) took 53 and 11.
 */
function countFault(k: Kernel, major: boolean): void {
  k.counters[major && !k.populating ? C.major_faults : C.minor_faults]!++;
}

/** Not-present fault in private anonymous memory: the zero page for a read, else a new page. */
export function anonFault(k: Kernel, vma: Vma, vpage: number, s: number, write: boolean): boolean {
  const c = k.counters;
  if (!write && k.zeroPage && k.strategy.useZeroPage(vma)) {
    k.pt.set(s, P | A | protBits(vma), ZERO_FRAME);
    c[C.minor_faults]!++;
    c[C.zero_page_maps]!++;
    return true;
  }
  if (newAnon(k, vma, vpage, s, 0, true) === NONE) {
    k.report.oom(`fault at ${hex(vpage)} in pid of mm ${vma.mm.id}`);
    return false;
  }
  c[C.minor_faults]!++;
  return true;
}

/** A new exclusive anonymous page mapped at `s` (fault on none PTE, zero-page write, copies). */
export function newAnon(
  k: Kernel,
  vma: Vma,
  vpage: number,
  s: number,
  stamp: number,
  dirtyPte: boolean,
): number {
  anonPrepare(k, vma);
  const fr = allocFrame(k);
  if (fr === NONE) return NONE;
  const fl = k.frames.flags;
  fl[fr] = PG.anon | PG.swapBacked | PG.dirty | PG.exclusive;
  k.frames.stamp[fr] = stamp;
  k.frames.mapcount[fr] = 1;
  vma.mm.rss++;
  k.pt.set(
    s,
    P | A | (vma.writable ? W : 0) | (dirtyPte ? D : 0) | protBits(vma),
    fr,
  );
  k.strategy.newAnonPage(fr, vma, vpage, true);
  lruAddNew(k.frames, fr, vma);
  return fr;
}

/**
 * Not-present fault in an object mapping: fault-around and the page cache for reads, a COW copy
 * for writes to private mappings, the cached page made dirty for shared ones.
 */
export function objFault(k: Kernel, vma: Vma, vpage: number, s: number, write: boolean): boolean {
  const c = k.counters;
  const obj = vma.obj!;
  const index = vma.linearIndex(vpage);
  if (!write) {
    // System V segments do no fault-around: ipc/shm.c's shm_vm_ops has no map_pages, so
    // should_fault_around() says no (measured: `vmreplay calibrate --scenario sysv_shm`).
    if (obj.kind !== "shm" && faultAround(k, vma, vpage, s)) {
      c[C.minor_faults]!++;
      return true;
    }
    const fr = getPage(k, obj, index, true);
    if (fr === NONE) {
      k.report.oom(`fault at ${hex(vpage)}`);
      return false;
    }
    // A major fault on a disk file drops the mmap lock for the read and is retried
    // (VM_FAULT_RETRY), and the retry's fault-around maps the pages just read around it
    // (measured: 3 000 random loads from a 256 MiB file, read_ahead_kb 128, took 551 minor
    // faults on Linux 6.18; mapping the faulting page alone, 1 059).
    const major = k.major;
    if (!(major && obj.kind === "file" && faultAround(k, vma, vpage, s))) {
      mapCachePage(k, vma, vpage, s, fr, cacheBits(vma) | A);
      if (k.largeFolios) mapFolio(k, vma, vpage, s, fr, cacheBits(vma) | A, false);
    }
    countFault(k, major);
    return true;
  }
  const fr = getPage(k, obj, index, true);
  if (fr === NONE) {
    k.report.oom(`fault at ${hex(vpage)}`);
    return false;
  }
  const major = k.major;
  if (vma.shared) {
    mapCachePage(k, vma, vpage, s, fr, P | W | A | D | protBits(vma));
    k.frames.flags[fr]! |= PG.dirty;
    if (k.largeFolios) mapFolio(k, vma, vpage, s, fr, P | W | A | D | protBits(vma), true);
  } else {
    // do_cow_fault: copy the file page into a new anonymous page.
    k.frames.flags[fr]! |= PG.pinned;
    const nf = newAnon(k, vma, vpage, s, k.frames.stamp[fr]!, true);
    k.frames.flags[fr]! &= ~PG.pinned;
    if (nf === NONE) {
      k.report.oom(`fault at ${hex(vpage)}`);
      return false;
    }
    c[C.cow_faults]!++;
    c[C.cow_copies]!++;
  }
  countFault(k, major);
  return true;
}

/**
 * Fault-around: maps the cached pages of the 16-page window around `vpage` (the rule
 * `docs/machine.md` gives under "Linux rules it follows"). Returns
 * true when the faulting page itself was mapped.
 */
export function faultAround(k: Kernel, vma: Vma, vpage: number, s: number): boolean {
  const obj = vma.obj!;
  const pteIdx = vpage & 511;
  // The area's part of this page table.
  const low = pteIdx - Math.min(pteIdx, vpage - vma.start);
  const high = Math.min(512, pteIdx + (vma.end - vpage));
  let from = Math.max(pteIdx & ~(FAULT_AROUND - 1), low);
  let to = Math.min(from + FAULT_AROUND, high);
  if (k.largeFolios && obj.kind === "file") {
    // filemap_map_pages maps a large folio whole: the window grows to the folios at its ends.
    const first = obj.pages.get(vma.linearIndex(vpage - pteIdx + from));
    if (first !== undefined) from = Math.max(low, from - folioPagesBefore(k, first));
    const last = obj.pages.get(vma.linearIndex(vpage - pteIdx + to - 1));
    if (last !== undefined) to = Math.min(high, to + folioPagesAfter(k, last));
  }
  const base = s - pteIdx;
  const bits = cacheBits(vma);
  let hit = false;
  for (let q = from; q < to; q++) {
    const ps = base + q;
    if (k.pt.flags[ps] !== 0) continue;
    const v = vpage - pteIdx + q;
    const idx = vma.linearIndex(v);
    if (idx * PAGE_SIZE >= obj.size) break;
    const fr = obj.pages.get(idx);
    if (fr === undefined || (k.frames.flags[fr]! & PG.readahead)) continue;
    mapCachePage(k, vma, v, ps, fr, bits | A);
    if (q === pteIdx) hit = true;
  }
  return hit;
}

/**
 * `finish_fault` of a page-cache page `fr` of a large folio just mapped at `vpage` (PTE `s`) of
 * `vma`: the folio's other pages this area maps in the same page table are mapped too, with PTE
 * bits `bits` (and made dirty with `dirty`), when none of their PTEs is in use; else the
 * faulting page stays mapped alone. A page of the folio reclaim took meanwhile is left out.
 */
function mapFolio(
  k: Kernel,
  vma: Vma,
  vpage: number,
  s: number,
  fr: number,
  bits: number,
  dirty: boolean,
): void {
  const o = k.frames.order[fr]!;
  if (o === 0) return;
  const pteIdx = vpage & 511;
  const lo = Math.max(vpage - folioPagesBefore(k, fr), vma.start, vpage - pteIdx);
  const hi = Math.min(vpage + folioPagesAfter(k, fr) + 1, vma.end, vpage - pteIdx + 512);
  for (let v = lo; v < hi; v++) if (v !== vpage && k.pt.flags[s + v - vpage] !== 0) return;
  const obj = vma.obj!;
  for (let v = lo; v < hi; v++) {
    if (v === vpage) continue;
    const f = obj.pages.get(vma.linearIndex(v));
    if (f === undefined || k.frames.order[f] !== o) continue;
    mapCachePage(k, vma, v, s + v - vpage, f, bits);
    if (dirty) k.frames.flags[f]! |= PG.dirty;
  }
}

/**
 * Maps page-cache page `fr` at `vpage` of `vma` with PTE bits `bits` (mlocking it in a locked
 * area).
 */
export function mapCachePage(
  k: Kernel,
  vma: Vma,
  vpage: number,
  s: number,
  fr: number,
  bits: number,
): void {
  k.pt.set(s, bits, fr);
  k.frames.mapcount[fr]!++;
  vma.mm.rss++;
  if (k.tracks) k.strategy.pteAdded(fr, vma, vpage);
  if ((k.frames.flags[fr]! & PG.mlocked) === 0 && vma.locked) {
    k.frames.flags[fr]! |= PG.mlocked;
    k.frames.lruMove(fr, LRU.unevictable);
  }
}

/** Write fault on a present, write-protected PTE. `count`: count the fault itself. */
export function wpFault(k: Kernel, vma: Vma, vpage: number, s: number, count: boolean): boolean {
  const c = k.counters;
  const fr = k.pt.num[s]!;
  const fl = k.frames.flags;
  if (vma.shared) {
    // wp_page_shared: dirty tracking of a shared mapping.
    k.pt.flags[s] = k.pt.flags[s]! | W | A | D;
    fl[fr]! |= PG.dirty;
    if (count) c[C.minor_faults]!++;
    return true;
  }
  if (fr === ZERO_FRAME) {
    if (newAnon(k, vma, vpage, s, 0, true) === NONE) {
      k.report.oom(`write fault at ${hex(vpage)}`);
      return false;
    }
    k.tlb.flushPage(vma.mm, vpage);
    if (count) c[C.minor_faults]!++;
    return true;
  }
  const f = fl[fr]!;
  if (f & PG.anon) {
    let reuse = k.frames.mapcount[fr] === 1;
    if (reuse && (f & PG.swapCache)) {
      const slot = k.frames.swap[fr]!;
      if (k.swap.refs[slot]! > 0) reuse = false;
      // Still being written, it cannot leave the swap cache (folio_free_swap fails): an exclusive
      // page is reused there, another copied (do_wp_page).
      else if (f & PG.writeback) reuse = (f & PG.exclusive) !== 0;
      else dropSwapCache(k, fr);
    }
    if (reuse) {
      k.pt.flags[s] = k.pt.flags[s]! | W | A | D;
      fl[fr] = fl[fr]! | PG.exclusive | PG.dirty;
      k.strategy.cowReuse(fr, vma, vpage);
      c[C.cow_faults]!++;
      c[C.cow_reuses]!++;
      if (count) c[C.minor_faults]!++;
      return true;
    }
  }
  // wp_page_copy.
  fl[fr]! |= PG.pinned;
  anonPrepare(k, vma);
  const nf = allocFrame(k);
  // The allocation may have grown the frames' arrays: through the table from here on.
  k.frames.flags[fr]! &= ~PG.pinned;
  if (nf === NONE) {
    k.report.oom(`copy-on-write at ${hex(vpage)}`);
    return false;
  }
  if (k.tracks) k.strategy.pteRemoved(fr, vma, vpage);
  k.frames.flags[nf] = PG.anon | PG.swapBacked | PG.dirty | PG.exclusive;
  k.frames.stamp[nf] = k.frames.stamp[fr]!;
  k.frames.mapcount[nf] = 1;
  k.pt.set(s, P | A | D | W | protBits(vma), nf);
  k.strategy.newAnonPage(nf, vma, vpage, true);
  lruAddNew(k.frames, nf, vma);
  unmapFrame(k, fr); // the old page loses this PTE (rss unchanged: one page for another)
  k.tlb.flushPage(vma.mm, vpage);
  c[C.cow_faults]!++;
  c[C.cow_copies]!++;
  if (count) c[C.minor_faults]!++;
  return true;
}

/**
 * Fault on a swap entry: the swap cache or a read with readahead, then COW for a write to a page
 * others still hold.
 */
export function swapFault(k: Kernel, vma: Vma, vpage: number, s: number, write: boolean): boolean {
  const slot = k.pt.num[s]!;
  const sw = k.swap;
  let fr = sw.cache[slot]!;
  let major = false;
  if (fr === NONE) {
    fr = swapinReadahead(k, vma, vpage, s, slot);
    if (fr === NONE) {
      k.report.oom(`swap-in at ${hex(vpage)}`);
      return false;
    }
    major = true;
  } else swapCacheHit(k, fr, vma, vpage);
  const fl = k.frames.flags;
  sw.refs[slot]!--;
  const exclusive = sw.refs[slot] === 0 && k.frames.mapcount[fr] === 0;
  anonPrepare(k, vma);
  const fresh = (fl[fr]! & PG.anon) === 0;
  // PG.exclusive as this mapping finds it: a page left in the swap cache keeps the flag it had
  // when it was last mapped, stale once a fork has copied its swap entry (Linux moves the bit into
  // the swap entry when it unmaps the page).
  fl[fr] = (fl[fr]! & ~PG.exclusive) | PG.anon | PG.swapBacked | (exclusive ? PG.exclusive : 0);
  k.frames.mapcount[fr]!++;
  vma.mm.rss++;
  const wbit = exclusive && vma.writable ? W : 0;
  k.pt.set(s, P | A | wbit | protBits(vma), fr);
  if (fresh) k.strategy.newAnonPage(fr, vma, vpage, exclusive);
  else if (k.tracks) k.strategy.pteAdded(fr, vma, vpage);
  if (vma.locked && !(fl[fr]! & PG.mlocked)) {
    fl[fr]! |= PG.mlocked;
    k.frames.lruMove(fr, LRU.unevictable);
  }
  countFault(k, major);
  if (exclusive && (write || sw.full || vma.locked) && !(fl[fr]! & PG.writeback)) {
    // should_try_to_free_swap: the page leaves the swap cache and becomes dirty (not while it
    // is being written: folio_free_swap fails then, and the PTE's dirty bit tells reclaim).
    dropSwapCache(k, fr);
  }
  if (write) {
    if (wbit) {
      k.pt.flags[s] = k.pt.flags[s]! | D;
      return true;
    }
    return wpFault(k, vma, vpage, s, false);
  }
  return true;
}
