/**
 * Swap-in: reading a swap slot into a new swap-cache frame ({@linkcode swapIn}), with readahead as
 * Linux 6.x does it (`mm/swap_state.c`).
 *
 * - Private anonymous memory, with `vma_ra` (Linux's default while no swap area is on a rotational
 *   disk): `swap_vma_readahead`. A fault on a swap entry reads the swap entries of a window of
 *   virtual pages around it, inside its area and its page-table page, into the swap cache with
 *   the faulting page.
 * - tmpfs and System V pages, and anonymous memory without `vma_ra`: `swap_cluster_readahead`,
 *   the aligned block of slots around the faulting slot on its device.
 *
 * Both size the window with `__swapin_nr_pages` ({@linkcode swapinNrPages}): the readahead hits
 * since the last readahead, plus 2, rounded up to a power of two (at least 4) and capped at
 * 2^`page_cluster` (VMA windows at 32 too); with no hits, one page unless the fault is next to the
 * previous one; and never less than half the previous window. VMA windows keep their history in
 * the area (`Vma.raPage`, `raWin`, `raHits`, copied when the area is: fork, split, mremap; a new
 * area starts as 4 hits) and lie ahead of a fault next after the previous one, behind one just
 * before it, else centred on it. Slot windows keep theirs machine-wide (`Kernel.slotRa`), in the
 * device's offsets (the kernel's: its slot 0 is the swap header, so a device's first page is
 * offset 1); it starts with no hits pending (Linux boots with 4, but a trace starts after whatever
 * the machine swapped in before: measured, a probe's first random reads write no burst of pages,
 * which a plugged first window would).
 *
 * Pages read ahead carry PG_readahead (`PG.readahead`); a fault that finds one in the swap cache
 * counts a hit (`swap_ra_hits`, Linux's `swap_ra_hit`) for the next window ({@linkcode
 * swapCacheHit}). `swap_ra_pages` counts the pages read ahead (Linux's `swap_ra`); one run of
 * adjacent slots read is one `swap_io_requests`. In a memory cgroup (`memcg`) a page read ahead is
 * charged like any other and reclaims when the limit is reached; otherwise readahead stops at the
 * low watermark rather than reclaim.
 *
 * Internal to the machine: functions over its state (`Kernel`); `fault.ts` and `page_cache.ts`
 * read ahead, swapoff, MADV_WILLNEED and anonmm's mremap copy read one page.
 *
 * @module
 */
import { C } from "../counters.ts";
import { LRU, NONE, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { allocFrame, readaheadStops } from "./page_alloc.ts";
import { PTE_SWAP } from "./pte.ts";
import type { Vma } from "./vma.ts";
import { refault } from "./workingset.ts";
import { completeWriteback, plugRequest, startReadaheadPlug } from "./writeback.ts";

/** Largest swap readahead window by default, pages (`page_cluster` 3). */
export const SWAP_CLUSTER = 8;

/**
 * Reads swap slot `slot` into a new swap-cache frame, without readahead (one request). Returns the
 * frame (unmapped, on the inactive anon list) or NONE.
 */
export function swapIn(k: Kernel, slot: number): number {
  const fr = allocFrame(k);
  if (fr === NONE) return NONE;
  readSlot(k, slot, fr);
  if (k.swap.stamp[slot] !== 0) k.counters[C.swap_io_requests]!++;
  return fr;
}

/**
 * Reads slot `slot` into frame `fr`, which joins the swap cache (`swap_in_pages`; a zero-filled
 * page is not read: see `writeSlot` in `vmscan.ts`). A page evicted recently enough goes to the
 * active list (`workingset.ts`).
 */
export function readSlot(k: Kernel, slot: number, fr: number): void {
  const sw = k.swap;
  const stamp = sw.stamp[slot]!;
  k.frames.flags[fr] = PG.swapBacked | PG.swapCache;
  k.frames.swap[fr] = slot;
  k.frames.stamp[fr] = stamp;
  sw.cache[slot] = fr;
  k.frames.lruAdd(fr, LRU.inactiveAnon);
  if (stamp !== 0) k.counters[C.swap_in_pages]!++;
  const shadow = sw.shadow[slot]!;
  if (shadow >= 0) {
    sw.shadow[slot] = -1;
    refault(k, fr, shadow, false);
  }
}

/** Largest VMA readahead window, as an order (`SWAP_RA_ORDER_CEILING`: 32 pages). */
const VMA_RA_ORDER_CEILING = 5;
/** Largest count of readahead hits an area remembers (`SWAP_RA_HITS_MAX`). */
const HITS_MAX = 63;
/**
 * Readahead hits a new area's history counts (`GET_SWAP_RA_VAL`: Linux reads a history of all
 * zeros as 4 hits). Only a new area has neither a window nor hits: a fault leaves a window of one
 * page at least, a swap-cache hit 4 hits at least; so its page (0 or not) need not be looked at.
 */
const NEW_AREA_HITS = 4;

/**
 * Linux's `__swapin_nr_pages`: the pages of the next readahead window after `hits` readahead hits,
 * for a fault at `offset` after one at `prevOffset` whose window was `prevWin` pages, at most
 * `maxPages`.
 *
 * @example
 * ```ts
 * import { swapinNrPages } from "./swap_in.ts";
 * if (swapinNrPages(0, 100, 4, 8, 0) !== 8) throw new Error("4 hits: 6, rounded up to 8");
 * if (swapinNrPages(50, 100, 0, 8, 0) !== 1) throw new Error("no hits, not adjacent: 1");
 * if (swapinNrPages(99, 100, 0, 8, 0) !== 2) throw new Error("no hits, adjacent: 2");
 * if (swapinNrPages(50, 100, 0, 8, 8) !== 4) throw new Error("half the previous window");
 * ```
 */
export function swapinNrPages(
  prevOffset: number,
  offset: number,
  hits: number,
  maxPages: number,
  prevWin: number,
): number {
  let pages = hits + 2;
  if (pages === 2) {
    if (offset !== prevOffset + 1 && offset !== prevOffset - 1) pages = 1;
  } else {
    let roundup = 4;
    while (roundup < pages) roundup *= 2;
    pages = roundup;
  }
  return Math.max(Math.min(pages, maxPages), Math.floor(prevWin / 2));
}

/**
 * A fault found page `fr` in the swap cache (`swap_update_readahead`): a page read ahead is a hit.
 * `vma` is the faulting area of private anonymous memory (its history takes the hit and the
 * page `vpage`), or null for a tmpfs or System V page (the machine's history takes the hit).
 */
export function swapCacheHit(k: Kernel, fr: number, vma: Vma | null, vpage: number): void {
  const fl = k.frames.flags;
  const hit = (fl[fr]! & PG.readahead) !== 0;
  fl[fr] = fl[fr]! & ~PG.readahead;
  if (vma !== null && k.vmaRa) {
    let hits = vma.raHits;
    if (hits === 0 && vma.raWin === 0) hits = NEW_AREA_HITS;
    if (hit) hits = Math.min(hits + 1, HITS_MAX);
    vma.raPage = vpage;
    vma.raHits = hits;
  } else if (hit) k.slotRa.hits++;
  if (hit) k.counters[C.swap_ra_hits]!++;
}

/**
 * Swaps in the page of the swap PTE at pool index `s` (virtual page `vpage` of private anonymous
 * area `vma`, slot `slot`, not in the swap cache) with readahead (`swapin_readahead`). Returns its
 * frame, in the swap cache and unmapped, or NONE when memory ran out.
 */
export function swapinReadahead(k: Kernel, vma: Vma, vpage: number, s: number, slot: number) {
  return k.vmaRa ? vmaReadahead(k, vma, vpage, s, slot) : clusterReadahead(k, slot);
}

/** `swap_vma_readahead`: the window of `vma`'s swap PTEs around `vpage` (see the module doc). */
function vmaReadahead(k: Kernel, vma: Vma, vpage: number, s: number, slot: number): number {
  // page_cluster 0 caps every window at one page, read alone below. (Linux returns before the
  // history for it: page_cluster may change at run time there, not within a replay here.)
  const maxWin = 2 ** Math.min(k.pageCluster, VMA_RA_ORDER_CEILING);
  const prev = vma.raPage, prevWin = vma.raWin;
  let hits = vma.raHits;
  if (hits === 0 && prevWin === 0) hits = NEW_AREA_HITS;
  const win = swapinNrPages(prev, vpage, hits, maxWin, prevWin);
  vma.raPage = vpage;
  vma.raWin = win;
  vma.raHits = 0;
  if (win === 1) return swapIn(k, slot);
  const left = vpage === prev + 1
    ? vpage
    : prev === vpage + 1
    ? vpage - win + 1
    : vpage - Math.floor((win - 1) / 2);
  const right = left + win; // left may be below 0: the area's start bounds the window
  const table = vpage - (vpage & 511); // the first page its page-table page maps
  const start = Math.max(left, vma.start, table);
  const end = Math.min(right, vma.end, table + 512);
  const base = s - (vpage - table);
  windowBegin(k);
  for (let v = start; v < end; v++) {
    const ps = base + (v - table);
    if (k.pt.flags[ps]! & PTE_SWAP) readInWindow(k, k.pt.num[ps]!, v === vpage);
  }
  return windowEnd(k, slot);
}

/**
 * `swap_cluster_readahead`: the aligned block of slots around `slot` on its device (see the module
 * doc). Returns the frame of `slot`, in the swap cache, or NONE when memory ran out.
 */
export function clusterReadahead(k: Kernel, slot: number): number {
  const sw = k.swap;
  const d = sw.deviceOf(slot);
  const offset = slot - d.base + 1; // the kernel's offset: its slot 0 is the swap header
  const maxPages = 2 ** k.pageCluster; // 1 (page_cluster 0): one page, read alone below
  const ra = k.slotRa;
  const hits = ra.hits;
  ra.hits = 0;
  const pages = swapinNrPages(ra.prevOffset, offset, hits, maxPages, ra.lastPages);
  if (hits === 0) ra.prevOffset = offset;
  ra.lastPages = pages;
  if (pages === 1) return swapIn(k, slot);
  const first = Math.max(1, offset - (offset % pages));
  const last = Math.min(offset - (offset % pages) + pages - 1, d.size);
  windowBegin(k);
  for (let o = first; o <= last; o++) {
    const sl = d.base + o - 1;
    // A slot in use has references or a swap-cache page (the checker's "leaked" test), and a
    // cached one is not read again.
    if (sw.inUse[sl]) readInWindow(k, sl, sl === slot);
  }
  return windowEnd(k, slot);
}

// The window being read: frames read so far (pinned until it is done), runs of adjacent slots
// read (one request each), the last slot read, the faulting page's frame.
let held = new Int32Array(32);
let heldCount = 0, runs = 0, lastSlot = 0, target = NONE; // set by windowBegin

/**
 * A window's reads start, under a block plug (`blk_start_plug`; `writeback.ts`'s
 * `startReadaheadPlug`): the plug holds them, and the writes that reclaim starts meanwhile
 * (allocating the window's pages) join them. Its first request is a read, so it is flushed only
 * once 32 requests wait: writes to scattered slots are sent 32 requests at a time and complete
 * while reclaim scans on; writes to adjacent slots merge (254 pages a request) and wait until the
 * window is read, so reclaim finds nothing to free but what it had written before, and writes
 * every dirty page it meets. Writes started before the window are not held by its plug: they
 * have completed. (Without late writeback, `Kernel.lateWriteback`, no write is ever in flight:
 * the plug changes nothing.)
 */
function windowBegin(k: Kernel): void {
  heldCount = 0;
  runs = 0;
  lastSlot = -2;
  target = NONE;
  completeWriteback(k);
  k.plugged = true;
  startReadaheadPlug(k);
}

/** Reads slot `sl` (the faulting page's when `own`) into the swap cache, unless it is there. */
function readInWindow(k: Kernel, sl: number, own: boolean): void {
  if (k.swap.cache[sl] !== NONE) return;
  const fr = own ? allocFrame(k) : raFrame(k);
  if (fr === NONE) return;
  readSlot(k, sl, fr);
  const fl = k.frames.flags;
  fl[fr]! |= PG.pinned;
  if (heldCount === held.length) {
    const grown = new Int32Array(held.length * 2);
    grown.set(held);
    held = grown;
  }
  held[heldCount++] = fr;
  if (own) target = fr;
  else {
    fl[fr]! |= PG.readahead;
    k.counters[C.swap_ra_pages]!++;
  }
  if (k.swap.stamp[sl] !== 0) {
    // A zero-filled page reads nothing (`writeSlot`); adjacent slots read merge. The window's
    // first read is the plug's first request (startReadaheadPlug), the later ones join it.
    if (sl !== lastSlot + 1) runs++;
    if (lastSlot < 0) {
      if (!k.plugLastWrite) k.plugLastSlot = sl;
    } else plugRequest(k, sl, false);
    lastSlot = sl;
  }
}

/**
 * The window is read: the plug is flushed (the writes it held complete), its frames are unpinned,
 * and the faulting page's frame returned (read alone if the window could not take it).
 */
function windowEnd(k: Kernel, slot: number): number {
  k.plugged = false;
  completeWriteback(k);
  for (let q = 0; q < heldCount; q++) k.frames.flags[held[q]!]! &= ~PG.pinned;
  k.counters[C.swap_io_requests]! += runs;
  return target === NONE ? swapIn(k, slot) : target;
}

/** A frame for a page read ahead, or NONE when readahead stops (`readaheadStops`). */
function raFrame(k: Kernel): number {
  return readaheadStops(k) ? NONE : allocFrame(k);
}
