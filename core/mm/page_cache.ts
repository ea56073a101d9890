/**
 * The page cache: the page of an object at an index, found cached or read from the disk with
 * read-around and readahead (a file), or from swap (tmpfs, shm, shared anonymous memory); reading
 * a file page; adding a new page to an object's cache.
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import { C } from "../counters.ts";
import { LRU, NONE, PG } from "./frames.ts";
import { grown } from "./growable.ts";
import type { Kernel } from "./kernel.ts";
import { activate, lruAddNew, markAccessed } from "./lru.ts";
import type { VmObject } from "./object.ts";
import { allocFrame, readaheadStops } from "./page_alloc.ts";
import { clusterReadahead, swapCacheHit } from "./swap_in.ts";
import { refault } from "./workingset.ts";
import { PAGE_SIZE } from "../../uapi/event.ts";

/** Pages of file read-around on a major fault (`ra_pages`) by default (`read_ahead_kb` 128). */
export const READ_AROUND = 32;

/**
 * The page-cache page of (`obj`, `index`), read from disk or swap if needed (`k.major` tells
 * whether it waited for I/O). NONE when memory ran out.
 */
export function getPage(k: Kernel, obj: VmObject, index: number, readAround: boolean): number {
  k.major = false;
  let fr = obj.pages.get(index);
  if (fr !== undefined) {
    if (readAround && (k.frames.flags[fr]! & PG.readahead)) {
      asyncReadahead(k, obj, index, fr, k.raPages);
    }
    return fr;
  }
  if (!obj.swapBacked) {
    fr = readFilePage(k, obj, index);
    if (fr === NONE) return NONE;
    k.major = true;
    if (readAround && k.raPages > 0) {
      // mmap read-around: ra_pages centred on the fault, the marker ra_pages/4 from the end, of
      // single pages (do_sync_mmap_readahead sets the order to 0).
      const ra = k.raPages;
      const start = Math.max(0, index - Math.floor(ra / 2));
      obj.raStart = start;
      obj.raSize = ra;
      obj.raAsync = Math.floor(ra / 4);
      obj.raOrder = 0;
      readWindow(k, obj, start, start + ra, start + ra - obj.raAsync, fr, 0);
      obj.raEnd = start + ra;
    }
    return fr;
  }
  const slot = obj.swap.get(index);
  if (slot !== undefined) {
    let sf = k.swap.cache[slot]!;
    if (sf === NONE) {
      // shmem_swapin_folio: tmpfs and System V pages read ahead by slot.
      sf = clusterReadahead(k, slot);
      if (sf === NONE) return NONE;
      k.major = true;
    } else swapCacheHit(k, sf, null, 0);
    // Into the page cache, off swap.
    obj.swap.delete(index);
    k.swap.refs[slot]!--;
    const fl = k.frames.flags;
    fl[sf] = (fl[sf]! & ~PG.swapCache) | PG.pageCache | PG.swapBacked | PG.dirty;
    k.frames.swap[sf] = NONE;
    k.swap.cache[slot] = NONE;
    if (k.swap.refs[slot] === 0) k.swap.free(slot);
    k.frames.owner[sf] = obj.id;
    k.frames.index[sf] = index;
    obj.pages.set(index, sf);
    return sf;
  }
  return addCachePage(k, obj, index, PG.pageCache | PG.swapBacked | PG.dirty);
}

/**
 * Reads the pages of `[start, end)` of file `obj` that are not cached (stopping at the object's
 * end or when memory runs low: readahead does not reclaim, except in a memory cgroup), in folios
 * of `order` (`page_cache_ra_order`: each aligned by page index, smaller where its index or the
 * file's end calls for it, the last one reaching past the window's end; from the first page found
 * cached on, single pages), and returns where it stopped. It marks the folio holding page `mark`
 * with PG_readahead (all its pages) when it is read now. `keep` (the faulting page; NONE for a
 * read(2)) is pinned meanwhile.
 *
 * The pages read are pinned until their run ends: Linux adds them to the page cache locked and
 * sends their reads when the window meets a cached page or ends (`read_pages`); reclaim cannot
 * take a locked page (`folio_trylock` fails), so the reclaim a memory cgroup's readahead runs
 * frees older pages, not the run's own (measured with the `filemap` tracepoints: a 2 048-page
 * read-around in a full 16 MiB cgroup freed none of its own pages). Their reads are taken to
 * complete when they are sent.
 */
function readWindow(
  k: Kernel,
  obj: VmObject,
  start: number,
  end: number,
  mark: number,
  keep: number,
  order: number,
): number {
  if (keep !== NONE) k.frames.flags[keep]! |= PG.pinned;
  const eof = obj.size === Infinity ? Infinity : Math.ceil(obj.size / PAGE_SIZE);
  const lim = Math.min(end, eof);
  let q = start;
  while (q < lim) {
    let o = order;
    if (o > 0) {
      // Aligned by index (ra_alloc_folio's order), within the file (the last folio may reach past
      // the window's end: measured on Linux 6.18, a window of 64 pages from page 20 ends at 96),
      // and only where no page is cached yet (a folio cannot be added over one: single pages from
      // there on).
      while (o > 0 && (q % (1 << o) !== 0 || q + (1 << o) > eof)) o--;
      for (let p = q; p < q + (1 << o); p++) {
        if (obj.pages.has(p)) {
          order = o = 0;
          break;
        }
      }
    }
    if (o === 0) {
      if (!obj.pages.has(q)) {
        if (readaheadStops(k)) break;
        const f = readFilePage(k, obj, q);
        if (f === NONE) break;
        if (q === mark) k.frames.flags[f]! |= PG.readahead;
        hold(k, f);
      } else if (heldCount > 0 && obj.pages.get(q) !== keep) {
        release(k); // a cached page ends the run (the faulting page, read first here, does not)
      }
      q++;
      continue;
    }
    // The folio's pages join the run (pinned) as they are read; they are its last `read` held.
    const n = 1 << o;
    let read = 0;
    for (; read < n && !readaheadStops(k); read++) {
      const f = readFilePage(k, obj, q + read);
      if (f === NONE) break;
      hold(k, f);
    }
    if (read < n) break; // memory ran low: what was read stays, as single pages
    const marked = mark >= q && mark < q + n ? PG.readahead : 0;
    for (let i = heldCount - n; i < heldCount; i++) {
      const f = held[i]!;
      k.frames.flags[f]! |= marked;
      k.frames.order[f] = o;
    }
    q += n;
  }
  release(k);
  if (keep !== NONE) k.frames.flags[keep]! &= ~PG.pinned;
  return q;
}

// The pages of the run `readWindow` is reading (pinned until it ends).
let held = new Int32Array(64);
let heldCount = 0;

/** Page `f`, just read into the window's run, stays pinned until the run ends. */
function hold(k: Kernel, f: number): void {
  k.frames.flags[f]! |= PG.pinned;
  held = grown(held, heldCount, k.frames.flags.length);
  held[heldCount++] = f;
}

/** The run's reads are sent: its pages may be reclaimed again. */
function release(k: Kernel): void {
  for (let i = 0; i < heldCount; i++) k.frames.flags[held[i]!]! &= ~PG.pinned;
  heldCount = 0;
}

/**
 * A fault or a read(2) of `req` pages found the readahead marker on cached page `index` (`fr`; a
 * fault asks for `ra_pages`): asynchronous readahead of the next window (`page_cache_async_ra`),
 * marked at its start, in folios two orders larger than the last window's (with `large_folios`;
 * at most {@linkcode MAX_FOLIO_ORDER} and the window's size). Where the file's readahead state
 * expects the marker (the folio holding the last window's start + size - async size), the window
 * follows that one (from where its last folio ended), `get_next_ra_size` pages, even if its
 * first pages are cached (then `readWindow` reads its holes as single pages, and the marker is
 * set only if its page is read); else it starts at the first page not cached within `ra_pages`
 * pages. The fault itself waits for nothing (minor).
 */
function asyncReadahead(
  k: Kernel,
  obj: VmObject,
  index: number,
  fr: number,
  req: number,
): void {
  const head = index - folioPagesBefore(k, fr);
  for (let p = head; p <= index + folioPagesAfter(k, fr); p++) {
    const f = obj.pages.get(p);
    if (f !== undefined) k.frames.flags[f]! &= ~PG.readahead;
  }
  const max = k.raPages;
  // The marker where the window before left it: sequential, the next window follows that one
  // (even if its first pages are cached). Else the window starts at the first page not cached.
  const n = 1 << k.frames.order[fr]!;
  const expected = obj.raStart + obj.raSize - obj.raAsync;
  if (obj.raSize > 0 && index === expected - (expected % n)) {
    obj.raStart = obj.raEnd;
    obj.raSize = nextRaSize(obj.raSize, max);
  } else {
    let start = -1;
    for (let q = index + 1; q <= index + max; q++) {
      if (!obj.pages.has(q)) {
        start = q;
        break;
      }
    }
    if (start < 0) return;
    obj.raStart = start;
    obj.raSize = nextRaSize(start - index + req, max);
  }
  obj.raAsync = obj.raSize;
  const order = k.largeFolios && obj.kind === "file"
    ? Math.min(obj.raOrder + 2, MAX_FOLIO_ORDER, Math.floor(Math.log2(obj.raSize)))
    : 0;
  obj.raOrder = order;
  const start = obj.raStart;
  obj.raEnd = Math.max(
    start + obj.raSize,
    readWindow(k, obj, start, start + obj.raSize, start, fr, order),
  );
}

/** `get_next_ra_size`: the next window after one of `cur` pages, at most `max`. */
function nextRaSize(cur: number, max: number): number {
  if (cur < max / 16) return 4 * cur;
  if (cur <= max / 2) return 2 * cur;
  return max;
}

/**
 * read(2) of bytes `[off, end)` of disk file `obj` (`filemap_read`): each page not cached starts
 * a synchronous readahead (`page_cache_sync_ra`), a page with the readahead marker an
 * asynchronous one, and each folio the read enters is marked accessed once (not the one the last
 * read ended in: `pos_same_folio`). False when memory ran out.
 */
export function fileRead(k: Kernel, obj: VmObject, off: number, end: number): boolean {
  const first = Math.floor(off / PAGE_SIZE);
  const last = Math.floor((end - 1) / PAGE_SIZE);
  let prevByte = obj.raPrevPos - 1;
  for (let idx = first; idx <= last; idx++) {
    let fr = obj.pages.get(idx);
    if (fr === undefined) {
      if (k.raPages > 0) syncReadahead(k, obj, idx, last + 1 - idx);
      fr = obj.pages.get(idx);
      if (fr === undefined) {
        fr = readFilePage(k, obj, idx); // filemap_create_folio
        if (fr === NONE) return false;
      }
    }
    if (k.raPages > 0 && (k.frames.flags[fr]! & PG.readahead)) {
      asyncReadahead(k, obj, idx, fr, last + 1 - idx);
    }
    const head = idx - folioPagesBefore(k, fr);
    const prevPage = prevByte < 0 ? -1 : Math.floor(prevByte / PAGE_SIZE);
    if (prevPage < head || prevPage > idx + folioPagesAfter(k, fr)) markFolioAccessed(k, obj, fr);
    prevByte = Math.min(end, (idx + 1) * PAGE_SIZE) - 1;
  }
  obj.raPrevPos = end;
  return true;
}

/**
 * `page_cache_sync_ra` for a read(2) of `req` pages from page `index`, not cached: at the start of
 * the file, after the last read or for a read larger than `ra_pages`, a new window of
 * `get_init_ra_size` pages, its marker `req` pages in; else, when the pages before `index` are
 * cached further back than `req` (a stream), a window as long as that history (twice it when
 * cached from the start) plus `req`, its marker on its last page; else (a small random read)
 * `req` pages alone, the readahead state left as it was. Single pages: the order starts again at 0.
 */
function syncReadahead(k: Kernel, obj: VmObject, index: number, req: number): void {
  const max = k.raPages;
  // prev_pos starts at -1: no read yet is not a read just before.
  const prev = obj.raPrevPos < 0 ? Infinity : Math.floor(obj.raPrevPos / PAGE_SIZE);
  if (index === 0 || req > max || (index >= prev && index - prev <= 1)) {
    obj.raStart = index;
    obj.raSize = initRaSize(req, max);
    obj.raAsync = obj.raSize > req ? obj.raSize - req : obj.raSize >> 1;
  } else {
    // page_cache_prev_miss: the first page not cached below index, within max pages (-1 when the
    // file is cached from its start: the kernel's wrap to ULONG_MAX).
    let miss = index - 1 - max;
    for (let q = index - 1; q >= index - max; q--) {
      if (q < 0 || !obj.pages.has(q)) {
        miss = q;
        break;
      }
    }
    let contig = index - miss - 1;
    if (contig <= req) {
      readWindow(k, obj, index, index + req, -1, NONE, 0);
      return;
    }
    if (miss < 0) contig *= 2;
    obj.raStart = index;
    obj.raSize = Math.min(contig + req, max);
    obj.raAsync = 1;
  }
  obj.raOrder = 0;
  const start = obj.raStart;
  readWindow(k, obj, start, start + obj.raSize, start + obj.raSize - obj.raAsync, NONE, 0);
  obj.raEnd = start + obj.raSize;
}

/** `get_init_ra_size`: the first window of a read of `req` pages, at most `max`. */
function initRaSize(req: number, max: number): number {
  let size = 1;
  while (size < req) size *= 2;
  if (size <= max / 32) return size * 4;
  if (size <= max / 4) return size * 2;
  return max;
}

/**
 * `folio_mark_accessed` on the folio holding page-cache page `fr` of `obj`: every page of a large
 * folio at once (one PG_referenced, one list), the page alone otherwise.
 */
export function markFolioAccessed(k: Kernel, obj: VmObject, fr: number): void {
  const n = folioFrames(k, obj, fr);
  if (n === 0) return markAccessed(k.frames, fr);
  const fl = k.frames.flags;
  const l = k.frames.lru[fr]!;
  const activateAll = (fl[fr]! & PG.referenced) !== 0 &&
    (l === LRU.inactiveAnon || l === LRU.inactiveFile);
  for (let i = 0; i < n; i++) {
    const f = folio[i]!;
    if (activateAll) {
      fl[f] = fl[f]! & ~PG.referenced;
      activate(k.frames, f);
    } else fl[f] = fl[f]! | PG.referenced;
  }
}

// The pages of the folio `folioFrames` found, in index order.
let folio = new Int32Array(512);

/**
 * The pages of the large folio holding page-cache page `fr` of `obj`, into `folio` in index
 * order; returns how many, or 0 when `fr` is a single page or its folio is no longer whole (a page
 * of it gone, or on another list).
 */
export function folioFrames(k: Kernel, obj: VmObject, fr: number): number {
  const o = k.frames.order[fr]!;
  if (o === 0) return 0;
  const n = 1 << o;
  const head = k.frames.index[fr]! - folioPagesBefore(k, fr);
  const l = k.frames.lru[fr]!;
  if (folio.length < n) folio = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const f = obj.pages.get(head + i);
    if (f === undefined || k.frames.order[f] !== o || k.frames.lru[f] !== l) return 0;
    folio[i] = f;
  }
  return n;
}

/** The page `folioFrames` found at position `i` of its folio. */
export function folioFrame(i: number): number {
  return folio[i]!;
}

/**
 * The largest page-cache folio readahead makes, as an order (`MAX_PAGECACHE_ORDER` on x86-64:
 * a PMD's 512 pages).
 */
const MAX_FOLIO_ORDER = 9;

/**
 * Pages of page-cache page `fr`'s folio before it (0 but for a disk file's page readahead read
 * in a large folio).
 */
export function folioPagesBefore(k: Kernel, fr: number): number {
  return k.frames.index[fr]! % (1 << k.frames.order[fr]!);
}

/** Pages of page-cache page `fr`'s folio after it (see {@linkcode folioPagesBefore}). */
export function folioPagesAfter(k: Kernel, fr: number): number {
  return (1 << k.frames.order[fr]!) - 1 - folioPagesBefore(k, fr);
}

/**
 * Reads page `index` of file `obj` from disk into a new page-cache page (`file_read_pages`). A
 * page evicted recently enough goes to the active list (`workingset.ts`).
 */
export function readFilePage(k: Kernel, obj: VmObject, index: number): number {
  const fr = addCachePage(k, obj, index, PG.pageCache);
  if (fr === NONE) return NONE;
  k.frames.stamp[fr] = obj.disk.get(index) ?? 0;
  k.counters[C.file_read_pages]!++;
  const shadow = obj.shadow.get(index);
  if (shadow !== undefined) {
    obj.shadow.delete(index);
    refault(k, fr, shadow, true);
  }
  return fr;
}

/**
 * A new page of `obj` at `index` in its page cache, with page flags `flags` (`PG.pageCache` and
 * more), on its first LRU list: NONE when memory ran out. Its contents are the caller's to set.
 */
export function addCachePage(k: Kernel, obj: VmObject, index: number, flags: number): number {
  const fr = allocFrame(k);
  if (fr === NONE) return NONE;
  k.frames.flags[fr] = flags;
  k.frames.owner[fr] = obj.id;
  k.frames.index[fr] = index;
  obj.pages.set(index, fr);
  lruAddNew(k.frames, fr, null);
  return fr;
}
