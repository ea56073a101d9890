/**
 * Truncation (Linux's `truncate_pagecache`): an object's pages past its new size leave every
 * mapping, private copies included, then its page cache, swap map and disk.
 *
 * Internal to the machine: a function over its state (`Kernel`).
 *
 * @module
 */
import type { Kernel } from "./kernel.ts";
import type { VmObject } from "./object.ts";
import { slotPut } from "./release.ts";
import { waitOnWriteback } from "./writeback.ts";
import { zapRange } from "./zap.ts";
import { PAGE_SIZE } from "../../uapi/event.ts";

/** Sets `obj`'s size; pages past it vanish from the cache, swap and every mapping. */
export function truncatePages(k: Kernel, obj: VmObject, size: number): void {
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
  // In index order, as truncate_inode_pages; deleting the current entry while a PageMap is walked
  // is safe (no copies: these maps can hold thousands of entries). Neither release nor slotPut
  // touches the maps.
  const pages = obj.pages, swap = obj.swap;
  pages.forEach((fr, idx) => {
    if (idx < keep) return;
    // truncate_inode_pages waits for a page the flusher is writing.
    waitOnWriteback(k, fr);
    pages.delete(idx);
    k.frames.release(fr);
  });
  swap.forEach((slot, idx) => {
    if (idx < keep) return;
    swap.delete(idx);
    slotPut(k, slot);
  });
  obj.disk.deleteFrom(keep);
}
