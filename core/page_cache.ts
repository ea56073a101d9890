/**
 * Page cache: objects by name, getting a page of an object (from the cache, the disk with
 * read-around, or swap), `read(2)`/`write(2)`, `create`/`truncate`/`unlink`/`fsync`, and freeing
 * an object nothing keeps alive.
 *
 * Internal to the machine: functions over its state (`Kernel`), called by `machine.ts` and each
 * other.
 *
 * @module
 */
import { zapRange } from "./areas.ts";
import { C } from "./counters.ts";
import { NONE, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { lruAddNew, markAccessed } from "./lru.ts";
import { writeback } from "./madvise.ts";
import { VmObject } from "./object.ts";
import { Op, PAGE_SIZE } from "../uapi/event.ts";
import { allocFrame, slotPut, swapIn } from "./pages.ts";
import type { EventColumns } from "../uapi/event.ts";

/** Pages of file read-around on a major fault (`ra_pages`, 128 KiB). */
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
    if (readAround) {
      // mmap read-around: ra_pages centred on the fault, the marker ra_pages/4 from the end.
      const start = Math.max(0, index - READ_AROUND / 2);
      readWindow(k, obj, start, start + READ_AROUND, start + READ_AROUND - READ_AROUND / 4, fr);
    }
    return fr;
  }
  const slot = obj.swap.get(index);
  if (slot !== undefined) {
    let sf = k.swap.cache[slot]!;
    if (sf === NONE) {
      sf = swapIn(k, slot, true);
      if (sf === NONE) return NONE;
      k.major = true;
    }
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
  fr = allocFrame(k);
  if (fr === NONE) return NONE;
  k.frames.flags[fr] = PG.pageCache | PG.swapBacked | PG.dirty;
  k.frames.owner[fr] = obj.id;
  k.frames.index[fr] = index;
  obj.pages.set(index, fr);
  lruAddNew(k.frames, fr, null);
  return fr;
}

/**
 * Reads the pages of `[start, end)` of file `obj` that are not cached (stopping at the object's
 * end or when memory runs low: readahead never reclaims), marking page `mark` with PG_readahead
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
    if (k.frames.freeCount <= k.lowWater) break;
    const f = readFilePage(k, obj, q);
    if (f === NONE) break;
    if (q === mark) k.frames.flags[f]! |= PG.readahead;
  }
  k.frames.flags[keep]! &= ~PG.pinned;
}

/**
 * A fault found the readahead marker on cached page `index` (`fr`): asynchronous readahead of
 * the next window, from the first page not cached within `READ_AROUND` pages, marked at its
 * start (`page_cache_async_ra` hitting its marker). The fault itself waits for nothing (minor).
 */
function asyncReadahead(k: Kernel, obj: VmObject, index: number, fr: number): void {
  k.frames.flags[fr]! &= ~PG.readahead;
  let start = -1;
  for (let q = index + 1; q <= index + READ_AROUND; q++) {
    if (!obj.pages.has(q)) {
      start = q;
      break;
    }
  }
  if (start < 0) return;
  readWindow(k, obj, start, start + READ_AROUND, start, fr);
}

/** Reads page `index` of file `obj` from disk into a new page-cache page (`file_read_pages`). */
export function readFilePage(k: Kernel, obj: VmObject, index: number): number {
  const fr = allocFrame(k);
  if (fr === NONE) return NONE;
  k.frames.flags[fr] = PG.pageCache;
  k.frames.owner[fr] = obj.id;
  k.frames.index[fr] = index;
  k.frames.stamp[fr] = obj.disk.get(index) ?? 0;
  obj.pages.set(index, fr);
  lruAddNew(k.frames, fr, null);
  k.counters[C.file_read_pages]!++;
  return fr;
}

/** Applies `create`, `truncate`, `read`, `write`, `unlink` or `fsync` (event `i` of `b`). */
export function objectEvent(k: Kernel, b: EventColumns, i: number, op: number, seq: number): void {
  const name = b.strings[b.str[i]!] ?? "";
  switch (op) {
    case Op.create: {
      const size = b.n1[i]!;
      const o = k.objects.get(name);
      if (o === undefined) {
        const n = new VmObject(k.nextObj++, VmObject.kindOf(name) ?? "file", name, size);
        k.objects.set(name, n);
        k.addObject(n);
      } else truncate(k, o, size);
      return;
    }
    case Op.truncate:
      truncate(k, object(k, name), b.n1[i]!);
      return;
    case Op.read:
    case Op.write:
      rw(k, object(k, name), b.n1[i]!, b.n2[i]!, op === Op.write, seq);
      return;
    case Op.unlink: {
      const o = k.objects.get(name);
      if (o === undefined) {
        k.report.warn(`unlink ${name}: no such object`);
        return;
      }
      k.objects.delete(name);
      o.named = false;
      maybeFreeObject(k, o);
      return;
    }
    case Op.fsync: {
      const o = k.objects.get(name);
      if (o === undefined) {
        k.report.warn(`fsync ${name}: no such object`);
        return;
      }
      if (o.swapBacked) return;
      // In place, without a copy of the cache: writeback leaves the page cache as it is.
      const flags = k.frames.flags;
      o.pages.forEach((fr) => {
        if (flags[fr]! & PG.dirty) writeback(k, fr);
      });
      return;
    }
  }
}

/** read(2) / write(2) of `[off, off+len)` through the page cache. */
export function rw(
  k: Kernel,
  obj: VmObject,
  off: number,
  len: number,
  write: boolean,
  seq: number,
): void {
  if (len <= 0) return;
  let end = off + len;
  if (!write) end = Math.min(end, obj.size);
  if (end <= off) return;
  const first = Math.floor(off / PAGE_SIZE);
  const last = Math.floor((end - 1) / PAGE_SIZE);
  for (let idx = first; idx <= last; idx++) {
    let fr = obj.pages.get(idx);
    if (fr === undefined) {
      if (!obj.swapBacked) {
        const full = write && off <= idx * PAGE_SIZE && end >= (idx + 1) * PAGE_SIZE;
        if (full) {
          fr = allocFrame(k);
          if (fr === NONE) return k.report.oom(`write ${obj.name}`);
          k.frames.flags[fr] = PG.pageCache;
          k.frames.owner[fr] = obj.id;
          k.frames.index[fr] = idx;
          obj.pages.set(idx, fr);
          lruAddNew(k.frames, fr, null);
        } else {
          fr = readFilePage(k, obj, idx);
          if (fr === NONE) return k.report.oom(`${write ? "write" : "read"} ${obj.name}`);
        }
      } else if (write || obj.swap.has(idx)) {
        fr = getPage(k, obj, idx, false);
        if (fr === NONE) return k.report.oom(`${write ? "write" : "read"} ${obj.name}`);
      } else continue; // a tmpfs hole reads as zeros without a page
    }
    markAccessed(k.frames, fr);
    if (write) {
      k.frames.stamp[fr] = seq;
      k.frames.flags[fr]! |= PG.dirty;
    }
  }
  if (write && end > obj.size) obj.size = end;
}

/** Sets `obj`'s size; pages past it vanish from the cache, swap and every mapping. */
export function truncate(k: Kernel, obj: VmObject, size: number): void {
  const oldSize = obj.size;
  obj.size = size;
  if (size >= oldSize) return;
  const keep = Math.ceil(size / PAGE_SIZE);
  for (const vma of obj.mappings) {
    const from = Math.max(vma.start, vma.addressOf(keep));
    if (from >= vma.end) continue;
    zapRange(k, vma, from, vma.end);
    k.tlb.flushRange(vma.mm, from, vma.end);
  }
  // Deleting the current entry while iterating a Map is safe and keeps the order (no copies:
  // these maps can hold thousands of entries). Neither release nor slotPut touches the maps.
  // forEach rather than for-of over entries: no [index, value] pair per entry.
  const pages = obj.pages, swap = obj.swap, disk = obj.disk;
  pages.forEach((fr, idx) => {
    if (idx < keep) return;
    pages.delete(idx);
    k.frames.release(fr);
  });
  swap.forEach((slot, idx) => {
    if (idx < keep) return;
    swap.delete(idx);
    slotPut(k, slot);
  });
  disk.forEach((_stamp, idx) => {
    if (idx >= keep) disk.delete(idx);
  });
}

/** Frees an object nothing keeps alive: its cached pages and swap entries. */
export function maybeFreeObject(k: Kernel, obj: VmObject): void {
  if (!obj.orphan) return;
  for (const fr of obj.pages.values()) k.frames.release(fr);
  obj.pages.clear();
  for (const slot of obj.swap.values()) slotPut(k, slot);
  obj.swap.clear();
  k.removeObject(obj);
}

/** The named object, created implicitly (unbounded) when used before `create`. */
export function object(k: Kernel, name: string): VmObject {
  let o = k.objects.get(name);
  if (o === undefined) {
    o = new VmObject(k.nextObj++, VmObject.kindOf(name) ?? "file", name, Infinity);
    k.objects.set(name, o);
    k.addObject(o);
  }
  return o;
}
