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
import { NONE, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { lruAddNew } from "./lru.ts";
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
    if (readAround && (k.frames.flags[fr]! & PG.readahead)) asyncReadahead(k, obj, index, fr);
    return fr;
  }
  if (!obj.swapBacked) {
    fr = readFilePage(k, obj, index);
    if (fr === NONE) return NONE;
    k.major = true;
    if (readAround && k.raPages > 0) {
      // mmap read-around: ra_pages centred on the fault, the marker ra_pages/4 from the end.
      const ra = k.raPages;
      const start = Math.max(0, index - Math.floor(ra / 2));
      readWindow(k, obj, start, start + ra, start + ra - Math.floor(ra / 4), fr);
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
 * end or when memory runs low: readahead does not reclaim, except in a memory cgroup), marking page `mark` with PG_readahead
 * when it is read now. `keep` (the faulting page) is pinned meanwhile.
 */
function readWindow(
  k: Kernel,
  obj: VmObject,
  start: number,
  end: number,
  mark: number,
  keep: number,
): void {
  k.frames.flags[keep]! |= PG.pinned;
  const lim = obj.size === Infinity ? Infinity : Math.ceil(obj.size / PAGE_SIZE);
  for (let q = start; q < end && q < lim; q++) {
    if (obj.pages.has(q)) continue;
    if (readaheadStops(k)) break;
    const f = readFilePage(k, obj, q);
    if (f === NONE) break;
    if (q === mark) k.frames.flags[f]! |= PG.readahead;
  }
  k.frames.flags[keep]! &= ~PG.pinned;
}

/**
 * A fault found the readahead marker on cached page `index` (`fr`): asynchronous readahead of
 * the next window, from the first page not cached within `ra_pages` pages, marked at its
 * start (`page_cache_async_ra` hitting its marker). The fault itself waits for nothing (minor).
 */
function asyncReadahead(k: Kernel, obj: VmObject, index: number, fr: number): void {
  k.frames.flags[fr]! &= ~PG.readahead;
  let start = -1;
  for (let q = index + 1; q <= index + k.raPages; q++) {
    if (!obj.pages.has(q)) {
      start = q;
      break;
    }
  }
  if (start < 0) return;
  readWindow(k, obj, start, start + k.raPages, start, fr);
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
