/**
 * File operations on objects (`file:`, `tmpfs:`, `shm:`): `create`, `truncate`, `read`, `write`,
 * `unlink` and `fsync`, through the page cache.
 *
 * System-call entry points: they take the decoded arguments of an event (`machine.ts` decodes
 * them) and work through the primitives of `core/mm/`.
 *
 * @module
 */
import { NONE, PG } from "../mm/frames.ts";
import type { Kernel } from "../mm/kernel.ts";
import { markAccessed } from "../mm/lru.ts";
import type { VmObject } from "../mm/object.ts";
import { createObject, maybeFreeObject, objectNamed } from "../mm/objects.ts";
import { addCachePage, fileRead, getPage, readFilePage } from "../mm/page_cache.ts";
import { truncatePages } from "../mm/truncate.ts";
import { writeback } from "../mm/writeback.ts";
import { PAGE_SIZE } from "../../uapi/event.ts";

/** create: a new object of `size` bytes, or an existing one truncated (or grown) to it. */
export function create(k: Kernel, name: string, size: number): void {
  const o = k.objects.get(name);
  if (o === undefined) createObject(k, name, size);
  else truncatePages(k, o, size);
}

/** truncate: sets the object's size; pages past it vanish from the cache, swap and mappings. */
export function truncate(k: Kernel, name: string, size: number): void {
  truncatePages(k, objectNamed(k, name), size);
}

/** read(2) of `len` bytes at byte `offset` through the page cache. */
export function read(k: Kernel, name: string, offset: number, len: number): void {
  rw(k, objectNamed(k, name), offset, len, false, 0);
}

/** write(2) of `len` bytes at byte `offset` through the page cache; `stamp` is what it writes. */
export function write(k: Kernel, name: string, offset: number, len: number, stamp: number): void {
  k.inFileWrite = true;
  try {
    rw(k, objectNamed(k, name), offset, len, true, stamp);
  } finally {
    k.inFileWrite = false;
  }
}

/** unlink: the name goes; the object lives while something maps it. */
export function unlink(k: Kernel, name: string): void {
  const o = k.objects.get(name);
  if (o === undefined) {
    k.report.warn(`unlink ${name}: no such object`);
    return;
  }
  k.objects.delete(name);
  o.named = false;
  maybeFreeObject(k, o);
}

/** fsync: writes back the dirty pages of a file. */
export function fsync(k: Kernel, name: string): void {
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
}

/** read(2) / write(2) of `[off, off+len)` of `obj` through the page cache. */
function rw(
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
  if (!write && !obj.swapBacked) {
    // A disk file's read(2): readahead, large folios (page_cache.ts).
    if (!fileRead(k, obj, off, end)) k.report.oom(`read ${obj.name}`);
    return;
  }
  const first = Math.floor(off / PAGE_SIZE);
  const last = Math.floor((end - 1) / PAGE_SIZE);
  for (let idx = first; idx <= last; idx++) {
    let fr = obj.pages.get(idx);
    if (fr === undefined) {
      if (!obj.swapBacked) {
        const full = write && off <= idx * PAGE_SIZE && end >= (idx + 1) * PAGE_SIZE;
        if (full) {
          // A whole page written: nothing to read first.
          fr = addCachePage(k, obj, idx, PG.pageCache);
          if (fr === NONE) return k.report.oom(`write ${obj.name}`);
        } else {
          fr = readFilePage(k, obj, idx);
          if (fr === NONE) return k.report.oom(`write ${obj.name}`);
        }
      } else if (write || obj.swap.has(idx)) {
        fr = getPage(k, obj, idx, false);
        if (fr === NONE) return k.report.oom(`${write ? "write" : "read"} ${obj.name}`);
      } else continue; // a tmpfs hole reads as zeros without a page
    }
    // read(2) of tmpfs marks the page accessed, and so does a write to tmpfs (shmem's SGP_WRITE);
    // a write to a file does not (its write_begin asks for no FGP_ACCESSED).
    if (!write || obj.swapBacked) markAccessed(k.frames, fr);
    if (write) {
      k.frames.stamp[fr] = seq;
      k.frames.flags[fr]! |= PG.dirty;
    }
  }
  if (write && end > obj.size) obj.size = end;
}
